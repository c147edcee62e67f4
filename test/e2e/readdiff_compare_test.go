package e2e

// Comparing the read-API differential's answers with the mirror's: what
// is set aside, and what "no more than the mirror" means.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// readDropped are the members that differ between an index and its
// mirror without saying anything about what the user may see: timings,
// scores and their explanations, shard counts, sequence numbers, cursor
// ids, and term statistics (which count the documents a role query hides,
// as Elasticsearch's do).
var readDropped = map[string]bool{
	"took": true, "_score": true, "max_score": true, "_shards": true, "_seq_no": true, "_primary_term": true,
	"_scroll_id": true, "pit_id": true, "timed_out": true, "terminated_early": true, "num_reduce_phases": true,
	"explanation": true, "_explanation": true, "explanations": true, "doc_freq": true, "ttf": true,
	"field_statistics": true, "score": true, "took_in_millis": true, "status": true, "_version": true,
	"settings": true,                    // uuid, creation date, provided name
	"epoch":    true, "timestamp": true, // _cat/count
}

// readDigest is the part of an answer that must agree with the mirror's:
// the decoded JSON without readDropped members, with mirror index names
// read as the real ones (back, nil for the user's own answer), hits
// sorted by index and id, and suggestion options and term vector terms
// reduced to their text.
func readDigest(kind, js string, back *strings.Replacer) (any, error) {
	if js == "" {
		return nil, fmt.Errorf("not JSON")
	}
	if back != nil {
		js = back.Replace(js)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	return normRead(kind, "", v), nil
}

func normRead(kind, key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if readDropped[k] {
				continue
			}
			if kind == "fieldcaps" && k == "indices" && key != "" {
				continue // which indices have a field: the mirrors' mappings differ only in hidden fields
			}
			n := normRead(kind, k, e)
			if isEmptyContainer(n) && k != "_source" && k != "fields" && k != "hits" && k != "docs" && k != "responses" {
				continue // an object or array field security emptied
			}
			out[k] = n
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			n := normRead(kind, key, e)
			if m, ok := n.(map[string]any); ok && len(m) == 0 && key != "hits" && key != "responses" && key != "docs" {
				continue // the proxy drops the objects field security empties
			}
			out = append(out, n)
		}
		if key == "hits" {
			sort.SliceStable(out, func(i, j int) bool { return hitKey(out[i]) < hitKey(out[j]) })
		}
		if key == "options" {
			// Suggestions: the text suggested, not its frequency.
			var texts []string
			for _, e := range out {
				if m, ok := e.(map[string]any); ok {
					texts = append(texts, fmt.Sprint(m["text"]))
				}
			}
			sort.Strings(texts)
			return texts
		}
		if key == "indices" && kind == "fieldcaps" {
			sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
		}
		return out
	case json.Number:
		if fl, err := x.Float64(); err == nil {
			return fl
		}
	}
	return v
}

// hitKey orders hits by index and id.
func hitKey(h any) string {
	m, _ := h.(map[string]any)
	return fmt.Sprint(m["_index"], "/", m["_id"])
}

// isEmptyContainer reports an empty object or array.
func isEmptyContainer(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// refusedItems finds the items (docs of _mget and _mtermvectors,
// responses of _msearch) the proxy refused with a security exception where
// the mirror answered; both become null, and their places are returned.
func refusedItems(u, m any) []string {
	um, _ := u.(map[string]any)
	mm, _ := m.(map[string]any)
	var out []string
	for _, k := range []string{"docs", "responses"} {
		ul, _ := um[k].([]any)
		ml, _ := mm[k].([]any)
		if len(ul) != len(ml) {
			continue
		}
		for i := range ul {
			ui, _ := ul[i].(map[string]any)
			mi, _ := ml[i].(map[string]any)
			if ui["error"] != nil && mi["error"] == nil && strings.Contains(fmt.Sprint(ui["error"]), "security_exception") {
				out = append(out, fmt.Sprintf("%s[%d]", k, i))
				ul[i], ml[i] = nil, nil
			}
		}
	}
	return out
}

// lacksTermVectors reports a term vectors answer without term vectors
// where the mirror has some (the proxy lists the visible fields a pattern
// reaches; where none has term vectors it asks for none).
func lacksTermVectors(u, m any) bool {
	um, _ := u.(map[string]any)
	mm, _ := m.(map[string]any)
	return um != nil && mm != nil && um["term_vectors"] == nil && mm["term_vectors"] != nil
}

// readSubset reports whether the user's digest u shows nothing the
// mirror's m does not: every member of u is in m with a value u's shows
// no more of, every element of an array of u matches a distinct one of
// m's, counts are no larger, a false found or matched may stand for a
// true one, and a null (a sort value of a field the user cannot see) for
// anything.
func readSubset(key string, u, m any) bool {
	if u == nil {
		return true
	}
	switch x := u.(type) {
	case map[string]any:
		mm, ok := m.(map[string]any)
		if !ok {
			return false
		}
		for k, uv := range x {
			mv, ok := mm[k]
			if !ok || !readSubset(k, uv, mv) {
				return false
			}
		}
		return true
	case []any:
		ml, ok := m.([]any)
		if !ok {
			return false
		}
		used := make([]bool, len(ml))
	next:
		for _, e := range x {
			for j, me := range ml {
				if !used[j] && readSubset(key, e, me) {
					used[j] = true
					continue next
				}
			}
			return false
		}
		return true
	case float64:
		mf, ok := m.(float64)
		switch key {
		case "count", "value", "total", "doc_count":
			return ok && x <= mf
		}
		return ok && x == mf
	case bool:
		switch key {
		case "found", "matched":
			return !x || m == true
		}
	}
	return reflect.DeepEqual(u, m)
}

// shardFailures reports an answer some of whose shards failed.
func shardFailures(js string) bool {
	var m struct {
		Shards struct {
			Failed int `json:"failed"`
		} `json:"_shards"`
	}
	return json.Unmarshal([]byte(js), &m) == nil && m.Shards.Failed > 0
}
