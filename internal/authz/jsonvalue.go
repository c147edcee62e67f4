package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"gopkg.in/yaml.v3"
)

// aliasBudget caps how many YAML nodes one roles file may expand to when its
// free-form parts (queries, metadata) are converted: aliases of aliases grow
// exponentially ("billion laughs").
const aliasBudget = 1 << 20

// maxJSONDepth bounds nesting of free-form values.
const maxJSONDepth = 100

// valueConverter turns YAML nodes into JSON-compatible Go values.
type valueConverter struct {
	budget *int
	errf   errorFunc
}

// toValue converts n; it reports problems through errf and returns ok=false.
func (c valueConverter) toValue(n *yaml.Node, depth int) (any, bool) {
	n = deref(n)
	*c.budget--
	if *c.budget < 0 {
		c.errf(n, "YAML aliases expand to too large a document")
		return nil, false
	}
	if depth > maxJSONDepth {
		c.errf(n, "value is nested too deeply")
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		return c.object(n, depth)
	case yaml.SequenceNode:
		return c.array(n, depth)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	c.errf(n, "unsupported YAML node")
	return nil, false
}

func (c valueConverter) object(n *yaml.Node, depth int) (any, bool) {
	ok := true
	errf := func(k *yaml.Node, format string, args ...any) { ok = false; c.errf(k, format, args...) }
	m := make(map[string]any, len(n.Content)/2)
	for _, p := range pairs(n, errf) {
		v, vok := c.toValue(p.val, depth+1)
		ok = ok && vok
		m[p.name] = v
	}
	return m, ok
}

func (c valueConverter) array(n *yaml.Node, depth int) (any, bool) {
	ok := true
	a := make([]any, 0, len(n.Content))
	for _, item := range n.Content {
		v, vok := c.toValue(item, depth+1)
		ok = ok && vok
		a = append(a, v)
	}
	return a, ok
}

func (c valueConverter) scalar(n *yaml.Node) (any, bool) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return n.Value, true
	case "!!null":
		return nil, true
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			c.errf(n, "invalid %s value [%s]", n.ShortTag(), n.Value)
			return nil, false
		}
		if f, isFloat := v.(float64); isFloat && (math.IsInf(f, 0) || math.IsNaN(f)) {
			c.errf(n, "value [%s] cannot be represented in JSON", n.Value)
			return nil, false
		}
		return v, true
	}
	c.errf(n, "unsupported YAML tag [%s]", n.Tag)
	return nil, false
}

// checkJSONObject verifies that s is exactly one JSON object, with no
// duplicate key at any level: Elasticsearch rejects duplicates, and a query
// read differently by the proxy and by Elasticsearch is a leak.
func checkJSONObject(s []byte) error {
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	if err := walkJSON(dec, '{', 1); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("unexpected end of JSON input")
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// walkJSON consumes the rest of a container whose opening delimiter was read.
func walkJSON(dec *json.Decoder, open json.Delim, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("nested too deeply")
	}
	seen := map[string]bool{}
	for dec.More() {
		if open == '{' {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key] {
				return fmt.Errorf("duplicate field [%s]", key)
			}
			seen[key] = true
		}
		if err := walkJSONValue(dec, depth); err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing delimiter
	return err
}

func walkJSONValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		return walkJSON(dec, d, depth+1)
	}
	return nil
}
