package e2e

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCrossIndexReadsRefused: a user who may read one index cannot make the
// cluster read another through the body (terms lookup, more_like_this by
// id) or a search template. The canary lives only in the forbidden index;
// the probe's hits would reveal it.
func TestCrossIndexReadsRefused(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "e2e_reader:reader\n"
	o.Roles = "e2e_reader:\n  indices:\n    - names: [\"e2e-visible-*\"]\n      privileges: [read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	visible, secret := fmt.Sprintf("e2e-visible-%d", n), fmt.Sprintf("e2e-secret-%d", n)
	json := map[string]string{"Content-Type": "application/json"}
	for _, doc := range []struct{ path, body string }{
		{"/" + secret + "/_doc/s1?refresh=true", `{"allowed_users":["CANARY-XIDX-77aa"]}`},
		{"/" + visible + "/_doc/v1?refresh=true", `{"user":"CANARY-XIDX-77aa","text":"hello"}`},
		{"/" + visible + "/_doc/v2?refresh=true", `{"user":"someone-else","text":"hello"}`},
	} {
		if r := do(t, c, "PUT", p.URL+doc.path, u.Name, u.Password, strings.NewReader(doc.body), json); r.Status >= 300 {
			t.Fatalf("seeding %s: %d %s", doc.path, r.Status, r.Body)
		}
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+"/"+visible+","+secret, u.Name, u.Password, nil, nil)
	})
	lookup := `{"terms":{"user.keyword":{"index":"` + secret + `","id":"s1","path":"allowed_users"}}}`
	wrapped := func(q string) string {
		return `{"query":{"wrapper":{"query":"` + base64.StdEncoding.EncodeToString([]byte(q)) + `"}}}`
	}
	probes := map[string][2]string{
		"terms lookup": {"/" + visible + "/_search", `{"query":` + lookup + `}`},
		// The cluster decodes a wrapper query (base64 of a query) itself.
		"terms lookup in a wrapper query":             {"/" + visible + "/_search", wrapped(lookup)},
		"terms lookup in a wrapper in a wrapper":      {"/" + visible + "/_search", wrapped(`{"bool":{"filter":[` + wrapped(lookup)[9:len(wrapped(lookup))-1] + `]}}`)},
		"terms lookup in a wrapper in an aggregation": {"/" + visible + "/_search", `{"size":0,"aggs":{"f":{"filter":` + wrapped(lookup)[9:len(wrapped(lookup))-1] + `}}}`},
		"wrapper without padding":                     {"/" + visible + "/_search", `{"query":{"wrapper":{"query":"` + base64.RawStdEncoding.EncodeToString([]byte(lookup)) + `"}}}`},
		"terms lookup in a wrapper, _count":           {"/" + visible + "/_count", wrapped(lookup)},
		"more_like_this":                              {"/" + visible + "/_search", `{"query":{"more_like_this":{"fields":["user"],"like":[{"_index":"` + secret + `","_id":"s1"}],"min_term_freq":1,"min_doc_freq":1}}}`},
		"search template":                             {"/" + visible + "/_search/template", `{"source":"{\"query\":{\"terms\":{\"user.keyword\":{\"index\":\"` + secret + `\",\"id\":\"s1\",\"path\":\"allowed_users\"}}}}"}`},
	}
	for name, pr := range probes {
		r := do(t, c, "POST", p.URL+pr[0], "reader", u.Password, strings.NewReader(pr[1]), json)
		if r.Status != 403 || strings.Contains(r.Body, `"_id":"v1"`) || strings.Contains(r.Body, `"doc_count":1`) || strings.Contains(r.Body, `"count":1`) {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// The same lookup by the superuser works, so the probes are real.
	r := do(t, c, "POST", p.URL+probes["terms lookup"][0], u.Name, u.Password, strings.NewReader(probes["terms lookup"][1]), json)
	if r.Status != 200 || !strings.Contains(r.Body, `"_id":"v1"`) || strings.Contains(r.Body, `"_id":"v2"`) {
		t.Fatalf("control: the superuser's terms lookup should find only v1: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/"+visible+"/_search", u.Name, u.Password, strings.NewReader(wrapped(lookup)), json)
	if r.Status != 200 || !strings.Contains(r.Body, `"_id":"v1"`) || strings.Contains(r.Body, `"_id":"v2"`) {
		t.Fatalf("control: the superuser's wrapped terms lookup should find only v1: %d %s", r.Status, r.Body)
	}
}
