package authz

import (
	"encoding/json"
	"strings"

	"gopkg.in/yaml.v3"
)

// groupParser reads one entry of indices or remote_indices.
type groupParser struct {
	rp     *roleParser
	remote bool
	prefix string // "failed to parse [remote ]indices privileges for role [r]. "
	g      IndexGroup
	// clusters is only set for remote_indices.
	clusters      []string
	hasNames      bool
	hasPrivileges bool
	hasClusters   bool
}

func (rp *roleParser) indexGroups(p pair, remote bool) []IndexGroup {
	var out []IndexGroup
	for _, gp := range rp.groupList(p, remote) {
		out = append(out, gp.g)
	}
	return out
}

func (rp *roleParser) remoteIndexGroups(p pair) []RemoteIndexGroup {
	var out []RemoteIndexGroup
	for _, gp := range rp.groupList(p, true) {
		out = append(out, RemoteIndexGroup{Clusters: gp.clusters, IndexGroup: gp.g})
	}
	return out
}

func groupPrefix(remote bool, role string) string {
	if remote {
		return "failed to parse remote indices privileges for role [" + role + "]. "
	}
	return "failed to parse indices privileges for role [" + role + "]. "
}

func (rp *roleParser) groupList(p pair, remote bool) []*groupParser {
	var out []*groupParser
	for _, item := range rp.objectList(p.val, p.name, groupPrefix(remote, rp.name)) {
		gp := &groupParser{rp: rp, remote: remote, prefix: groupPrefix(remote, rp.name)}
		gp.parse(item)
		out = append(out, gp)
	}
	return out
}

func (gp *groupParser) errorf(n *yaml.Node, format string, args ...any) {
	gp.rp.errorf(n, "%s"+format, append([]any{gp.prefix}, args...)...)
}

func (gp *groupParser) parse(n *yaml.Node) {
	gp.g.Line = n.Line
	for _, p := range pairs(n, gp.errorf) {
		gp.field(p)
	}
	gp.checkRequired(n)
	gp.g.grants = newActionSet(gp.grantPatterns(), nil)
}

func (gp *groupParser) field(p pair) {
	switch {
	case p.name == "names":
		gp.names(p)
	case p.name == "privileges":
		gp.privileges(p)
	case p.name == "allow_restricted_indices":
		gp.allowRestricted(p)
	case p.name == "query":
		gp.g.Query = gp.query(p)
	case p.name == "field_security":
		gp.fieldSecurity(p)
	case p.name == "clusters" && gp.remote:
		gp.hasClusters = true
		gp.clusters, _ = gp.rp.stringArray(p.name, p.val)
		if len(gp.clusters) == 0 {
			gp.errorf(p.val, "[clusters] cannot be empty")
		}
	case p.name == "transient_metadata" && p.val.Kind == yaml.MappingNode:
		// Elasticsearch skips it; so do we.
	default:
		gp.errorf(p.key, "unexpected field [%s]", p.name)
	}
}

func (gp *groupParser) names(p pair) {
	gp.hasNames = true
	var vals []string
	var nodes []*yaml.Node
	switch {
	case p.val.Kind == yaml.SequenceNode:
		vals, nodes = gp.rp.stringArray(p.name, p.val)
		if len(p.val.Content) == 0 {
			gp.errorf(p.val, "[names] cannot be an empty array")
		}
	default:
		s, ok := scalarString(p.val)
		if !ok {
			gp.errorf(p.val, "expected field [names] value to be a string or an array of strings, but found [%s] instead",
				tokenName(p.val))
			return
		}
		vals, nodes = []string{s}, []*yaml.Node{p.val}
	}
	for i, v := range vals {
		pat, err := ParsePattern(v)
		if err != nil {
			gp.rp.errorf(nodes[i], "role [%s]: %v", gp.rp.name, err)
			continue
		}
		gp.g.Names = append(gp.g.Names, v)
		gp.g.Patterns = append(gp.g.Patterns, pat)
	}
}

func (gp *groupParser) privileges(p pair) {
	gp.hasPrivileges = !isNull(p.val)
	gp.g.Privileges = gp.rp.indexPrivilegeNames(p)
}

func (gp *groupParser) grantPatterns() []string {
	var out []string
	for _, name := range gp.g.Privileges {
		inc, _ := resolveIndexPrivilege(name)
		out = append(out, inc...)
	}
	return out
}

func (gp *groupParser) allowRestricted(p pair) {
	if p.val.Kind != yaml.ScalarNode || p.val.ShortTag() != "!!bool" {
		gp.errorf(p.val, "expected field [%s] value to be a boolean, but found [%s] instead", p.name, tokenName(p.val))
		return
	}
	var b bool
	if err := p.val.Decode(&b); err != nil {
		gp.errorf(p.val, "expected field [%s] value to be a boolean, but found [%s] instead", p.name, p.val.Value)
		return
	}
	gp.g.AllowRestrictedIndices = b
}

func (gp *groupParser) checkRequired(n *yaml.Node) {
	if !gp.hasNames {
		gp.errorf(n, "missing required [names] field")
	}
	if !gp.hasPrivileges {
		gp.errorf(n, "missing required [privileges] field")
	}
	if gp.remote && !gp.hasClusters {
		gp.errorf(n, "missing required [clusters] field")
	}
}

// query keeps the DLS query as JSON: a string must hold a JSON object, a
// mapping is converted. Empty strings and null mean "no DLS", as in ES.
func (gp *groupParser) query(p pair) json.RawMessage {
	switch {
	case isNull(p.val):
		return nil
	case p.val.Kind == yaml.MappingNode:
		return gp.objectQuery(p.val)
	}
	s, ok := scalarString(p.val)
	if !ok || p.val.ShortTag() != "!!str" {
		gp.errorf(p.val, "expected field [query] value to be null, a string, or an object, but found [%s] instead", tokenName(p.val))
		return nil
	}
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if err := checkJSONObject([]byte(s)); err != nil {
		gp.errorf(p.val, "[query] must be a JSON object: %v", err)
		return nil
	}
	return json.RawMessage(strings.TrimSpace(s))
}

func (gp *groupParser) objectQuery(n *yaml.Node) json.RawMessage {
	m := gp.rp.object(n)
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		gp.errorf(n, "[query] cannot be converted to JSON: %v", err)
		return nil
	}
	return b
}
