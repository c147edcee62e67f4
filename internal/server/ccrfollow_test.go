package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// A follower index (Elasticsearch CCR) copies the leader index its body
// names from a remote cluster, and an auto-follow pattern every leader
// index its patterns match: a secured remote cluster authorizes the
// leader as the user, the unsecured cluster behind the proxy reads
// anything. Users who may not read and write everything are refused.
func TestCCRFollowNamesLeaderIndices(t *testing.T) {
	roles := `
follower:
  cluster: [manage_ccr]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	tests := []fullAccessCase{
		{name: "put follow", method: "PUT", target: "/logs-copy/_ccr/follow", body: `{"remote_cluster":"remote","leader_index":"hr-payroll"}`, refused: true},
		{name: "auto-follow pattern", method: "PUT", target: "/_ccr/auto_follow/p", body: `{"remote_cluster":"remote","leader_index_patterns":["hr-*"],"follow_index_pattern":"logs-{{leader_index}}"}`, refused: true},
	}
	runFullAccessTable(t, roles, "follower", md, tests)
}
