package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Canaries of the multi-document tests. They are single lowercase tokens,
// so that term vectors (which show analyzed terms) would show them as is.
const (
	canaryForbiddenIndex = "canarymgetforbidden7f3a" // only in the index the user may not read
	canaryMgetHiddenDoc  = "canarymgethiddendoc19c2" // only in a document outside the role query
	canaryMgetField      = "canarymgetsecretfield5e" // only in a field the role does not grant
)

// mgetFixture: own (readable), other (forbidden, canaries), dls (readable
// under document- and field-level security) and a user "mreader".
type mgetFixture struct {
	p                *proxy
	own, other, dls  string
	missing          string // forbidden and absent: the cluster would answer index_not_found
	su, pass, reader string
}

func startMgetFixture(t *testing.T) *mgetFixture {
	t.Helper()
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	f := &mgetFixture{own: fmt.Sprintf("e2e-mgown-%d", n), other: fmt.Sprintf("e2e-mgother-%d", n), dls: fmt.Sprintf("e2e-mgdls-%d", n),
		missing: fmt.Sprintf("e2e-mgmissing-%d", n), su: su.Name, pass: su.Password, reader: "mreader"}
	o.Users += f.reader + ":" + su.Password + "\n"
	o.UsersRoles += "r_mget:" + f.reader + "\n"
	o.Roles = "r_mget:\n  indices:\n" +
		"    - names: [\"" + f.own + "\"]\n      privileges: [read]\n" +
		"    - names: [\"" + f.dls + "\"]\n      privileges: [read]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n      field_security:\n        grant: [\"tenant\", \"message\"]\n"
	f.p = startProxy(t, o)
	f.p.waitReady()
	c := f.p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	settings := `{"settings":{"number_of_shards":1,"number_of_replicas":0}}`
	for _, idx := range []string{f.own, f.other, f.dls} {
		if r := do(t, c, "PUT", f.p.URL+"/"+idx, su.Name, su.Password, strings.NewReader(settings), hj); r.Status != 200 {
			t.Fatalf("create %s: %d %s", idx, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", f.p.URL+"/"+f.own+","+f.other+","+f.dls, su.Name, su.Password, nil, nil) })
	seed := strings.Join([]string{
		`{"index":{"_index":"` + f.own + `","_id":"1"}}`, `{"tenant":"acme","message":"own one"}`,
		`{"index":{"_index":"` + f.own + `","_id":"2"}}`, `{"tenant":"acme","message":"own two"}`,
		`{"index":{"_index":"` + f.other + `","_id":"1"}}`, `{"tenant":"acme","message":"` + canaryForbiddenIndex + `"}`,
		`{"index":{"_index":"` + f.other + `","_id":"3"}}`, `{"tenant":"acme","message":"` + canaryForbiddenIndex + `"}`,
		`{"index":{"_index":"` + f.dls + `","_id":"d1"}}`, `{"tenant":"acme","message":"visible","secret":"` + canaryMgetField + `"}`,
		`{"index":{"_index":"` + f.dls + `","_id":"d2"}}`, `{"tenant":"globex","message":"` + canaryMgetHiddenDoc + `"}`,
	}, "\n") + "\n"
	r := do(t, c, "POST", f.p.URL+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(seed), map[string]string{"Content-Type": "application/x-ndjson"})
	if r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	// The canaries are really there: a leak would show them.
	for api, body := range map[string]string{
		"_mget":         `{"docs":[{"_index":"` + f.other + `","_id":"1"}]}`,
		"_mtermvectors": `{"docs":[{"_index":"` + f.other + `","_id":"1","fields":["message"]}]}`,
	} {
		if r := do(t, c, "POST", f.p.URL+"/"+api, su.Name, su.Password, strings.NewReader(body), hj); !strings.Contains(r.Body, canaryForbiddenIndex) {
			t.Fatalf("superuser %s does not show the canary: %d %s", api, r.Status, r.Body)
		}
	}
	// The proxy learns of the new indices from its metadata refresh.
	if !eventually(10*time.Second, func() bool {
		r := do(t, c, "GET", f.p.URL+"/"+f.own+"/_doc/1", f.reader, f.pass, nil, nil)
		return r.Status == 200
	}) {
		t.Fatal("the proxy never let the reader read its index")
	}
	return f
}

// req sends a request as the reader, plain and asking for gzip, asserts no
// canary appears in either, and returns the plain answer.
func (f *mgetFixture) req(t *testing.T, method, path, body string, canaries ...string) result {
	t.Helper()
	df := &dlsFixture{p: f.p, c: f.p.client(nil), pass: f.pass}
	return df.req(t, f.reader, method, path, body, canaries...)
}

// mgetDoc is one answered document of _mget or _mtermvectors.
type mgetDoc struct {
	Index       string          `json:"_index"`
	ID          string          `json:"_id"`
	Found       *bool           `json:"found"`
	Source      json.RawMessage `json:"_source"`
	TermVectors json.RawMessage `json:"term_vectors"`
	Error       *struct {
		RootCause []struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"root_cause"`
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// outcome is "error", "found", "missing" or "vectors".
func (d mgetDoc) outcome() string {
	switch {
	case d.Error != nil:
		return "error"
	case d.TermVectors != nil:
		return "vectors"
	case d.Found != nil && *d.Found:
		return "found"
	}
	return "missing"
}

// docsOf parses {"docs":[…]} and checks every refused document is in
// Elasticsearch's shape for the given shard action.
func (f *mgetFixture) docsOf(t *testing.T, r result, shardAction string) []mgetDoc {
	t.Helper()
	var resp struct {
		Docs []mgetDoc `json:"docs"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &resp) != nil {
		t.Fatalf("want 200 {docs}: %d %s", r.Status, r.Body)
	}
	for _, d := range resp.Docs {
		if d.Error == nil {
			continue
		}
		e := d.Error
		want := "action [" + shardAction + "] is unauthorized for user [" + f.reader + "]"
		if e.Type != "security_exception" || !strings.HasPrefix(e.Reason, want) || len(e.RootCause) != 1 ||
			e.RootCause[0].Type != e.Type || e.RootCause[0].Reason != e.Reason || d.Source != nil {
			t.Fatalf("refused document not in Elasticsearch's shape: %s", r.Body)
		}
	}
	return resp.Docs
}

func outcomes(docs []mgetDoc) string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Index+"/"+d.ID+":"+d.outcome())
	}
	return strings.Join(out, " ")
}

// TestMgetItemRefusals: documents of _mget on an index the user may not
// read come back as per-item 403s at their places inside a 200, the others
// are read, whatever URL parameters shape the read, and nothing of the
// forbidden index appears in any answer.
func TestMgetItemRefusals(t *testing.T) {
	f := startMgetFixture(t)
	all := []string{canaryForbiddenIndex, canaryMgetHiddenDoc, canaryMgetField}
	mixed := fmt.Sprintf(`{"docs":[{"_index":%q,"_id":"1"},{"_index":%q,"_id":"1"},{"_index":%q,"_id":"2"},{"_index":%q,"_id":"3"}]}`, f.own, f.other, f.own, f.other)
	want := fmt.Sprintf("%s/1:found %s/1:error %s/2:found %s/3:error", f.own, f.other, f.own, f.other)
	for _, params := range []string{"", "?_source_includes=message", "?stored_fields=message", "?realtime=false", "?preference=_local", "?routing=r1", "?_source=false&refresh=true"} {
		t.Run("mixed"+params, func(t *testing.T) {
			r := f.req(t, "POST", "/_mget"+params, mixed, all...)
			if got := outcomes(f.docsOf(t, r, "indices:data/read/mget[shard]")); got != want {
				t.Fatalf("got %s\nwant %s\n%s", got, want, r.Body)
			}
		})
	}
	t.Run("audit: the request, then one event per index", func(t *testing.T) {
		r := f.req(t, "POST", "/_mget", mixed, all...)
		wantEvents(t, filepath.Join(f.p.Dir, "audit.json"), r.Header.Get("X-Request-Id"), []string{
			"access_granted indices:data/read/mget  []",
			"access_granted indices:data/read/mget[shard] MultiGetShardRequest [" + f.own + "]",
			"access_denied indices:data/read/mget[shard] MultiGetShardRequest [" + f.other + "]",
		})
	})
	t.Run("forbidden URL index, documents naming their own", func(t *testing.T) {
		body := fmt.Sprintf(`{"docs":[{"_id":"1"},{"_index":%q,"_id":"2"}]}`, f.own)
		r := f.req(t, "POST", "/"+f.other+"/_mget", body, all...)
		if got, want := outcomes(f.docsOf(t, r, "indices:data/read/mget[shard]")), f.other+"/1:error "+f.own+"/2:found"; got != want {
			t.Fatalf("got %s, want %s: %s", got, want, r.Body)
		}
	})
	t.Run("all refused: 200 with only errors, nothing forwarded", func(t *testing.T) {
		// The absent index would make the cluster answer index_not_found:
		// a security_exception for it shows nothing was forwarded.
		body := fmt.Sprintf(`{"docs":[{"_index":%q,"_id":"1"},{"_index":%q,"_id":"1"}]}`, f.other, f.missing)
		r := f.req(t, "POST", "/_mget", body, all...)
		if got, want := outcomes(f.docsOf(t, r, "indices:data/read/mget[shard]")), f.other+"/1:error "+f.missing+"/1:error"; got != want {
			t.Fatalf("got %s, want %s: %s", got, want, r.Body)
		}
		wantEvents(t, filepath.Join(f.p.Dir, "audit.json"), r.Header.Get("X-Request-Id"), []string{
			"access_denied indices:data/read/mget  []",
			"access_denied indices:data/read/mget[shard] MultiGetShardRequest [" + f.other + "]",
			"access_denied indices:data/read/mget[shard] MultiGetShardRequest [" + f.missing + "]",
		})
	})
	t.Run("ids on a forbidden index", func(t *testing.T) {
		r := f.req(t, "POST", "/"+f.other+"/_mget", `{"ids":["1","3"]}`, all...)
		if got, want := outcomes(f.docsOf(t, r, "indices:data/read/mget[shard]")), f.other+"/1:error "+f.other+"/3:error"; got != want {
			t.Fatalf("got %s, want %s: %s", got, want, r.Body)
		}
	})
	t.Run("ids on an allowed index", func(t *testing.T) {
		r := f.req(t, "POST", "/"+f.own+"/_mget", `{"ids":["1","2"]}`, all...)
		if got, want := outcomes(f.docsOf(t, r, "indices:data/read/mget[shard]")), f.own+"/1:found "+f.own+"/2:found"; got != want {
			t.Fatalf("got %s, want %s: %s", got, want, r.Body)
		}
	})
	t.Run("document- and field-level security next to refused documents", func(t *testing.T) {
		body := fmt.Sprintf(`{"docs":[{"_index":%q,"_id":"d1"},{"_index":%q,"_id":"1"},{"_index":%q,"_id":"d2"},{"_index":%q,"_id":"1","_source":["message","secret"]}]}`,
			f.dls, f.other, f.dls, f.own)
		r := f.req(t, "POST", "/_mget", body, all...)
		docs := f.docsOf(t, r, "indices:data/read/mget[shard]")
		want := fmt.Sprintf("%s/d1:found %s/1:error %s/d2:missing %s/1:found", f.dls, f.other, f.dls, f.own)
		if got := outcomes(docs); got != want {
			t.Fatalf("got %s\nwant %s\n%s", got, want, r.Body)
		}
		if !strings.Contains(string(docs[0].Source), `"message":"visible"`) {
			t.Fatalf("the visible document lost its granted fields: %s", r.Body)
		}
	})
}

// TestMtermvectorsItemRefusals: the same per-document treatment for
// _mtermvectors; documents under document- or field-level security are
// refused one by one (term statistics would reveal hidden documents).
func TestMtermvectorsItemRefusals(t *testing.T) {
	f := startMgetFixture(t)
	all := []string{canaryForbiddenIndex, canaryMgetHiddenDoc, canaryMgetField}
	const shard = "indices:data/read/mtv[shard]"
	tests := []struct {
		name, path, body, want string
	}{
		{"mixed", "/_mtermvectors?term_statistics=true&field_statistics=true",
			fmt.Sprintf(`{"docs":[{"_index":%q,"_id":"1","fields":["message"]},{"_index":%q,"_id":"1","term_statistics":true},{"_index":%q,"_id":"2"},{"_index":%q,"doc":{"message":"x"}}]}`, f.own, f.other, f.own, f.other),
			fmt.Sprintf("%s/1:vectors %s/1:error %s/2:vectors %s/:error", f.own, f.other, f.own, f.other)},
		{"ids on a forbidden index", "/" + f.other + "/_mtermvectors",
			`{"ids":["1","3"],"parameters":{"fields":["message"],"term_statistics":true}}`,
			fmt.Sprintf("%s/1:error %s/3:error", f.other, f.other)},
		{"ids on an allowed index", "/" + f.own + "/_mtermvectors",
			`{"ids":["1"],"parameters":{"fields":["message"]}}`,
			f.own + "/1:vectors"},
		{"document-level security refuses the document", "/_mtermvectors?realtime=false&preference=_local&routing=r1",
			fmt.Sprintf(`{"docs":[{"_index":%q,"_id":"d2","term_statistics":true},{"_index":%q,"_id":"1"}]}`, f.dls, f.own),
			fmt.Sprintf("%s/d2:error %s/1:vectors", f.dls, f.own)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.req(t, "POST", tc.path, tc.body, all...)
			if got := outcomes(f.docsOf(t, r, shard)); got != tc.want {
				t.Fatalf("got %s\nwant %s\n%s", got, tc.want, r.Body)
			}
		})
	}
	t.Run("all refused, audited per index", func(t *testing.T) {
		body := fmt.Sprintf(`{"docs":[{"_index":%q,"_id":"1"},{"_index":%q,"_id":"3"}]}`, f.other, f.other)
		r := f.req(t, "POST", "/_mtermvectors", body, all...)
		if got, want := outcomes(f.docsOf(t, r, shard)), f.other+"/1:error "+f.other+"/3:error"; got != want {
			t.Fatalf("got %s, want %s: %s", got, want, r.Body)
		}
		wantEvents(t, filepath.Join(f.p.Dir, "audit.json"), r.Header.Get("X-Request-Id"), []string{
			"access_denied indices:data/read/mtv  []",
			"access_denied indices:data/read/mtv[shard] MultiTermVectorsShardRequest [" + f.other + "]",
		})
	})
}
