package authz

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzResolve feeds random index expressions, options, users and actions
// against the fixture roles and metadata. Whatever the input, Decide must
// not panic, and an allowed decision must only forward names, and show
// only indices, that an independent brute-force check over the role
// definitions grants for the action.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"", "_all", "*", "logs-*,-logs-acme*", "hr-payroll", "logs-acme-2024,hr-payroll",
		"<hr-payroll>", "<logs-{now/d}>", ".ds-payroll-stream-*", "logs-remote:hr-payroll", "logs-acme-2024::failures",
		"logs-acme-2024::data", "everything", "logs-payroll-alias", ".s*", "*,-*", "-logs-all,logs-*", "logs-zzz%2C%2A",
		".security*", "*:*", "<logs-{now/d{yyyy.MM.dd|+12:00}}>", "<{now}*>", "-*", "logs-*,-<logs-all>", "2015,current_year",
		"a*b*c", "logs-acme-2024::bogus", ".fs-*", "payroll-stream,.ds-*"} {
		for _, opts := range []byte{0, 0x05, 0x0f, 0x12, 0x20} {
			f.Add(s, opts, uint8(len(s)), uint8(opts))
		}
	}
	e := fixtureEvaluator(f, extraRoles)
	users := fixtureUsers(f)
	names := slices.Sorted(func(yield func(string) bool) {
		for u := range users {
			if !yield(u) {
				return
			}
		}
	})
	roleSets := [][]string{}
	for _, u := range names {
		roleSets = append(roleSets, users[u])
	}
	roleSets = append(roleSets, []string{"star_reader"}, []string{"stream_reader", "year_alias"}, []string{"regex_reader", "search_only"},
		[]string{"security_reader", "acme_reader", "globex_reader"}, []string{"logs_ds_all", "year_index"}, []string{"superuser"},
		[]string{"kibana_like", "hr_fls"})
	actions := []string{search, get, indexDoc, del, delIndex, mappings, "indices:admin/create", "indices:data/read/field_caps",
		"indices:data/write/bulk", "indices:monitor/stats", "indices:data/read/scroll", "indices:data/write/index:op_type/create"}
	mds := []*Metadata{seedMetadata(), richMetadata()}
	f.Fuzz(func(t *testing.T, exprs string, opts, who, what uint8) {
		var list []string
		if exprs != "" {
			list = strings.Split(exprs, ",")
		}
		req := Request{
			User: "u", Roles: roleSets[int(who)%len(roleSets)], Action: actions[int(what)%len(actions)], Indices: list,
			Options: IndicesOptions{ExpandWildcards: ExpandWildcards(opts & 0x0f), IgnoreUnavailable: opts&0x10 != 0,
				ForbidNoIndices: opts&0x20 != 0, IgnoreAliases: opts&0x40 != 0, ExcludeDataStreams: opts&0x80 != 0},
			Metadata: mds[int(who+what)%len(mds)],
		}
		d := e.Decide(req)
		checkDecisionSound(t, e, req, d)
	})
}

// checkDecisionSound verifies an allowed decision against the role
// definitions, through the public API only.
func checkDecisionSound(t *testing.T, e *Evaluator, req Request, d Decision) {
	t.Helper()
	if !d.Allowed {
		if d.Status == 0 || d.Reason == "" || d.ErrorType == "" {
			t.Fatalf("refusal without status or reason: %+v", d)
		}
		return
	}
	var roles []*Role
	for _, name := range req.Roles {
		if r, ok := e.roles.Get(name); ok {
			roles = append(roles, r)
		}
	}
	if d.ActionOnly {
		if d.Unrestricted || len(d.Indices) != 0 || d.Access != nil || !IsActionOnly(req.Action) ||
			!slices.ContainsFunc(roles, func(r *Role) bool {
				return slices.ContainsFunc(r.IndexGroups(), func(g IndexGroup) bool { return g.Allows(req.Action) })
			}) {
			t.Fatalf("action-only decision %+v for %s", d, req.Action)
		}
		return
	}
	if d.Unrestricted && d.Access == nil && !d.Rewritten {
		// Forwarded as is: only a group granting everything, restricted
		// indices included, without DLS/FLS, may allow that.
		if !bruteForceUnconditional(roles, req.Action) {
			t.Fatalf("forwarded as is without full access: %+v", d)
		}
		for _, x := range req.Indices {
			if strings.Contains(x, ":") {
				t.Fatalf("remote or selector expression %q forwarded", x)
			}
		}
		return
	}
	if d.MatchNothing {
		if len(d.Indices) != 0 || len(d.Access) != 0 {
			t.Fatalf("match nothing with names: %+v", d)
		}
		return
	}
	md := req.Metadata
	reach := map[string]bool{}
	for _, name := range d.Indices {
		if !possibleIndexName(name) || strings.ContainsAny(name, "*,:<>") || strings.HasPrefix(name, "-") {
			t.Fatalf("forwarded expression %q is not a plain name", name)
		}
		if !bruteForceGrants(roles, req.Action, md, name) {
			t.Fatalf("forwarded %q, which no role grants for %s (request %q, options %+v)", name, req.Action, req.Indices, req.Options)
		}
		if !namedLiterally(req.Indices, name) {
			checkVisible(t, md, req, name)
		}
		targets := md.ConcreteIndices(name)
		if _, known := indexOrAbstraction(md, name); !known {
			targets = []string{name}
		}
		for _, c := range targets {
			reach[c] = true
		}
	}
	for _, a := range d.Access {
		if !reach[a.Index] {
			t.Fatalf("access to %q, which the forwarded names %q do not reach", a.Index, d.Indices)
		}
		checkAccessSound(t, roles, req.Action, md, d.Indices, a)
	}
}

// bruteForceGrants: some group of some role grants action on name, by the
// name itself (restricted names only with allow_restricted_indices) or, for
// a backing index, by its data stream's name. Failure-store indices never.
func bruteForceGrants(roles []*Role, action string, md *Metadata, name string) bool {
	ix, isIndex := md.Index(name)
	if isIndex && ix.FailureStore {
		return false
	}
	for _, r := range roles {
		for _, g := range r.IndexGroups() {
			if !g.Allows(action) {
				continue
			}
			if groupNames(g, name, md.IsRestricted(name)) {
				return true
			}
			if isIndex && ix.DataStream != "" && groupNames(g, ix.DataStream, md.IsRestricted(ix.DataStream) || md.IsRestricted(name)) {
				return true
			}
		}
	}
	return false
}

func groupNames(g IndexGroup, name string, restricted bool) bool {
	if restricted && !g.AllowRestrictedIndices {
		return false
	}
	for _, p := range g.Patterns {
		if p.Matches(name) {
			return true
		}
	}
	return false
}

func bruteForceUnconditional(roles []*Role, action string) bool {
	for _, r := range roles {
		for _, g := range r.IndexGroups() {
			if g.Allows(action) && g.AllowRestrictedIndices && g.Query == nil && g.FieldSecurity == nil &&
				slices.ContainsFunc(g.Patterns, Pattern.MatchesEverything) {
				return true
			}
		}
	}
	return false
}

// checkAccessSound: the DLS/FLS of an index follow from the groups granting
// a forwarded name that reaches it.
func checkAccessSound(t *testing.T, roles []*Role, action string, md *Metadata, names []string, a IndexAccess) {
	t.Helper()
	var granting []IndexGroup
	for _, name := range names {
		targets := md.ConcreteIndices(name)
		if _, known := indexOrAbstraction(md, name); !known {
			targets = []string{name}
		}
		if !slices.Contains(targets, a.Index) {
			continue
		}
		for _, r := range roles {
			for _, g := range r.IndexGroups() {
				if g.Allows(action) && bruteForceGrants([]*Role{roleOf(g)}, action, md, name) {
					granting = append(granting, g)
				}
			}
		}
	}
	if len(granting) == 0 {
		t.Fatalf("access to %q granted by no group", a.Index)
	}
	anyAllDocs := slices.ContainsFunc(granting, func(g IndexGroup) bool { return g.Query == nil })
	if anyAllDocs != (len(a.Queries) == 0) {
		t.Fatalf("%s: queries %q but a group without query: %v", a.Index, a.Queries, anyAllDocs)
	}
	for _, q := range a.Queries {
		if !slices.ContainsFunc(granting, func(g IndexGroup) bool { return bytes.Equal(g.Query, q) }) {
			t.Fatalf("%s: query %s from no granting group", a.Index, q)
		}
	}
	anyAllFields := slices.ContainsFunc(granting, func(g IndexGroup) bool { return g.FieldSecurity == nil })
	if anyAllFields != (a.Fields == nil) {
		t.Fatalf("%s: FLS %+v but a group without FLS: %v", a.Index, a.Fields, anyAllFields)
	}
}

// roleOf wraps one group in a role, to reuse bruteForceGrants per group.
func roleOf(g IndexGroup) *Role { return &Role{indices: []IndexGroup{g}} }

func indexOrAbstraction(md *Metadata, name string) (string, bool) {
	if _, ok := md.Index(name); ok {
		return "index", true
	}
	if _, ok := md.Alias(name); ok {
		return "alias", true
	}
	if _, ok := md.DataStream(name); ok {
		return "data stream", true
	}
	return "", false
}

// namedLiterally reports whether an expression names name itself (possibly
// behind a selector or as date math), rather than through a wildcard.
func namedLiterally(exprs []string, name string) bool {
	for _, x := range exprs {
		x = strings.TrimSuffix(x, "::data")
		if x == name || strings.HasPrefix(x, "<") {
			return true
		}
	}
	return false
}

// checkVisible: a name reached through a wildcard must be visible under
// the request's expand_wildcards.
func checkVisible(t *testing.T, md *Metadata, req Request, name string) {
	t.Helper()
	ew := req.Options.ExpandWildcards
	dotPattern := slices.ContainsFunc(req.Indices, func(x string) bool { return strings.HasPrefix(x, ".") && strings.Contains(x, "*") })
	hiddenOK := ew.has(ExpandHidden) || (dotPattern && strings.HasPrefix(name, "."))
	if ix, ok := md.Index(name); ok {
		if ix.Hidden && !hiddenOK {
			t.Fatalf("hidden index %q reached through a wildcard (%q, %v)", name, req.Indices, ew)
		}
		if ix.Closed && !ew.has(ExpandClosed) || !ix.Closed && !ew.has(ExpandOpen) {
			t.Fatalf("index %q (closed=%v) reached with expand_wildcards=%v", name, ix.Closed, ew)
		}
		return
	}
	if a, ok := md.Alias(name); ok && (a.Hidden && !hiddenOK || req.Options.IgnoreAliases) {
		t.Fatalf("alias %q reached through a wildcard (%q, %+v)", name, req.Indices, req.Options)
	}
	if ds, ok := md.DataStream(name); ok && (ds.Hidden && !hiddenOK || req.Options.ExcludeDataStreams) {
		t.Fatalf("data stream %q reached through a wildcard (%q, %+v)", name, req.Indices, req.Options)
	}
}
