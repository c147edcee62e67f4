package authz

import "testing"

const widensRoles = `
manage_src:
  indices:
    - {names: [src], privileges: [manage]}
read_pub:
  indices:
    - {names: ["pub-*"], privileges: [read]}
all_src:
  indices:
    - {names: [src], privileges: [all]}
logs_admin:
  indices:
    - {names: ["logs-*"], privileges: [manage, read]}
manage_pub:
  indices:
    - {names: ["pub-*"], privileges: [manage]}
raw_glob:
  indices:
    - {names: ["pub-*"], privileges: ["indices:data/*/search"]}
search_src:
  indices:
    - {names: [src], privileges: ["indices:data/read/search"]}
search_pub:
  indices:
    - {names: ["pub-*"], privileges: ["indices:data/read/search"]}
security_reader:
  indices:
    - {names: ["*"], privileges: [read], allow_restricted_indices: true}
plain_reader:
  indices:
    - {names: ["*"], privileges: [read]}
read_src_dls:
  indices:
    - {names: [src], privileges: [read], query: '{"term":{"tenant":"acme"}}'}
read_src_fls:
  indices:
    - {names: [src], privileges: [read], field_security: {grant: [message]}}
manage_read_pub:
  indices:
    - {names: ["pub-*"], privileges: [manage, read]}
logs_dls:
  indices:
    - {names: ["logs-*"], privileges: [read], query: '{"term":{"tenant":"acme"}}'}
`

// Checklist 61 and Elasticsearch's "has more permissions than" rule for
// aliases and resize targets: a name must not grant actions its index does
// not.
func TestWidens(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(widensRoles))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	for _, tc := range []struct {
		name        string
		roles       []string
		target, src string
		want        bool
	}{
		{"manage but not read the source: a readable alias widens", []string{"manage_src", "read_pub"}, "pub-x", "src", true},
		{"all on the source covers read on the alias", []string{"all_src", "read_pub"}, "pub-x", "src", false},
		{"a name no group grants widens nothing", []string{"manage_src"}, "other", "src", false},
		{"one group grants both names", []string{"logs_admin"}, "logs-alias", "logs-1", false},
		{"manage on the target, only read on the source", []string{"manage_pub", "plain_reader"}, "pub-x", "src", true},
		{"a subset granted by another group", []string{"search_pub", "all_src"}, "pub-x", "src", false},
		{"the same raw action on both names", []string{"search_pub", "search_src"}, "pub-x", "src", false},
		{"an action pattern that is not a prefix: cannot tell, widens", []string{"raw_glob", "all_src"}, "pub-x", "src", true},
		{"a restricted source is not granted by a plain group", []string{"plain_reader"}, "pub-x", ".security-7", true},
		{"allow_restricted_indices covers it", []string{"security_reader"}, "pub-x", ".security-7", false},
		{"unknown role names grant nothing", []string{"nope"}, "pub-x", "src", false},
		// The same actions, but the source's read is restricted by DLS or
		// FLS and the new name's is not: reading through it would lift them.
		{"DLS on the source, an unrestricted group on the alias", []string{"read_src_dls", "manage_src", "manage_read_pub"}, "pub-x", "src", true},
		{"FLS on the source, an unrestricted group on the alias", []string{"read_src_fls", "manage_src", "manage_read_pub"}, "pub-x", "src", true},
		{"DLS on the source, the alias reached by the same DLS group", []string{"logs_dls", "logs_admin"}, "logs-alias", "logs-1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.Widens(tc.roles, tc.target, tc.src); got != tc.want {
				t.Errorf("Widens(%v, %s, %s) = %v, want %v", tc.roles, tc.target, tc.src, got, tc.want)
			}
		})
	}
}
