package authn

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// PrincipalMapper assigns roles to an authenticated principal. *RoleMapper
// implements it; the bearer (OIDC/JWT) authenticator takes one to fill
// Principal.Roles.
type PrincipalMapper interface {
	Map(p *Principal) []string
}

// RoleMapper holds role mappings loaded from a file in either (or both) of
// Elasticsearch's formats, entry by entry:
//
// The role-mapping API format (what PUT /_security/role_mapping/<name>
// takes), keyed by mapping name:
//
//	finance:
//	  enabled: true
//	  roles: [finance_data]
//	  rules: {all: [{field: {realm.name: oidc1}}, {field: {groups: finance-team}}]}
//	  metadata: {version: 1}
//	per-user:
//	  enabled: true
//	  role_templates:
//	    - template: {source: "{{#tojson}}groups{{/tojson}}"}
//	      format: json
//	  rules: {field: {realm.name: oidc1}}
//
// The classic role_mapping.yml format, keyed by role name, a list of user
// DNs or group names/DNs; a user gets the role when its DN or one of its
// groups is listed:
//
//	superuser: ["cn=admins,dc=example,dc=com", admins]
//
// An entry whose value is a list is classic, one whose value is a map is an
// API mapping. JSON is accepted (it is YAML). Entries with errors are
// skipped and reported; the others are used.
type RoleMapper struct {
	mappings []*roleMapping
	classic  []classicMapping
}

type roleMapping struct {
	name      string
	line      int
	enabled   bool
	roles     []string
	templates []roleTemplate
	rule      rule
	metadata  map[string]any
}

type classicMapping struct {
	role  string
	names []string // DNs or group names
}

// LoadRoleMappings reads and parses a role-mapping file. A missing or
// unreadable file yields an empty mapper and an Error.
func LoadRoleMappings(path string) (*RoleMapper, diag.Problems) {
	data, err := reload.ReadFile(path)
	if err != nil {
		var ps diag.Problems
		ps.Errorf(path, 0, "cannot read role mapping file: %v", err)
		return &RoleMapper{}, ps
	}
	return ParseRoleMappings(path, data)
}

// ParseRoleMappings parses role mappings (see RoleMapper) from data; file
// names the source in problems.
func ParseRoleMappings(file string, data []byte) (m *RoleMapper, ps diag.Problems) {
	m = &RoleMapper{}
	defer func() {
		// yaml.v3 has panicked on hostile input before; fail closed, not crash.
		if r := recover(); r != nil {
			m = &RoleMapper{}
			ps.Errorf(file, 0, "cannot parse role mapping file: %v", r)
		}
	}()
	if len(bytes.TrimSpace(data)) == 0 {
		return m, ps
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ps.Errorf(file, 0, "cannot parse role mapping file: %v", err)
		return m, ps
	}
	if len(doc.Content) == 0 {
		return m, ps
	}
	top := resolveAlias(doc.Content[0])
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return m, ps
	}
	if top.Kind != yaml.MappingNode {
		ps.Errorf(file, top.Line, "role mapping file must be a map of mapping names (or role names) to definitions")
		return m, ps
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], resolveAlias(top.Content[i+1])
		name := k.Value
		if prev, dup := seen[name]; dup {
			ps.Errorf(file, k.Line, "duplicate entry %q (first at line %d); skipped", name, prev)
			continue
		}
		seen[name] = k.Line
		switch v.Kind {
		case yaml.SequenceNode:
			if cm, ok := parseClassic(file, name, k, v, &ps); ok {
				m.classic = append(m.classic, cm)
			}
		case yaml.MappingNode:
			if rm, ok := parseAPIMapping(file, name, k, v, &ps); ok {
				m.mappings = append(m.mappings, rm)
			}
		default:
			ps.Errorf(file, k.Line, "entry %q: expected a role mapping object or a list of DNs/groups; skipped", name)
		}
	}
	return m, ps
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func parseClassic(file, role string, k, v *yaml.Node, ps *diag.Problems) (classicMapping, bool) {
	if err := ValidateName(role); err != nil {
		ps.Errorf(file, k.Line, "role %q: invalid role name: %v; skipped", role, err)
		return classicMapping{}, false
	}
	cm := classicMapping{role: role}
	for _, e := range v.Content {
		e = resolveAlias(e)
		if e.Kind != yaml.ScalarNode || e.Tag == "!!null" || strings.TrimSpace(e.Value) == "" {
			ps.Errorf(file, e.Line, "role %q: expected a DN or group name (string); value skipped", role)
			continue
		}
		cm.names = append(cm.names, e.Value)
	}
	if len(cm.names) == 0 {
		ps.Warnf(file, k.Line, "role %q: no DNs or groups; maps nobody", role)
	}
	return cm, true
}

func parseAPIMapping(file, name string, k, v *yaml.Node, ps *diag.Problems) (*roleMapping, bool) {
	rm := &roleMapping{name: name, line: k.Line, enabled: true}
	ok := true
	bad := func(line int, format string, args ...any) {
		ps.Errorf(file, line, "role mapping %q: "+format+"; mapping skipped", append([]any{name}, args...)...)
		ok = false
	}
	var haveEnabled, haveRules bool
	for i := 0; i+1 < len(v.Content); i += 2 {
		fk, fv := v.Content[i], resolveAlias(v.Content[i+1])
		switch fk.Value {
		case "enabled":
			haveEnabled = true
			if fv.Kind != yaml.ScalarNode || fv.Tag != "!!bool" {
				bad(fv.Line, "enabled must be true or false")
				continue
			}
			rm.enabled = fv.Value == "true"
		case "roles":
			if fv.Kind != yaml.SequenceNode {
				bad(fv.Line, "roles must be a list of role names")
				continue
			}
			for _, r := range fv.Content {
				r = resolveAlias(r)
				if r.Kind != yaml.ScalarNode || r.Tag == "!!null" {
					bad(r.Line, "roles must be a list of role names")
					continue
				}
				if err := ValidateName(r.Value); err != nil {
					bad(r.Line, "invalid role name %q: %v", r.Value, err)
					continue
				}
				rm.roles = append(rm.roles, r.Value)
			}
		case "role_templates":
			if fv.Kind != yaml.SequenceNode {
				bad(fv.Line, "role_templates must be a list")
				continue
			}
			for _, t := range fv.Content {
				tpl, err := parseRoleTemplate(resolveAlias(t))
				if err != nil {
					bad(t.Line, "role_templates: %v", err)
					continue
				}
				rm.templates = append(rm.templates, tpl)
			}
		case "rules":
			haveRules = true
			r, err := parseRule(fv, false)
			if err != nil {
				bad(err.line, "rules: %s", err.msg)
				continue
			}
			rm.rule = r
		case "metadata":
			if fv.Kind != yaml.MappingNode {
				bad(fv.Line, "metadata must be an object")
				continue
			}
			var md map[string]any
			if err := fv.Decode(&md); err != nil {
				bad(fv.Line, "metadata: %v", err)
				continue
			}
			for key := range md {
				if strings.HasPrefix(key, "_") {
					bad(fv.Line, "metadata key %q: keys starting with _ are reserved", key)
				}
			}
			rm.metadata = md
		default:
			bad(fk.Line, "unknown field %q", fk.Value)
		}
	}
	if !haveRules {
		bad(k.Line, "rules are required")
	}
	if len(rm.roles) == 0 && len(rm.templates) == 0 && ok {
		bad(k.Line, "must define roles or role_templates")
	}
	if len(rm.roles) > 0 && len(rm.templates) > 0 {
		bad(k.Line, "cannot have both roles and role_templates")
	}
	if !haveEnabled {
		ps.Warnf(file, k.Line, "role mapping %q: enabled is not set (required by the Elasticsearch API); treated as true", name)
	}
	return rm, ok
}

// Map returns the roles of every enabled mapping whose rules match p, plus
// the roles of classic entries listing p's DN or one of its groups; sorted,
// without duplicates. A nil mapper maps nothing.
func (m *RoleMapper) Map(p *Principal) []string {
	if m == nil || p == nil {
		return nil
	}
	model := newUserModel(p)
	var out []string
	for _, rm := range m.mappings {
		if !rm.enabled || rm.rule == nil || !rm.rule.match(model) {
			continue
		}
		out = append(out, rm.roles...)
		for _, t := range rm.templates {
			out = append(out, t.render(model)...)
		}
	}
	for _, cm := range m.classic {
		if classicMatches(cm.names, model) {
			out = append(out, cm.role)
		}
	}
	out = slices.DeleteFunc(out, func(s string) bool { return ValidateName(s) != nil })
	slices.Sort(out)
	return slices.Compact(out)
}

// Len is the number of usable mappings (API and classic).
func (m *RoleMapper) Len() int {
	if m == nil {
		return 0
	}
	return len(m.mappings) + len(m.classic)
}

func classicMatches(names []string, u *userModel) bool {
	for _, n := range names {
		if u.dn != "" && dnEqual(n, u.dn) {
			return true
		}
		for _, g := range u.groups {
			if g == n || (strings.Contains(n, "=") && dnEqual(n, g)) {
				return true
			}
		}
	}
	return false
}

// dnEqual compares two DNs as Elasticsearch's DnRoleMapper does (equal
// once parsed and normalized, see rolemapping_dn.go); strings that do not
// parse as DNs are equal only when identical.
func dnEqual(a, b string) bool {
	da, errA := parseDN(a)
	db, errB := parseDN(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return da.normalized() == db.normalized()
}

// userModel is what rules and templates see of a principal, as
// Elasticsearch's UserRoleMapper.UserData: username, dn, groups, metadata,
// realm.name.
type userModel struct {
	username string
	dn       string
	groups   []string
	metadata map[string]any
	realm    string
	// dnSubj and groupSubj are dn and groups parsed for the rules, once
	// per mapping (dnSubject, groupSubjects).
	dnSubj    *dnSubject
	groupSubj []dnSubject
}

// dnSubject is the user's dn parsed for the rules.
func (u *userModel) dnSubject() dnSubject {
	if u.dnSubj == nil {
		d := newDNSubject(u.dn)
		u.dnSubj = &d
	}
	return *u.dnSubj
}

// groupSubjects are the user's groups parsed for the rules.
func (u *userModel) groupSubjects() []dnSubject {
	if u.groupSubj == nil {
		u.groupSubj = make([]dnSubject, len(u.groups))
		for i, g := range u.groups {
			u.groupSubj[i] = newDNSubject(g)
		}
	}
	return u.groupSubj
}

func newUserModel(p *Principal) *userModel {
	u := &userModel{username: p.Username, realm: p.Realm, metadata: p.Metadata}
	if p.Metadata != nil {
		if dn, ok := p.Metadata[MetadataDN].(string); ok {
			u.dn = dn
		}
		u.groups = stringList(p.Metadata[MetadataGroups])
	}
	return u
}

// Principal.Metadata keys the role mapper reads for the dn and groups
// fields (Principal has no fields for them). Realms that know a DN or
// groups set them; the "_" prefix is reserved, so they cannot clash with a
// claim or user metadata key. Groups is a []string, DN a string.
const (
	MetadataDN     = "_dn"
	MetadataGroups = "_groups"
)

func stringList(v any) []string {
	switch t := v.(type) {
	case []string:
		return t
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{t}
	}
	return nil
}

// field returns the value of a rule field for this user: a string, []any,
// a number, a bool, or nil when missing.
func (u *userModel) field(name string) any {
	switch name {
	case "username":
		return u.username
	case "dn":
		if u.dn == "" {
			return nil
		}
		return u.dn
	case "groups":
		out := make([]any, len(u.groups))
		for i, g := range u.groups {
			out[i] = g
		}
		return out
	case "realm.name":
		return u.realm
	}
	if rest, ok := strings.CutPrefix(name, "metadata."); ok {
		return lookupPath(u.metadata, unescapeFieldKey(rest))
	}
	return nil
}

// unescapeFieldKey removes the backslashes Elasticsearch lets rules put in
// front of special characters in metadata keys (metadata.oidc\(email\)).
func unescapeFieldKey(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lookupPath finds key in m: first as a whole key (metadata keys such as
// "oidc(email)" or "jwt_claim_email"), then as a dotted path into nested maps.
func lookupPath(m map[string]any, key string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[key]; ok {
		return v
	}
	head, rest, found := strings.Cut(key, ".")
	if !found {
		return nil
	}
	switch sub := m[head].(type) {
	case map[string]any:
		return lookupPath(sub, rest)
	}
	return nil
}

func (u *userModel) String() string { return fmt.Sprintf("user %q realm %q", u.username, u.realm) }
