package authz

import (
	"slices"
	"strings"
)

// Application privileges. Applications (Kibana: "kibana-.kibana") register
// named privileges, each a set of action patterns, with PUT
// /_security/privilege; roles grant them by name (or by action pattern,
// or "*") on resources ("space:marketing"); has_privileges asks about
// privilege names or actions. A requested privilege is held on a resource
// when its actions are a subset of the actions that the user's roles grant
// on every name the resource can be (Elasticsearch's ApplicationPermission).

// AppPrivileges resolves the application privileges applications
// registered: the action patterns of one privilege name.
type AppPrivileges interface {
	Actions(application, name string) ([]string, bool)
}

// IsApplicationAction reports whether a name is an application action
// (pattern) rather than a privilege name: Elasticsearch's rule is that
// actions contain "/", ":" or "*".
func IsApplicationAction(name string) bool { return strings.ContainsAny(name, "/:*") }

// applicationActions are the actions a privilege name or action pattern
// stands for in application app: "*" everything, an action itself, a
// registered name its actions, an unknown name nothing.
func applicationActions(reg AppPrivileges, app, name string) []string {
	switch {
	case name == "*":
		return []string{"*"}
	case IsApplicationAction(name):
		return []string{name}
	case reg == nil:
		return nil
	}
	actions, _ := reg.Actions(app, name)
	return actions
}

// holdsApplicationPrivilege answers one (application, resource, privilege)
// of a has_privileges check.
func (s *Subject) holdsApplicationPrivilege(reg AppPrivileges, app, resource, privilege string, budget *globBudget) bool {
	requested := applicationActions(reg, app, privilege)
	if len(requested) == 0 {
		return false // an unknown privilege is never held (fail closed)
	}
	checked := globSet{newGlobTerm([]string{resource}, nil)}
	var granted []string
	for _, r := range s.roles {
		for _, ap := range r.role.applications {
			if !matchesAny(ap.Application, app) {
				continue
			}
			if covered, _ := globSubset(checked, globSet{newGlobTerm(ap.Resources, nil)}, budget); !covered {
				continue
			}
			for _, p := range ap.Privileges {
				granted = append(granted, applicationActions(reg, app, p)...)
			}
		}
	}
	if len(granted) == 0 {
		return false
	}
	held, _ := globSubset(globSet{newGlobTerm(requested, nil)}, globSet{newGlobTerm(slices.Compact(granted), nil)}, budget)
	return held
}

// matchesAny reports whether the application name pattern of a role entry
// matches the application asked about.
func matchesAny(pattern, app string) bool {
	return compileWildcard(pattern).match(app)
}

// ManagesApplications reports whether the user's roles may manage the
// privileges of application app through the configurable "global"
// privilege application.manage (kibana_system: "kibana-*").
func (s *Subject) ManagesApplications(app string) bool {
	for _, r := range s.roles {
		for _, p := range r.role.global.ManageApplications {
			if matchesAny(p, app) {
				return true
			}
		}
	}
	return false
}

// BuiltinPrivileges are the names GET /_security/privilege/_builtin lists:
// the cluster and index privileges the proxy knows.
func BuiltinPrivileges() (cluster, index []string) {
	for _, d := range clusterPrivilegeDefs() {
		cluster = append(cluster, d.name)
	}
	for _, d := range indexPrivilegeDefs() {
		index = append(index, d.name)
	}
	slices.Sort(cluster)
	slices.Sort(index)
	return slices.Compact(cluster), slices.Compact(index)
}
