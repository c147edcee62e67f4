package authn

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func mustMapper(t *testing.T, src string) *RoleMapper {
	t.Helper()
	m, ps := ParseRoleMappings("rm.yml", []byte(src))
	if ps.HasErrors() {
		t.Fatalf("problems: %v", ps)
	}
	return m
}

func principal(user, realm, dn string, groups []string, md map[string]any) *Principal {
	p := &Principal{Username: user, Realm: realm, Metadata: map[string]any{}}
	for k, v := range md {
		p.Metadata[k] = v
	}
	if dn != "" {
		p.Metadata[MetadataDN] = dn
	}
	p.Metadata[MetadataGroups] = groups
	return p
}

// Rule semantics, mostly from Elasticsearch's role-mapping docs examples.
func TestRoleMappingRules(t *testing.T) {
	admin := principal("esadmin", "ldap1", "cn=esadmin,ou=admin,dc=example,dc=com",
		[]string{"cn=admins,dc=example,dc=com", "finance-team"}, map[string]any{"department": "engineering", "level": int64(3)})
	alice := principal("alice", "oidc1", "", []string{"finance-team", "app-admins"},
		map[string]any{"oidc(email)": "alice@example.com", "jwt_claim_email": "alice@example.com", "terminated_date": "2020-01-01"})
	nobody := principal("bob", "oidc1", "", nil, nil)
	tests := []struct {
		name  string
		rules string
		p     *Principal
		want  bool
	}{
		{"everyone wildcard", `{field: {username: "*"}}`, nobody, true},
		{"exact username", `{field: {username: esadmin}}`, admin, true},
		{"exact username no", `{field: {username: esadmin}}`, alice, false},
		{"any username or group", `{any: [{field: {username: esadmin}}, {field: {groups: "cn=admins,dc=example,dc=com"}}]}`, admin, true},
		{"any none", `{any: [{field: {username: x}}, {field: {groups: y}}]}`, admin, false},
		{"dn wildcard", `{field: {dn: "*,ou=admin,dc=example,dc=com"}}`, admin, true},
		{"dn wildcard no dn", `{field: {dn: "*,ou=admin,dc=example,dc=com"}}`, alice, false},
		{"all dn and username list", `{all: [{field: {dn: "*,ou=admin,dc=example,dc=com"}}, {field: {username: [es-admin, esadmin]}}]}`, admin, true},
		{"all one fails", `{all: [{field: {dn: "*,ou=admin,dc=example,dc=com"}}, {field: {username: [es-admin, es-system]}}]}`, admin, false},
		{"realm and group (checklist 90)", `{all: [{field: {realm.name: oidc1}}, {field: {groups: finance-team}}]}`, alice, true},
		{"realm mismatch", `{all: [{field: {realm.name: oidc1}}, {field: {groups: finance-team}}]}`, admin, false},
		{"groups regexp", `{field: {groups: "/.*-admins/"}}`, alice, true},
		{"regexp anchored", `{field: {groups: "/admins/"}}`, alice, false},
		{"regexp class", `{field: {username: "/[a-c]lic[e]+/"}}`, alice, true},
		{"regexp quoted and alternation", `{field: {username: "/\"ali\"(ce|x)/"}}`, alice, true},
		{"regexp anystring @", `{field: {username: "/al@/"}}`, alice, true},
		{"question mark alone is a plain value", `{field: {username: "alic?"}}`, alice, false},
		{"question mark alone matches itself", `{field: {username: "alic?"}}`, principal("alic?", "r", "", nil, nil), true},
		{"question mark in a pattern", `{field: {username: "a*c?"}}`, alice, true},
		{"metadata string", `{field: {metadata.department: engineering}}`, admin, true},
		{"metadata number", `{field: {metadata.level: 3}}`, admin, true},
		{"metadata number float equal", `{field: {metadata.level: 3.0}}`, admin, true},
		{"metadata number differs", `{field: {metadata.level: 4}}`, admin, false},
		{"metadata string vs number", `{field: {metadata.level: "3"}}`, admin, false},
		{"metadata escaped parens", `{field: {metadata.oidc\(email\): "*@example.com"}}`, alice, true},
		{"metadata unescaped parens", `{field: {metadata.oidc(email): "alice@example.com"}}`, alice, true},
		{"jwt_claim metadata", `{field: {metadata.jwt_claim_email: "alice@*"}}`, alice, true},
		{"null matches missing", `{field: {metadata.terminated_date: null}}`, admin, true},
		{"null does not match present", `{field: {metadata.terminated_date: null}}`, alice, false},
		{"except inside all", `{all: [{field: {groups: finance-team}}, {except: {field: {metadata.terminated_date: null}}}]}`, alice, true},
		{"except inside all excludes", `{all: [{field: {groups: finance-team}}, {except: {field: {metadata.terminated_date: null}}}]}`, admin, false},
		{"bool value", `{field: {metadata.active: true}}`, principal("u", "r", "", nil, map[string]any{"active": true}), true},
		{"bool value false", `{field: {metadata.active: true}}`, principal("u", "r", "", nil, map[string]any{"active": false}), false},
		{"list value any", `{field: {groups: [nope, app-admins]}}`, alice, true},
		{"empty groups match nothing, not even null", `{field: {groups: null}}`, nobody, false},
		{"empty metadata list matches nothing", `{field: {metadata.tags: null}}`, principal("u", "r", "", nil, map[string]any{"tags": []any{}}), false},
		{"nested any in all", `{all: [{any: [{field: {username: x}}, {field: {username: alice}}]}, {field: {realm.name: oidc1}}]}`, alice, true},
		{"case sensitive", `{field: {username: Alice}}`, alice, false},
		{"array metadata", `{field: {metadata.jwt_claim_groups: b}}`, principal("u", "r", "", nil, map[string]any{"jwt_claim_groups": []any{"a", "b"}}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMapper(t, "m:\n  enabled: true\n  roles: [hit]\n  rules: "+tc.rules+"\n")
			got := slices.Contains(m.Map(tc.p), "hit")
			if got != tc.want {
				t.Fatalf("rules %s on %s: got %v, want %v", tc.rules, tc.p.Username, got, tc.want)
			}
		})
	}
}

func TestRoleMappingInvalid(t *testing.T) {
	tests := []struct {
		name, src, want string
		line            int
	}{
		{"except at top", "m:\n  enabled: true\n  roles: [r]\n  rules: {except: {field: {username: x}}}\n", "except is only allowed inside all", 4},
		{"except in any", "m:\n  enabled: true\n  roles: [r]\n  rules:\n    any:\n      - except: {field: {username: x}}\n", "except is only allowed inside all", 6},
		{"unknown rule", "m:\n  enabled: true\n  roles: [r]\n  rules: {some: []}\n", "unknown rule type", 4},
		{"two keys", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {username: x}, any: []}\n", "exactly one", 4},
		{"field two names", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {username: x, dn: y}}\n", "exactly one field", 4},
		{"unknown field", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {email: x}}\n", "unknown field", 4},
		{"object value", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {username: {a: b}}}\n", "field values", 4},
		{"slash pattern without a closing slash", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {groups: \"/data/*\"}}\n", "must", 4},
		{"lucene complement refused", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {username: \"/~a/\"}}\n", "not supported", 4},
		{"lucene interval refused", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {username: \"/<1-5>/\"}}\n", "not supported", 4},
		{"no roles", "m:\n  enabled: true\n  rules: {field: {username: x}}\n", "must define roles or role_templates", 1},
		{"both roles and templates", "m:\n  enabled: true\n  roles: [r]\n  role_templates: [{template: {source: x}}]\n  rules: {field: {username: x}}\n", "cannot have both", 1},
		{"no rules", "m:\n  enabled: true\n  roles: [r]\n", "rules are required", 1},
		{"reserved metadata", "m:\n  enabled: true\n  roles: [r]\n  rules: {field: {username: x}}\n  metadata: {_x: 1}\n", "reserved", 5},
		{"bad template section", "m:\n  enabled: true\n  role_templates: [{template: {source: \"{{#each}}x{{/each}}\"}}]\n  rules: {field: {username: x}}\n", "not supported", 3},
		{"bad format", "m:\n  enabled: true\n  role_templates: [{template: {source: x}, format: xml}]\n  rules: {field: {username: x}}\n", "format must be", 3},
		{"bad enabled", "m:\n  enabled: yes please\n  roles: [r]\n  rules: {field: {username: x}}\n", "enabled must be", 2},
		{"classic non-string", "r: [{a: b}]\n", "expected a DN", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := ParseRoleMappings("rm.yml", []byte(tc.src))
			if !ps.HasErrors() {
				t.Fatalf("no error for %q", tc.src)
			}
			found := false
			for _, p := range ps {
				if strings.Contains(p.Message, tc.want) && p.Line == tc.line && p.File == "rm.yml" {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %q at line %d, got %v", tc.want, tc.line, ps)
			}
		})
	}
}

func TestRoleMappingSkipsBadKeepsGood(t *testing.T) {
	m, ps := ParseRoleMappings("rm.yml", []byte("bad:\n  enabled: true\n  roles: [r]\n  rules: {except: {field: {username: x}}}\ngood:\n  enabled: true\n  roles: [ok]\n  rules: {field: {username: \"*\"}}\n"))
	if !ps.HasErrors() || m.Len() != 1 {
		t.Fatalf("want one usable mapping and an error, got %d, %v", m.Len(), ps)
	}
	if got := m.Map(principal("x", "r", "", nil, nil)); !slices.Equal(got, []string{"ok"}) {
		t.Fatalf("got %v", got)
	}
}

func TestRoleMappingMissingEnabledWarns(t *testing.T) {
	m, ps := ParseRoleMappings("rm.yml", []byte("m:\n  roles: [r]\n  rules: {field: {username: \"*\"}}\n"))
	if ps.HasErrors() || len(ps) != 1 || m.Len() != 1 {
		t.Fatalf("want one warning, got %v", ps)
	}
}

func TestRoleTemplates(t *testing.T) {
	p := principal("alice", "oidc1", "", []string{"logs-readers", "team-a"},
		map[string]any{"oidc(email)": "alice@example.com", "dept": map[string]any{"code": "fin"}})
	tests := []struct {
		name, tpl, format string
		want              []string
	}{
		{"tojson groups", "{{#tojson}}groups{{/tojson}}", "json", []string{"logs-readers", "team-a"}},
		{"toJson camel", "{{#toJson}}groups{{/toJson}}", "json", []string{"logs-readers", "team-a"}},
		{"string username", "_user_{{username}}", "string", []string{"_user_alice"}},
		{"metadata whole key", "mail_{{metadata.oidc(email)}}", "string", []string{"mail_alice@example.com"}},
		{"metadata nested path", "dept_{{metadata.dept.code}}", "string", []string{"dept_fin"}},
		{"realm", "{{realm.name}}_user", "string", []string{"oidc1_user"}},
		{"json string", "\"{{username}}_json\"", "json", []string{"alice_json"}},
		{"missing var empty", "{{metadata.none}}", "string", nil},
		{"join", "{{#join}}groups{{/join}}", "string", []string{"logs-readers,team-a"}},
		{"comment ignored", "{{! hi }}x_{{username}}", "string", []string{"x_alice"}},
		{"bad json yields nothing", "not json", "json", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "m:\n  enabled: true\n  role_templates:\n    - template: {source: '" + strings.ReplaceAll(tc.tpl, "'", "''") + "'}\n      format: " + tc.format + "\n  rules: {field: {username: \"*\"}}\n"
			got := mustMapper(t, src).Map(p)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("template %q: got %v, want %v", tc.tpl, got, want)
			}
		})
	}
}

func TestRoleTemplateEscapesLikeJSON(t *testing.T) {
	m := mustMapper(t, "m:\n  enabled: true\n  role_templates: [{template: {source: \"r_{{username}}\"}, format: string}]\n  rules: {field: {username: \"*\"}}\n")
	got := m.Map(principal(`a"b`, "r", "", nil, nil))
	if !slices.Equal(got, []string{`r_a\"b`}) {
		t.Fatalf("got %v", got)
	}
}

func TestTemplateAsJSONString(t *testing.T) {
	// The API's JSON form may carry template as an encoded string.
	src := `{"m": {"enabled": true, "role_templates": [{"template": "{\"source\":\"{{username}}_x\"}", "format": "string"}], "rules": {"field": {"username": "*"}}}}`
	if got := mustMapper(t, src).Map(principal("bo", "r", "", nil, nil)); !slices.Equal(got, []string{"bo_x"}) {
		t.Fatalf("got %v", got)
	}
}

func TestClassicRoleMapping(t *testing.T) {
	m := mustMapper(t, "admin_role:\n  - \"cn=admins, dc=example, dc=com\"\n  - admins\nuser_role: [\"cn=John Doe,cn=contractors,dc=example,dc=com\"]\n")
	tests := []struct {
		p    *Principal
		want []string
	}{
		{principal("a", "ldap", "", []string{"CN=Admins,DC=example,DC=com"}, nil), []string{"admin_role"}},
		{principal("b", "oidc1", "", []string{"admins"}, nil), []string{"admin_role"}},
		{principal("c", "ldap", "cn=john doe,cn=contractors,dc=example,dc=com", nil, nil), []string{"user_role"}},
		{principal("d", "oidc1", "", []string{"Admins"}, nil), nil},
	}
	for _, tc := range tests {
		if got := m.Map(tc.p); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("%s: got %v, want %v", tc.p.Username, got, tc.want)
		}
	}
}

func TestLoadRoleMappingsFileAndDisabled(t *testing.T) {
	m, ps := LoadRoleMappings("testdata/role_mapping_oidc.yml")
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	p := principal("alice", "oidc1", "", []string{"logs-readers", "team-a"}, map[string]any{"jwt_claim_email_verified": true})
	want := []string{"logs_reader", "team_a_role", "user_alice"}
	if got := m.Map(p); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, ps := LoadRoleMappings("testdata/does-not-exist.yml"); !ps.HasErrors() {
		t.Fatal("missing file must be an error")
	}
}

func TestRoleMappingHostileYAMLNoPanic(t *testing.T) {
	for _, src := range []string{"a: &a [*a]", "[1,2", "- - -", "m: {rules: {field: {username: [[[]]]}}}", "\x00\xff", "m:\n  rules: {all: [{all: [{all: [{except: 1}]}]}]}\n"} {
		_, _ = ParseRoleMappings("x", []byte(src))
	}
	var nilMapper *RoleMapper
	if nilMapper.Map(&Principal{}) != nil {
		t.Fatal("nil mapper maps nothing")
	}
}

func TestLuceneRegexpTranslation(t *testing.T) {
	ok := map[string][]string{
		`a.c`:        {"abc", "a-c"},
		`ab*`:        {"a", "abbb"},
		`ab+`:        {"ab"},
		`a{2,3}`:     {"aa", "aaa"},
		`[^x]y`:      {"zy"},
		`\.\*`:       {".*"},
		`"a.b"`:      {"a.b"},
		`[a\-z]`:     {"-"},
		`(foo|bar)s`: {"foos", "bars"},
	}
	for expr, inputs := range ok {
		fv, err := parseFieldValue(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "/" + expr + "/"})
		if err != nil {
			t.Fatalf("%s: %v", expr, err.msg)
		}
		for _, in := range inputs {
			if !fv.match(in) {
				t.Errorf("/%s/ should match %q", expr, in)
			}
		}
	}
	if fv, _ := parseFieldValue(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: `/"a.b"/`}); fv.match("axb") {
		t.Error(`"a.b" is literal`)
	}
}

func TestRoleMapperStoreReload(t *testing.T) {
	path := t.TempDir() + "/rm.yml"
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("m:\n  enabled: true\n  roles: [one]\n  rules: {field: {username: \"*\"}}\n")
	s, ps := NewRoleMapperStore(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	p := principal("u", "r", "", nil, nil)
	if got := s.Map(p); !slices.Equal(got, []string{"one"}) {
		t.Fatal(got)
	}
	write("m:\n  enabled: true\n  roles: [two]\n  rules: {field: {username: \"*\"}}\n")
	if ps := s.Reload(); ps.HasErrors() {
		t.Fatal(ps)
	}
	if got := s.Map(p); !slices.Equal(got, []string{"two"}) {
		t.Fatal(got)
	}
	os.Remove(path)
	if ps := s.Reload(); len(ps) == 0 || len(s.Map(p)) != 0 {
		t.Fatalf("a removed file must map nothing, and be reported (as Elasticsearch skips a missing file): roles %v, problems %v", s.Map(p), ps)
	}
}

// The dn and groups fields are tested as Elasticsearch's
// DistinguishedNamePredicate tests them: case-insensitively, as DNs, with
// "*,<dn>" sub-tree patterns. Compared as plain text, an except rule
// naming a group or a sub-tree failed to exclude a user whose value was
// spelled otherwise, who then got the role Elasticsearch withholds.
func TestRoleMappingDNPredicate(t *testing.T) {
	pki := func(dn string) *Principal { return principal("u", "pki1", dn, nil, nil) }
	grouped := func(groups ...string) *Principal { return principal("u", "oidc1", "", groups, nil) }
	tests := []struct {
		name  string
		rules string
		p     *Principal
		want  bool
	}{
		// except rules must exclude every spelling Elasticsearch excludes.
		{"except group in another case", `{all: [{field: {realm.name: oidc1}}, {except: {field: {groups: contractors}}}]}`, grouped("staff", "Contractors"), false},
		{"except group DN spelled otherwise", `{all: [{field: {realm.name: oidc1}}, {except: {field: {groups: "cn=contractors,dc=example,dc=com"}}}]}`, grouped("CN=Contractors, DC=Example, DC=com"), false},
		{"except sub-tree of a PKI DN", `{all: [{field: {realm.name: pki1}}, {except: {field: {dn: "*,ou=contractors,o=corp"}}}]}`, pki("CN=mallory, OU=contractors, O=corp"), false},
		{"except exact DN in another spelling", `{all: [{field: {realm.name: pki1}}, {except: {field: {dn: "cn=mallory,ou=eng,o=corp"}}}]}`, pki("CN=mallory, OU=eng, O=corp"), false},
		{"except keeps others", `{all: [{field: {realm.name: pki1}}, {except: {field: {dn: "*,ou=contractors,o=corp"}}}]}`, pki("CN=alice, OU=eng, O=corp"), true},
		// Positive rules, as Elasticsearch matches them.
		{"group case-insensitive", `{field: {groups: ADMINS}}`, grouped("admins"), true},
		{"group wildcard on lower case", `{field: {groups: "adm*"}}`, grouped("ADMINS"), true},
		{"group wildcard on upper case", `{field: {groups: "ADM*"}}`, grouped("admins"), true},
		{"dn equal as DNs", `{field: {dn: "cn=alice,ou=eng,o=corp"}}`, pki("CN=alice, OU=eng, O=corp"), true},
		{"dn wildcard on the normalized DN", `{field: {dn: "cn=*,ou=eng,o=corp"}}`, pki("CN=alice, OU=eng, O=corp"), true},
		{"dn sub-tree", `{field: {dn: "*,o=corp"}}`, pki("CN=alice, OU=eng, O=Corp"), true},
		{"dn sub-tree of the root", `{field: {dn: "*,"}}`, pki("CN=alice"), true},
		{"multi-valued RDN in any order", `{field: {dn: "uid=a+cn=b,o=corp"}}`, pki("CN=B + UID=A, O=corp"), true},
		{"escaped and hex-escaped commas are one value", `{field: {dn: "cn=a\\2cb,o=corp"}}`, pki(`CN=a\,b, O=corp`), true},
		{"quoted value", `{field: {dn: "cn=a\\, ou=x,o=corp"}}`, pki(`CN="a, OU=x", O=corp`), true},
		{"inner spaces collapsed", `{field: {dn: "cn=alice  smith,o=corp"}}`, pki("CN=Alice Smith, O=corp"), true},
		// What must not match.
		{"another DN", `{field: {dn: "cn=alice,ou=eng,o=corp"}}`, pki("CN=alice, OU=ops, O=corp"), false},
		{"sub-tree is strict", `{field: {dn: "*,ou=eng,o=corp"}}`, pki("OU=eng, O=corp"), false},
		{"a quoted comma is no RDN boundary", `{field: {dn: "*,ou=admins,o=corp"}}`, pki(`CN="x, OU=admins", O=corp`), false},
		{"an escaped comma is no RDN boundary", `{field: {dn: "*,ou=admins,o=corp"}}`, pki(`CN=x\, OU=admins, O=corp`), false},
		{"a sub-tree pattern with another wildcard is a plain pattern", `{field: {dn: "*,ou=*,o=corp"}}`, pki("CN=a, OU=eng, O=corp"), true},
		{"plain group is not a DN", `{field: {groups: "cn=admins"}}`, grouped("admins"), false},
		{"group regexp", `{field: {groups: "/ad.*/"}}`, grouped("ADMINS"), true},
		{"dn null matches no dn", `{field: {dn: null}}`, grouped("x"), true},
		{"dn null does not match a dn", `{field: {dn: null}}`, pki("CN=a"), false},
		{"number never matches a group", `{field: {groups: 1}}`, grouped("1"), false},
		{"sharp s upper-cases to SS", `{field: {groups: "STRASSE*"}}`, grouped("straße"), true},
		{"Kelvin sign folds", `{field: {groups: "kelvin"}}`, grouped("\u212Aelvin"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMapper(t, "m:\n  enabled: true\n  roles: [hit]\n  rules: "+tc.rules+"\n")
			got := slices.Contains(m.Map(tc.p), "hit")
			if got != tc.want {
				t.Fatalf("rules %s on %v: got %v, want %v", tc.rules, tc.p.Metadata, got, tc.want)
			}
		})
	}
}

// Classic role_mapping.yml DN lists compare DNs once parsed: an escaped
// comma is part of a value, not an RDN boundary.
func TestClassicRoleMappingDNs(t *testing.T) {
	m := mustMapper(t, "r: [\"cn=a\\\\,b,o=x\"]\n")
	for dn, want := range map[string]bool{`CN=a\2Cb, O=x`: true, `CN="a,b", O=x`: true, `CN=a, CN=b, O=x`: false, `cn=a\,b,o=y`: false} {
		if got := slices.Contains(m.Map(principal("u", "pki1", dn, nil, nil)), "r"); got != want {
			t.Errorf("dn %s: got %v, want %v", dn, got, want)
		}
	}
}
