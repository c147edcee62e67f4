package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestScriptMayDelete: the script forms of an update body, for a user who
// may not delete: only inline Painless whose ctx.op assignments are
// harmless literals goes through.
func TestScriptMayDelete(t *testing.T) {
	for _, tt := range []struct {
		script    string
		mayDelete bool
	}{
		{`"ctx._source.n += 1"`, false},
		{`{"source":"ctx._source.n += params.k","lang":"painless","params":{"k":1}}`, false},
		{`{"source":"if (ctx._source.n > 1) { ctx.op = 'noop' }"}`, false},
		{`{"source":"ctx.op = 'none'","options":{}}`, false},
		{`"ctx.op = 'delete'"`, true},
		{`{"source":"ctx['op'] = 'delete'"}`, true},
		{`{"source":"ctx.op = params.op","params":{"op":"delete"}}`, true},
		{`{"source":"ctx.op = 'DELETE'"}`, true},
		{`{"id":"stored-update"}`, true},
		{`{"source":"ctx.op = 'noop'","lang":"expression"}`, true},
		{`{"source":"ctx.op = 'noop'","lang":"mustache"}`, true},
		{`{"source":{"a":1}}`, true},
		{`{"inline":"ctx.op = 'delete'"}`, true},
		{`["ctx.op = 'noop'"]`, true},
	} {
		v, err := esbody.ParseJSON([]byte(tt.script))
		if err != nil {
			t.Fatalf("%s: %v", tt.script, err)
		}
		if why := scriptMayDelete(v); (why != "") != tt.mayDelete {
			t.Errorf("scriptMayDelete(%s) = %q, want may delete %v", tt.script, why, tt.mayDelete)
		}
	}
}

// TestScriptDeleteNeedsDeleteOnEveryIndex: a deleting update script needs
// the delete privilege on every index the update reaches. An update
// decision that keeps a wildcard as written (a grant covering it whole: an
// unconditional "*", or a long list of indices) must not be checked by a
// delete decision that narrows the same wildcard to the indices where the
// user may delete.
func TestScriptDeleteNeedsDeleteOnEveryIndex(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
everywhere:
  indices:
    - names: ["*"]
      privileges: [index, read]
      allow_restricted_indices: true
    - names: ["logs-tmp-*"]
      privileges: [delete]
logs_writer:
  indices:
    - names: ["logs-*"]
      privileges: [index, read]
    - names: ["logs-tmp-*"]
      privileges: [delete]
logs_deleter:
  indices:
    - names: ["logs-*"]
      privileges: [index, read, delete]
visible_deleter:
  indices:
    - names: ["*"]
      privileges: [index, read]
      allow_restricted_indices: true
    - names: ["logs-application-*", "logs-tmp-*"]
      privileges: [delete]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	var indices []authz.ConcreteIndex
	for i := range 60 { // more than a request line's worth of names
		indices = append(indices, authz.ConcreteIndex{Name: fmt.Sprintf("logs-application-events-%03d", i)})
	}
	indices = append(indices, authz.ConcreteIndex{Name: "logs-tmp-1"}, authz.ConcreteIndex{Name: "logs-zhidden", Hidden: true})
	md := authz.NewMetadata(indices, nil, nil)
	body, err := esbody.ParseJSON([]byte(`{"script":{"source":"ctx.op = 'delete'"}}`))
	if err != nil {
		t.Fatal(err)
	}
	pb := &parsedBody{json: body}
	az := authz.NewEvaluator(rs)
	for _, tc := range []struct {
		name, role, action string
		indices            []string
		refused            bool
		expand             authz.ExpandWildcards
	}{
		{"visible indices only by default", "visible_deleter", "indices:data/write/update/byquery", []string{"logs-*"}, false, 0},
		{"hidden ones too with expand_wildcards=all", "visible_deleter", "indices:data/write/update/byquery", []string{"logs-*"}, true, authz.ExpandAll},
		{"and with hidden", "visible_deleter", "indices:data/write/update/byquery", []string{"logs-*"}, true, authz.ExpandOpen | authz.ExpandHidden},
		{"an unconditional grant keeps the wildcard", "everywhere", "indices:data/write/update/byquery", []string{"logs-*"}, true, 0},
		{"and _all", "everywhere", "indices:data/write/update/byquery", []string{"_all"}, true, 0},
		{"and a wildcard matching nothing known", "everywhere", "indices:data/write/update/byquery", []string{"logs-tmp-9*"}, true, 0},
		{"a long list keeps the wildcard", "logs_writer", "indices:data/write/update/byquery", []string{"logs-*"}, true, 0},
		{"delete where the wildcard reaches", "logs_writer", "indices:data/write/update/byquery", []string{"logs-tmp-*"}, false, 0},
		{"delete on every index", "logs_deleter", "indices:data/write/update/byquery", []string{"logs-*"}, false, 0},
		{"a single index with delete", "logs_writer", "indices:data/write/update", []string{"logs-tmp-1"}, false, 0},
		{"a single index without delete", "logs_writer", "indices:data/write/update", []string{"logs-application-events-001"}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := authz.Request{User: "u", Roles: []string{tc.role}, Action: tc.action, Indices: tc.indices, Metadata: md, Options: authz.IndicesOptions{ExpandWildcards: tc.expand}}
			d := az.Decide(req)
			if !d.Allowed || d.MatchNothing && tc.indices[0] != "logs-tmp-9*" {
				t.Fatalf("the update itself: %+v", d)
			}
			c := &esapi.Classification{Action: tc.action, Indices: tc.indices}
			ref, _ := scriptDeleteRefusal(az, req, c, pb, d)
			if (ref != nil) != tc.refused {
				t.Fatalf("refusal %+v, want refused %v (update decision %v %v)", ref, tc.refused, d.Indices, d.Rewritten)
			}
			if ref != nil && (ref.status != 403 || !strings.Contains(ref.reason, actionDelete)) {
				t.Errorf("refusal %d %s, want the delete's 403", ref.status, ref.reason)
			}
		})
	}
}
