package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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

// dfxAmbiguous is the handler recorded when the node's counters moved
// for more than one handler during a direct request.
const dfxAmbiguous = "<ambiguous>"
