package authz

import "testing"

func TestMayRunAs(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(`
impersonator:
  run_as: [alice, "svc-*", "/team-[ab]/"]
other:
  cluster: [monitor]
`))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	for _, tc := range []struct {
		roles  []string
		target string
		want   bool
	}{
		{[]string{"impersonator"}, "alice", true},
		{[]string{"impersonator"}, "svc-reports", true},
		{[]string{"impersonator"}, "team-a", true},
		{[]string{"impersonator"}, "team-c", false},
		{[]string{"impersonator"}, "alice2", false},
		{[]string{"impersonator"}, "bob", false},
		{[]string{"other"}, "alice", false},
		{[]string{"other", "impersonator"}, "alice", true},
		{[]string{"superuser"}, "anyone", true}, // the built-in superuser has run_as ["*"]
		{nil, "alice", false},
	} {
		if got := e.MayRunAs(tc.roles, tc.target); got != tc.want {
			t.Errorf("MayRunAs(%v, %q) = %v, want %v", tc.roles, tc.target, got, tc.want)
		}
	}
}
