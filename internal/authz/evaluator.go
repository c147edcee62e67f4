package authz

import (
	"slices"
	"strings"
	"time"
)

// Evaluator decides requests against a RoleSet. It is immutable (but for
// internal caches) and safe for concurrent use.
type Evaluator struct {
	roles    *RoleSet
	compiled map[string]*compiledRole
	now      func() time.Time
	cache    evaluatorCache // grants per group for the last metadata seen
	roleSets roleSetCache   // role names resolved, per list of names
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
//
// A request with a Limit (an API key) is decided on both sides and gets
// what both allow.
func (e *Evaluator) Decide(req Request) Decision {
	if req.Limit != nil {
		return e.decideLimited(req)
	}
	s := e.subject(req.User, req.Roles)
	return s.Decide(req)
}

// Subject is one user with their roles resolved, to decide many requests of
// that user (the items of a _bulk, _mget or _msearch) without resolving the
// roles again. It is safe for concurrent use. The EffectiveRoles and
// MissingRoles slices of its decisions are shared (with every subject of
// the same role names): read-only.
type Subject struct {
	e         *Evaluator
	user      string
	roles     []*compiledRole
	effective []string
	missing   []string
	// grantee holds the resolved roles, shared by every subject with the
	// same role names (see roleSetCache).
	grantee *grantee
}

// Subject resolves the user's role names (unknown names are kept as
// missing, for refusals).
func (e *Evaluator) Subject(user string, roles []string) *Subject {
	s := e.subject(user, roles)
	return &s
}

// subject is Subject without the allocation, for one decision.
func (e *Evaluator) subject(user string, roles []string) Subject {
	g := e.roleSets.get(e, roles)
	return Subject{e: e, user: user, roles: g.roles, effective: g.effective, missing: g.missing, grantee: g}
}

// Decide decides req for the subject; req.User and req.Roles are ignored.
// An action that makes the cluster run a search of its own (see
// searchingActions) must be allowed for that search as well.
func (s *Subject) Decide(req Request) Decision {
	req.User, req.Roles = s.user, nil
	if search, ok := searchingActions[req.Action]; ok {
		return s.decideWithSearch(req, search)
	}
	return s.decideOne(req)
}

// decideOne decides req for its action alone.
func (s *Subject) decideOne(req Request) Decision {
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
func (s *Subject) groupsFor(action string) []*compiledGroup { return s.grantee.groupsFor(action) }

// resolve maps role names to compiled roles: the roles found (sorted by
// name, which orders DLS queries), and the sorted names of those found and
// of those not found.
func (e *Evaluator) resolve(names []string) (roles []*compiledRole, effective, missing []string) {
	roles, effective = make([]*compiledRole, 0, len(names)), make([]string, 0, len(names))
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
	if len(roles) == 0 {
		roles, effective = nil, nil // as when nothing was appended
	}
	slices.SortFunc(roles, func(a, b *compiledRole) int { return strings.Compare(a.role.name, b.role.name) })
	slices.Sort(effective)
	slices.Sort(missing)
	// Shared by every decision of these names: no spare capacity to write to.
	return slices.Clip(roles), slices.Clip(effective), slices.Clip(missing)
}
