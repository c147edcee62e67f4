package server

import (
	"slices"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// The names a put-alias request really names: the cluster reads "index"
// and "alias" from the body over the path, wherever they appear among the
// body's tokens, so anything but a flat body of known members is refused.
func TestPutAliasNames(t *testing.T) {
	path := &esapi.Classification{API: "indices.put_alias", Indices: []string{"src"}, Targets: []string{"al"}}
	for _, tc := range []struct {
		name, body       string
		indices, aliases []string
		status           int // 0: accepted
	}{
		{"no body: the path", "", []string{"src"}, []string{"al"}, 0},
		{"options only", `{"filter":{"term":{"a":1}},"routing":"1","is_write_index":true,"index_routing":null}`, []string{"src"}, []string{"al"}, 0},
		{"the body's index wins", `{"index":"secret"}`, []string{"secret"}, []string{"al"}, 0},
		{"the body's alias wins", `{"alias":"other"}`, []string{"src"}, []string{"other"}, 0},
		{"a comma list in the body", `{"index":"a,b"}`, []string{"a", "b"}, []string{"al"}, 0},
		{"an array the cluster reads element by element", `{"index":["secret"]}`, nil, nil, 400},
		{"a nested index the cluster would find", `{"x":{"index":"secret"}}`, nil, nil, 400},
		{"an unknown member", `{"indices":"secret"}`, nil, nil, 400},
		{"a wrong type", `{"is_write_index":"yes"}`, nil, nil, 400},
		{"an empty index", `{"index":""}`, nil, nil, 400},
		{"not an object", `["secret"]`, nil, nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pb *parsedBody
			if tc.body != "" {
				v, err := esbody.ParseJSON([]byte(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				pb = &parsedBody{json: v}
			}
			indices, aliases, ref := putAliasNames(path, pb)
			switch {
			case tc.status != 0:
				if ref == nil || ref.status != tc.status {
					t.Fatalf("got %v %v %+v, want a %d refusal", indices, aliases, ref, tc.status)
				}
			case ref != nil:
				t.Fatalf("refused: %+v", ref)
			case !slices.Equal(indices, tc.indices) || !slices.Equal(aliases, tc.aliases):
				t.Fatalf("names %v / %v, want %v / %v", indices, aliases, tc.indices, tc.aliases)
			}
		})
	}
}

func TestPlainName(t *testing.T) {
	for name, want := range map[string]bool{
		"logs-1": true, ".kibana": true, "": false, "_all": false, "logs-*": false, "lo?s": false,
		"<logs-{now/d}>": false, "-logs": false, "remote:logs": false, "a,b": false, "logs::data": false,
	} {
		if got := plainName(name); got != want {
			t.Errorf("plainName(%q) = %v, want %v", name, got, want)
		}
	}
}

// The item action of a single-document write (checklist 35): create for
// _create, op_type=create and auto-generated ids; an overwrite otherwise,
// and for an op_type the cluster would refuse.
func TestSingleDocAction(t *testing.T) {
	for _, tc := range []struct {
		name, api, id, opType, want string
	}{
		{"put with an id", "index", "1", "", actionIndexOverwrite},
		{"post without an id", "index", "", "", actionIndexCreate},
		{"_create", "create", "1", "", actionIndexCreate},
		{"op_type=create", "index", "1", "create", actionIndexCreate},
		{"op_type is case-insensitive", "index", "1", "CREATE", actionIndexCreate},
		{"op_type=index without an id", "index", "", "index", actionIndexOverwrite},
		{"an op_type the cluster refuses", "index", "", "update", actionIndexOverwrite},
		{"not a document write", "search", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &esapi.Classification{API: tc.api, PathParams: map[string]string{}, Params: esapi.Params{Values: map[string]string{}}}
			if tc.id != "" {
				c.PathParams["id"] = tc.id
			}
			if tc.opType != "" {
				c.Params.Values["op_type"] = tc.opType
			}
			if got := singleDocAction(c); got != tc.want {
				t.Errorf("singleDocAction = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWidensWithAPIKey: an alias must not widen what the request's API key
// grants either. The owner reads everything, so only the key's descriptors
// (read on pub-* only, manage on both) tell that aliasing secret as pub-x
// would let the key read secret.
func TestWidensWithAPIKey(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("owner:\n  indices:\n    - names: [\"*\"]\n      privileges: [all]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	az := authz.NewEvaluator(rs)
	limit, ps := authz.ParseLimit("k1", "d", []byte(`{"k":{"indices":[{"names":["pub-*","secret"],"privileges":["manage"]},{"names":["pub-*"],"privileges":["read"]}]}}`))
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	req := authz.Request{User: "alice", Roles: []string{"owner"}}
	if widens(az, req, "pub-x", "secret") {
		t.Fatal("setup: the owner alone reads both")
	}
	req.Limit = limit
	if !widens(az, req, "pub-x", "secret") {
		t.Fatal("the key's descriptors were not checked: aliasing secret as pub-x would let the key read it")
	}
}

// A rollover that names its new index needs create_index on the name: a
// user managing one alias cannot create (squat) an index anywhere.
func TestRolloverNewIndexNeedsCreate(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("acme:\n  indices:\n    - names: [\"logs-acme-*\"]\n      privileges: [manage]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	az := authz.NewEvaluator(rs)
	base := authz.Request{User: "lars", Roles: []string{"acme"}, Action: "indices:admin/rollover", Indices: []string{"logs-acme-w"}}
	for _, tc := range []struct {
		targets []string
		refused bool
	}{
		{nil, false}, // the cluster names the new index after the old one
		{[]string{"logs-acme-w-000002"}, false},
		{[]string{"hr-rolled"}, true},
		{[]string{"logs-acme-*"}, true}, // not a name the cluster accepts; never decided as a pattern
	} {
		c := &esapi.Classification{API: "indices.rollover", Action: base.Action, Indices: base.Indices, Targets: tc.targets}
		if ref := targetRefusal(az, base, c, nil); (ref != nil) != tc.refused {
			t.Errorf("rollover to %v: refusal %+v, want refused=%v", tc.targets, ref, tc.refused)
		}
	}
}
