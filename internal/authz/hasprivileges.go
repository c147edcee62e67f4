package authz

import (
	"errors"
	"strings"
)

// PrivilegesCheck is the body of a has_privileges request: the privileges
// the caller asks whether they hold.
type PrivilegesCheck struct {
	// Cluster are cluster privilege names or cluster action patterns.
	Cluster []string
	// Index are the index privileges to check, per index name or pattern.
	Index []IndexPrivilegesCheck
	// Application are application privileges to check.
	Application []ApplicationPrivilegesCheck
	// Registered resolves application privilege names (nil: none are
	// registered; only actions and "*" then grant anything).
	Registered AppPrivileges
}

// IndexPrivilegesCheck is one entry of a has_privileges "index" list.
type IndexPrivilegesCheck struct {
	// Names are index names or patterns (wildcards or /regular expressions/).
	Names []string
	// Privileges are index privilege names or index action patterns.
	Privileges []string
	// AllowRestrictedIndices makes a pattern also cover the restricted
	// indices it matches.
	AllowRestrictedIndices bool
}

// ApplicationPrivilegesCheck is one entry of a has_privileges
// "application" list.
type ApplicationPrivilegesCheck struct {
	Application string
	Privileges  []string
	Resources   []string
}

// HasPrivilegesResult is Elasticsearch's has_privileges answer, field for
// field.
type HasPrivilegesResult struct {
	Username        string                                `json:"username"`
	HasAllRequested bool                                  `json:"has_all_requested"`
	Cluster         map[string]bool                       `json:"cluster"`
	Index           map[string]map[string]bool            `json:"index"`
	Application     map[string]map[string]map[string]bool `json:"application"`
}

// ErrNoPrivilegeRequested is Elasticsearch's validation error for a check
// that names no privilege at all.
var ErrNoPrivilegeRequested = errors.New("must specify at least one privilege")

// PrivilegeNameError is an unknown privilege name in a check; Elasticsearch
// answers it with 400 illegal_argument_exception and this message.
type PrivilegeNameError struct{ Message string }

func (e *PrivilegeNameError) Error() string { return e.Message }

// HasPrivileges answers a has_privileges check for the subject the way
// Elasticsearch's RBACEngine.checkPrivileges does:
//   - a cluster privilege is held when the actions it covers are a subset
//     of the union of the actions the user's cluster privileges grant (a
//     request-dependent privilege such as manage_own_api_key only when a
//     role names it);
//   - an index privilege on a name or pattern is held when the actions it
//     covers are a subset of the union of the privileges of the index
//     groups whose patterns each cover every index the checked pattern can
//     match (see coveringGroups); restricted indices are left out of the
//     checked pattern unless allow_restricted_indices is set or the name is
//     itself a concrete restricted index;
//   - an application privilege (name or action) on a resource is held when
//     its actions are a subset of the actions of the role entries for that
//     application whose resources cover the checked resource (application.go);
//     privilege names resolve through check.Registered.
//
// Undecidable cases (Lucene regular expressions in the check, state
// explosion) answer false: fail closed.
func (s *Subject) HasPrivileges(check PrivilegesCheck) (HasPrivilegesResult, error) {
	if len(check.Cluster) == 0 && len(check.Index) == 0 && len(check.Application) == 0 {
		return HasPrivilegesResult{}, ErrNoPrivilegeRequested
	}
	res := HasPrivilegesResult{
		Username: s.user, HasAllRequested: true, Cluster: map[string]bool{},
		Index: map[string]map[string]bool{}, Application: map[string]map[string]map[string]bool{},
	}
	budget := newGlobBudget()
	record := func(held bool) bool {
		res.HasAllRequested = res.HasAllRequested && held
		return held
	}
	for _, name := range check.Cluster {
		held, err := s.holdsClusterPrivilege(name, budget)
		if err != nil {
			return HasPrivilegesResult{}, err
		}
		res.Cluster[name] = record(held)
	}
	for _, ic := range check.Index {
		if err := s.checkIndexEntry(ic, res.Index, record, budget); err != nil {
			return HasPrivilegesResult{}, err
		}
	}
	for _, ac := range check.Application {
		s.checkApplicationEntry(check.Registered, ac, res.Application, record, budget)
	}
	return res, nil
}

// holdsClusterPrivilege answers one cluster privilege (name or action
// pattern, case-insensitive, as ClusterPrivilegeResolver.resolve).
func (s *Subject) holdsClusterPrivilege(name string, budget *globBudget) (bool, error) {
	lower := strings.ToLower(name)
	set, _, known := resolveClusterPrivilege(lower)
	if !known {
		return false, &PrivilegeNameError{Message: unknownClusterPrivilegeMessage(lower)}
	}
	if p, ok := clusterCatalogue().get(lower); ok && p.conditional {
		// Only the same request-dependent privilege implies it
		// (ClusterPermission.implies compares permission checks by kind).
		return s.anyRoleNamesCluster(lower), nil
	}
	if set.isEmpty() {
		return true, nil // an empty privilege ("none") is implied by everything
	}
	var granted globSet
	for _, r := range s.roles {
		for _, g := range r.role.clusterGrants {
			granted = append(granted, newGlobTerm(g.include, g.exclude))
		}
	}
	held, _ := globSubset(globSet{newGlobTerm(set.include, set.exclude)}, granted, budget)
	return held, nil
}

func (s *Subject) anyRoleNamesCluster(name string) bool {
	for _, r := range s.roles {
		for _, c := range r.role.cluster {
			if c == name {
				return true
			}
		}
	}
	return false
}

// checkIndexEntry answers every (name, privilege) pair of one index entry
// into out. Answers for a pair seen twice are AND-ed, as Elasticsearch's
// ResourcePrivilegesMap builder does.
func (s *Subject) checkIndexEntry(ic IndexPrivilegesCheck, out map[string]map[string]bool, record func(bool) bool, budget *globBudget) error {
	privs := make([]checkedIndexPrivilege, 0, len(ic.Privileges))
	for _, name := range ic.Privileges {
		p, err := resolveCheckedIndexPrivilege(name)
		if err != nil {
			return err
		}
		privs = append(privs, p)
	}
	for _, index := range ic.Names {
		covering, trivial := s.coveringGroups(index, ic.AllowRestrictedIndices, budget)
		if out[index] == nil {
			out[index] = map[string]bool{}
		}
		for _, p := range privs {
			held := trivial || (covering != nil && p.heldBy(covering, budget))
			if prev, seen := out[index][p.name]; seen {
				held = held && prev
			}
			out[index][p.name] = record(held)
		}
	}
	return nil
}

// checkedIndexPrivilege is one privilege of an index check, resolved.
type checkedIndexPrivilege struct {
	name string // as requested
	// lower is the lower-cased name.
	lower string
	// set are the actions it covers.
	set globTerm
	// failureStore: the privilege reaches a data stream's failure store
	// only, which groups' action sets do not model.
	failureStore bool
}

// resolveCheckedIndexPrivilege resolves a privilege name or index action
// pattern as IndexPrivilege.resolve does.
func resolveCheckedIndexPrivilege(name string) (checkedIndexPrivilege, error) {
	lower := strings.ToLower(name)
	p := checkedIndexPrivilege{name: name, lower: lower}
	if IsIndexAction(lower) {
		p.set = newGlobTerm([]string{lower + "*"}, nil)
		return p, nil
	}
	named, ok := indexCatalogue().get(lower)
	if !ok {
		return p, &PrivilegeNameError{Message: unknownIndexPrivilegeMessage(lower)}
	}
	p.set = newGlobTerm(named.include, nil)
	p.failureStore = !named.selector.grantsData()
	return p, nil
}

// heldBy reports whether the union of the covering groups' privileges
// covers the privilege. Failure-store privileges are held only through a
// group naming them or "all" (fail closed: the groups' action sets do not
// say which part of a data stream they reach).
func (p checkedIndexPrivilege) heldBy(groups []IndexGroup, budget *globBudget) bool {
	if p.failureStore {
		for _, g := range groups {
			for _, gp := range g.Privileges {
				if gp == p.lower || gp == "all" {
					return true
				}
			}
		}
		return false
	}
	if len(p.set.include) == 0 {
		return true // "none": held wherever some group covers the index
	}
	granted := make(globSet, 0, len(groups))
	for _, g := range groups {
		granted = append(granted, newGlobTerm(g.grants.include, g.grants.exclude))
	}
	held, _ := globSubset(globSet{p.set}, granted, budget)
	return held
}

func (s *Subject) checkApplicationEntry(reg AppPrivileges, ac ApplicationPrivilegesCheck, out map[string]map[string]map[string]bool, record func(bool) bool, budget *globBudget) {
	byResource := out[ac.Application]
	if byResource == nil {
		byResource = map[string]map[string]bool{}
		out[ac.Application] = byResource
	}
	for _, resource := range ac.Resources {
		if byResource[resource] == nil {
			byResource[resource] = map[string]bool{}
		}
		for _, priv := range ac.Privileges {
			byResource[resource][priv] = record(s.holdsApplicationPrivilege(reg, ac.Application, resource, priv, budget))
		}
	}
}
