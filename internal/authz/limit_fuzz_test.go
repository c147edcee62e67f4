package authz

import (
	"testing"
)

// FuzzParseLimit: role_descriptors come from any user allowed to create
// an API key. Parsing never panics; a limit it returns holds only the
// descriptors' own roles (never a built-in role), and deciding with it
// never grants more than the owner alone.
func FuzzParseLimit(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"r":{"cluster":["monitor"]}}`,
		`{"r":{"indices":[{"names":["logs-*"],"privileges":["read"],"query":{"term":{"a":"b"}},"field_security":{"grant":["x"]}}]}}`,
		`{"r":{"indices":[{"names":["*"],"privileges":["all"],"allow_restricted_indices":true}],"run_as":["*"]}}`,
		`{"a":{},"a":{}}`, `{"superuser":{}}`, `{"r":{"cluster":"all"}}`, `{"r":{"indices":[{"names":"x","privileges":["read"]}]}}`,
	} {
		f.Add([]byte(seed))
	}
	e := limitEvaluator(f)
	md := seedMetadata()
	f.Fuzz(func(t *testing.T, data []byte) {
		l, ps := ParseLimit("k", "d", data)
		if l == nil {
			return
		}
		if ps.HasErrors() {
			t.Fatalf("a limit with errors: %v", ps)
		}
		for _, name := range l.Roles() {
			if r, ok := l.eval.roles.Get(name); !ok || r.Reserved() {
				t.Fatalf("the limit holds role %q that is not one of its descriptors", name)
			}
		}
		for _, req := range []Request{
			{User: "u", Roles: []string{"owner_logs"}, Action: "indices:data/read/search", Indices: []string{"hr-payroll"}, Metadata: md},
			{User: "u", Roles: []string{"owner_logs"}, Action: "cluster:admin/settings/update", Metadata: md},
			{User: "u", Roles: []string{"owner_logs"}, Action: "indices:data/write/index", Indices: []string{"logs-alerts"}, Metadata: md},
		} {
			req.Limit = l
			if d := e.Decide(req); d.Allowed {
				t.Fatalf("the key was allowed %s on %v, which its owner may not do", req.Action, req.Indices)
			}
		}
	})
}
