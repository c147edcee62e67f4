package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// noTemplates is a Cluster without index templates.
type noTemplates struct{}

func (noTemplates) Send(_ context.Context, method, path string, _ []byte) (*http.Response, error) {
	body := `{"index_templates":[]}`
	if method != http.MethodGet || path != "/_index_template" {
		body = `{}`
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
}

// TestScriptedUpdateByQueryNeedsAutoPutOnEveryDataStream: a scripted
// _update_by_query over data streams needs auto_put on each of them; a
// wildcard the update's decision keeps as written (an unconditional
// grant) is checked on each data stream it reaches, not narrowed to those
// where the user may update the mapping, nor taken for a name the write
// creates.
func TestScriptedUpdateByQueryNeedsAutoPutOnEveryDataStream(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
everywhere:
  indices:
    - names: ["*"]
      privileges: [index, read]
      allow_restricted_indices: true
    - names: ["logs-a"]
      privileges: [auto_configure]
configures_all:
  indices:
    - names: ["*"]
      privileges: [index, read]
      allow_restricted_indices: true
    - names: ["logs-*"]
      privileges: [auto_configure]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata(nil, nil, []authz.DataStream{
		{Name: "logs-a", Indices: []string{".ds-logs-a-000001"}},
		{Name: "logs-b", Indices: []string{".ds-logs-b-000001"}},
	})
	body, err := esbody.ParseJSON([]byte(`{"script":{"source":"ctx._source.fresh = 1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	az := authz.NewEvaluator(rs)
	restr := &Restrictions{Cluster: noTemplates{}}
	for _, tc := range []struct {
		name, role string
		indices    []string
		refused    bool
	}{
		{"a wildcard kept whole", "everywhere", []string{"logs-*"}, true},
		{"_all", "everywhere", []string{"_all"}, true},
		{"the data stream with auto_put", "everywhere", []string{"logs-a"}, false},
		{"the one without", "everywhere", []string{"logs-b"}, true},
		{"auto_put on every data stream reached", "configures_all", []string{"logs-*"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const action = "indices:data/write/update/byquery"
			req := authz.Request{User: "u", Roles: []string{tc.role}, Action: action, Indices: tc.indices, Metadata: md}
			d := az.Decide(req)
			if !d.Allowed || d.MatchNothing {
				t.Fatalf("the update itself: %+v", d)
			}
			c := &esapi.Classification{Action: action, Indices: tc.indices}
			ref := docAutoPutRefusal(context.Background(), restr, az, req, c, d, &parsedBody{json: body})
			if (ref != nil) != tc.refused {
				t.Fatalf("refusal %+v, want refused %v (update decision %v)", ref, tc.refused, d.Indices)
			}
			if ref != nil && (ref.status != 403 || !strings.Contains(ref.reason, actionAutoPutMapping)) {
				t.Errorf("refusal %d %s, want the auto_put 403", ref.status, ref.reason)
			}
		})
	}
}

// fixedMappings is a MappingSource with fixed mappings.
type fixedMappings map[string]*fls.Mapping

func (f fixedMappings) Get(_ context.Context, indices []string, _ time.Time) (map[string]*fls.Mapping, error) {
	return f, nil
}

// TestPipedDataStreamWritesNeedAutoPut: the documents a data stream maps
// are its ingest pipeline's output; a writer without auto_put there may
// not write through one (the data stream's default or final pipeline, or
// one the request names), even with mapped fields only.
func TestPipedDataStreamWritesNeedAutoPut(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
writer:
  indices:
    - names: ["logs-*"]
      privileges: [create_doc]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{
		{Name: ".ds-logs-piped-000001", Hidden: true, DataStream: "logs-piped", IngestPipeline: true},
		{Name: ".ds-logs-plain-000001", Hidden: true, DataStream: "logs-plain"},
	}, nil, []authz.DataStream{
		{Name: "logs-piped", Indices: []string{".ds-logs-piped-000001"}},
		{Name: "logs-plain", Indices: []string{".ds-logs-plain-000001"}},
	})
	maps, err := fls.ParseMappings([]byte(`{"m":{"mappings":{"properties":{"@timestamp":{"type":"date"},"message":{"type":"keyword"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	restr := &Restrictions{Cluster: noTemplates{}, Mappings: fixedMappings{".ds-logs-piped-000001": maps["m"], ".ds-logs-plain-000001": maps["m"]}}
	doc, err := esbody.ParseJSON([]byte(`{"@timestamp":"2024-05-01T00:00:00Z","message":"{\"fresh\":1}"}`))
	if err != nil {
		t.Fatal(err)
	}
	az := authz.NewEvaluator(rs)
	for _, tc := range []struct {
		name, index string
		params      map[string]string
		refused     bool
	}{
		{"a default or final pipeline", "logs-piped", nil, true},
		{"none", "logs-plain", nil, false},
		{"one the request names", "logs-plain", map[string]string{"pipeline": "p"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const action = "indices:data/write/index:op_type/create"
			req := authz.Request{User: "u", Roles: []string{"writer"}, Action: action, Indices: []string{tc.index}, Metadata: md}
			d := az.Decide(req)
			if !d.Allowed {
				t.Fatalf("the write itself: %+v", d)
			}
			c := &esapi.Classification{API: "create", Action: action, Indices: []string{tc.index}, Params: esapi.Params{Values: tc.params}}
			ref := docAutoPutRefusal(context.Background(), restr, az, req, c, d, &parsedBody{json: doc})
			if (ref != nil) != tc.refused {
				t.Fatalf("refusal %+v, want refused %v", ref, tc.refused)
			}
			if ref != nil && (ref.status != 403 || !strings.Contains(ref.reason, actionAutoPutMapping)) {
				t.Errorf("refusal %d %s, want the auto_put 403", ref.status, ref.reason)
			}
		})
	}
}

// TestSimulatedPipeline: a simulated index's settings, nested or dotted,
// name an ingest pipeline unless it is "_none".
func TestSimulatedPipeline(t *testing.T) {
	for _, tc := range []struct {
		sim  string
		want bool
	}{
		{`{"template":{"settings":{"index":{"default_pipeline":"p"}}}}`, true},
		{`{"template":{"settings":{"index":{"final_pipeline":"p","default_pipeline":"_none"}}}}`, true},
		{`{"template":{"settings":{"index.default_pipeline":"p"}}}`, true},
		{`{"template":{"settings":{"index":{"default_pipeline":"_none","search":{"default_pipeline":"s"}}}}}`, false},
		{`{"template":{"mappings":{}}}`, false},
	} {
		v, err := esbody.ParseJSON([]byte(tc.sim))
		if err != nil {
			t.Fatal(err)
		}
		if got := simulatedPipeline(v); got != tc.want {
			t.Errorf("simulatedPipeline(%s) = %v, want %v", tc.sim, got, tc.want)
		}
	}
}
