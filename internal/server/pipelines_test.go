package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// An ingest pipeline can send a document to any index and read others, out
// of the proxy's sight: only users who may already read and write every
// index, restricted system indices included, without DLS/FLS, may name
// one. Everyone else is refused before anything is forwarded.
func TestIngestPipelinesNeedFullAccess(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
writer:
  indices:
    - names: ["logs-*"]
      privileges: [all]
admin_all:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
all_but_restricted:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
admin_with_dls:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
      query: '{"term":{"public":true}}'
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-people"}, {Name: ".security-7"}}, nil, nil)
	bulkURL := "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"a\":1}\n"
	bulkItem := "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\",\"pipeline\":\"p\"}}\n{\"a\":1}\n"
	requests := []struct{ name, method, target, ctype, body string }{
		{"bulk ?pipeline", "POST", "/_bulk?pipeline=p", "application/x-ndjson", bulkURL},
		{"bulk item pipeline", "POST", "/_bulk", "application/x-ndjson", bulkItem},
		{"index ?pipeline", "PUT", "/logs-a/_doc/1?pipeline=p", "application/json", `{"a":1}`},
		{"update_by_query ?pipeline", "POST", "/logs-a/_update_by_query?pipeline=p", "application/json", `{}`},
	}
	users := []struct {
		role    string
		allowed bool
	}{
		{"writer", false},
		{"superuser", false}, // Elasticsearch 8's superuser cannot write restricted indices
		{"all_but_restricted", false},
		{"admin_with_dls", false},
		{"admin_all", true},
	}
	for _, u := range users {
		for _, rq := range requests {
			t.Run(u.role+"/"+rq.name, func(t *testing.T) {
				var forwarded []string
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded = append(forwarded, r.URL.RequestURI())
					if strings.HasSuffix(r.URL.Path, "/_bulk") {
						_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[{"index":{"status":201}}]}`))
						return
					}
					_, _ = w.Write([]byte(`{}`))
				})
				rec := serveAs(t, rs, md, u.role, up, rq.method, rq.target, rq.ctype, rq.body)
				if !u.allowed {
					if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "ingest pipeline") || len(forwarded) != 0 {
						t.Fatalf("want a 403 naming the pipeline and nothing forwarded; got %d %s, forwarded %v", rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if rec.Code != http.StatusOK || len(forwarded) != 1 {
					t.Fatalf("want the request forwarded; got %d %s, forwarded %v", rec.Code, rec.Body.String(), forwarded)
				}
			})
		}
	}
}

// Setting an index's default or final pipeline makes every later write to
// it run through that pipeline: refused to users who may not use pipelines,
// however the setting is spelled; removing one ("_none", null) is allowed,
// and a document or query that merely has a field of that name is not a
// setting.
func TestIndexPipelineSettingsNeedFullAccess(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
index_admin:
  cluster: [manage_index_templates]
  indices:
    - names: ["logs-*"]
      privileges: [all]
admin_all:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}}, nil, nil)
	tests := []struct {
		name, method, target, body string
		settingPipeline            bool
	}{
		{"create, nested", "PUT", "/logs-new", `{"settings":{"index":{"default_pipeline":"reroute"}}}`, true},
		{"create, dotted", "PUT", "/logs-new", `{"settings":{"index.final_pipeline":"reroute"}}`, true},
		{"settings, flat", "PUT", "/logs-a/_settings", `{"index.default_pipeline":"reroute"}`, true},
		{"settings, short name", "PUT", "/logs-a/_settings", `{"default_pipeline":"reroute"}`, true},
		{"settings, nested index", "PUT", "/logs-a/_settings", `{"index":{"final_pipeline":"reroute"}}`, true},
		{"index template", "PUT", "/_index_template/t", `{"index_patterns":["logs-x*"],"template":{"settings":{"index.default_pipeline":"reroute"}}}`, true},
		{"legacy template", "PUT", "/_template/t", `{"index_patterns":["logs-x*"],"settings":{"default_pipeline":"reroute"}}`, true},
		{"component template", "PUT", "/_component_template/c", `{"template":{"settings":{"index":{"default_pipeline":"reroute"}}}}`, true},
		{"rollover", "POST", "/logs-a/_rollover", `{"settings":{"index.default_pipeline":"reroute"}}`, true},
		{"removing a pipeline", "PUT", "/logs-a/_settings", `{"index.default_pipeline":"_none"}`, false},
		{"removing with null", "PUT", "/logs-a/_settings", `{"index":{"final_pipeline":null}}`, false},
		{"other settings", "PUT", "/logs-a/_settings", `{"index":{"number_of_replicas":0}}`, false},
		{"a document with such a field", "PUT", "/logs-a/_doc/1", `{"default_pipeline":"reroute"}`, false},
		{"a query on such a field", "POST", "/logs-a/_search", `{"query":{"term":{"default_pipeline":"reroute"}}}`, false},
	}
	for _, role := range []string{"index_admin", "admin_all"} {
		for _, tc := range tests {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"acknowledged":true}`))
				})
				rec := serveAs(t, rs, md, role, up, tc.method, tc.target, "application/json", tc.body)
				refused := tc.settingPipeline && role != "admin_all"
				if refused {
					if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "default_pipeline or final_pipeline") || forwarded != 0 {
						t.Fatalf("want a 403 about the pipeline setting, nothing forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if rec.Code != http.StatusOK || forwarded != 1 {
					t.Fatalf("want it forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
				}
			})
		}
	}
}

// serveAs runs one request through the whole chain as a user with role,
// over the cluster metadata md, with up as the cluster.
func serveAs(t *testing.T, rs *authz.RoleSet, md *authz.Metadata, role string, up http.Handler, method, target, ctype, body string) *httptest.ResponseRecorder {
	t.Helper()
	p := &authn.Principal{Username: "u", Realm: "default_file", Roles: []string{role}}
	s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: p},
		Authorizer: authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{},
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// A search template is rendered by the cluster into a search of any
// index (its point in time included): a role granting the template action
// alone on every index is not full access to searching.
func TestTemplateNeedsFullSearchAccess(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("tmpl:\n  indices:\n    - names: [\"*\"]\n      privileges: [\"indices:data/read/search/template\"]\n      allow_restricted_indices: true\n"+
		"    - names: [\"logs-*\"]\n      privileges: [read]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	az := authz.NewEvaluator(rs)
	c := &esapi.Classification{Action: "indices:data/read/search/template", Indices: []string{"logs-1"}}
	for _, tc := range []struct {
		roles []string
		want  bool
	}{{[]string{"tmpl"}, false}, {[]string{"superuser"}, true}} {
		req := authz.Request{User: "u", Roles: tc.roles, Action: c.Action, Indices: c.Indices}
		// authz decides a search template with the search it runs
		// (authz/childsearch.go): the template action alone is not full
		// access any more either.
		if full := fullAccess(az, req); full != tc.want {
			t.Fatalf("roles %v: full access for the template %v, want %v", tc.roles, full, tc.want)
		}
		if got := mayReadBeyond(az, req); got != tc.want {
			t.Errorf("roles %v: may send a template %v (full access for the template action: %v), want %v", tc.roles, got, fullAccess(az, req), tc.want)
		}
	}
}

// Storing an ingest pipeline changes what happens to the documents others
// write through it (an index's default or final pipeline, a client's
// ?pipeline=): a set or reroute processor sends them to another index,
// where the cluster behind the proxy, unlike Elasticsearch, does not
// authorize the writer. Only users who may use pipelines may store one;
// reading and simulating stay with the cluster privilege.
func TestPipelineDefinitionNeedsFullAccess(t *testing.T) {
	roles := `
pipeline_admin:
  cluster: [manage_pipeline]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-people"}}, nil, nil)
	reroute := `{"processors":[{"set":{"field":"_index","value":"logs-stolen"}}]}`
	tests := []fullAccessCase{
		{name: "put", method: "PUT", target: "/_ingest/pipeline/hr-enrich", body: reroute, refused: true, why: []string{"storing an ingest pipeline"}},
		{name: "get", method: "GET", target: "/_ingest/pipeline/hr-enrich", body: "", refused: false},
		{name: "simulate", method: "POST", target: "/_ingest/pipeline/_simulate", body: `{"pipeline":` + reroute + `,"docs":[{"_source":{"a":1}}]}`, refused: false},
	}
	runFullAccessTable(t, roles, "pipeline_admin", md, tests)
}

// An ingest pipeline's script processor, a reindex or an update can run a
// stored script by id: whoever replaces it changes what they do to the
// documents others write (ctx._index = "logs-stolen" sends an HR
// application's documents, written through an administrator's pipeline,
// where the script's author may read them; Elasticsearch would authorize
// that index as the writer). Storing a script is held to the rule of
// storing a pipeline; a mustache search template, which only searches
// render, stays with the cluster privilege.
func TestStoredScriptsNeedPipelineAccess(t *testing.T) {
	roles := `
script_admin:
  cluster: [manage]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-people"}}, nil, nil)
	reroute := `{"script":{"lang":"painless","source":"ctx._index = 'logs-stolen'"}}`
	why := []string{"storing a script"}
	tests := []fullAccessCase{
		{name: "painless", method: "PUT", target: "/_scripts/normalize", body: reroute, refused: true, why: why},
		{name: "painless by POST", method: "POST", target: "/_scripts/normalize", body: reroute, refused: true, why: why},
		{name: "painless with a context", method: "PUT", target: "/_scripts/normalize/ingest", body: reroute, refused: true, why: why},
		{name: "no lang", method: "PUT", target: "/_scripts/normalize", body: `{"script":{"source":"ctx._index = 'logs-stolen'"}}`, refused: true, why: why},
		{name: "search template", method: "PUT", target: "/_scripts/tmpl", body: `{"script":{"lang":"mustache","source":{"query":{"match":{"title":"{{q}}"}}}}}`},
		{name: "get", method: "GET", target: "/_scripts/normalize"},
	}
	runFullAccessTable(t, roles, "script_admin", md, tests)
}

// A restore (or a searchable snapshot mount) gives the index it creates
// the body's index_settings: index.default_pipeline there made every
// document written to the restored copy go through a pipeline of the
// caller's choosing (an administrator's, whose set processor sends
// documents to hr-people), which setting it through _settings is refused
// for. Restores and mounts otherwise keep Elasticsearch's model.
func TestRestoredIndexSettingsCannotSetPipelines(t *testing.T) {
	roles := `
snapshot_admin:
  cluster: [manage]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-people"}}, nil, nil)
	why := []string{"default_pipeline or final_pipeline"}
	restore := `{"indices":"logs-a","rename_pattern":"(.+)","rename_replacement":"logs-restored"`
	tests := []fullAccessCase{
		{name: "restore with a default pipeline", method: "POST", target: "/_snapshot/repo/snap/_restore", body: restore + `,"index_settings":{"index.default_pipeline":"route-to-hr"}}`, refused: true, why: why},
		{name: "restore with a final pipeline", method: "POST", target: "/_snapshot/repo/snap/_restore", body: restore + `,"index_settings":{"index":{"final_pipeline":"route-to-hr"}}}`, refused: true, why: why},
		{name: "mount with a default pipeline", method: "POST", target: "/_snapshot/repo/snap/_mount", body: `{"index":"logs-a","renamed_index":"logs-mounted","index_settings":{"index.default_pipeline":"route-to-hr"}}`, refused: true, why: why},
		{name: "restore", method: "POST", target: "/_snapshot/repo/snap/_restore", body: restore + `}`},
		{name: "restore removing the pipeline", method: "POST", target: "/_snapshot/repo/snap/_restore", body: restore + `,"index_settings":{"index.default_pipeline":"_none"}}`},
	}
	runFullAccessTable(t, roles, "snapshot_admin", md, tests)
}
