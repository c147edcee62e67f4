package server

import (
	"net/http"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// A follower index (Elasticsearch CCR) copies the leader index its body
// names from a remote cluster, and an auto-follow pattern every leader
// index its patterns match: a secured remote cluster authorizes the
// leader as the user, the unsecured cluster behind the proxy reads
// anything. Users who may not read and write everything are refused.
func TestCCRFollowNamesLeaderIndices(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
follower:
  cluster: [manage_ccr]
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
	tests := []struct{ name, method, target, body string }{
		{"put follow", "PUT", "/logs-copy/_ccr/follow", `{"remote_cluster":"remote","leader_index":"hr-payroll"}`},
		{"auto-follow pattern", "PUT", "/_ccr/auto_follow/p", `{"remote_cluster":"remote","leader_index_patterns":["hr-*"],"follow_index_pattern":"logs-{{leader_index}}"}`},
	}
	for _, role := range []string{"follower", "admin_all"} {
		for _, tc := range tests {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"acknowledged":true}`))
				})
				rec := serveAs(t, rs, md, role, up, tc.method, tc.target, "application/json", tc.body)
				if role != "admin_all" {
					if rec.Code != http.StatusForbidden || forwarded != 0 {
						t.Fatalf("want a 403, nothing forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
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
