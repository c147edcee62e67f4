package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
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
