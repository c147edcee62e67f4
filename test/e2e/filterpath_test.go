package e2e

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFilterPathUnderFLS: under field-level security the proxy must read
// the cluster's whole answer (the hits' _index says which fields to hide),
// so it takes filter_path off the forwarded request, filters the answer,
// and then applies filter_path itself (internal/rewrite/filterpath).
// Every answer must be the node's own filter_path answer for the same
// request on a mirror index that holds the same documents without the
// hidden fields, and the hidden fields' canaries must never appear,
// whatever filter_path asks for.
//
// With a role query too (one every document matches, so that the answers
// stay the mirror's), the document reads by id are made by the proxy
// itself (pinned reads) and _mget checks each document's version: the
// same filter_path is applied to those answers.
func TestFilterPathUnderFLS(t *testing.T) {
	for _, tc := range []struct{ name, query string }{
		{"fls", ""},
		{"dls and fls", "      query: '{\"exists\":{\"field\":\"n\"}}'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) { testFilterPathUnderFLS(t, tc.query) })
	}
}

func testFilterPathUnderFLS(t *testing.T, query string) {
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	idx, mirror := "fpfls-"+suffix, "fpmir-"+suffix
	f := newOneRoleProxy(t, "fpuser", "  indices:\n    - names: ['"+idx+"']\n      privileges: [read, view_index_metadata]\n"+
		"      field_security:\n        grant: ['*']\n        except: ['secret', 'nest.hidden']\n"+query)
	f.cleanup(nil, idx, mirror)
	docs := []map[string]any{
		{"title": "one", "n": 1, "tags": []any{"a", "b"}, "nest": map[string]any{"v": 1, "hidden": "CANARY-FP-NEST-1"},
			"secret": "CANARY-FP-1", "items": []any{map[string]any{"k": "x", "v": 1}, map[string]any{"k": "y"}}},
		{"title": "two", "n": 2, "nest": map[string]any{"v": 2, "hidden": "CANARY-FP-NEST-2"}, "secret": "CANARY-FP-2", "items": []any{}},
		{"title": "three", "n": 3, "nest": map[string]any{"v": 3}},
	}
	for i, d := range docs {
		id := strconv.Itoa(i + 1)
		full, _ := json.Marshal(d)
		f.setup("seed", "PUT", "/"+idx+"/_doc/"+id+"?refresh=true", string(full))
		visible := map[string]any{}
		for k, v := range d {
			if k == "secret" {
				continue
			}
			if k == "nest" {
				n := map[string]any{}
				for nk, nv := range v.(map[string]any) {
					if nk != "hidden" {
						n[nk] = nv
					}
				}
				v = n
			}
			visible[k] = v
		}
		seen, _ := json.Marshal(visible)
		f.setup("seed mirror", "PUT", "/"+mirror+"/_doc/"+id+"?refresh=true", string(seen))
	}

	requests := []struct{ method, path, body string }{
		{"GET", "/{i}/_doc/1", ""},
		{"GET", "/{i}/_source/1", ""},
		{"POST", "/{i}/_search", `{"sort":[{"n":"asc"}]}`},
		{"POST", "/{i}/_search?typed_keys=true&rest_total_hits_as_int=true", `{"size":1,"sort":[{"n":"asc"}],"aggs":{"by_n":{"terms":{"field":"n"}}}}`},
		{"POST", "/_mget", `{"docs":[{"_index":"{i}","_id":"1"},{"_index":"{i}","_id":"2"}]}`},
		{"GET", "/{i}/_mapping", ""},
		{"GET", "/{i}/_field_caps?fields=*", ""},
	}
	filters := []string{
		"hits.hits._source", "hits.hits._source.secret", "**.secret", "**.hidden", "-hits.hits._source.title",
		"hits.total,hits.hits._id", "docs._source.nest", "-**.v", "*", "-took,-_shards", "hits.hits._source.items.k",
		"_source.nest.*", "**", "hits.hits._source.*", "docs.*", "-**.title,hits.hits._source", "_source", "**.nest",
		"*.mappings.properties.nest", "-*.mappings.properties.title", "fields.secret", "fields.*.*.type", "hits.hits._source.sec*",
		// "**" is one or more segments, never none: nest.v is not
		// nest.**.v, and **.** needs two levels.
		"hits.hits._source.nest.**.v", "_source.nest.**.v", "docs.**.**.v", "hits.hits.**.v", "-**.**.v", "**.**.**.**",
		// Typed aggregation names ("lterms#by_n").
		"aggregations.*#by_n.buckets.key", "-aggregations.lterms#by_n.buckets.doc_count,hits.total",
		// An exclusion is trimmed after its "-".
		"- hits.hits._source.title", "-  docs._source.title",
	}
	for _, rq := range requests {
		for _, fp := range filters {
			sep := "?"
			if strings.Contains(rq.path, "?") {
				sep = "&"
			}
			q := sep + "filter_path=" + url.QueryEscape(fp)
			got := f.asUser(rq.method, strings.ReplaceAll(rq.path, "{i}", idx)+q, strings.ReplaceAll(rq.body, "{i}", idx))
			want := f.asAdmin(rq.method, strings.ReplaceAll(rq.path, "{i}", mirror)+q, strings.ReplaceAll(rq.body, "{i}", mirror))
			what := rq.method + " " + rq.path + q
			if strings.Contains(got.Body, "CANARY-FP") {
				t.Fatalf("%s: a hidden field's canary in the answer: %s", what, got.Body)
			}
			if got.Status != 200 || want.Status != 200 {
				t.Fatalf("%s: status %d (the node on the mirror: %d): %s", what, got.Status, want.Status, got.Body)
			}
			g, w := normalizedAnswer(t, got.Body), normalizedAnswer(t, strings.ReplaceAll(want.Body, mirror, idx))
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s:\n through the proxy under FLS: %s\n the node on the mirror:     %s", what, got.Body, want.Body)
			}
		}
	}
	for _, fp := range missingDocFilters {
		q := "?filter_path=" + url.QueryEscape(fp)
		got, want := f.asUser("GET", "/"+idx+"/_doc/999"+q, ""), f.asAdmin("GET", "/"+mirror+"/_doc/999"+q, "")
		g, w := normalizedAnswer(t, got.Body), normalizedAnswer(t, strings.ReplaceAll(want.Body, mirror, idx))
		for _, v := range []any{g, w} {
			if m, ok := v.(map[string]any); ok {
				delete(m, "_type") // Elasticsearch 7.17 still names the type
			}
		}
		if got.Status != 404 || want.Status != 404 || !reflect.DeepEqual(g, w) {
			t.Errorf("GET a missing document%s:\n through the proxy: %d %s\n the node on the mirror: %d %s", q, got.Status, got.Body, want.Status, want.Body)
		}
	}
}

// missingDocFilters are filter_paths for the 404 answer of a read of a
// missing document, which the node cuts as any answer (its error answers
// it does not): the proxy, which took filter_path off, cuts it too.
var missingDocFilters = []string{"_id", "found", "_index,found", "-_index", "nothing", "-**.*"}

// normalizedAnswer decodes an answer without what differs between two
// runs of one search (took), and without the metadata fields that
// field-level security always hides from _field_caps (their values are
// field names and values: fls.hiddenMetadata), which the node lists on the
// mirror.
func normalizedAnswer(t *testing.T, body string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "took")
		if fields, ok := m["fields"].(map[string]any); ok {
			delete(fields, "_ignored")
			delete(fields, "_field_names")
		}
	}
	return v
}

// TestBulkFilterPathWithRefusedItems: Beats, Elastic Agent and Logstash
// send every _bulk with filter_path=errors,items.*.error,items.*.status.
// An item the user may not write is refused alone (per-item 403, as
// Elasticsearch does) and filter_path is applied to the merged answer;
// the request used to be refused whole, so one forbidden item held back
// a whole batch. The refused document never reaches the cluster.
func TestBulkFilterPathWithRefusedItems(t *testing.T) {
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	ok, no := "fpbulk-ok-"+suffix, "fpbulk-no-"+suffix
	f := newOneRoleProxy(t, "shipper", "  indices:\n    - names: ['fpbulk-ok-*']\n      privileges: [create_doc, create_index]\n")
	f.cleanup(nil, ok, no)
	body := `{"create":{"_index":"` + ok + `","_id":"1"}}` + "\n" + `{"m":"one"}` + "\n" +
		`{"create":{"_index":"` + no + `","_id":"2"}}` + "\n" + `{"m":"CANARY-FPBULK-REFUSED"}` + "\n" +
		`{"create":{"_index":"` + ok + `","_id":"3"}}` + "\n" + `{"m":"three"}` + "\n"
	r := do(t, f.c, "POST", f.p.URL+"/_bulk?refresh=true&filter_path=errors,items.*.error,items.*.status", f.user, f.su.Password,
		strings.NewReader(body), map[string]string{"Content-Type": "application/x-ndjson"})
	if r.Status != 200 {
		t.Fatalf("bulk: %d %s", r.Status, r.Body)
	}
	var resp struct {
		Errors bool                                    `json:"errors"`
		Items  []map[string]map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.Body), &resp); err != nil {
		t.Fatalf("%v: %s", err, r.Body)
	}
	var statuses []string
	for _, it := range resp.Items {
		for op, fields := range it {
			for k := range fields {
				if k != "status" && k != "error" {
					t.Errorf("item %s keeps %q, which filter_path drops: %s", op, k, r.Body)
				}
			}
			statuses = append(statuses, string(fields["status"]))
		}
	}
	if !resp.Errors || strings.Join(statuses, ",") != "201,403,201" || !strings.Contains(r.Body, "security_exception") {
		t.Fatalf("merged and cut answer: %s", r.Body)
	}
	if f.exists(no) {
		t.Fatalf("the refused item created %s", no)
	}
	if c := f.asAdmin("GET", "/"+ok+"/_count", ""); !strings.Contains(c.Body, `"count":2`) {
		t.Fatalf("the allowed items: %s", c.Body)
	}
}
