package authz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// Limit is a second set of roles every request must satisfy as well: an
// API key's role descriptors. Elasticsearch grants an API key the
// intersection of the key's own privileges and its owner's ("limited-by"),
// so a request is decided twice, once on each side, and the decisions are
// intersected (intersect). A Limit is immutable and safe for concurrent use.
type Limit struct {
	// KeyID names the API key in refusals.
	KeyID string
	eval  *Evaluator
	roles []string
}

// ParseLimit compiles an API key's role_descriptors (a JSON object of role
// name to role descriptor, Elastic's schema) into a Limit. An empty or
// absent object yields nil: the key has its owner's privileges, no more.
// Problems name source as the file.
func ParseLimit(keyID, source string, descriptors []byte) (*Limit, diag.Problems) {
	trimmed := bytes.TrimSpace(descriptors)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || isEmptyObject(trimmed) {
		return nil, nil
	}
	if trimmed[0] != '{' {
		var ps diag.Problems
		ps.Errorf(source, 0, "role_descriptors must be an object of role name to role descriptor")
		return nil, ps
	}
	rs, ps := ParseRoles(source, trimmed)
	if ps.HasErrors() {
		return nil, ps
	}
	var names []string // the descriptors only, never the built-in roles of the set
	for _, name := range rs.Names() {
		if r, _ := rs.Get(name); !r.Reserved() {
			names = append(names, name)
		}
	}
	if len(names) == 0 { // every descriptor was invalid: never fall back to the owner's privileges
		ps.Errorf(source, 0, "role_descriptors hold no valid role descriptor")
		return nil, ps
	}
	return &Limit{KeyID: keyID, eval: NewEvaluator(rs), roles: names}, ps
}

func isEmptyObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && len(m) == 0
}

// Roles are the names of the key's role descriptors.
func (l *Limit) Roles() []string { return slices.Clone(l.roles) }

// Evaluator is the evaluator of the key's own role descriptors.
func (l *Limit) Evaluator() *Evaluator { return l.eval }

// Widens is Evaluator.Widens for the key's role descriptors.
func (l *Limit) Widens(name, than string) bool { return l.eval.Widens(l.roles, name, than) }

// decideLimited decides req on the owner's side (e) and on the key's side
// (req.Limit) and intersects the two decisions.
//
// When the sides reached different names (say the owner an alias and its
// index, the key the index only), each side's access was worked out over
// its own names; both are decided again on the names both reach, so that
// neither side's access counts a name the other dropped (the owner's
// unrestricted alias must not lift its DLS on the index).
func (e *Evaluator) decideLimited(req Request) Decision {
	l := req.Limit
	req.Limit, req.keyID = nil, l.KeyID
	return decidedOnCommonNames(req, func(req Request) Decision { return e.bothSides(req, l) })
}

// decidedOnCommonNames is both(req), an intersection of two decisions;
// when the two reached different names, both are decided again on the
// names the intersection kept (see decideLimited).
func decidedOnCommonNames(req Request, both func(Request) Decision) Decision {
	d := both(req)
	if !d.Allowed || d.Unrestricted || d.ActionOnly || d.MatchNothing || !d.Rewritten || len(d.Indices) == 0 {
		return d
	}
	again := req
	again.Indices = d.Indices
	d2 := both(again)
	if d2.Allowed && !d2.MatchNothing {
		d2.Rewritten = !slices.Equal(d2.Indices, req.Indices)
		d2.Unrestricted = !d2.Rewritten && !slices.ContainsFunc(d2.Access, IndexAccess.Filtered)
	}
	return d2
}

// bothSides decides req for the owner (req.Roles) and for the key's
// descriptors, and intersects the decisions.
func (e *Evaluator) bothSides(req Request, l *Limit) Decision {
	owner := e.Decide(req)
	keyReq := req
	keyReq.Roles = l.roles
	return intersect(req, owner, l.eval.Decide(keyReq), apiKeySides)
}

// sides names the two decisions intersect combines, for its refusals.
type sides struct {
	// who is whom a refusal is about, given the request.
	who func(req Request) string
	// both is the subject of "both … restrict", e.g. "the API key and its owner".
	both string
}

// apiKeySides names an API key's decision and its owner's.
var apiKeySides = sides{
	who: func(req Request) string {
		return fmt.Sprintf("API key id [%s] of user [%s]", req.keyID, req.User)
	},
	both: "the API key and its owner",
}

// intersect is the decision that allows only what both decisions allow:
// the names both reach and, per concrete index, the document-level
// security of both sides (both queries must match) and the field-level
// security of either. A combination the proxy cannot express (both sides
// restricting the fields of one index, templated queries on both sides, or
// sides that reach different concrete indices through the same names) is
// refused: fail closed. The roles shown are the owner's.
func intersect(req Request, owner, key Decision, names sides) Decision {
	key.EffectiveRoles, key.MissingRoles = owner.EffectiveRoles, owner.MissingRoles
	switch {
	case !owner.Allowed:
		return owner
	case !key.Allowed:
		return key
	case owner.ManagedApplications != nil && key.ManagedApplications != nil && !slices.Equal(owner.ManagedApplications, key.ManagedApplications):
		return cannotIntersect(owner, req, names, names.both+" may manage the privileges of different applications")
	case owner.ProfileApplications != nil && key.ProfileApplications != nil && !slices.Equal(owner.ProfileApplications, key.ProfileApplications):
		return cannotIntersect(owner, req, names, names.both+" may write the profile data of different applications")
	case key.Unrestricted && owner.Unrestricted:
		owner.OwnAPIKeysOnly = owner.OwnAPIKeysOnly || key.OwnAPIKeysOnly
		if owner.ManagedApplications == nil {
			owner.ManagedApplications = key.ManagedApplications
		}
		if owner.ProfileApplications == nil {
			owner.ProfileApplications = key.ProfileApplications
		}
		return owner
	case key.Unrestricted:
		return owner
	case owner.Unrestricted:
		return key
	case owner.ActionOnly != key.ActionOnly:
		return cannotIntersect(owner, req, names, names.both+" authorize the request in different ways")
	case owner.ActionOnly:
		return owner
	case owner.MatchNothing || key.MatchNothing:
		return matchNothing(owner)
	}
	d := owner
	d.Indices = commonNames(owner.Indices, key.Indices)
	if len(d.Indices) == 0 {
		return matchNothing(owner)
	}
	d.Rewritten = !slices.Equal(d.Indices, req.Indices)
	access, err := intersectAccess(owner.Access, key.Access, names.both)
	if err != nil {
		return cannotIntersect(owner, req, names, err.Error())
	}
	d.Access = access
	d.Unrestricted = !d.Rewritten && !slices.ContainsFunc(d.Access, IndexAccess.Filtered)
	return d
}

func matchNothing(d Decision) Decision {
	d.Allowed, d.MatchNothing, d.Rewritten, d.Unrestricted = true, true, true, false
	d.Indices, d.Access = nil, nil
	return d
}

// cannotIntersect refuses a request whose two decisions cannot be combined.
func cannotIntersect(d Decision, req Request, names sides, why string) Decision {
	return Decision{
		Status: 403, ErrorType: "security_exception", EffectiveRoles: d.EffectiveRoles, MissingRoles: d.MissingRoles,
		Reason: fmt.Sprintf("action [%s] is unauthorized for %s: %s", req.Action, names.who(req), why),
	}
}

// commonNames keeps the names of a that b holds too, in a's order.
func commonNames(a, b []string) []string {
	inB := make(map[string]struct{}, len(b))
	for _, n := range b {
		inB[n] = struct{}{}
	}
	var out []string
	for _, n := range a {
		if _, ok := inB[n]; ok {
			out = append(out, n)
			delete(inB, n) // once
		}
	}
	return out
}

// intersectAccess combines the per-index restrictions of both sides. A nil
// list means every index reached is unrestricted on that side. An index
// only one side lists is reached only through names the other side does
// not reach (those names were dropped): it is dropped too.
func intersectAccess(a, b []IndexAccess, both string) ([]IndexAccess, error) {
	switch {
	case a == nil:
		return b, nil
	case b == nil:
		return a, nil
	}
	inB := make(map[string]int, len(b))
	for i, y := range b {
		inB[y.Index] = i
	}
	out := make([]IndexAccess, 0, min(len(a), len(b)))
	for _, x := range a {
		i, ok := inB[x.Index]
		if !ok {
			continue
		}
		c, err := intersectIndexAccess(x, b[i], both)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func intersectIndexAccess(a, b IndexAccess, both string) (IndexAccess, error) {
	c := IndexAccess{Index: a.Index}
	switch {
	case a.Fields == nil:
		c.Fields = b.Fields
	case b.Fields == nil:
		c.Fields = a.Fields
	case sameFields(a.Fields, b.Fields):
		// The same definitions on both sides (one role granting both
		// actions, or a key repeating its owner's role): that field set.
		c.Fields = a.Fields
	default:
		return c, fmt.Errorf("both %s restrict the fields of [%s], which the proxy cannot combine", both, a.Index)
	}
	switch {
	case len(a.Queries) == 0:
		c.Queries = b.Queries
	case len(b.Queries) == 0:
		c.Queries = a.Queries
	case slices.EqualFunc(a.Queries, b.Queries, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) }):
		c.Queries = a.Queries
	default:
		q, err := bothQueries(a.Queries, b.Queries, both)
		if err != nil {
			return c, fmt.Errorf("%v on [%s]", err, a.Index)
		}
		c.Queries = []json.RawMessage{q}
	}
	return c, nil
}

// bothQueries is one query matching the documents that match one query of
// a and one of b (each list is OR-ed). Templated queries are rendered later,
// per user, only at the top level of a role query: they cannot be nested.
func bothQueries(a, b []json.RawMessage, both string) (json.RawMessage, error) {
	if slices.ContainsFunc(a, isTemplateQuery) || slices.ContainsFunc(b, isTemplateQuery) {
		return nil, fmt.Errorf("both %s restrict documents, one with a templated query, which the proxy cannot combine", both)
	}
	type should struct {
		Should             []json.RawMessage `json:"should"`
		MinimumShouldMatch int               `json:"minimum_should_match"`
	}
	type boolOf[T any] struct {
		Bool T `json:"bool"`
	}
	q := boolOf[struct {
		Filter []boolOf[should] `json:"filter"`
	}]{}
	q.Bool.Filter = []boolOf[should]{{should{unwrapStrings(a), 1}}, {should{unwrapStrings(b), 1}}}
	return json.Marshal(q)
}

// sameFields reports whether two field-level securities are made of the
// same definitions, in the same order (their intersection is either).
func sameFields(a, b *FieldAccess) bool {
	return a == b || slices.EqualFunc(a.Sets, b.Sets, func(x, y FieldSecurity) bool {
		return slices.Equal(x.Grant, y.Grant) && slices.Equal(x.Except, y.Except)
	})
}

// unwrapStrings turns queries written as JSON strings (allowed in roles)
// into the objects they hold.
func unwrapStrings(qs []json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, len(qs))
	for i, q := range qs {
		var s string
		if json.Unmarshal(q, &s) == nil {
			out[i] = json.RawMessage(s)
		} else {
			out[i] = q
		}
	}
	return out
}

// isTemplateQuery reports whether a role query is (or, as a string, holds)
// a {"template": …} object.
func isTemplateQuery(q json.RawMessage) bool {
	var s string
	if json.Unmarshal(q, &s) == nil {
		q = json.RawMessage(s)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(q, &m) != nil {
		return true // not an object: cannot tell, treat as templated (refuse)
	}
	_, ok := m["template"]
	return ok
}

// And is what both results hold: a privilege is held only when it is held
// in r and in o (an API key's check against its owner's). Entries of one
// result missing from the other count as not held.
func (r HasPrivilegesResult) And(o HasPrivilegesResult) HasPrivilegesResult {
	out := HasPrivilegesResult{Username: r.Username, HasAllRequested: r.HasAllRequested && o.HasAllRequested,
		Cluster: map[string]bool{}, Index: map[string]map[string]bool{}, Application: map[string]map[string]map[string]bool{}}
	for k, v := range r.Cluster {
		out.Cluster[k] = v && o.Cluster[k]
	}
	for ix, privs := range r.Index {
		out.Index[ix] = map[string]bool{}
		for p, v := range privs {
			out.Index[ix][p] = v && o.Index[ix][p]
		}
	}
	for app, res := range r.Application {
		out.Application[app] = map[string]map[string]bool{}
		for rsrc, privs := range res {
			out.Application[app][rsrc] = map[string]bool{}
			for p, v := range privs {
				out.Application[app][rsrc][p] = v && o.Application[app][rsrc][p]
			}
		}
	}
	return out
}
