package authz

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"gopkg.in/yaml.v3"
)

// maxDescriptionLength is Elasticsearch's limit, counted in UTF-16 units as
// Java's String.length() does.
const maxDescriptionLength = 1000

// roleParser reads one role descriptor. Any problem marks the role invalid;
// parsing goes on so that every problem of the role is reported at once.
type roleParser struct {
	fp    *fileParser
	name  string
	valid bool
	seen  map[string]int // canonical field name -> line, to catch "index" + "indices"
}

func (rp *roleParser) errorf(n *yaml.Node, format string, args ...any) {
	rp.valid = false
	rp.fp.probs.Errorf(rp.fp.file, n.Line, format, args...)
}

// prefixed returns an errorFunc that starts every message with prefix.
func (rp *roleParser) prefixed(prefix string) errorFunc {
	return func(n *yaml.Node, format string, args ...any) {
		rp.errorf(n, "%s%s", prefix, fmt.Sprintf(format, args...))
	}
}

func (rp *roleParser) rolePrefix() string { return "failed to parse role [" + rp.name + "]. " }

// parseRole validates one "name: descriptor" entry; it returns nil when the
// role has any problem.
func (fp *fileParser) parseRole(key, val *yaml.Node) *Role {
	rp := &roleParser{fp: fp, name: key.Value, valid: true, seen: map[string]int{}}
	rp.checkName(key)
	r := &Role{name: key.Value, reserved: fp.reserved}
	if !fp.reserved {
		r.line = key.Line
	}
	if val.Kind != yaml.MappingNode {
		rp.errorf(val, "%sexpected an object but found [%s] instead", rp.rolePrefix(), tokenName(val))
		return nil
	}
	for _, p := range pairs(val, rp.prefixed(rp.rolePrefix())) {
		rp.field(r, p)
	}
	if !rp.valid {
		return nil
	}
	return r
}

func (rp *roleParser) checkName(key *yaml.Node) {
	if err := ValidateRoleName(key.Value); err != nil {
		rp.errorf(key, "%v", err)
		return
	}
	if rp.fp.isReserved != nil && rp.fp.isReserved(key.Value) {
		rp.errorf(key, "Role [%s] is reserved and may not be used.", key.Value)
	}
}

// fieldAliases are the deprecated field names Elasticsearch still accepts.
var fieldAliases = map[string]string{"index": "indices", "application": "applications"}

func (rp *roleParser) field(r *Role, p pair) {
	name := p.name
	if canon, ok := fieldAliases[name]; ok {
		rp.fp.probs.Warnf(rp.fp.file, p.key.Line, "role [%s]: field [%s] is deprecated, use [%s]", rp.name, name, canon)
		name = canon
	}
	if line, dup := rp.seen[name]; dup {
		rp.errorf(p.key, "%sfield [%s] is already defined at line %d", rp.rolePrefix(), p.name, line)
		return
	}
	rp.seen[name] = p.key.Line
	switch name {
	case "cluster":
		r.cluster, r.clusterGrants = rp.clusterPrivileges(p.val)
	case "indices":
		r.indices = rp.indexGroups(p, false)
	case "remote_indices":
		r.remoteIndices = rp.remoteIndexGroups(p)
	case "remote_cluster":
		r.remoteCluster = rp.remoteClusterGroups(p)
	case "applications":
		r.applications = rp.applicationPrivileges(p)
	case "global":
		r.global = rp.globalPrivileges(p.val)
	case "run_as":
		r.runAs, _ = rp.stringArray(p.name, p.val)
	case "metadata":
		r.metadata = rp.metadata(p.val)
	case "transient_metadata":
		r.transient = rp.transientMetadata(p)
	case "description":
		r.description = rp.description(p.val)
	default:
		rp.errorf(p.key, "%sunexpected field [%s]", rp.rolePrefix(), p.name)
	}
}

// stringArray reads a sequence of strings as Elasticsearch's readStringArray:
// null is allowed (nil, no nodes), a lone string is not.
func (rp *roleParser) stringArray(field string, n *yaml.Node) ([]string, []*yaml.Node) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		rp.errorf(n, "%scould not parse [%s] field. expected a string array but found [%s] value instead",
			rp.rolePrefix(), field, tokenName(n))
		return nil, nil
	}
	vals := make([]string, 0, len(n.Content))
	nodes := make([]*yaml.Node, 0, len(n.Content))
	for _, item := range n.Content {
		item = deref(item)
		s, ok := scalarString(item)
		if !ok {
			rp.errorf(item, "%scould not parse [%s] field. expected a string array but one of the value in the array is [%s]",
				rp.rolePrefix(), field, tokenName(item))
			continue
		}
		vals = append(vals, s)
		nodes = append(nodes, item)
	}
	return vals, nodes
}

// clusterPrivileges validates the "cluster" list and compiles what it grants.
func (rp *roleParser) clusterPrivileges(n *yaml.Node) ([]string, []actionSet) {
	vals, nodes := rp.stringArray("cluster", n)
	var names []string
	var grants []actionSet
	for i, v := range vals {
		name := strings.ToLower(v)
		set, grantsAlone, known := resolveClusterPrivilege(name)
		if !known {
			rp.errorf(nodes[i], "role [%s]: %s", rp.name, unknownClusterPrivilegeMessage(name))
			continue
		}
		names = append(names, name)
		if grantsAlone {
			grants = append(grants, set)
		}
	}
	return names, grants
}

// resolveClusterPrivilege maps a lower-cased name or raw action pattern to
// the actions it grants. grants is false for privileges that grant nothing
// without request context.
func resolveClusterPrivilege(name string) (set actionSet, grants, known bool) {
	if IsClusterAction(name) {
		// As ClusterPrivilegeResolver.actionToPattern: the raw action also
		// covers its sub-actions ("…/bulk" covers "…/bulk[s]").
		return newActionSet([]string{name + "*"}, nil), true, true
	}
	p, ok := clusterCatalogue().get(name)
	if !ok {
		return actionSet{}, false, false
	}
	return p.set, !p.conditional && !p.set.isEmpty(), true
}

// resolveIndexPrivilege maps a lower-cased name or raw action pattern to the
// action patterns it grants on ordinary data.
func resolveIndexPrivilege(name string) (include []string, known bool) {
	if IsIndexAction(name) {
		return []string{name + "*"}, true
	}
	p, ok := indexCatalogue().get(name)
	if !ok {
		return nil, false
	}
	if !p.selector.grantsData() {
		return nil, true
	}
	return p.include, true
}

func (rp *roleParser) metadata(n *yaml.Node) map[string]any {
	if n.Kind != yaml.MappingNode {
		rp.errorf(n, "%sexpected field [metadata] to be of type object, but found [%s] instead", rp.rolePrefix(), tokenName(n))
		return nil
	}
	for _, p := range pairs(n, func(*yaml.Node, string, ...any) {}) {
		if strings.HasPrefix(p.name, "_") {
			rp.errorf(p.key, "role [%s]: metadata keys may not start with [_] (found [%s])", rp.name, p.name)
		}
	}
	return rp.object(n)
}

func (rp *roleParser) transientMetadata(p pair) map[string]any {
	if p.val.Kind != yaml.MappingNode {
		rp.errorf(p.key, "%sunexpected field [%s]", rp.rolePrefix(), p.name)
		return nil
	}
	return rp.object(p.val)
}

// object converts a mapping to a JSON-compatible map.
func (rp *roleParser) object(n *yaml.Node) map[string]any {
	c := valueConverter{budget: &rp.fp.budget, errf: rp.prefixed("role [" + rp.name + "]: ")}
	v, ok := c.toValue(n, 0)
	if !ok {
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}

func (rp *roleParser) description(n *yaml.Node) string {
	s, ok := scalarString(n)
	if !ok {
		rp.errorf(n, "%sexpected field [description] to be a string, but found [%s] instead", rp.rolePrefix(), tokenName(n))
		return ""
	}
	if len(utf16.Encode([]rune(s))) > maxDescriptionLength {
		rp.errorf(n, "role [%s]: Role description must be less than %d characters.", rp.name, maxDescriptionLength)
	}
	return s
}
