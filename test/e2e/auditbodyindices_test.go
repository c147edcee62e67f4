package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAuditBodyIndices: a _reindex or POST _aliases names its indices in
// its body only, a put-alias body overrides the path's index, and an alias
// or resize target is a name the request creates; the events name what the
// cluster acts on, granted or denied, so that an auditor looking for access
// to an index finds the copy of its documents into another index or the
// alias re-pointed at it.
func TestAuditBodyIndices(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	o.Users += "lars:" + u.Password + "\n"
	o.Roles = "acme_admin:\n  indices:\n    - names: ['logs-*']\n      privileges: [all]\n"
	o.UsersRoles += "acme_admin:lars\n"
	p := startProxy(t, o)
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	reindex := `{"source":{"index":"hr-payroll"},"dest":{"index":"logs-copy"}}`
	aliases := `{"actions":[{"add":{"index":"hr-payroll","alias":"logs-pay"}},{"remove":{"indices":["logs-a"],"aliases":["logs-b"]}}]}`
	cases := []struct {
		name, user, path, body, action string
		status                         int
		want                           []string
	}{
		{"reindex granted", u.Name, "/_reindex", reindex, "access_granted", 200, []string{"hr-payroll", "logs-copy"}},
		{"reindex denied", "lars", "/_reindex", reindex, "access_denied", 403, []string{"hr-payroll", "logs-copy"}},
		{"aliases granted", u.Name, "/_aliases", aliases, "access_granted", 200, []string{"hr-payroll", "logs-pay", "logs-a", "logs-b"}},
		{"aliases denied", "lars", "/_aliases", aliases, "access_denied", 403, []string{"hr-payroll", "logs-pay", "logs-a", "logs-b"}},
		// The body's index overrides the path's: the cluster aliases hr-payroll.
		{"put alias granted", u.Name, "PUT /logs-a/_alias/logs-x", `{"index":"hr-payroll"}`, "access_granted", 200, []string{"hr-payroll", "logs-x"}},
		{"put alias denied", "lars", "PUT /logs-a/_alias/logs-x", `{"index":"hr-payroll"}`, "access_denied", 403, []string{"hr-payroll", "logs-x"}},
		{"clone granted", u.Name, "PUT /logs-a/_clone/hr-copy", `{}`, "access_granted", 200, []string{"logs-a", "hr-copy"}},
	}
	for _, tc := range cases {
		method, path := "POST", tc.path
		if m, rest, ok := strings.Cut(tc.path, " "); ok {
			method, path = m, rest
		}
		r := do(t, c, method, p.URL+path, tc.user, u.Password, strings.NewReader(tc.body), hj)
		if r.Status != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
		}
		found := false
		for _, ev := range auditRecords(t, filepath.Join(p.Dir, "audit.json"), r.Header.Get("X-Request-Id")) {
			if ev.Action != tc.action {
				continue
			}
			found = true
			for _, w := range tc.want {
				if !slices.Contains(ev.Indices, w) {
					t.Errorf("%s: the %s event names indices %v, not %s", tc.name, tc.action, ev.Indices, w)
				}
			}
		}
		if !found {
			t.Fatalf("%s: no %s event", tc.name, tc.action)
		}
	}
}

// TestAuditURLAsReceived: url.path and url.query are the request's as the
// client sent them, also when the proxy rewrites the URL before forwarding
// (DLS moves q into the body; a wildcard is narrowed to the user's
// indices): a trail reader sees what the user asked for.
func TestAuditURLAsReceived(t *testing.T) {
	f := startDLSFixture(t)
	target := "/" + f.index + "*/_search?q=secret:amber&size=3"
	r := do(t, f.c, "GET", f.p.URL+target, "dls", f.pass, nil, nil)
	if r.Status != 200 {
		t.Fatalf("search: %d %s", r.Status, r.Body)
	}
	found := false
	for _, ev := range auditRecords(t, filepath.Join(f.p.Dir, "audit.json"), r.Header.Get("X-Request-Id")) {
		found = true
		if ev.Path+"?"+ev.Query != target {
			t.Errorf("%s event: url %s?%s, want %s as sent", ev.Action, ev.Path, ev.Query, target)
		}
	}
	if !found {
		t.Fatal("no event for the search")
	}
}

// TestAuditBodyAsReceived: with emit_request_body, request.body is the
// body the client sent, not the one rewritten for the cluster: a query on
// a hidden field is recorded with that field's name (the proxy renames it
// before forwarding), and the role's DLS query is not spliced in.
func TestAuditBodyAsReceived(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	index := fmt.Sprintf("e2e-auditbody-%d", time.Now().UnixNano())
	o.Users += "probe:" + su.Password + "\n"
	o.UsersRoles += "r_probe:probe\n"
	o.Roles = "r_probe:\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read]\n" +
		"      query: '{\"term\":{\"tenant\":\"acme\"}}'\n      field_security:\n        grant: [\"tenant\", \"message\"]\n"
	o.Audit = "  emit_request_body: true\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, c, "PUT", p.URL+"/"+index, su.Name, su.Password, strings.NewReader(`{"mappings":{"properties":{"tenant":{"type":"keyword"},"message":{"type":"text"},"ssn":{"type":"keyword"}}}}`), hj); r.Status != 200 {
		t.Fatalf("create index: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+index, su.Name, su.Password, nil, nil) })
	if !eventually(10*time.Second, func() bool {
		return do(t, c, "GET", p.URL+"/"+index+"/_count", "probe", su.Password, nil, nil).Status == 200
	}) {
		t.Fatal("the new index is not searchable by the restricted user")
	}
	body := `{"query":{"term":{"ssn":"123-45-6789"}},"size":0}`
	r := do(t, c, "POST", p.URL+"/"+index+"/_search", "probe", su.Password, strings.NewReader(body), hj)
	if r.Status != 200 {
		t.Fatalf("search: %d %s", r.Status, r.Body)
	}
	seen := 0
	for _, ev := range auditRecords(t, filepath.Join(p.Dir, "audit.json"), r.Header.Get("X-Request-Id")) {
		seen++
		if ev.Body != body {
			t.Errorf("%s event: request.body %s, want the client's %s", ev.Action, ev.Body, body)
		}
	}
	if seen == 0 {
		t.Fatal("no event for the search")
	}
}

// TestAuditHiddenDocumentRefusal: under DLS, deleting or replacing a
// document the user cannot see is refused (403) after the request's grant
// record, once the proxy has looked the document up; the refusal has its
// own access_denied record.
func TestAuditHiddenDocumentRefusal(t *testing.T) {
	f := startDLSFixture(t)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct{ method, path, body string }{
		{"DELETE", "/" + f.index + "/_doc/g1", ""},
		{"PUT", "/" + f.index + "/_doc/g1", `{"tenant":"acme","message":"overwrite"}`},
	} {
		var r result
		if tc.body == "" {
			r = do(t, f.c, tc.method, f.p.URL+tc.path, "writer", f.pass, nil, nil)
		} else {
			r = do(t, f.c, tc.method, f.p.URL+tc.path, "writer", f.pass, strings.NewReader(tc.body), hj)
		}
		if r.Status != 403 {
			t.Fatalf("%s %s of a hidden document: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
		if !slices.Contains(auditActions(t, filepath.Join(f.p.Dir, "audit.json"), r.Header.Get("X-Request-Id")), "access_denied") {
			t.Errorf("%s %s refused with 403 without an access_denied record", tc.method, tc.path)
		}
	}
}
