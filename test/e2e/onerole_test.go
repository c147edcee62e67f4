package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// oneRoleProxy is the fixture of the write-path tests: a proxy in front of
// the test cluster with the superuser and one more user (with the
// superuser's password) who holds one role, e2e_<user>.
type oneRoleProxy struct {
	t       *testing.T
	cluster string // the cluster itself, for what an administrator does there directly
	p       *proxy
	c       *http.Client
	su      hashedUser
	user    string
}

// newOneRoleProxy starts the fixture; role is the YAML of the user's role
// below its name (`  indices:\n    - names: …`).
func newOneRoleProxy(t *testing.T, user, role string) *oneRoleProxy {
	t.Helper()
	cluster := openSearchURL(t)
	o, su := superuserOpts(t, cluster)
	o.Users += user + ":" + su.Password + "\n"
	o.UsersRoles += "e2e_" + user + ":" + user + "\n"
	o.Roles = "e2e_" + user + ":\n" + role
	p := startProxy(t, o)
	p.waitReady()
	return &oneRoleProxy{t: t, cluster: cluster, p: p, c: p.client(nil), su: su, user: user}
}

// send sends a request through the proxy as who (the fixture's user or the
// superuser's name), with a JSON body unless body is empty.
func (f *oneRoleProxy) send(who, method, path, body string) result {
	f.t.Helper()
	if body == "" {
		return do(f.t, f.c, method, f.p.URL+path, who, f.su.Password, nil, nil)
	}
	return do(f.t, f.c, method, f.p.URL+path, who, f.su.Password, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
}

// asUser sends a request as the fixture's user.
func (f *oneRoleProxy) asUser(method, path, body string) result {
	f.t.Helper()
	return f.send(f.user, method, path, body)
}

// asAdmin sends a request as the superuser.
func (f *oneRoleProxy) asAdmin(method, path, body string) result {
	f.t.Helper()
	return f.send(f.su.Name, method, path, body)
}

// setup sends a superuser's request that must succeed (status below 300).
func (f *oneRoleProxy) setup(what, method, path, body string) {
	f.t.Helper()
	if r := f.asAdmin(method, path, body); r.Status >= 300 {
		f.t.Fatalf("%s: %s %s: %d %s", what, method, path, r.Status, r.Body)
	}
}

// reindex is the user's `_reindex` of src into dest, refreshed.
func (f *oneRoleProxy) reindex(src, dest string) result {
	f.t.Helper()
	return f.asUser("POST", "/_reindex?refresh=true", `{"source":{"index":"`+src+`"},"dest":{"index":"`+dest+`"}}`)
}

// exists reports whether the cluster has index name (asked directly).
func (f *oneRoleProxy) exists(name string) bool {
	f.t.Helper()
	return do(f.t, f.c, "HEAD", f.cluster+"/"+name, "", "", nil, nil).Status != 404
}

// cleanup deletes, after the test, the templates at paths (through the
// proxy, as the superuser) and then the indices named.
func (f *oneRoleProxy) cleanup(templatePaths []string, indices ...string) {
	f.t.Cleanup(func() {
		for _, path := range templatePaths {
			f.asAdmin("DELETE", path, "")
		}
		dropIndices(f.t, f.c, f.cluster, indices...)
	})
}

// dropIndices deletes test indices straight on the cluster, each on its
// own: a missing name must not keep the others.
func dropIndices(t *testing.T, c *http.Client, cluster string, names ...string) {
	t.Helper()
	for _, n := range names {
		do(t, c, "DELETE", cluster+"/"+n+"?ignore_unavailable=true", "", "", nil, nil)
	}
}

// lookupUpsert is a scripted upsert that stores, as field q, a terms
// query looking up field code of document s1 in index secret: parsed as a
// percolator query, it makes the cluster fetch that value with its own
// rights.
func lookupUpsert(secret string) string {
	return `{"scripted_upsert":true,"upsert":{},"script":{"source":"ctx._source.q = ['terms':['tenant':['index':'` + secret + `','id':'s1','path':'code']]]"}}`
}

// percolatorMapping is the mapping of the percolator indices of these tests.
const percolatorMapping = `"mappings":{"properties":{"q":{"type":"percolator"},"tenant":{"type":"keyword"}}}`

// extractedTermsLeak searches perc, as the user, for terms the cluster
// extracted from stored queries that begin with the canary's first n
// characters, and fails the test when any is found (or the search fails).
func (f *oneRoleProxy) extractedTermsLeak(perc, canary string, n int) {
	f.t.Helper()
	prefix := `{"query":{"prefix":{"q.extracted_terms":"tenant\u0000` + canary[:n] + `"}}}`
	if r := f.asUser("POST", "/"+perc+"/_search", prefix); r.Status != 200 || !strings.Contains(r.Body, `"total":{"value":0`) {
		f.t.Fatalf("the secret's terms were indexed in the percolator index: %d %s", r.Status, r.Body)
	}
}
