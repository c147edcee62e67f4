package authz

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// remoteClusterPrivileges are the only privileges remote_cluster accepts.
var remoteClusterPrivileges = []string{"monitor_enrich", "monitor_stats"}

// objectList checks that n is a sequence of mappings and returns them.
func (rp *roleParser) objectList(n *yaml.Node, field, prefix string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		rp.errorf(n, "%sexpected field [%s] value to be an array, but found [%s] instead", prefix, field, tokenName(n))
		return nil
	}
	var out []*yaml.Node
	for _, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			rp.errorf(item, "%sexpected field [%s] value to be an array of objects, but found an array element of type [%s]",
				prefix, field, tokenName(item))
			continue
		}
		out = append(out, item)
	}
	return out
}

func (rp *roleParser) remoteClusterGroups(p pair) []RemoteClusterGroup {
	prefix := "failed to parse remote_cluster for role [" + rp.name + "]. "
	var out []RemoteClusterGroup
	for _, item := range rp.objectList(p.val, p.name, prefix) {
		g := RemoteClusterGroup{Line: item.Line}
		var hasPrivileges, hasClusters bool
		for _, e := range pairs(item, rp.prefixed(prefix)) {
			switch e.name {
			case "privileges":
				hasPrivileges = true
				g.Privileges = rp.remoteClusterPrivilegeList(e, prefix)
			case "clusters":
				hasClusters = true
				g.Clusters, _ = rp.stringArray(e.name, e.val)
			default:
				rp.errorf(e.key, "%sunexpected field [%s]", prefix, e.name)
			}
		}
		rp.requireFields(item, prefix, map[string]bool{"privileges": hasPrivileges, "clusters": hasClusters})
		out = append(out, g)
	}
	return out
}

func (rp *roleParser) remoteClusterPrivilegeList(e pair, prefix string) []string {
	vals, _ := rp.stringArray(e.name, e.val)
	for i := range vals {
		vals[i] = strings.ToLower(vals[i])
	}
	for _, v := range vals {
		if !slices.Contains(remoteClusterPrivileges, v) {
			rp.errorf(e.val, "%s[%s] are the only values allowed for [privileges] within [remote_cluster]. Found [%s]",
				prefix, strings.Join(remoteClusterPrivileges, ", "), strings.Join(vals, ", "))
			break
		}
	}
	return vals
}

// requireFields reports each missing required field, in a stable order.
func (rp *roleParser) requireFields(n *yaml.Node, prefix string, present map[string]bool) {
	names := make([]string, 0, len(present))
	for name := range present {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !present[name] {
			rp.errorf(n, "%smissing required [%s] field", prefix, name)
		}
	}
}

func (rp *roleParser) applicationPrivileges(p pair) []ApplicationPrivilege {
	prefix := "failed to parse application privileges for role [" + rp.name + "]. "
	var out []ApplicationPrivilege
	for _, item := range rp.objectList(p.val, p.name, prefix) {
		a := ApplicationPrivilege{Line: item.Line}
		present := map[string]bool{"application": false, "privileges": false, "resources": false}
		for _, e := range pairs(item, rp.prefixed(prefix)) {
			switch e.name {
			case "application":
				present[e.name] = true
				a.Application = rp.applicationName(e, prefix)
			case "privileges":
				present[e.name] = !isNull(e.val)
				a.Privileges, _ = rp.stringArray(e.name, e.val)
			case "resources":
				present[e.name] = !isNull(e.val)
				a.Resources, _ = rp.stringArray(e.name, e.val)
			default:
				rp.errorf(e.key, "%sunexpected field [%s]", prefix, e.name)
			}
		}
		rp.requireFields(item, prefix, present)
		out = append(out, a)
	}
	return out
}

func (rp *roleParser) applicationName(e pair, prefix string) string {
	s, ok := scalarString(e.val)
	if !ok || s == "" {
		rp.errorf(e.val, "%sexpected field [application] value to be a non-empty string, but found [%s] instead",
			prefix, tokenName(e.val))
	}
	return s
}

// globalPrivileges reads "global": application.manage.applications,
// profile.write.applications and role.manage.indices.
func (rp *roleParser) globalPrivileges(n *yaml.Node) GlobalPrivileges {
	prefix := "failed to parse global privileges for role [" + rp.name + "]. "
	var g GlobalPrivileges
	for _, cat := range rp.objectPairs(n, "global", prefix) {
		switch cat.name {
		case "application":
			g.ManageApplications = rp.globalApplications(cat, "manage", prefix)
		case "profile":
			g.WriteProfileApplications = rp.globalApplications(cat, "write", prefix)
		case "role":
			g.ManageRoles = rp.globalManageRoles(cat, prefix)
		default:
			rp.errorf(cat.key, "%sunexpected field [%s]", prefix, cat.name)
		}
	}
	return g
}

// objectPairs checks that n is a mapping and returns its entries.
func (rp *roleParser) objectPairs(n *yaml.Node, field, prefix string) []pair {
	if n.Kind != yaml.MappingNode {
		rp.errorf(n, "%sexpected field [%s] to be an object, but found [%s] instead", prefix, field, tokenName(n))
		return nil
	}
	return pairs(n, rp.prefixed(prefix))
}

// globalApplications reads {<verb>: {applications: [...]}}.
func (rp *roleParser) globalApplications(cat pair, verb, prefix string) []string {
	var apps []string
	for _, v := range rp.objectPairs(cat.val, cat.name, prefix) {
		if v.name != verb {
			rp.errorf(v.key, "%sunexpected field [%s.%s]", prefix, cat.name, v.name)
			continue
		}
		for _, f := range rp.objectPairs(v.val, cat.name+"."+verb, prefix) {
			if f.name != "applications" {
				rp.errorf(f.key, "%sunexpected field [%s.%s.%s]", prefix, cat.name, verb, f.name)
				continue
			}
			apps, _ = rp.stringArray(f.name, f.val)
		}
	}
	return apps
}

// globalManageRoles reads {manage: {indices: [{names, privileges}]}}.
func (rp *roleParser) globalManageRoles(cat pair, prefix string) []ManageRolesIndices {
	var out []ManageRolesIndices
	for _, v := range rp.objectPairs(cat.val, cat.name, prefix) {
		if v.name != "manage" {
			rp.errorf(v.key, "%sunexpected field [role.%s]", prefix, v.name)
			continue
		}
		for _, f := range rp.objectPairs(v.val, "role.manage", prefix) {
			if f.name != "indices" {
				rp.errorf(f.key, "%sunexpected field [role.manage.%s]", prefix, f.name)
				continue
			}
			for _, item := range rp.objectList(f.val, "role.manage.indices", prefix) {
				out = append(out, rp.manageRolesEntry(item, prefix))
			}
		}
	}
	return out
}

func (rp *roleParser) manageRolesEntry(item *yaml.Node, prefix string) ManageRolesIndices {
	var m ManageRolesIndices
	present := map[string]bool{"names": false, "privileges": false}
	for _, e := range pairs(item, rp.prefixed(prefix)) {
		switch e.name {
		case "names":
			present[e.name] = !isNull(e.val)
			m.Names, _ = rp.stringArray(e.name, e.val)
		case "privileges":
			present[e.name] = !isNull(e.val)
			m.Privileges = rp.indexPrivilegeNames(e)
		default:
			rp.errorf(e.key, "%sunexpected field [role.manage.indices.%s]", prefix, e.name)
		}
	}
	rp.requireFields(item, prefix, present)
	return m
}

// indexPrivilegeNames validates a list of index privilege names.
func (rp *roleParser) indexPrivilegeNames(e pair) []string {
	vals, nodes := rp.stringArray(e.name, e.val)
	var out []string
	for i, v := range vals {
		name := strings.ToLower(v)
		if _, known := resolveIndexPrivilege(name); !known {
			rp.errorf(nodes[i], "role [%s]: %s", rp.name, unknownIndexPrivilegeMessage(name))
			continue
		}
		out = append(out, name)
	}
	return out
}
