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
// of a has_privileges check as Elasticsearch's ApplicationPermission does:
// some role entry must grant the requested actions and cover the resource
// by itself. Entries with the same privileges pool their resources (as
// Elasticsearch merges them); entries with different privileges never pool
// their actions, so "read on *" and "write on *" do not make "admin".
func (s *Subject) holdsApplicationPrivilege(reg AppPrivileges, app, resource, privilege string, budget *globBudget) bool {
	requested := applicationActions(reg, app, privilege)
	if len(requested) == 0 {
		return false // an unknown privilege is never held (fail closed)
	}
	checked := globSet{newGlobTerm([]string{resource}, nil)}
	wanted := globSet{newGlobTerm(requested, nil)}
	for _, e := range s.applicationEntries(app) {
		var granted []string
		for _, p := range e.privileges {
			granted = append(granted, applicationActions(reg, app, p)...)
		}
		if len(granted) == 0 {
			continue
		}
		if covered, _ := globSubset(checked, globSet{newGlobTerm(e.resources, nil)}, budget); !covered {
			continue
		}
		if held, _ := globSubset(wanted, globSet{newGlobTerm(granted, nil)}, budget); held {
			return true
		}
	}
	return false
}

// applicationEntry is the role entries for one application with the same
// privileges, their resources pooled.
type applicationEntry struct {
	privileges []string
	resources  []string
}

// applicationEntries are the subject's role entries whose application
// pattern matches app, grouped by their (sorted) privileges.
func (s *Subject) applicationEntries(app string) []applicationEntry {
	var out []applicationEntry
	index := map[string]int{}
	for _, r := range s.roles {
		for _, ap := range r.role.applications {
			if !matchesAny(ap.Application, app) {
				continue
			}
			privs := slices.Sorted(slices.Values(ap.Privileges))
			key := strings.Join(privs, "\x00")
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, applicationEntry{privileges: privs})
			}
			out[i].resources = append(out[i].resources, ap.Resources...)
		}
	}
	return out
}

// MatchesApplication reports whether an application name pattern (with *
// wildcards, as roles and global application.manage write them) matches
// the application.
func MatchesApplication(pattern, app string) bool { return matchesAny(pattern, app) }

// matchesAny reports whether the application name pattern of a role entry
// matches the application asked about.
func matchesAny(pattern, app string) bool {
	return compileWildcard(pattern).match(app)
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
