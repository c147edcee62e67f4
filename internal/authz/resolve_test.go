package authz

import (
	"slices"
	"strings"
	"testing"
)

const (
	search   = "indices:data/read/search"
	get      = "indices:data/read/get"
	indexDoc = "indices:data/write/index"
	del      = "indices:data/write/delete"
	delIndex = "indices:admin/delete"
	mappings = "indices:admin/mappings/get"
)

// outcome is the expected result of one decision.
type outcome struct {
	status  int      // 0: allowed
	indices []string // allowed: the names to forward
	nothing bool     // allowed: match nothing
	reason  string   // refused: exact reason
}

func allow(names ...string) outcome { return outcome{indices: names} }
func nothing() outcome              { return outcome{nothing: true} }
func denied(reason string) outcome  { return outcome{status: 403, reason: reason} }
func notFound(index string) outcome {
	return outcome{status: 404, reason: "no such index [" + index + "]"}
}
func badRequest(reason string) outcome { return outcome{status: 400, reason: reason} }

// denyIdx spells Elasticsearch's 403 for an index action.
func denyIdx(user, roles, action, on string) outcome {
	granted := strings.Join(IndexPrivilegesGranting(action), ",")
	if on != "" {
		on = " on " + on
	}
	return denied("action [" + action + "] is unauthorized for user [" + user + "] with effective roles [" + roles + "]" +
		on + ", this action is granted by the index privileges [" + granted + "]")
}

// aliceAll is everything alice's logs-* reaches through wildcards.
var aliceAll = []string{"logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts",
	"logs-all", "logs-globex-2024", "logs-join-2024", "logs-payroll-alias"}

type resolveCase struct {
	name   string
	user   string
	roles  []string // overrides the fixture user's roles
	action string
	exprs  []string
	opts   IndicesOptions
	rich   bool // resolve against richMetadata instead of seedMetadata
	want   outcome
}

func TestResolveFixture(t *testing.T) {
	ignore := IndicesOptions{IgnoreUnavailable: true}
	strict := IndicesOptions{ForbidNoIndices: true}
	all := IndicesOptions{ExpandWildcards: ExpandAll}
	cases := []resolveCase{
		// alice: read logs-* with DLS and FLS.
		{name: "explicit granted index", user: "alice", action: search, exprs: []string{"logs-acme-2024"}, want: allow("logs-acme-2024")},
		{name: "AUTHZ-001 explicit forbidden index", user: "alice", action: search, exprs: []string{"hr-payroll"},
			want: denied("action [indices:data/read/search] is unauthorized for user [alice] with effective roles [acme_reader] " +
				"on indices [hr-payroll], this action is granted by the index privileges [read,all]")},
		{name: "AUTHZ-003 list with one forbidden name fails whole", user: "alice", action: search,
			exprs: []string{"logs-acme-2024", "hr-payroll"}, want: denyIdx("alice", "acme_reader", search, "indices [hr-payroll]")},
		{name: "forbidden names listed sorted and once", user: "alice", action: search,
			exprs: []string{"zz", "hr-payroll", "logs-acme-2024", "zz"}, want: denyIdx("alice", "acme_reader", search, "indices [hr-payroll,zz]")},
		{name: "ignore_unavailable drops the forbidden name", user: "alice", action: search,
			exprs: []string{"logs-acme-2024", "hr-payroll"}, opts: ignore, want: allow("logs-acme-2024")},
		{name: "ignore_unavailable with only forbidden names matches nothing", user: "alice", action: search,
			exprs: []string{"hr-payroll"}, opts: ignore, want: nothing()},
		{name: "ignore_unavailable, only forbidden names, allow_no_indices=false", user: "alice", action: search,
			exprs: []string{"hr-payroll"}, opts: IndicesOptions{IgnoreUnavailable: true, ForbidNoIndices: true},
			want: notFound("[hr-payroll]")},
		{name: "AUTHZ-007 index-less search", user: "alice", action: search, want: allow(aliceAll...)},
		{name: "_all", user: "alice", action: search, exprs: []string{"_all"}, want: allow(aliceAll...)},
		{name: "*", user: "alice", action: search, exprs: []string{"*"}, want: allow(aliceAll...)},
		{name: "logs-* reaches the aliases named logs-* too", user: "alice", action: search, exprs: []string{"logs-*"}, want: allow(aliceAll...)},
		{name: "exclusion applies to the authorized expansion", user: "alice", action: search, exprs: []string{"logs-*", "-logs-acme*"},
			want: allow("logs-alerts", "logs-all", "logs-globex-2024", "logs-join-2024", "logs-payroll-alias")},
		{name: "explicit exclusion", user: "alice", action: search, exprs: []string{"logs-*", "-logs-all", "-logs-payroll-alias"},
			want: allow("logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts", "logs-globex-2024", "logs-join-2024")},
		{name: "a dash before any wildcard is a name", user: "alice", action: search, exprs: []string{"-logs-all", "logs-*"},
			want: denyIdx("alice", "acme_reader", search, "indices [-logs-all]")},
		{name: "exclusion of everything matches nothing", user: "alice", action: search, exprs: []string{"logs-*", "-*"}, want: nothing()},
		{name: "re-added after exclusion", user: "alice", action: search, exprs: []string{"logs-a*", "-logs-all", "logs-all"},
			want: allow("logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts", "logs-all")},
		{name: "wildcard over forbidden names only matches nothing", user: "alice", action: search, exprs: []string{"hr-*"}, want: nothing()},
		{name: "AUTHZ-005 decoded ',*' with ignore_unavailable", user: "alice", action: search, exprs: []string{"logs-zzz", "*"},
			opts: ignore, want: allow(append([]string{"logs-zzz"}, aliceAll...)...)},
		{name: "nomatch-* matches nothing", user: "alice", action: search, exprs: []string{"nomatch-*"}, want: nothing()},
		{name: "nomatch-* with allow_no_indices=false", user: "alice", action: search, exprs: []string{"nomatch-*"}, opts: strict,
			want: notFound("nomatch-*")},
		{name: "one empty wildcard with allow_no_indices=false fails the request", user: "alice", action: search,
			exprs: []string{"logs-acme-2024", "hr-*"}, opts: strict, want: notFound("hr-*")},
		{name: "missing but granted name is kept (the cluster answers 404)", user: "alice", action: search,
			exprs: []string{"logs-nope"}, want: allow("logs-nope")},
		{name: "AUTHZ-009 date math naming a forbidden index", user: "alice", action: search, exprs: []string{"<hr-payroll>"},
			want: denyIdx("alice", "acme_reader", search, "indices [hr-payroll]")},
		{name: "date math escape", user: "alice", action: search, exprs: []string{`<hr-pay\roll>`},
			want: denyIdx("alice", "acme_reader", search, "indices [hr-payroll]")},
		{name: "date math resolved with the clock", user: "alice", action: search, exprs: []string{"<logs-{now/d}>"},
			want: allow("logs-2024.03.05")},
		{name: "date math with format, zone and arithmetic", user: "alice", action: search,
			exprs: []string{"<logs-acme-{now/y{yyyy|+12:00}}>"}, want: allow("logs-acme-2024")},
		{name: "date math in a time zone past midnight", user: "alice", action: search,
			exprs: []string{"<logs-{now/d{yyyy.MM.dd|+02:00}}>"}, want: allow("logs-2024.03.06")},
		{name: "date math arithmetic", user: "alice", action: search, exprs: []string{"<logs-{now/d-1d}>", "<logs-{now-1M/M{yyyy-MM}}>"},
			want: allow("logs-2024.03.04", "logs-2024-02")},
		{name: "date math resolving to a wildcard", user: "alice", action: search, exprs: []string{"<logs-acme-{now/M{yyyy}}*>"},
			want: allow("logs-acme-2024")},
		{name: "malformed date math", user: "alice", action: search, exprs: []string{"<logs-{now/d>"},
			want: badRequest("invalid dynamic name expression [logs-{now/d]. date math placeholder is open ended")},
		{name: "AUTHZ-011 alias outside the role pattern", user: "alice", action: search, exprs: []string{"everything"},
			want: denyIdx("alice", "acme_reader", search, "indices [everything]")},
		{name: "alias whose name matches the role", user: "alice", action: search, exprs: []string{"logs-payroll-alias"},
			want: allow("logs-payroll-alias")},
		{name: "AUTHZ-013 backing indices of a forbidden data stream", user: "alice", action: search,
			exprs: []string{".ds-payroll-stream-*"}, opts: all, want: nothing()},
		{name: "forbidden data stream", user: "alice", action: search, exprs: []string{"payroll-stream"},
			want: denyIdx("alice", "acme_reader", search, "indices [payroll-stream]")},
		{name: "hidden index named", user: "alice", action: search, exprs: []string{".secret-hidden"},
			want: denyIdx("alice", "acme_reader", search, "indices [.secret-hidden]")},
		{name: "remote index refused", user: "alice", action: search, exprs: []string{"logs-remote:hr-payroll"},
			want: denyIdx("alice", "acme_reader", search, "indices [logs-remote:hr-payroll]")},
		{name: "remote index refused even with a matching role name and ignore_unavailable", user: "alice", action: search,
			exprs: []string{"logs-acme-2024", "logs-remote:logs-acme-2024"}, opts: ignore,
			want: denyIdx("alice", "acme_reader", search, "indices [logs-remote:logs-acme-2024]")},
		{name: "remote wildcard refused", user: "alice", action: search, exprs: []string{"*:*"},
			want: denyIdx("alice", "acme_reader", search, "indices [*:*]")},
		{name: "::data is the plain name", user: "alice", action: search, exprs: []string{"logs-acme-2024::data"}, want: allow("logs-acme-2024")},
		{name: "::failures refused", user: "alice", action: search, exprs: []string{"logs-acme-2024::failures"},
			want: denyIdx("alice", "acme_reader", search, "indices [logs-acme-2024::failures]")},
		{name: "unknown selector", user: "alice", action: search, exprs: []string{"logs-acme-2024::bogus"},
			want: badRequest("Invalid usage of :: separator, [bogus] is not a recognized selector")},
		{name: "name that cannot exist is not forwarded", user: "alice", action: search, exprs: []string{"logs-a?c"},
			want: notFound("logs-a?c")},
		{name: "percent-encoded name is not forwarded", user: "alice", action: search, exprs: []string{"logs-zzz%2C%2A"},
			want: notFound("logs-zzz%2C%2A")},
		{name: "percent-encoded name dropped with ignore_unavailable", user: "alice", action: search,
			exprs: []string{"logs-zzz%2C%2A"}, opts: ignore, want: nothing()},
		{name: "expand_wildcards=none: a wildcard is a name that cannot exist", user: "alice", action: search,
			exprs: []string{"logs-*"}, opts: IndicesOptions{ExpandWildcards: ExpandNone}, want: notFound("logs-*")},
		{name: "expand_wildcards=none: unauthorized wildcard", user: "alice", action: search,
			exprs: []string{"hr-*"}, opts: IndicesOptions{ExpandWildcards: ExpandNone}, want: denyIdx("alice", "acme_reader", search, "indices [hr-*]")},
		{name: "expand_wildcards=none: _all matches nothing", user: "alice", action: search,
			opts: IndicesOptions{ExpandWildcards: ExpandNone}, want: nothing()},
		{name: "alice may not write", user: "alice", action: indexDoc, exprs: []string{"logs-acme-2024"},
			want: denyIdx("alice", "acme_reader", indexDoc, "indices [logs-acme-2024]")},
		{name: "alice may not write anywhere: refused without a name", user: "alice", action: indexDoc,
			want: denyIdx("alice", "acme_reader", indexDoc, "")},

		// ollie: a filtered alias only.
		{name: "AUTHZ-023 privilege on an alias does not grant its index", user: "ollie", action: search, exprs: []string{"logs-acme-2024"},
			want: denyIdx("ollie", "alias_reader", search, "indices [logs-acme-2024]")},
		{name: "BASE-006 the alias itself", user: "ollie", action: search, exprs: []string{"logs-acme-view"}, want: allow("logs-acme-view")},
		{name: "wildcard reaches the alias only", user: "ollie", action: search, exprs: []string{"logs-*"}, want: allow("logs-acme-view")},
		{name: "ollie on logs-all", user: "ollie", action: search, exprs: []string{"logs-all"},
			want: denyIdx("ollie", "alias_reader", search, "indices [logs-all]")},

		// gary: unrestricted read of logs-globex-*.
		{name: "gary wildcard", user: "gary", action: search, want: allow("logs-globex-2024")},
		{name: "gary explicit", user: "gary", action: get, exprs: []string{"logs-globex-2024"}, want: allow("logs-globex-2024")},
		{name: "gary via logs-all", user: "gary", action: search, exprs: []string{"logs-all"},
			want: denyIdx("gary", "globex_reader", search, "indices [logs-all]")},

		// wendy: create_doc + index on logs-acme-*.
		{name: "WRITE-001 wendy may not read", user: "wendy", action: search, exprs: []string{"logs-acme-2024"},
			want: denyIdx("wendy", "writer_acme", search, "indices [logs-acme-2024]")},
		{name: "wendy indexes", user: "wendy", action: indexDoc, exprs: []string{"logs-acme-2024"}, want: allow("logs-acme-2024")},
		{name: "wendy creates", user: "wendy", action: "indices:data/write/index:op_type/create", exprs: []string{"logs-acme-2024"},
			want: allow("logs-acme-2024")},
		{name: "wendy updates (index privilege)", user: "wendy", action: "indices:data/write/update", exprs: []string{"logs-acme-2024"},
			want: allow("logs-acme-2024")},
		{name: "WRITE-003 wendy bulk item into a forbidden index", user: "wendy", action: indexDoc, exprs: []string{"hr-payroll"},
			want: denied("action [indices:data/write/index] is unauthorized for user [wendy] with effective roles [writer_acme] " +
				"on indices [hr-payroll], this action is granted by the index privileges [create_doc,create,index,write,all]")},
		{name: "wendy may not delete", user: "wendy", action: del, exprs: []string{"logs-acme-2024"},
			want: denyIdx("wendy", "writer_acme", del, "indices [logs-acme-2024]")},
		{name: "wendy may not auto-create", user: "wendy", action: "indices:admin/auto_create", exprs: []string{"logs-acme-new"},
			want: denyIdx("wendy", "writer_acme", "indices:admin/auto_create", "indices [logs-acme-new]")},

		// nina: read on public-*, nothing of the fixture.
		{name: "nina index-less search matches nothing", user: "nina", action: search, want: nothing()},
		{name: "nina forbidden index", user: "nina", action: search, exprs: []string{"logs-acme-2024"},
			want: denyIdx("nina", "payroll_none", search, "indices [logs-acme-2024]")},
		{name: "nina with allow_no_indices=false", user: "nina", action: search, opts: strict, want: notFound("[]")},

		// zed (no role) and ghost (undefined role).
		{name: "zed index-less search", user: "zed", action: search, want: denyIdx("zed", "", search, "")},
		{name: "zed explicit", user: "zed", action: search, exprs: []string{"x"}, want: denyIdx("zed", "", search, "indices [x]")},
		{name: "AUTHN-013 ghost", user: "ghost", action: search, exprs: []string{"logs-acme-2024"},
			want: denied("action [indices:data/read/search] is unauthorized for user [ghost] with effective roles [] (assigned roles " +
				"[undefined_role] were not found) on indices [logs-acme-2024], this action is granted by the index privileges [read,all]")},

		// lars: all on logs-acme-*.
		{name: "lars wildcard", user: "lars", action: search, exprs: []string{"logs-acme-*"},
			want: allow("logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view")},
		{name: "lars deletes an index", user: "lars", action: delIndex, exprs: []string{"logs-acme-sandbox"}, want: allow("logs-acme-sandbox")},
		{name: "WRITE-017 lars reads payroll (reindex source)", user: "lars", action: search, exprs: []string{"hr-payroll"},
			want: denyIdx("lars", "acme_admin", search, "indices [hr-payroll]")},
		{name: "lars delete-index wildcard leaves aliases out", user: "lars", action: delIndex, exprs: []string{"logs-acme-*"},
			opts: IndicesOptions{IgnoreAliases: true}, want: allow("logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox")},

		// kim: .kibana* (restricted without allow_restricted_indices), read +
		// view_index_metadata on logs-acme-*.
		{name: "kim mappings", user: "kim", action: mappings, exprs: []string{"logs-acme-2024"}, want: allow("logs-acme-2024")},
		{name: "kim kibana index is restricted", user: "kim", action: search, exprs: []string{".kibana_1"}, rich: true,
			want: denyIdx("kim", "kibana_like", search, "restricted indices [.kibana_1]")},
		{name: "kim kibana wildcard", user: "kim", action: search, exprs: []string{".kibana*"}, rich: true, want: nothing()},

		// harry and eddie.
		{name: "harry payroll", user: "harry", action: search, exprs: []string{"hr-payroll"}, want: allow("hr-payroll")},
		{name: "eddie writes the sandbox", user: "eddie", action: indexDoc, exprs: []string{"logs-acme-sandbox"}, want: allow("logs-acme-sandbox")},
		{name: "eddie wildcard", user: "eddie", action: search, want: allow("logs-acme-dbq", "logs-acme-sandbox")},

		// sam: everything, restricted included.
		{name: "sam forwards as is", user: "sam", action: search, exprs: []string{"*", "-logs-*"}, want: allow("*", "-logs-*")},
		{name: "sam remote is refused", user: "sam", action: search, exprs: []string{"logs-remote:hr-payroll"},
			want: denyIdx("sam", "all_access", search, "indices [logs-remote:hr-payroll]")},

		// Rules the fixture users do not cover, with extra roles.
		{name: "hidden index not in *", roles: []string{"star_reader"}, action: search, exprs: []string{"*"},
			want: allow("everything", "hr-payroll", "logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view",
				"logs-alerts", "logs-all", "logs-globex-2024", "logs-join-2024", "logs-payroll-alias", "payroll-stream")},
		{name: "hidden with expand_wildcards=all", roles: []string{"star_reader"}, action: search, exprs: []string{"*"}, opts: all,
			want: allow(".ds-payroll-stream-2024.02.01-000001", ".secret-hidden", "everything", "hr-payroll", "logs-acme-2024",
				"logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts", "logs-all", "logs-globex-2024",
				"logs-join-2024", "logs-payroll-alias", "payroll-stream")},
		{name: "a dot pattern reaches hidden dot names", roles: []string{"star_reader"}, action: search, exprs: []string{".s*"},
			want: allow(".secret-hidden")},
		{name: "hidden index named explicitly", roles: []string{"star_reader"}, action: search, exprs: []string{".secret-hidden"},
			want: allow(".secret-hidden")},
		{name: "closed index only with closed", roles: []string{"star_reader"}, action: search, exprs: []string{"logs-o*"}, rich: true,
			want: nothing()},
		{name: "closed index with expand_wildcards=closed", roles: []string{"star_reader"}, action: search, exprs: []string{"logs-o*"},
			rich: true, opts: IndicesOptions{ExpandWildcards: ExpandClosed}, want: allow("logs-old-2023")},
		{name: "closed only does not reach open indices", roles: []string{"star_reader"}, action: search, exprs: []string{"logs-a*"},
			rich: true, opts: IndicesOptions{ExpandWildcards: ExpandClosed}, want: allow("logs-acme-view", "logs-all")},
		{name: "hidden alone does not expand", roles: []string{"star_reader"}, action: search, exprs: []string{"logs-a*"},
			rich: true, opts: IndicesOptions{ExpandWildcards: ExpandHidden}, want: notFound("logs-a*")},
		{name: "hidden alias only with hidden", roles: []string{"star_reader"}, action: search, exprs: []string{"logs-s*"}, rich: true,
			want: nothing()},
		{name: "hidden alias with open,hidden", roles: []string{"star_reader"}, action: search, exprs: []string{"logs-s*"}, rich: true,
			opts: IndicesOptions{ExpandWildcards: ExpandOpen | ExpandHidden}, want: allow("logs-shadow")},
		{name: "restricted indices never in * without allow_restricted_indices", roles: []string{"star_reader"}, action: search,
			exprs: []string{".*"}, rich: true, opts: all,
			want: allow(".ds-logs-ds-2024.03.01-000001", ".ds-payroll-stream-2024.02.01-000001", ".ds-payroll-stream-2024.03.01-000002",
				".secret-hidden")},
		{name: "restricted index named", roles: []string{"star_reader"}, action: search, exprs: []string{".security-7", "hr-payroll"},
			rich: true, want: denyIdx("u", "star_reader", search, "restricted indices [.security-7]")},
		{name: "alias of a restricted index is restricted", roles: []string{"star_reader"}, action: search,
			exprs: []string{".security", "nope-*"}, rich: true, want: denyIdx("u", "star_reader", search, "restricted indices [.security]")},
		{name: "restricted and plain listed apart", roles: []string{"year_index"}, action: search,
			exprs: []string{".security", "logs-x", ".security-7"}, rich: true,
			want: denyIdx("u", "year_index", search, "indices [logs-x] and restricted indices [.security,.security-7]")},
		{name: "allow_restricted_indices reaches them", roles: []string{"security_reader"}, action: search,
			exprs: []string{".security*"}, rich: true, opts: all, want: allow(".security", ".security-7")},
		{name: "checklist 27: index privilege does not grant its alias", roles: []string{"year_index"}, action: get,
			exprs: []string{"current_year"}, rich: true, want: denyIdx("u", "year_index", get, "indices [current_year]")},
		{name: "checklist 27: alias privilege grants the alias", roles: []string{"year_alias"}, action: get,
			exprs: []string{"current_year"}, rich: true, want: allow("current_year")},
		{name: "checklist 27: alias privilege does not grant the index", roles: []string{"year_alias"}, action: get,
			exprs: []string{"2015"}, rich: true, want: denyIdx("u", "year_alias", get, "indices [2015]")},
		{name: "checklist 28: data stream privilege covers its backing index", roles: []string{"stream_reader"}, action: search,
			exprs: []string{backingIndex}, want: allow(backingIndex)},
		{name: "data stream backing indices through a dot wildcard", roles: []string{"stream_reader"}, action: search,
			exprs: []string{".ds-*"}, rich: true, want: allow(backingIndex, ".ds-payroll-stream-2024.03.01-000002")},
		{name: "data stream by name", roles: []string{"stream_reader"}, action: search, exprs: []string{"payroll-*"},
			want: allow("payroll-stream")},
		{name: "failure store index is never granted", roles: []string{"logs_ds_all"}, action: search,
			exprs: []string{".fs-logs-ds-2024.03.01-000002"}, rich: true,
			want: denyIdx("u", "logs_ds_all", search, "indices [.fs-logs-ds-2024.03.01-000002]")},
		{name: "failure store index not in wildcards", roles: []string{"logs_ds_all"}, action: search, exprs: []string{".*"}, rich: true,
			opts: all, want: allow(".ds-logs-ds-2024.03.01-000001")},
		{name: "checklist 26: regexp pattern", roles: []string{"regex_reader"}, action: search, exprs: []string{"logs-2024.01"},
			want: allow("logs-2024.01")},
		{name: "checklist 26: regexp pattern in a wildcard", roles: []string{"regex_reader"}, action: search, exprs: []string{"*"},
			want: nothing()},
		{name: "checklist 26: regexp pattern, not logs-abc", roles: []string{"regex_reader"}, action: search, exprs: []string{"logs-abc"},
			want: denyIdx("u", "regex_reader", search, "indices [logs-abc]")},
		{name: "checklist 43: raw action privilege allows search", roles: []string{"search_only"}, action: search,
			exprs: []string{"logs-acme-2024"}, want: allow("logs-acme-2024")},
		{name: "checklist 43: raw action privilege denies get", roles: []string{"search_only"}, action: get,
			exprs: []string{"logs-acme-2024"}, want: denyIdx("u", "search_only", get, "indices [logs-acme-2024]")},
		{name: "remote_indices do not open remote names yet", roles: []string{"remote_reader", "acme_reader"}, action: search,
			exprs: []string{"logs-remote:logs-acme-2024"},
			want:  denyIdx("u", "acme_reader,remote_reader", search, "indices [logs-remote:logs-acme-2024]")},
		{name: "data streams left out when the API takes none", roles: []string{"star_reader"}, action: search, exprs: []string{"p*"},
			opts: IndicesOptions{ExcludeDataStreams: true}, want: nothing()},
	}
	runResolveCases(t, cases)
}

func runResolveCases(t *testing.T, cases []resolveCase) {
	e := fixtureEvaluator(t, extraRoles)
	users := fixtureUsers(t)
	seed, rich := seedMetadata(), richMetadata()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user, roles := tc.user, tc.roles
			if user == "" {
				user = "u"
			}
			if roles == nil {
				roles = users[user]
			}
			md := seed
			if tc.rich {
				md = rich
			}
			d := e.Decide(Request{User: user, Roles: roles, Action: tc.action, Indices: tc.exprs, Options: tc.opts, Metadata: md})
			checkOutcome(t, d, tc.want)
		})
	}
}

func checkOutcome(t *testing.T, d Decision, want outcome) {
	t.Helper()
	if want.status != 0 {
		if d.Allowed || d.Status != want.status || d.Reason != want.reason {
			t.Fatalf("got allowed=%v status=%d reason:\n  %s\nwant status=%d reason:\n  %s", d.Allowed, d.Status, d.Reason, want.status, want.reason)
		}
		return
	}
	if !d.Allowed || d.MatchNothing != want.nothing || !slices.Equal(d.Indices, want.indices) {
		t.Fatalf("got allowed=%v nothing=%v indices=%q (%s)\nwant nothing=%v indices=%q", d.Allowed, d.MatchNothing, d.Indices,
			d.Reason, want.nothing, want.indices)
	}
	if d.Status != 0 || d.Reason != "" {
		t.Fatalf("allowed decision with status %d reason %q", d.Status, d.Reason)
	}
}
