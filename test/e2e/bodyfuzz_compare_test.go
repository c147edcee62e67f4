package e2e

// Comparing the body fuzzer's answers with the superuser's on the
// mirror indices.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// errorType is the error.type of an Elasticsearch error answer.
func errorType(body string) string {
	var e struct {
		Error struct {
			Type      string `json:"type"`
			Reason    string `json:"reason"`
			RootCause []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil {
		return "?"
	}
	if len(e.Error.RootCause) > 0 {
		e.Error.Type, e.Error.Reason = e.Error.RootCause[0].Type, e.Error.RootCause[0].Reason
	}
	r := e.Error.Reason
	if len(r) > 60 {
		r = r[:60]
	}
	return e.Error.Type + ": " + r
}

// digest is what must agree between the user's answer and the mirror's:
// totals, the ids matched, found flags and aggregations (scores, timings
// and hits inside aggregations left out).
func digest(kind string, r result, back *strings.Replacer) (any, bool) {
	var v any
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if sh, ok := m["_shards"].(map[string]any); ok && fmt.Sprint(sh["failed"]) != "0" {
		return nil, true // failed shards: not comparable
	}
	switch kind {
	case "search":
		return searchDigest(m, back), true
	case "count":
		return m["count"], true
	case "explain":
		return m["matched"], true
	case "get":
		return m["found"], true
	case "source":
		return r.Status, true
	case "msearch":
		var out []any
		rs, _ := m["responses"].([]any)
		for _, r := range rs {
			rm, _ := r.(map[string]any)
			if sh, ok := rm["_shards"].(map[string]any); rm["error"] != nil || !ok || fmt.Sprint(sh["failed"]) != "0" {
				out = append(out, nil) // refused or failed: not comparable
				continue
			}
			out = append(out, searchDigest(rm, back))
		}
		return out, true
	case "mget":
		var out []string
		docs, _ := m["docs"].([]any)
		for _, d := range docs {
			dm, _ := d.(map[string]any)
			out = append(out, back.Replace(fmt.Sprint(dm["_index"], "/", dm["_id"], " ", dm["found"])))
		}
		return out, true
	}
	return nil, false
}

func searchDigest(m map[string]any, back *strings.Replacer) any {
	hits, _ := m["hits"].(map[string]any)
	out := map[string]any{}
	var total any
	if tm, ok := hits["total"].(map[string]any); ok {
		total = tm["value"]
	} else {
		total = hits["total"]
	}
	out["total"] = total
	if sh, ok := m["_shards"].(map[string]any); ok {
		out["skipped"] = sh["skipped"]
	}
	hh, _ := hits["hits"].([]any)
	if n, err := strconv.Atoi(fmt.Sprint(total)); err == nil && n == len(hh) {
		var ids []string
		scores := map[string]string{}
		for _, h := range hh {
			hm, _ := h.(map[string]any)
			id := back.Replace(fmt.Sprint(hm["_index"], "/", hm["_id"]))
			ids = append(ids, id)
			if sc, err := strconv.ParseFloat(fmt.Sprint(hm["_score"]), 64); err == nil {
				scores[id] = strconv.FormatFloat(sc, 'g', 5, 64)
			}
		}
		sort.Strings(ids)
		out["ids"] = ids
		out["scores"] = scores
	}
	if aggs, ok := m["aggregations"]; ok {
		out["aggs"] = normAgg(aggs, back)
	}
	return out
}

// msearchComparable keeps, of two _msearch digests, the items both
// answered and that do not depend on scores (the others become nil on both
// sides).
func msearchComparable(u, m any, skip []bool) (any, any) {
	ul, ok1 := u.([]any)
	ml, ok2 := m.([]any)
	if !ok1 || !ok2 || len(ul) != len(ml) {
		return nil, nil
	}
	for i := range ul {
		if ul[i] == nil || ml[i] == nil || (i < len(skip) && skip[i]) {
			ul[i], ml[i] = nil, nil
		}
	}
	return ul, ml
}

// covers0 is the key of the first index the mirror stands for.
func (rq fuzzReq) covers0() string {
	if len(rq.covers) == 0 {
		return "a"
	}
	return rq.covers[0]
}

// subsetOf reports whether digest u matched no document m did not: a
// count or total no larger and ids among m's. The proxy expands "*" and
// field patterns into the visible fields the mapping shows; the cluster's
// own expansion also reaches internal sub-fields (_index_prefix, _2gram),
// so the user may match fewer documents, never others.
func subsetOf(u, m any) bool {
	um, ok1 := u.(map[string]any)
	mm, ok2 := m.(map[string]any)
	if !ok1 || !ok2 {
		uc, err1 := strconv.Atoi(fmt.Sprint(u))
		mc, err2 := strconv.Atoi(fmt.Sprint(m))
		return err1 == nil && err2 == nil && uc <= mc
	}
	ut, err1 := strconv.Atoi(fmt.Sprint(um["total"]))
	mt, err2 := strconv.Atoi(fmt.Sprint(mm["total"]))
	if err1 != nil || err2 != nil || ut > mt {
		return false
	}
	uids, _ := um["ids"].([]string)
	mids, _ := mm["ids"].([]string)
	for _, id := range uids {
		if mids != nil && !slices.Contains(mids, id) {
			return false
		}
	}
	return true
}

// withinVisible reports whether digest d (a count or a search digest)
// holds only documents user u may see. Where one body serves indices whose
// field security differs, the proxy hides a field everywhere some index
// hides it: a query then matches fewer documents than the cluster would,
// or more under must_not, but never one the role query hides.
func withinVisible(f *fuzzFixture, u *fuzzUser, d any) bool {
	n, visible := f.visibleDocs(u)
	dm, ok := d.(map[string]any)
	if !ok {
		c, err := strconv.Atoi(fmt.Sprint(d)) // a count
		return err == nil && c <= n
	}
	t, err := strconv.Atoi(fmt.Sprint(dm["total"]))
	if err != nil || t > n {
		return false
	}
	ids, _ := dm["ids"].([]string)
	for _, id := range ids {
		if !visible(id) {
			return false
		}
	}
	return true
}

// expandsFieldPatterns reports bodies whose field patterns (or default
// "*" fields) the proxy expands into a list of visible fields. The cluster
// scores such a list differently from its own expansion: it counts an
// alias and its target once (the proxy lists both, doubling the target's
// weight) and adds internal sub-fields the mapping does not show
// (_index_prefix, _index_phrase, _2gram...). Matches agree; scores may not.
func expandsFieldPatterns(s string) bool {
	return strings.Contains(s, "*") || strings.Contains(s, "query_string") || strings.Contains(s, "multi_match") ||
		strings.Contains(s, "q=")
}

// dropAggs removes the aggregations from a search digest.
func dropAggs(d any) { dropKey(d, "aggs") }

// dropKey removes key from a search digest or from each of a list of them.
func dropKey(d any, key string) {
	switch x := d.(type) {
	case map[string]any:
		delete(x, key)
	case []any:
		for _, e := range x {
			dropKey(e, key)
		}
	}
}

// normAgg drops from an aggregation answer what may differ without a leak
// (scores, hits of top_hits, background counts) and names the mirror as
// the real index.
func normAgg(v any, back *strings.Replacer) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			switch k {
			case "_score", "max_score", "score", "bg_count", "hits", "sum_other_doc_count", "doc_count_error_upper_bound", "meta":
				continue
			}
			out[k] = normAgg(e, back)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normAgg(e, back)
		}
		return out
	case string:
		return back.Replace(x)
	case json.Number: // YAML writes 86753090001 as 8.6753090001E10
		if fl, err := x.Float64(); err == nil {
			return fl
		}
	}
	return v
}
