package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFLSHeadLengthHidesHiddenFields: a HEAD of a document or of its
// source carries no body, but the cluster still sends the Content-Length
// of the unfiltered answer. Under field level security that length, with
// _source_includes naming one hidden field, is the exact length of that
// field's value (how many digits a salary has, how long an SSN is): the
// length must not depend on hidden fields.
func TestFLSHeadLengthHidesHiddenFields(t *testing.T) {
	f := startDLSFixture(t)
	doc := "/" + f.index + "/_doc/a1"
	src := "/" + f.index + "/_source/a1"
	for _, path := range []string{
		doc, doc + "?_source_includes=secret", doc + "?_source_includes=customer.ssn", doc + "?_source_includes=salary",
		src, src + "?_source_includes=secret", src + "?_source_includes=customer.ssn", src + "?_source_includes=salary",
	} {
		head := do(t, f.c, "HEAD", f.p.URL+path, "fls", f.pass, nil, nil)
		if head.Status != 200 {
			t.Fatalf("HEAD %s: %d", path, head.Status)
		}
		got := do(t, f.c, "GET", f.p.URL+path, "fls", f.pass, nil, nil)
		assertNoCanary(t, "fls GET "+path, got.Body, []string{canarySecretField, canarySSN})
		cl := head.Header.Get("Content-Length")
		if cl == "" {
			continue
		}
		if n, err := strconv.Atoi(cl); err != nil || n != len(got.Body) {
			t.Errorf("HEAD %s: Content-Length %s, but the filtered answer has %d bytes: the length reveals hidden fields", path, cl, len(got.Body))
		}
	}
	// Control: the unrestricted user's HEAD still answers (found, missing).
	if r := do(t, f.c, "HEAD", f.p.URL+doc, f.su, f.pass, nil, nil); r.Status != 200 {
		t.Errorf("superuser HEAD %s: %d", doc, r.Status)
	}
	if r := do(t, f.c, "HEAD", f.p.URL+"/"+f.index+"/_doc/nope", "fls", f.pass, nil, nil); r.Status != 404 {
		t.Errorf("fls HEAD of a missing document: %d", r.Status)
	}
}

// TestBodylessContentTypePicksNoFormat: without Accept or format, the
// cluster answers in the media type of the request's Content-Type, even on
// a GET without a body. A filtered answer must still come back as JSON,
// filtered (it was a 502, the cluster having answered YAML or SMILE).
func TestBodylessContentTypePicksNoFormat(t *testing.T) {
	f := startDLSFixture(t)
	for _, ct := range []string{"application/yaml", "application/smile", "application/cbor"} {
		for _, path := range []string{"/" + f.index + "/_source/a1", "/" + f.index + "/_doc/a1", "/" + f.index + "/_search"} {
			r := do(t, f.c, "GET", f.p.URL+path, "fls", f.pass, nil, map[string]string{"Content-Type": ct})
			assertNoCanary(t, "fls GET "+path+" as "+ct, r.Body, []string{canarySecretField, canarySSN})
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !strings.Contains(r.Body, "hello acme one") {
				t.Errorf("fls GET %s with Content-Type %s: %d %s %q", path, ct, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	}
}

// TestTaskDescriptionsHideOtherUsersRequests: a running task's description
// quotes its request, and the proxy's rewritten searches carry the DLS
// role query of their user (which Elasticsearch applies out of the
// request: its task descriptions never show it). A user with the monitor
// cluster privilege must not read other users' rewritten requests in
// _tasks?detailed, _cat/tasks?detailed or GET _tasks/<id>, while still
// listing and polling tasks.
func TestTaskDescriptionsHideOtherUsersRequests(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	index := fmt.Sprintf("e2e-tasks-%d", time.Now().UnixNano())
	const marker = "CANARY-ROLEQ-5c3d"
	o.Users += "dlsv:" + su.Password + "\nmon:" + su.Password + "\n"
	o.UsersRoles += "r_dlsv:dlsv\nr_mon:mon\n"
	o.Roles = "r_dlsv:\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read]\n      query: '{\"bool\":{\"must_not\":[{\"term\":{\"tenant\":\"" + marker + "\"}}]}}'\n" +
		"r_mon:\n  cluster: [monitor]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, c, "PUT", p.URL+"/"+index+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"tenant":"acme","message":"hello"}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+index, su.Name, su.Password, nil, nil) })

	// The DLS user's _msearch runs its searches one after the other: each
	// is a running task with the rewritten body for a while.
	seen := false // the superuser saw the marker: tasks were caught running
	for attempt := 0; attempt < 6 && !seen; attempt++ {
		var b strings.Builder
		for range 800 {
			b.WriteString(`{"index":"` + index + `"}` + "\n" + `{"size":1,"query":{"match":{"message":"hello"}}}` + "\n")
		}
		done := make(chan int, 1)
		go func() {
			req, err := http.NewRequest("POST", p.URL+"/_msearch?max_concurrent_searches=1", strings.NewReader(b.String()))
			if err != nil {
				done <- 0
				return
			}
			req.SetBasicAuth("dlsv", su.Password)
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := c.Do(req)
			if err != nil {
				done <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		const search = "actions=indices:data/read/search*"
		for running := true; running; {
			select {
			case status := <-done:
				if status != 200 {
					t.Fatalf("the DLS user's _msearch: %d", status)
				}
				running = false
			default:
			}
			if r := do(t, c, "GET", p.URL+"/_tasks?detailed=true&"+search, su.Name, su.Password, nil, nil); strings.Contains(r.Body, marker) {
				seen = true
			}
			for _, path := range []string{"/_tasks?detailed=true&" + search, "/_tasks?detailed&group_by=none&" + search, "/_cat/tasks?detailed=true&" + search, "/_cat/tasks?detailed&format=json&" + search} {
				r := do(t, c, "GET", p.URL+path, "mon", su.Password, nil, nil)
				assertNoCanary(t, "mon GET "+path, r.Body, []string{marker})
				if r.Status != http.StatusForbidden {
					t.Fatalf("mon GET %s: %d, want 403 (detailed listings quote other users' requests)", path, r.Status)
				}
			}
			r := do(t, c, "GET", p.URL+"/_tasks?group_by=none&"+search, "mon", su.Password, nil, nil)
			assertNoCanary(t, "mon GET /_tasks", r.Body, []string{marker})
			if r.Status != 200 {
				t.Fatalf("mon lists tasks: %d %s", r.Status, r.Body)
			}
			var list struct {
				Tasks []struct {
					Node string `json:"node"`
					ID   int64  `json:"id"`
				} `json:"tasks"`
			}
			if err := json.Unmarshal([]byte(r.Body), &list); err != nil {
				t.Fatalf("task list: %v %s", err, r.Body)
			}
			for _, task := range list.Tasks {
				id := fmt.Sprintf("%s:%d", task.Node, task.ID)
				g := do(t, c, "GET", p.URL+"/_tasks/"+id, "mon", su.Password, nil, nil)
				assertNoCanary(t, "mon GET /_tasks/"+id, g.Body, []string{marker})
				if g.Status != 200 && g.Status != 404 {
					t.Errorf("mon GET /_tasks/%s: %d %s", id, g.Status, g.Body)
				}
			}
		}
	}
	if !seen {
		// Each attempt keeps 800 searches running one after the other; a
		// single one is enough to prove the description filter.
		t.Fatal("no search task of the DLS user was caught running in 6 attempts: the description filter was not checked")
	}
}
