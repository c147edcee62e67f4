package authz

import (
	"gopkg.in/yaml.v3"
)

// errorFunc reports a problem at a node's line.
type errorFunc func(n *yaml.Node, format string, args ...any)

// maxAliasHops bounds alias chains; yaml.v3 refuses cycles, this is a backstop.
const maxAliasHops = 64

// deref follows alias nodes to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < maxAliasHops; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key/value of a YAML mapping, aliases resolved.
type pair struct {
	key, val *yaml.Node
	name     string
}

// pairs returns the entries of a mapping node. Non-string keys, merge keys
// ("<<", whose semantics Elasticsearch's YAML parser does not share) and
// duplicate keys are reported and left out: a duplicate could make the proxy
// and Elasticsearch read different values.
func pairs(n *yaml.Node, errf errorFunc) []pair {
	seen := make(map[string]int, len(n.Content)/2)
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		switch {
		case k.Kind != yaml.ScalarNode:
			errf(k, "mapping keys must be strings, found [%s]", tokenName(k))
		case k.ShortTag() == "!!merge":
			errf(k, "YAML merge keys (<<) are not supported")
		case seen[k.Value] != 0:
			errf(k, "duplicate key [%s] (first defined at line %d)", k.Value, seen[k.Value])
		default:
			seen[k.Value] = max(k.Line, 1)
			out = append(out, pair{key: k, val: v, name: k.Value})
		}
	}
	return out
}

// tokenName names a node the way Elasticsearch's parser errors name tokens.
func tokenName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "START_OBJECT"
	case yaml.SequenceNode:
		return "START_ARRAY"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "VALUE_NULL"
		case "!!bool":
			return "VALUE_BOOLEAN"
		case "!!int", "!!float":
			return "VALUE_NUMBER"
		case "!!str", "!!timestamp":
			return "VALUE_STRING"
		}
		return "VALUE_EMBEDDED_OBJECT"
	}
	return "UNKNOWN"
}

// scalarString returns the text of a scalar usable as a string: strings, and
// numbers or dates written without quotes (`names: [2015]`), as written.
// Booleans, nulls and explicitly tagged values are not strings.
func scalarString(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!timestamp":
		return n.Value, true
	}
	return "", false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
