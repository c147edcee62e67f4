package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// TestClassificationDifferential sends mutated spellings of requests a
// restricted user may legitimately make (percent-encoding of each path
// character, dot segments, empty and long segments, ';' parameters,
// fragments, case changes, look-alike characters, repeated and unknown
// query parameters, query-string bodies, method swaps, absolute-form
// targets) straight to the node and through the proxy as that user.
//
// The node is the oracle: its usage counters (GET _nodes/_local/usage)
// name the REST handler that ran each request sent to it directly. The
// test checks that:
//   - a 2xx from the proxy never carries a canary or the name of an index
//     or alias the user may not read;
//   - when the classifier accepts a mutation, the node's own answer to it
//     touches only indices the classification names (a secret index the
//     classifier did not see is a finding even if authorization happened to
//     refuse it for this role);
//   - a mutation the classifier reads as the base request's endpoint runs
//     the base request's handler on the node, and no node handler runs for
//     two different classified actions;
//   - the spellings official clients send are not refused.
//
// Direct requests run one at a time before the proxy starts, so the
// counters see nothing else. Write-method mutations go to the node only
// when the classifier calls them reads, or they are the base's own write
// on its own index (if the node then wrote elsewhere, that is the finding).
func TestClassificationDifferential(t *testing.T) {
	node := openSearchURL(t)
	o, su := superuserOpts(t, node)
	n := time.Now().UnixNano() % 1_000_000_000
	f := &dfxFixture{
		A:        fmt.Sprintf("dfx-a-%d", n),
		A2:       fmt.Sprintf("dfx-a-%d-two", n),
		W:        fmt.Sprintf("dfx-w-%d", n),
		S:        fmt.Sprintf("dfx-s-%d", n),
		Alias:    fmt.Sprintf("dfx-sal-%d", n),
		CanA:     fmt.Sprintf("CANARY-DFX-A-%d", n),
		CanS:     fmt.Sprintf("CANARY-DFX-S-%d", n),
		CanH:     fmt.Sprintf("canarydfxhidden%d", n),
		CanF:     fmt.Sprintf("canarydfxfield%d", n),
		nodeAddr: strings.TrimPrefix(node, "http://"),
		user:     "dfxuser",
		pass:     su.Password,
	}
	f.seed(t, node)
	t.Cleanup(func() { f.drop(t, node) })

	bases := f.bases()
	var muts []dfxMutation
	for _, b := range bases {
		muts = append(muts, f.mutate(b)...)
	}
	results := make([]dfxResult, len(muts))
	// Phase 1: the node alone, one request at a time.
	last := f.usage(t)
	for i, m := range muts {
		results[i].class, results[i].classOK = f.classify(m.Method, f.expand(m.Target))
		if !results[i].classOK || !dfxSafeDirect(m, results[i].class) {
			continue
		}
		last = f.direct(t, m, &results[i], last)
	}
	// Phase 2: the proxy, as the restricted user.
	o.Users += "dfxuser:" + su.Password + "\n"
	o.UsersRoles += "e2e_dfx:dfxuser\n"
	o.Roles = "e2e_dfx:\n  indices:\n" +
		"    - names: [\"" + f.A + "*\"]\n      privileges: [read, view_index_metadata, monitor]\n" +
		"    - names: [\"" + f.W + "*\"]\n      privileges: [read, write, view_index_metadata]\n"
	o.Users += "dfxdls:" + su.Password + "\n"
	o.UsersRoles += "e2e_dfxdls:dfxdls\n"
	o.Roles += "e2e_dfxdls:\n  indices:\n" +
		"    - names: [\"" + f.A + "*\"]\n      privileges: [read, view_index_metadata, monitor]\n" +
		"      query: '{\"term\":{\"level\":\"public\"}}'\n      field_security:\n        grant: [note, n, level]\n" +
		"    - names: [\"" + f.W + "*\"]\n      privileges: [read, write, view_index_metadata]\n"
	p := startProxy(t, o)
	p.waitReady()
	f.proxyAddr = strings.TrimPrefix(p.URL, "http://")
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f.viaProxy(muts[i], &results[i])
				f.viaProxyDLS(muts[i], &results[i])
			}
		}()
	}
	for i := range muts {
		next <- i
	}
	close(next)
	wg.Wait()

	f.report(t, bases, muts, results)
	f.checkIntact(t, node)
}

// report checks the results and logs, per base request, how many
// spellings the proxy let through and refused.
func (f *dfxFixture) report(t *testing.T, bases []dfxBase, muts []dfxMutation, results []dfxResult) {
	t.Helper()
	baseHandler := map[string]string{}
	dlsThrough := 0
	for i, m := range muts {
		if results[i].dlsStatus >= 200 && results[i].dlsStatus < 300 {
			dlsThrough++
		}
		if m.What == "base" && m.Base.Name == "search" && !strings.Contains(results[i].dlsBody, f.CanA) {
			t.Errorf("control: the DLS/FLS user's search does not show the visible document: %d %.300s", results[i].dlsStatus, results[i].dlsBody)
		}
		if m.What == "base" {
			if results[i].handler == "" {
				t.Errorf("%s: the node ran no handler for the base request: %d %.300s", m.Base.Name, results[i].directStatus, results[i].directBody)
			}
			baseHandler[m.Base.Name] = results[i].handler
		}
	}
	actionsOf := map[string]map[string]string{} // node handler -> classified action -> example
	refused, through := map[string]int{}, map[string]int{}
	ran := 0
	for i, r := range results {
		m := muts[i]
		if r.err != "" {
			t.Errorf("%s %s: %s", m.Method, m.Target, r.err)
			continue
		}
		for _, fnd := range f.findings(m, r) {
			t.Errorf("%s: %s %s: %s", m.Base.Name, m.Method, m.Target, fnd)
		}
		// Only answers the node gave with 2xx count: a handler that refused
		// the request (an API this node lacks, read by a broader route as
		// an invalid document type) ran nothing.
		if r.classOK && r.handler != "" && r.handler != dfxAmbiguous && r.directStatus < 300 {
			if r.class.Endpoint == m.Base.Endpoint && r.handler != baseHandler[m.Base.Name] {
				t.Errorf("%s: %s %s: classified as the base's %s, but the node ran %s, not %s: %d %.300s", m.Base.Name, m.Method, m.Target,
					r.class.Endpoint, r.handler, baseHandler[m.Base.Name], r.directStatus, r.directBody)
			}
			if actionsOf[r.handler] == nil {
				actionsOf[r.handler] = map[string]string{}
			}
			actionsOf[r.handler][r.class.Action] = m.Method + " " + m.Target + " (" + r.class.Endpoint + ")"
		}
		if r.proxyStatus >= 200 && r.proxyStatus < 300 {
			through[m.Base.Name]++
		} else {
			refused[m.Base.Name]++
		}
		if r.handler != "" {
			ran++
		}
		if m.MustPass && !m.Base.Probe && (r.proxyStatus < 200 || r.proxyStatus >= 300) {
			t.Errorf("%s: a spelling clients send was refused: %s %s: %d %.300s", m.Base.Name, m.Method, m.Target, r.proxyStatus, r.proxyBody)
		}
	}
	for h, acts := range actionsOf {
		if len(acts) > 1 {
			t.Errorf("the node's handler %s ran for requests classified as different actions: %v", h, acts)
		}
	}
	for _, b := range bases {
		t.Logf("%-22s %4d through the proxy, %4d refused", b.Name, through[b.Name], refused[b.Name])
		if through[b.Name] == 0 && !b.Probe {
			t.Errorf("%s: no spelling at all got through the proxy (the base request must)", b.Name)
		}
	}
	t.Logf("%d mutations, %d ran a handler on the node, %d handlers, %d got through to the DLS/FLS user", len(muts), ran, len(actionsOf), dlsThrough)
	for h, acts := range actionsOf {
		t.Logf("handler %s: %v", h, slices.Collect(maps.Keys(acts)))
	}
}

// namesSecret reports whether m names the secret index or alias itself,
// in any spelling (percent-encoded, in date math, with a wildcard).
func (f *dfxFixture) namesSecret(m dfxMutation) bool {
	t := f.expand(m.Target)
	if u, err := url.PathUnescape(t); err == nil {
		t = u
	}
	num := strings.TrimPrefix(f.S, "dfx-s-")
	return strings.Contains(strings.ToLower(t), "s-"+num) || strings.Contains(t, "sal-")
}

// findings returns what is wrong with one mutation's answers.
func (f *dfxFixture) findings(m dfxMutation, r dfxResult) []string {
	var out []string
	if r.proxyStatus >= 200 && r.proxyStatus < 300 {
		secrets := []string{f.CanS}
		if !f.namesSecret(m) {
			// Per-item refusals echo the names the request gave; a secret
			// name the request did not give is a leak.
			secrets = append(secrets, f.S, f.Alias)
		}
		for _, s := range secrets {
			if strings.Contains(r.proxyBody, s) {
				out = append(out, fmt.Sprintf("LEAK through the proxy (%d): %q in %.400s", r.proxyStatus, s, r.proxyBody))
			}
		}
		if !r.classOK {
			out = append(out, fmt.Sprintf("the classifier refuses it but the proxy answered %d", r.proxyStatus))
		}
	}
	if r.dlsStatus >= 200 && r.dlsStatus < 300 {
		for _, s := range []string{f.CanS, f.CanH, f.CanF} {
			if strings.Contains(r.dlsBody, s) {
				out = append(out, fmt.Sprintf("LEAK through the proxy to the DLS/FLS user (%d): %q in %.400s", r.dlsStatus, s, r.dlsBody))
			}
		}
	}
	if m.ZeroForDLS && r.dlsStatus >= 200 && r.dlsStatus < 300 {
		for _, nonzero := range []string{`"count":1`, `"count":2`, `"count":"1"`, `"count":"2"`, `"value":1,`, `"value":2,`} {
			if strings.Contains(r.dlsBody, nonzero) {
				out = append(out, fmt.Sprintf("the DLS/FLS user counts what is hidden from them (%s): %d %.300s", nonzero, r.dlsStatus, r.dlsBody))
			}
		}
	}
	if m.Base.Hidden && r.dlsStatus >= 200 && r.dlsStatus < 300 &&
		(m.Method == "HEAD" || strings.Contains(r.dlsBody, `"found":true`) || strings.Contains(r.dlsBody, `"matched":true`)) {
		out = append(out, fmt.Sprintf("the DLS/FLS user learns that a hidden document exists: %d %.300s", r.dlsStatus, r.dlsBody))
	}
	if r.classOK && r.directStatus >= 200 && r.directStatus < 300 {
		touched := strings.Contains(r.directBody, f.CanS) || strings.Contains(r.directBody, `"`+f.S+`"`)
		if touched && !f.covers(r.class, m) {
			out = append(out, fmt.Sprintf("classified as %s on %q (from %s), but the node read the secret index: %d %.300s",
				r.class.Action, r.class.Indices, r.class.IndicesFrom, r.directStatus, r.directBody))
		}
	}
	return out
}

// dfxFixture holds the indices and canaries of the differential test: A and
// A2 readable, W readable and writable, S (and its alias) secret.
type dfxFixture struct {
	A, A2, W, S, Alias string
	CanA, CanS         string
	// CanH is the value of a document of A that the DLS user's role query
	// hides; CanF the value of a field of a1 its field security hides.
	CanH, CanF string
	nodeAddr   string
	proxyAddr  string
	user, pass string
}

func (f *dfxFixture) seed(t *testing.T, node string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	json := map[string]string{"Content-Type": "application/json"}
	for _, s := range []struct{ method, path, body string }{
		{"PUT", "/" + f.A + "/_doc/a1?refresh=true", `{"note":"` + f.CanA + `","n":1,"level":"public","secretf":"` + f.CanF + `"}`},
		{"PUT", "/" + f.A + "/_doc/h1?refresh=true", `{"note":"` + f.CanH + `","n":1,"level":"hidden"}`},
		{"PUT", "/" + f.A2 + "/_doc/a2?refresh=true", `{"note":"` + f.CanA + `-two","n":2}`},
		{"PUT", "/" + f.W + "/_doc/w1?refresh=true", `{"note":"scratch","n":3}`},
		{"PUT", "/" + f.S + "/_doc/a1?refresh=true", `{"note":"` + f.CanS + `","n":4}`},
		{"PUT", "/" + f.S + "/_doc/s1?refresh=true", `{"note":"` + f.CanS + `","n":5}`},
		{"POST", "/_aliases", `{"actions":[{"add":{"index":"` + f.S + `","alias":"` + f.Alias + `"}}]}`},
	} {
		if r := do(t, c, s.method, node+s.path, "", "", strings.NewReader(s.body), json); r.Status >= 300 {
			t.Fatalf("seeding %s %s: %d %s", s.method, s.path, r.Status, r.Body)
		}
	}
}

func (f *dfxFixture) drop(t *testing.T, node string) {
	c := &http.Client{Timeout: 30 * time.Second}
	// W* also drops what the user's writes created under its name.
	do(t, c, "DELETE", node+"/"+strings.Join([]string{f.A, f.A2, f.W + "*", f.S}, ","), "", "", nil, nil)
}

// checkIntact fails the test when a mutation the classifier called a read
// changed the fixture on the node.
func (f *dfxFixture) checkIntact(t *testing.T, node string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	for _, doc := range []string{f.A + "/_doc/a1", f.A2 + "/_doc/a2", f.S + "/_doc/s1"} {
		if r := do(t, c, "GET", node+"/"+doc, "", "", nil, nil); r.Status != 200 {
			t.Errorf("after the mutations, %s is gone: %d %.200s", doc, r.Status, r.Body)
		}
	}
}

// dfxBase is one legitimate request of the restricted user.
type dfxBase struct {
	Name   string
	Method string
	Path   string // escaped path
	Query  string // raw query, without '?'
	Body   string
	NDJSON bool
	// Shape is a string the node's 2xx answer to this API always contains.
	Shape string
	// Probe marks a base the proxy may refuse in every spelling.
	Probe bool
	// Hidden marks a base that reads the document the DLS user's role
	// query hides: no spelling may tell that user the document exists.
	Hidden bool
	// Action, Endpoint and Indices are what the classifier reports for
	// the base request.
	Action, Endpoint string
	Indices          []string
}

func (f *dfxFixture) bases() []dfxBase {
	A, W := f.A, f.W
	bs := []dfxBase{
		{Name: "search", Method: "GET", Path: "/" + A + "/_search", Shape: `"hits"`},
		{Name: "search-body", Method: "POST", Path: "/" + A + "/_search", Body: `{"query":{"match_all":{}}}`, Shape: `"hits"`},
		{Name: "search-query-index", Method: "GET", Path: "/_search", Query: "index=" + A, Shape: `"hits"`},
		{Name: "count", Method: "GET", Path: "/" + A + "/_count", Shape: `"count"`},
		{Name: "count-two", Method: "GET", Path: "/" + A + "," + f.A2 + "/_count", Shape: `"count"`},
		{Name: "get", Method: "GET", Path: "/" + A + "/_doc/a1", Shape: `"found"`},
		{Name: "source", Method: "GET", Path: "/" + A + "/_source/a1", Shape: `"note"`},
		{Name: "mget-index", Method: "POST", Path: "/" + A + "/_mget", Body: `{"ids":["a1"]}`, Shape: `"docs"`},
		{Name: "mget", Method: "POST", Path: "/_mget", Body: `{"docs":[{"_index":"` + A + `","_id":"a1"}]}`, Shape: `"docs"`},
		{Name: "msearch", Method: "POST", Path: "/_msearch", Body: `{"index":"` + A + `"}` + "\n{}\n", NDJSON: true, Shape: `"responses"`},
		{Name: "msearch-index", Method: "POST", Path: "/" + A + "/_msearch", Body: "{}\n{}\n", NDJSON: true, Shape: `"responses"`},
		{Name: "field_caps", Method: "GET", Path: "/" + A + "/_field_caps", Query: "fields=*", Shape: `"fields"`},
		{Name: "cat-indices", Method: "GET", Path: "/_cat/indices/" + A, Query: "format=json", Shape: `"health"`},
		{Name: "cat-count", Method: "GET", Path: "/_cat/count/" + A, Query: "format=json", Shape: `"count"`},
		{Name: "mapping", Method: "GET", Path: "/" + A + "/_mapping", Shape: `"mappings"`},
		{Name: "settings", Method: "GET", Path: "/" + A + "/_settings", Shape: `"settings"`},
		{Name: "get-index", Method: "GET", Path: "/" + A, Shape: `"mappings"`},
		{Name: "stats", Method: "GET", Path: "/" + A + "/_stats", Shape: `"_all"`},
		{Name: "explain", Method: "POST", Path: "/" + A + "/_explain/a1", Body: `{"query":{"match_all":{}}}`, Shape: `"explanation"`},
		{Name: "validate", Method: "GET", Path: "/" + A + "/_validate/query", Query: "q=n:1", Shape: `"valid"`},
		{Name: "validate-fuzzy", Method: "POST", Path: "/" + A + "/_validate/query", Query: "explain=true",
			Body: `{"query":{"fuzzy":{"note":{"value":"` + f.CanH[:len(f.CanH)-1] + `x"}}}}`, Shape: `"valid"`},
		{Name: "get-hidden", Method: "GET", Path: "/" + A + "/_doc/h1", Shape: `"found"`, Hidden: true},
		{Name: "source-hidden", Method: "GET", Path: "/" + A + "/_source/h1", Shape: `"note"`, Hidden: true},
		{Name: "explain-hidden", Method: "POST", Path: "/" + A + "/_explain/h1", Body: `{"query":{"match_all":{}}}`, Shape: `"explanation"`, Hidden: true},
		{Name: "termvectors", Method: "GET", Path: "/" + A + "/_termvectors/a1", Shape: `"found"`},
		{Name: "bulk", Method: "POST", Path: "/_bulk", Body: `{"index":{"_index":"` + W + `","_id":"b1"}}` + "\n" + `{"note":"bulk"}` + "\n", NDJSON: true, Shape: `"items"`},
		{Name: "bulk-index", Method: "POST", Path: "/" + W + "/_bulk", Body: `{"index":{"_id":"b2"}}` + "\n" + `{"note":"bulk"}` + "\n", NDJSON: true, Shape: `"items"`},
		{Name: "mget-query-index", Method: "POST", Path: "/_mget", Query: "index=" + A, Body: `{"ids":["a1"]}`, Shape: `"docs"`},
		{Name: "msearch-query-index", Method: "POST", Path: "/_msearch", Query: "index=" + A, Body: "{}\n{}\n", NDJSON: true, Shape: `"responses"`},
		{Name: "bulk-query-index", Method: "POST", Path: "/_bulk", Query: "index=" + W, Body: `{"index":{"_id":"b3"}}` + "\n" + `{"note":"bulk"}` + "\n", NDJSON: true, Shape: `"items"`},
		{Name: "search-template", Method: "POST", Path: "/" + A + "/_search/template", Body: `{"source":{"query":{"match_all":{}}}}`, Shape: `"hits"`, Probe: true},
		{Name: "msearch-template", Method: "POST", Path: "/" + A + "/_msearch/template", Body: "{}\n" + `{"source":{"query":{"match_all":{}}}}` + "\n", NDJSON: true, Shape: `"responses"`, Probe: true},
		{Name: "field-mapping", Method: "GET", Path: "/" + A + "/_mapping/field/note", Shape: `"mappings"`},
		{Name: "search-shards", Method: "GET", Path: "/" + A + "/_search_shards", Shape: `"shards"`},
		{Name: "segments", Method: "GET", Path: "/" + A + "/_segments", Shape: `"indices"`},
		{Name: "recovery", Method: "GET", Path: "/" + A + "/_recovery", Shape: `{`},
		{Name: "cat-shards", Method: "GET", Path: "/_cat/shards/" + A, Query: "format=json", Shape: `[`},
		{Name: "alias-index", Method: "GET", Path: "/" + A + "/_alias", Shape: `"aliases"`},
		{Name: "search-all", Method: "GET", Path: "/_search", Shape: `"hits"`},
		{Name: "count-all", Method: "GET", Path: "/_count", Shape: `"count"`},
		{Name: "mapping-all", Method: "GET", Path: "/_mapping", Shape: `{`},
		{Name: "settings-all", Method: "GET", Path: "/_settings", Shape: `{`},
		{Name: "alias-all", Method: "GET", Path: "/_alias", Shape: `{`},
		{Name: "aliases-all", Method: "GET", Path: "/_aliases", Shape: `{`, Probe: true},
		{Name: "field_caps-all", Method: "GET", Path: "/_field_caps", Query: "fields=*", Shape: `"fields"`},
		{Name: "stats-all", Method: "GET", Path: "/_stats", Shape: `"_all"`},
		{Name: "segments-all", Method: "GET", Path: "/_segments", Shape: `"indices"`},
		{Name: "recovery-all", Method: "GET", Path: "/_recovery", Shape: `{`},
		{Name: "validate-all", Method: "GET", Path: "/_validate/query", Query: "q=n:1", Shape: `"valid"`},
		{Name: "resolve", Method: "GET", Path: "/_resolve/index/" + A, Shape: `"indices"`},
		{Name: "cat-indices-all", Method: "GET", Path: "/_cat/indices", Query: "format=json", Shape: `[`},
		{Name: "cat-aliases-all", Method: "GET", Path: "/_cat/aliases", Query: "format=json", Shape: `[`, Probe: true},
		{Name: "cat-shards-all", Method: "GET", Path: "/_cat/shards", Query: "format=json", Shape: `[`},
		{Name: "cat-segments-all", Method: "GET", Path: "/_cat/segments", Query: "format=json", Shape: `[`},
		{Name: "cat-count-all", Method: "GET", Path: "/_cat/count", Query: "format=json", Shape: `[`},
		{Name: "cat-recovery-all", Method: "GET", Path: "/_cat/recovery", Query: "format=json", Shape: `[`},
		{Name: "update_by_query", Method: "POST", Path: "/" + W + "/_update_by_query", Query: "conflicts=proceed", Shape: `"updated"`},
	}
	for i := range bs {
		c, err := esapi.ClassifyURL(bs[i].Method, bs[i].Path, bs[i].Query)
		if err != nil || c.Denied != "" {
			panic(fmt.Sprintf("base %s does not classify: %v", bs[i].Name, err))
		}
		bs[i].Action, bs[i].Endpoint, bs[i].Indices = c.Action, c.Endpoint, c.Indices
	}
	return bs
}

// dfxMutation is one spelling of a base request.
type dfxMutation struct {
	Base   dfxBase
	Method string
	Target string // request target as sent, byte for byte
	Header map[string]string
	// What names the mutation.
	What string
	// MustPass marks spellings official clients send.
	MustPass bool
	// ZeroForDLS marks queries that match nothing the DLS/FLS user may
	// see: any count or total above zero in that user's answer leaks.
	ZeroForDLS bool
}

// mutate generates the spellings of b.
func (f *dfxFixture) mutate(b dfxBase) []dfxMutation {
	var out []dfxMutation
	seen := map[string]bool{}
	add := func(what, method, pth, query string, mustPass bool, hdr map[string]string) {
		target := pth
		if query != "" {
			target += "?" + query
		}
		key := method + " " + target + fmt.Sprint(hdr)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, dfxMutation{Base: b, Method: method, Target: target, What: what, MustPass: mustPass, Header: hdr})
	}
	p, q := b.Path, b.Query
	add("base", b.Method, p, q, true, nil)
	// Percent-encode one path character at a time, upper and lower hex,
	// and double-encode it.
	for i := 1; i < len(p); i++ {
		c := p[i]
		up := fmt.Sprintf("%%%02X", c)
		lo := strings.ToLower(up)
		must := c == ',' || c == '*'
		add("encode "+string(c), b.Method, p[:i]+up+p[i+1:], q, must, nil)
		add("encode lower "+string(c), b.Method, p[:i]+lo+p[i+1:], q, must, nil)
		add("double-encode "+string(c), b.Method, p[:i]+"%25"+up[1:]+p[i+1:], q, false, nil)
	}
	segs := strings.Split(p[1:], "/")
	join := func(s []string) string { return "/" + strings.Join(s, "/") }
	for i := range segs {
		with := func(v string) []string { s := append([]string{}, segs...); s[i] = v; return s }
		insert := func(v ...string) []string {
			s := append([]string{}, segs[:i]...)
			s = append(s, v...)
			return append(s, segs[i:]...)
		}
		add("dot segment", b.Method, join(insert(".")), q, false, nil)
		add("dot-dot segment", b.Method, join(insert("x", "..")), q, false, nil)
		add("encoded dot-dot", b.Method, join(insert("x", "%2E%2E")), q, false, nil)
		add("empty segment", b.Method, join(insert("")), q, false, nil)
		add("';' parameter", b.Method, join(with(segs[i]+";x=1")), q, false, nil)
		add("plus", b.Method, join(with(segs[i]+"+")), q, false, nil)
		add("space", b.Method, join(with(segs[i]+"%20")), q, false, nil)
		add("upper case", b.Method, join(with(strings.ToUpper(segs[i]))), q, false, nil)
		add("title case", b.Method, join(with(strings.ToUpper(segs[i][:1])+segs[i][1:])), q, false, nil)
		add("fullwidth low line", b.Method, join(with(strings.ReplaceAll(segs[i], "_", "%EF%BC%BF"))), q, false, nil)
		add("hyphen look-alike", b.Method, join(with(strings.ReplaceAll(segs[i], "-", "%E2%80%90"))), q, false, nil)
		add("cyrillic a", b.Method, join(with(strings.ReplaceAll(segs[i], "a", "%D0%B0"))), q, false, nil)
		add("raw utf-8", b.Method, join(with(strings.ReplaceAll(segs[i], "-", "\u2010"))), q, false, nil)
		add("long segment", b.Method, join(with(segs[i]+strings.Repeat("x", 300))), q, false, nil)
		add("backslash", b.Method, join(with(segs[i]+"\\")), q, false, nil)
		add("encoded slash", b.Method, join(with(segs[i]+"%2Fx")), q, false, nil)
	}
	add("trailing slash", b.Method, p+"/", q, true, nil)
	add("two trailing slashes", b.Method, p+"//", q, false, nil)
	add("leading double slash", b.Method, "/"+p, q, false, nil)
	add("extra segment", b.Method, p+"/extra", q, false, nil)
	add("fragment", b.Method, p+"#frag", q, false, nil)
	add("fragment after query", b.Method, p, joinQuery(q, "pretty#x"), false, nil)
	// A mapping type after the index (the typed routes of 7.x).
	if strings.HasPrefix(p, "/"+f.A+"/") {
		rest := strings.TrimPrefix(p, "/"+f.A)
		for _, typ := range []string{"_doc", "doc", "x", "_all"} {
			add("type "+typ, b.Method, "/"+f.A+"/"+typ+rest, q, false, nil)
		}
	}
	// Index expressions in place of the readable index.
	if strings.Contains(p, "/"+f.A+"/") || strings.HasSuffix(p, "/"+f.A) {
		num := strings.TrimPrefix(f.A, "dfx-a-")
		for _, expr := range []string{
			f.A + ",", f.A + ",,", "," + f.A, f.A + "," + f.S, "*", "_all", "dfx-*", "dfx-*,-" + f.A, "*,-dfx-a-*",
			"-" + f.S + "," + f.A, "+" + f.S, "_all,-" + f.A, f.Alias, "dfx-sal-*", "*:" + f.S, "x:" + f.S,
			f.S + "::data", f.A + "::*", "%3C" + f.S + "%3E", "%3Cdfx-%7Bnow%2Fd%7B'" + "s-" + num + "'%7D%7D%3E",
			"%3Cdfx-a-%7Bnow%2Fd%7B'" + num + "'%7D%7D%3E", "%3Cdfx-%5C%7Bs%5C%7D%3E", "dfx-?-" + num, strings.ToUpper(f.S),
			"dfx-s-" + num + "%2A", "dfx-s-" + num + "*", ".." + f.S, "dfx-a-" + num + "*,dfx-s-" + num + "*",
			f.A + "%2C" + f.S, f.A + "%252C" + f.S, "%2A", "*,-*", "_all,_all",
		} {
			add("index expression "+expr, b.Method, strings.Replace(p, "/"+f.A, "/"+expr, 1), q, false, nil)
		}
	}
	add("absolute-form", b.Method, "http://127.0.0.1"+p, q, false, nil)
	// Query-string mutations.
	for _, extra := range []string{
		"index=dfx-s-x", "index=%s", "alias=%l", "name=%l", "indices=%s", "alias=%s", "name=%s", "target=%s", "index=%l", "index=%a", "index=%a&index=%s", "Index=%s", "%69ndex=%s", "index%3D%s",
		"+index=%s", "index[]=%s", "q=note:*", "q=a&q=b", "routing=x", "routing=x&routing=y",
		"preference=_local", "preference=_shards:0", "filter_path=**", "filter_path=a&filter_path=b",
		"unknown_param=1", "expand_wildcards=all", "ignore_unavailable=true", "allow_no_indices=true",
		"pretty", "pretty&pretty", "format=yaml", "format=cbor", "source=%7B%7D&source_content_type=application/json",
		"id=s1", "_id=s1", "type=_doc",
		"explain", "explain=", "version", "rewrite", "rewrite=", "all_shards", "typed_keys", "rest_total_hits_as_int",
		"realtime=", "refresh", "_source", "_source=", "_source=secretf", "_source_includes=secretf", "stored_fields=",
		"stored_fields=secretf", "docvalue_fields=secretf.keyword", "fields=secretf", "q=secretf:*", "q=*&df=secretf",
		"q=canarydfx*", "q=note:canarydfx*&analyze_wildcard", "sort=secretf.keyword", "routing=", "preference=",
		"track_scores", "seq_no_primary_term", "include_defaults", "lenient", "analyze_wildcard", "ids=h1", "fields=*", "pretty=true%3Bindex=%s", "&&", "=x",
	} {
		add("query "+extra, b.Method, p, joinQuery(q, extra), false, nil)
	}
	// Queries that match only what the DLS/FLS user may not see: the
	// hidden document's value, the hidden field's value. Their counts
	// must be zero for that user.
	for _, q2 := range []string{"q=note:canarydfxhidden*", "q=secretf:canarydfxfield*", "q=canarydfxfield*&df=secretf",
		"q=canarydfxhidden*", "q=canarydfxfield*", "q=canarydfx*&analyze_wildcard=true"} {
		out = append(out, dfxMutation{Base: b, Method: b.Method, Target: p + "?" + joinQuery(q, q2), What: "hidden query " + q2, ZeroForDLS: true})
	}
	// The same, as a body in the query string.
	for _, src := range []string{
		"source=" + url.QueryEscape(`{"query":{"wildcard":{"note":"canarydfxhidden*"}}}`) + "&source_content_type=application/json",
		"source=" + url.QueryEscape(`{"query":{"exists":{"field":"secretf"}}}`) + "&source_content_type=application/json",
		"source=" + url.QueryEscape("query:\n  wildcard:\n    note: canarydfxhidden*\n") + "&source_content_type=application/yaml",
		"source=" + url.QueryEscape(`{"query":{"wildcard":{"note":"canarydfxhidden*"}}}`),
	} {
		out = append(out, dfxMutation{Base: b, Method: b.Method, Target: p + "?" + joinQuery(q, src), What: "hidden query in source", ZeroForDLS: true})
	}
	// Method swaps and overrides.
	for _, m := range []string{"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "get", "TRACE"} {
		add("method "+m, m, p, q, false, nil)
	}
	add("method override", b.Method, p, q, false, map[string]string{"X-HTTP-Method-Override": "DELETE"})
	return out
}

func joinQuery(q, extra string) string {
	if q == "" {
		return extra
	}
	return q + "&" + extra
}

// dfxResult is what one mutation produced.
type dfxResult struct {
	class        *esapi.Classification
	classOK      bool
	directStatus int
	directBody   string
	handler      string // the node's REST handler; empty when none ran
	proxyStatus  int
	proxyBody    string
	dlsStatus    int // the DLS/FLS user's answer through the proxy
	dlsBody      string
	err          string
}

func (f *dfxFixture) expand(target string) string {
	r := strings.NewReplacer("%s", f.S, "%a", f.A, "%l", f.Alias)
	// Only the query placeholders: the path has real '%' escapes.
	pth, q, ok := strings.Cut(target, "?")
	if !ok {
		return target
	}
	return pth + "?" + r.Replace(q)
}

// dfxAmbiguous is the handler recorded when the node's counters moved
// for more than one handler during a direct request.
const dfxAmbiguous = "<ambiguous>"

// usage returns the node's REST handler usage counters.
func (f *dfxFixture) usage(t *testing.T) map[string]int {
	t.Helper()
	st, b, err := rawHTTP(f.nodeAddr, "GET", "/_nodes/_local/usage/rest_actions", "", "", nil, "", false)
	if err != nil || st != 200 {
		t.Fatalf("node usage: %d %v %.200s", st, err, b)
	}
	var v struct {
		Nodes map[string]struct {
			RestActions map[string]int `json:"rest_actions"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(b), &v); err != nil || len(v.Nodes) != 1 {
		t.Fatalf("node usage: %v %.200s", err, b)
	}
	for _, n := range v.Nodes {
		return n.RestActions
	}
	return nil
}

// direct sends m to the node and records its answer and the handler that
// ran it (from the usage counters before and after); it returns the
// counters after.
func (f *dfxFixture) direct(t *testing.T, m dfxMutation, r *dfxResult, before map[string]int) map[string]int {
	t.Helper()
	st, b, err := rawHTTP(f.nodeAddr, m.Method, f.expand(m.Target), "", "", m.Header, m.Base.Body, m.Base.NDJSON)
	if err != nil {
		r.err = "node: " + err.Error()
		return before
	}
	r.directStatus, r.directBody = st, b
	after := f.usage(t)
	var ran []string
	for h, v := range after {
		d := v - before[h]
		if h == "nodes_usage_action" {
			d-- // the usage request itself
		}
		if d > 0 {
			ran = append(ran, h)
		}
	}
	switch len(ran) {
	case 0:
	case 1:
		r.handler = ran[0]
	default:
		r.handler = dfxAmbiguous
	}
	return after
}

// viaProxyDLS sends m through the proxy as the user whose role query and
// field security restrict A.
func (f *dfxFixture) viaProxyDLS(m dfxMutation, r *dfxResult) {
	st, b, err := rawHTTP(f.proxyAddr, m.Method, f.expand(m.Target), "dfxdls", f.pass, m.Header, m.Base.Body, m.Base.NDJSON)
	if err != nil {
		r.err = "proxy (dls): " + err.Error()
		return
	}
	r.dlsStatus, r.dlsBody = st, b
}

// viaProxy sends m through the proxy as the restricted user.
func (f *dfxFixture) viaProxy(m dfxMutation, r *dfxResult) {
	st, b, err := rawHTTP(f.proxyAddr, m.Method, f.expand(m.Target), f.user, f.pass, m.Header, m.Base.Body, m.Base.NDJSON)
	if err != nil {
		r.err = "proxy: " + err.Error()
		return
	}
	r.proxyStatus, r.proxyBody = st, b
}

// classify classifies a request target the way the server does: the
// escaped path and raw query of Go's parsed request URI.
func (f *dfxFixture) classify(method, target string) (*esapi.Classification, bool) {
	if !strings.HasPrefix(target, "/") {
		return nil, false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	c, err := esapi.ClassifyURL(method, u.EscapedPath(), u.RawQuery)
	if err != nil || c.Denied != "" {
		return nil, false
	}
	return c, true
}

// dfxSafeDirect reports whether m may be sent to the node directly: reads,
// and the base's own writes (all on the scratch index).
func dfxSafeDirect(m dfxMutation, c *esapi.Classification) bool {
	if m.Method == m.Base.Method && c.Action == m.Base.Action && slices.Equal(c.Indices, m.Base.Indices) {
		// The base's own write, on the base's own index (a write to any
		// other spelling would auto-create an index on the node).
		return true
	}
	return strings.HasPrefix(c.Action, "indices:data/read/") || strings.HasPrefix(c.Action, "indices:admin/get") ||
		strings.HasPrefix(c.Action, "indices:admin/mappings/get") || strings.HasPrefix(c.Action, "indices:monitor/") ||
		strings.HasPrefix(c.Action, "indices:admin/mappings/fields/get") || strings.HasPrefix(c.Action, "indices:admin/validate/") ||
		strings.HasPrefix(c.Action, "indices:admin/aliases/get") || strings.HasPrefix(c.Action, "cluster:monitor/")
}

// covers reports whether the classification of m names the secret index:
// in its index expressions, implicitly (all indices), or in the body.
func (f *dfxFixture) covers(c *esapi.Classification, m dfxMutation) bool {
	switch c.IndicesFrom {
	case esapi.IndicesAllImplicit:
		return true
	case esapi.IndicesBody, esapi.IndicesCursor, esapi.IndicesNone:
		return strings.Contains(m.Base.Body, f.S)
	}
	for _, e := range c.Expressions {
		if e.All {
			return true
		}
		pattern := e.Name
		if e.DateMath {
			resolved, err := authz.ResolveDateMath(e.Name, time.Now())
			if err != nil {
				return true // refused by the proxy; nothing to compare
			}
			pattern = resolved
		}
		for _, name := range []string{f.S, f.Alias} {
			if ok, _ := path.Match(pattern, name); ok {
				return true
			}
		}
	}
	return false
}

// rawHTTP sends one request with target byte for byte and reads the
// response (Basic credentials when user is set).
func rawHTTP(addr, method, target, user, pass string, hdr map[string]string, body string, ndjson bool) (int, string, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	if user != "" {
		fmt.Fprintf(&b, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, hdr[k])
	}
	if body != "" {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n", ct, len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: strings.ToUpper(method)})
	if err != nil {
		return 0, "", fmt.Errorf("%s %.80s: %w", method, target, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(rb), nil
}
