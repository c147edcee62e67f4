package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scrollID returns the _scroll_id (or pit_id) of a response.
func jsonString(t *testing.T, body, member string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %v: %.300s", err, body)
	}
	s, _ := m[member].(string)
	return s
}

// TestCursorsBoundToOwner: scroll and point-in-time ids are tokens bound
// to the user (and restrictions) that created them; later pages are
// filtered like the first; "_all" touches only the caller's own.
func TestCursorsBoundToOwner(t *testing.T) {
	f := startDLSFixture(t)
	ix := "/" + f.index
	secrets := []string{canaryHiddenDoc, canarySecretField, canarySSN}

	// A restricted user's scroll: every page filtered, ids are tokens.
	r := f.req(t, "both", "POST", ix+"/_search?scroll=1m", `{"size":1,"sort":["_doc"]}`, secrets...)
	sid := jsonString(t, r.Body, "_scroll_id")
	if r.Status != 200 || !strings.HasPrefix(sid, "pc1") {
		t.Fatalf("scroll start: want a wrapped id; %d %s", r.Status, r.Body)
	}
	seen := len(hitIDs(t, r.Body))
	for i := 0; i < 5 && sid != ""; i++ {
		r = f.req(t, "both", "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+sid+`"}`, secrets...)
		if r.Status != 200 {
			t.Fatalf("scroll page: %d %s", r.Status, r.Body)
		}
		n := len(hitIDs(t, r.Body))
		if n == 0 {
			break
		}
		seen += n
		sid = jsonString(t, r.Body, "_scroll_id")
	}
	if seen != 2 {
		t.Fatalf("a DLS user's scroll must return exactly the 2 visible documents, got %d", seen)
	}

	// Someone else's scroll: answered as a missing context.
	r = f.req(t, f.su, "POST", ix+"/_search?scroll=1m", `{"size":1}`)
	suScroll := jsonString(t, r.Body, "_scroll_id")
	if !strings.HasPrefix(suScroll, "pc1") {
		t.Fatalf("superuser scroll ids are wrapped too: %s", r.Body)
	}
	r = f.req(t, "dls", "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+suScroll+`"}`, secrets...)
	if r.Status != 404 {
		t.Fatalf("another user's scroll: want 404, got %d %s", r.Status, r.Body)
	}
	// A forged or altered id is a tampered request.
	forged := suScroll[:len(suScroll)-2] + "AA"
	r = f.req(t, f.su, "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+forged+`"}`)
	if r.Status != 400 {
		t.Fatalf("forged scroll id: want 400, got %d %s", r.Status, r.Body)
	}
	// ... and audited as one (checklist 83), under the answer's request.id.
	if got := auditActions(t, filepath.Join(f.p.Dir, "audit.json"), r.Header.Get("X-Request-Id")); len(got) != 1 || got[0] != "tampered_request" {
		t.Fatalf("the forged scroll id's audit records: %v, want [tampered_request]", got)
	}
	r = f.req(t, f.su, "GET", "/_search/scroll/"+suScroll+"?scroll=1m", "")
	if r.Status != 200 {
		t.Fatalf("the owner continues by path: %d %s", r.Status, r.Body)
	}

	// clear_scroll _all by the restricted user leaves the superuser's.
	r = f.req(t, "both", "DELETE", "/_search/scroll/_all", "")
	if r.Status != 200 {
		t.Fatalf("clear own scrolls: %d %s", r.Status, r.Body)
	}
	r = f.req(t, f.su, "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+suScroll+`"}`)
	if r.Status != 200 {
		t.Fatalf("another user's _all must not clear the superuser's scroll: %d %s", r.Status, r.Body)
	}

	// A point in time: a DLS user's PIT search is filtered; another user
	// cannot use it.
	if os.Getenv("E2E_BACKEND") == "elasticsearch" {
		testElasticsearchPIT(t, f)
	} else {
		testOpenSearchPIT(t, f)
	}

	// The same user after a change of their role's field security cannot
	// continue a scroll made under the old one.
	r = f.req(t, "both", "POST", ix+"/_search?scroll=1m", `{"size":1}`, secrets...)
	sid = jsonString(t, r.Body, "_scroll_id")
	rolesPath := filepath.Join(f.p.Dir, "roles.yml")
	roles, err := os.ReadFile(rolesPath)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(roles), `grant: ["tenant", "message"]`, `grant: ["tenant"]`, 1)
	if changed == string(roles) {
		t.Fatal("fixture: role query not found in roles.yml")
	}
	writeFile(t, rolesPath, changed)
	f.p.signal(syscall.SIGHUP)
	if !eventually(10*time.Second, func() bool {
		r = f.req(t, "both", "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+sid+`"}`, secrets...)
		return r.Status == 403
	}) {
		t.Fatalf("a scroll made under a changed field_security must not continue: %d %s", r.Status, r.Body)
	}
}

// testOpenSearchPIT: OpenSearch's point in time API, including "_all".
func testOpenSearchPIT(t *testing.T, f *dlsFixture) {
	ix, secrets := "/"+f.index, []string{canaryHiddenDoc}
	r := f.req(t, "dls", "POST", ix+"/_search/point_in_time?keep_alive=1m", "", secrets...)
	pit := jsonString(t, r.Body, "pit_id")
	if r.Status != 200 || !strings.HasPrefix(pit, "pc1") {
		t.Fatalf("OpenSearch point in time for a DLS user: %d %s", r.Status, r.Body)
	}
	r = f.req(t, "dls", "POST", "/_search", `{"size":10,"pit":{"id":"`+pit+`","keep_alive":"1m"}}`, canaryHiddenDoc)
	if r.Status != 200 || len(hitIDs(t, r.Body)) != 2 {
		t.Fatalf("PIT search by its owner must show the 2 visible documents: %d %s", r.Status, r.Body)
	}
	r = f.req(t, "lifted", "POST", "/_search", `{"size":10,"pit":{"id":"`+pit+`"}}`)
	if r.Status != 404 {
		t.Fatalf("another user's PIT: want 404, got %d %s", r.Status, r.Body)
	}
	r = f.req(t, f.su, "POST", ix+"/_search/point_in_time?keep_alive=1m", "")
	suPIT := jsonString(t, r.Body, "pit_id")
	// filter_path on the list of all PITs is applied after the proxy kept
	// the caller's own (by their ids), as the node would apply it: the
	// superuser's two (req sends each request twice), not the DLS user's.
	r = f.req(t, f.su, "GET", "/_search/point_in_time/_all?filter_path=pits.keep_alive", "")
	if r.Status != 200 || strings.Count(r.Body, `"keep_alive"`) != 2 || strings.Contains(r.Body, "pit_id") {
		t.Fatalf("GET _all with filter_path=pits.keep_alive: want the caller's 2 PITs, without their ids: %d %s", r.Status, r.Body)
	}
	r = f.req(t, f.su, "GET", "/_search/point_in_time/_all?filter_path=-pits", "")
	if r.Status != 200 || strings.TrimSpace(r.Body) != "{}" {
		t.Fatalf("GET _all with filter_path=-pits: %d %s", r.Status, r.Body)
	}
	r = f.req(t, "dls", "DELETE", "/_search/point_in_time/_all", "")
	// The DLS user created two (req sends each request plain and gzipped).
	if r.Status != 200 || strings.Count(r.Body, `"pit_id":"pc1`) != 2 || strings.Contains(r.Body, suPIT) {
		t.Fatalf("DELETE _all deletes only the caller's PITs, shown as tokens: %d %s", r.Status, r.Body)
	}
	r = f.req(t, f.su, "POST", "/_search", `{"size":1,"pit":{"id":"`+suPIT+`"}}`)
	if r.Status != 200 {
		t.Fatalf("the superuser's PIT must survive another user's _all: %d %s", r.Status, r.Body)
	}

}

// testElasticsearchPIT: Elasticsearch's _pit API.
func testElasticsearchPIT(t *testing.T, f *dlsFixture) {
	ix := "/" + f.index
	r := f.req(t, "dls", "POST", ix+"/_pit?keep_alive=1m", "", canaryHiddenDoc)
	pit := jsonString(t, r.Body, "id")
	if r.Status != 200 || !strings.HasPrefix(pit, "pc1") {
		t.Fatalf("Elasticsearch point in time for a DLS user: %d %s", r.Status, r.Body)
	}
	r = f.req(t, "dls", "POST", "/_search", `{"size":10,"pit":{"id":"`+pit+`","keep_alive":"1m"}}`, canaryHiddenDoc)
	if r.Status != 200 || len(hitIDs(t, r.Body)) != 2 {
		t.Fatalf("PIT search by its owner must show the 2 visible documents: %d %s", r.Status, r.Body)
	}
	r = f.req(t, "lifted", "POST", "/_search", `{"size":10,"pit":{"id":"`+pit+`"}}`)
	if r.Status != 404 {
		t.Fatalf("another user's PIT: want 404, got %d %s", r.Status, r.Body)
	}
	r = f.req(t, "lifted", "DELETE", "/_pit", `{"id":"`+pit+`"}`)
	if r.Status != 404 {
		t.Fatalf("another user cannot close the PIT: %d %s", r.Status, r.Body)
	}
	r = do(t, f.c, "DELETE", f.p.URL+"/_pit", "dls", f.pass, strings.NewReader(`{"id":"`+pit+`"}`), map[string]string{"Content-Type": "application/json"})
	if r.Status != 200 || !strings.Contains(r.Body, `"succeeded":true`) {
		t.Fatalf("the owner closes the PIT: %d %s", r.Status, r.Body)
	}
}

// auditRecord is the part of an audit record the tests read.
type auditRecord struct {
	ID      string   `json:"request.id"`
	Action  string   `json:"event.action"`
	Indices []string `json:"indices"`
	Path    string   `json:"url.path"`
	Query   string   `json:"url.query"`
	Body    string   `json:"request.body"`
}

// auditRecords returns the records of the audit file with requestID, in
// order.
func auditRecords(t *testing.T, file, requestID string) []auditRecord {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []auditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev auditRecord
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %v: %s", err, line)
		}
		if ev.ID == requestID {
			out = append(out, ev)
		}
	}
	return out
}

// auditActions lists the event.action of the audit records with requestID.
func auditActions(t *testing.T, file, requestID string) []string {
	t.Helper()
	var out []string
	for _, ev := range auditRecords(t, file, requestID) {
		out = append(out, ev.Action)
	}
	return out
}

// TestTemplateCursorIDsWrapped: a search template opens a scroll
// (?scroll) like a search, and its _scroll_id must reach the client as a
// token bound to the caller too (superusers included); OpenSearch's
// _cat/pit_segments reads pit_id from its body, which must be a token and
// is unwrapped for the cluster.
func TestTemplateCursorIDsWrapped(t *testing.T) {
	openSearchURL(t)
	backendLacks(t, "search templates (lang-mustache)")
	f := startDLSFixture(t)
	ix := "/" + f.index
	r := f.req(t, f.su, "POST", ix+"/_search/template?scroll=1m", `{"source":{"size":1,"query":{"match_all":{}}}}`)
	sid := jsonString(t, r.Body, "_scroll_id")
	if r.Status != 200 || !strings.HasPrefix(sid, "pc1") {
		t.Fatalf("a search template's scroll id must be a token: %d %.400s", r.Status, r.Body)
	}
	r = f.req(t, f.su, "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+sid+`"}`)
	if r.Status != 200 || !strings.HasPrefix(jsonString(t, r.Body, "_scroll_id"), "pc1") {
		t.Fatalf("the template's scroll continues by its token: %d %.400s", r.Status, r.Body)
	}
	r = f.req(t, "dls", "POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+sid+`"}`, canaryHiddenDoc, canarySecretField)
	if r.Status != 404 {
		t.Fatalf("another user cannot continue the template's scroll: %d %.400s", r.Status, r.Body)
	}
	if os.Getenv("E2E_BACKEND") == "elasticsearch" {
		return
	}
	r = f.req(t, f.su, "POST", ix+"/_search/point_in_time?keep_alive=1m", "")
	pit := jsonString(t, r.Body, "pit_id")
	r = f.req(t, f.su, "GET", "/_cat/pit_segments?format=json", `{"pit_id":"`+pit+`"}`)
	if r.Status != 200 || !strings.Contains(r.Body, f.index) {
		t.Fatalf("_cat/pit_segments with the caller's PIT token: %d %.400s", r.Status, r.Body)
	}
	r = f.req(t, f.su, "GET", "/_cat/pit_segments?format=json", `{"pit_id":"not-a-token"}`)
	if r.Status != 400 {
		t.Fatalf("_cat/pit_segments with a cluster id (not a token): want 400, got %d %.400s", r.Status, r.Body)
	}
}

// TestCursorIndexRevoked: a user who loses the read privilege on one of a
// cursor's indices may not continue it (Elasticsearch authorizes a point
// in time's concrete indices on every search, and the proxy decides every
// continuation again): the indices that were unrestricted count too, and
// none may be dropped silently while the cluster goes on reading it.
func TestCursorIndexRevoked(t *testing.T) {
	f := startDLSFixture(t)
	other := f.index + "-b"
	const canaryRevoked = "CANARY-REVOKED-4b1d"
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, f.c, "PUT", f.p.URL+"/"+other+"/_doc/r1?refresh=true", f.su, f.pass, strings.NewReader(`{"tenant":"acme","message":"`+canaryRevoked+`"}`), hj); r.Status != 201 {
		t.Fatalf("seed %s: %d %s", other, r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, f.c, "DELETE", f.p.URL+"/"+other, f.su, f.pass, nil, nil) })

	rolesPath := filepath.Join(f.p.Dir, "roles.yml")
	orig, err := os.ReadFile(rolesPath)
	if err != nil {
		t.Fatal(err)
	}
	plain := "r_plain:\n  indices:\n    - names: [\"" + f.index + "\"]"
	wider := strings.Replace(string(orig), plain, "r_plain:\n  indices:\n    - names: [\""+f.index+"\", \""+other+"\"]", 1)
	if wider == string(orig) {
		t.Fatal("fixture: r_plain not found in roles.yml")
	}
	setRoles := func(roles string, canRead bool) {
		t.Helper()
		writeFile(t, rolesPath, roles)
		f.p.signal(syscall.SIGHUP)
		if !eventually(10*time.Second, func() bool {
			r := do(t, f.c, "GET", f.p.URL+"/"+other+"/_search", "lifted", f.pass, nil, nil)
			return (r.Status == 200) == canRead
		}) {
			t.Fatalf("roles reload: lifted's read on %s should be %v", other, canRead)
		}
	}
	setRoles(wider, true)
	both := "/" + f.index + "," + other
	r := f.req(t, "lifted", "POST", both+"/_search?scroll=5m", `{"size":1,"sort":["_doc"]}`)
	sid := jsonString(t, r.Body, "_scroll_id")
	if r.Status != 200 || sid == "" {
		t.Fatalf("scroll on both indices: %d %.300s", r.Status, r.Body)
	}
	var pit string
	if os.Getenv("E2E_BACKEND") == "elasticsearch" {
		r = f.req(t, "lifted", "POST", both+"/_pit?keep_alive=5m", "")
		pit = jsonString(t, r.Body, "id")
	} else {
		r = f.req(t, "lifted", "POST", both+"/_search/point_in_time?keep_alive=5m", "")
		pit = jsonString(t, r.Body, "pit_id")
	}
	if r.Status != 200 || pit == "" {
		t.Fatalf("PIT on both indices: %d %.300s", r.Status, r.Body)
	}

	setRoles(string(orig), false) // lifted may no longer read the second index
	r = f.req(t, "lifted", "POST", "/_search", `{"size":50,"pit":{"id":"`+pit+`"}}`, canaryRevoked)
	if r.Status != 403 {
		t.Fatalf("PIT search after losing one of its indices: want 403, got %d %.300s", r.Status, r.Body)
	}
	for i := 0; i < 10; i++ {
		r = f.req(t, "lifted", "POST", "/_search/scroll", `{"scroll":"5m","scroll_id":"`+sid+`"}`, canaryRevoked)
		if r.Status != 200 {
			break
		}
		if sid = jsonString(t, r.Body, "_scroll_id"); len(hitIDs(t, r.Body)) == 0 {
			break
		}
	}
	if r.Status != 403 {
		t.Fatalf("scroll after losing one of its indices: want 403, got %d %.300s", r.Status, r.Body)
	}
}
