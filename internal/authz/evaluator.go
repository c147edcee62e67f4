package authz

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Evaluator decides requests against a RoleSet. It is immutable (but for
// internal caches) and safe for concurrent use.
type Evaluator struct {
	roles    *RoleSet
	compiled map[string]*compiledRole
	now      func() time.Time
	cache    evaluatorCache // grants per group for the last metadata seen
}

// EvaluatorOption configures an Evaluator.
type EvaluatorOption func(*Evaluator)

// WithClock sets the clock date math index names are resolved with
// (default time.Now).
func WithClock(now func() time.Time) EvaluatorOption {
	return func(e *Evaluator) { e.now = now }
}

// NewEvaluator returns an evaluator over rs; a nil rs means the built-in
// roles only. Every role is compiled once, here.
func NewEvaluator(rs *RoleSet, opts ...EvaluatorOption) *Evaluator {
	if rs == nil {
		rs = newRoleSet(nil)
	}
	e := &Evaluator{roles: rs, compiled: make(map[string]*compiledRole, len(rs.roles)), now: time.Now}
	for name, r := range rs.roles {
		e.compiled[name] = compileRole(r)
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Decide decides one request:
//   - cluster actions (and the template actions) by the roles' cluster
//     privileges, plus the security APIs every user may call about
//     themselves;
//   - index actions by resolving the index expressions under security
//     (resolve.go) and combining DLS/FLS per index (access.go);
//   - an unclassified action only for superusers, on no restricted index.
func (e *Evaluator) Decide(req Request) Decision { return e.Subject(req.User, req.Roles).Decide(req) }

// Subject is one user with their roles resolved, to decide many requests of
// that user (the items of a _bulk, _mget or _msearch) without resolving the
// roles again. It is safe for concurrent use. The EffectiveRoles and
// MissingRoles slices of its decisions are shared: read-only.
type Subject struct {
	e         *Evaluator
	user      string
	roles     []*compiledRole
	effective []string
	missing   []string

	mu       sync.Mutex
	byAction []actionGroups // groups per action, across roles (several roles only)
}

type actionGroups struct {
	action string
	groups []*compiledGroup
}

// maxSubjectActions bounds a Subject's per-action cache.
const maxSubjectActions = 16

// Subject resolves the user's role names (unknown names are kept as
// missing, for refusals).
func (e *Evaluator) Subject(user string, roles []string) *Subject {
	s := &Subject{e: e, user: user}
	s.roles, s.effective, s.missing = e.resolve(roles)
	return s
}

// Decide decides req for the subject; req.User and req.Roles are ignored.
func (s *Subject) Decide(req Request) Decision {
	req.User, req.Roles = s.user, nil
	d := Decision{EffectiveRoles: s.effective, MissingRoles: s.missing}
	switch {
	case IsClusterAction(req.Action):
		return s.e.decideCluster(req, s.roles, d)
	case IsIndexAction(req.Action):
		return s.e.decideIndices(req, s.groupsFor(req.Action), d)
	}
	return s.e.decideUnclassified(req, s.roles, d)
}

// groupsFor returns the subject's index groups granting action (shared;
// read-only).
func (s *Subject) groupsFor(action string) []*compiledGroup {
	switch len(s.roles) {
	case 0:
		return nil
	case 1:
		return s.roles[0].groupsFor(action)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ag := range s.byAction {
		if ag.action == action {
			return ag.groups
		}
	}
	var groups []*compiledGroup
	for _, r := range s.roles {
		groups = append(groups, r.groupsFor(action)...)
	}
	if len(s.byAction) < maxSubjectActions {
		s.byAction = append(s.byAction, actionGroups{action: action, groups: groups})
	}
	return groups
}

// resolve maps role names to compiled roles: the roles found (sorted by
// name, which orders DLS queries), and the sorted names of those found and
// of those not found.
func (e *Evaluator) resolve(names []string) (roles []*compiledRole, effective, missing []string) {
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			continue
		}
		if r, ok := e.compiled[name]; ok {
			roles = append(roles, r)
			effective = append(effective, name)
		} else {
			missing = append(missing, name)
		}
	}
	slices.SortFunc(roles, func(a, b *compiledRole) int { return strings.Compare(a.role.name, b.role.name) })
	slices.Sort(effective)
	slices.Sort(missing)
	return roles, effective, missing
}
