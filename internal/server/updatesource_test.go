package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// TestUpdateAsksForSource: an update that asks for the document back
// (_source in the query, the body or a _bulk item) needs read on the index;
// without it the update is refused (the bulk item alone), and an update
// that does not ask is unchanged.
func TestUpdateAsksForSource(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("writer:\n  indices:\n    - names: [\"logs\"]\n      privileges: [index]\n"+
		"rw:\n  indices:\n    - names: [\"logs\"]\n      privileges: [index, read]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	trail, err := audit.NewWithLog(audit.Config{}, &memoryLog{}, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var forwarded []string
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		forwarded = append(forwarded, r.URL.RequestURI()+" "+string(b))
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/_bulk") {
			n := strings.Count(string(b), `{"update"`) + strings.Count(string(b), `{"index"`)
			items := strings.TrimSuffix(strings.Repeat(`{"update":{"_index":"logs","_id":"1","status":200}},`, n), ",")
			_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[` + items + `]}`))
			return
		}
		_, _ = w.Write([]byte(`{"result":"updated"}`))
	})
	tmp := t.TempDir()
	writer := &authn.Principal{Username: "wendy", Realm: "default_file", Roles: []string{"writer"}}
	rw := &authn.Principal{Username: "rita", Realm: "default_file", Roles: []string{"rw"}}
	for _, tc := range []struct {
		name         string
		who          *authn.Principal
		target, body string
		code         int
		forwarded    bool
		wantInBody   string
	}{
		{"plain update", writer, "/logs/_update/1", `{"doc":{"a":1}}`, 200, true, ""},
		{"_source=true", writer, "/logs/_update/1?_source=true", `{"doc":{"a":1}}`, 403, false, "reads the document"},
		{"_source_includes", writer, "/logs/_update/1?_source_includes=a", `{"doc":{"a":1}}`, 403, false, "needs the read privilege"},
		{"_source=false", writer, "/logs/_update/1?_source=false", `{"doc":{"a":1}}`, 200, true, ""},
		{"body _source", writer, "/logs/_update/1", `{"doc":{"a":1},"_source":true}`, 403, false, "reads the document"},
		{"body _source fields", writer, "/logs/_update/1", `{"doc":{"a":1},"_source":["a"]}`, 403, false, ""},
		{"body _source false", writer, "/logs/_update/1", `{"doc":{"a":1},"_source":false}`, 200, true, ""},
		{"a reader may", rw, "/logs/_update/1?_source=true", `{"doc":{"a":1}}`, 200, true, ""},
		{"bulk item _source", writer, "/_bulk", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\",\"_source\":true}}\n{\"doc\":{}}\n{\"update\":{\"_index\":\"logs\",\"_id\":\"2\"}}\n{\"doc\":{}}\n", 200, true, "reads the document"},
		{"bulk query _source", writer, "/_bulk?_source=true", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"doc\":{}}\n{\"index\":{\"_index\":\"logs\",\"_id\":\"2\"}}\n{}\n", 200, true, "reads the document"},
		{"bulk reader", rw, "/_bulk?_source=true", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"doc\":{}}\n", 200, true, ""},
		{"script", writer, "/logs/_update/1", `{"script":{"source":"if (ctx._source.s == 'x') { ctx.op = 'noop' }"}}`, 403, false, "reads the document"},
		// Not this rule: the indices' mappings (noMappings) have no
		// percolator field, so a reader's script goes through.
		{"script, reader", rw, "/logs/_update/1", `{"script":{"source":"ctx.op = 'noop'"}}`, 200, true, ""},
		{"bulk item script", writer, "/_bulk", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"script\":{\"source\":\"ctx.op = 'noop'\"}}\n{\"update\":{\"_index\":\"logs\",\"_id\":\"2\"}}\n{\"doc\":{}}\n", 200, true, "reads the document"},
		{"bulk item _source in the document line", writer, "/_bulk", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"doc\":{},\"_source\":true}\n{\"update\":{\"_index\":\"logs\",\"_id\":\"2\"}}\n{\"doc\":{}}\n", 200, true, "reads the document"},
		{"spooled bulk item _source", writer, "/_bulk?spool", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\",\"_source\":true}}\n{\"doc\":{}}\n{\"update\":{\"_index\":\"logs\",\"_id\":\"2\"}}\n{\"doc\":{\"pad\":\"" + strings.Repeat("x", 300) + "\"}}\n", 200, true, "reads the document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			forwarded = nil
			mu.Unlock()
			o := Options{Authenticator: fakeAuthn{p: tc.who}, Authorizer: authz.NewEvaluator(rs), Auditor: trail, Upstream: up,
				// Every update is checked for a percolator field in its index.
				Restrictions: &Restrictions{Mappings: noMappings{}}}
			target := tc.target
			if t, ok := strings.CutSuffix(target, "?spool"); ok { // a body over the threshold is spooled to disk
				target, o.BulkSpool = t, SpoolOptions{ThresholdBytes: 64, Dir: tmp}
			}
			s := chainServer(t, o)
			req := httptest.NewRequest("POST", target, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if strings.Contains(tc.target, "_bulk") {
				req.Header.Set("Content-Type", "application/x-ndjson")
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			mu.Lock()
			got := forwarded
			mu.Unlock()
			if rec.Code != tc.code || (len(got) > 0) != tc.forwarded || !strings.Contains(rec.Body.String(), tc.wantInBody) {
				t.Fatalf("%d %s (forwarded %q)", rec.Code, rec.Body.String(), got)
			}
			// A refused bulk item never reaches the cluster.
			if strings.Contains(tc.name, "bulk") && tc.who == writer {
				for _, f := range got {
					if strings.Contains(f, `"_source":true`) || strings.Contains(f, `_id":"1"`) {
						t.Fatalf("the refused item was forwarded: %s", f)
					}
				}
			}
		})
	}
}

// noMappings is a mapping source whose indices have no fields.
type noMappings struct{}

func (noMappings) Get(_ context.Context, indices []string, _ time.Time) (map[string]*fls.Mapping, error) {
	return map[string]*fls.Mapping{}, nil
}
