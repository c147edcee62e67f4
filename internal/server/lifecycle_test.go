package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Elasticsearch runs an ILM policy's actions (delete, shrink, rollover…)
// with the privileges of the user who last stored it, and a move to a
// step on the index's own policy; the cluster behind the proxy runs them
// with full rights on whatever indices use the policy. A user with
// manage_ilm and manage on their own indices could otherwise rewrite the
// policy of an index they may not touch (a delete phase at 0 ms), or move
// such an index to its delete step.
func TestLifecyclePoliciesNeedFullAccess(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
ilm_admin:
  cluster: [manage_ilm]
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
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	tests := []struct {
		name, method, target, body string
		refused                    bool
	}{
		{"put policy", "PUT", "/_ilm/policy/hr-policy", `{"policy":{"phases":{"delete":{"min_age":"0ms","actions":{"delete":{}}}}}}`, true},
		{"move a forbidden index", "POST", "/_ilm/move/hr-payroll", `{"current_step":{"phase":"new","action":"complete","name":"complete"},"next_step":{"phase":"delete"}}`, true},
		{"move an own index", "POST", "/_ilm/move/logs-a", `{"current_step":{"phase":"new","action":"complete","name":"complete"},"next_step":{"phase":"delete"}}`, false},
		{"get policies", "GET", "/_ilm/policy", "", false},
	}
	for _, role := range []string{"ilm_admin", "admin_all"} {
		for _, tc := range tests {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"acknowledged":true}`))
				})
				rec := serveAs(t, rs, md, role, up, tc.method, tc.target, "application/json", tc.body)
				if tc.refused && role != "admin_all" {
					if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "lifecycle") && !strings.Contains(rec.Body.String(), "admin/ilm/") || forwarded != 0 {
						t.Fatalf("want a 403 about lifecycle policies, nothing forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
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
