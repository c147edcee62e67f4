package authz

import (
	"slices"
	"strings"
	"testing"
)

// errorCase parses yaml as roles.yml and expects exactly these problems and
// these file roles to load.
type errorCase struct {
	name  string
	yaml  string
	probs []string
	roles []string
}

func runErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, probs := ParseRoles("roles.yml", []byte(tc.yaml))
			if got := problemStrings(probs); !slices.Equal(got, tc.probs) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.probs)
			}
			if got := fileRoleNames(rs); !slices.Equal(got, tc.roles) {
				t.Errorf("roles = %v, want %v", got, tc.roles)
			}
		})
	}
}

func TestUnknownPrivilegesInvalidateRole(t *testing.T) {
	runErrorCases(t, []errorCase{
		{name: "unknown index privilege", yaml: `good:
  indices:
    - names: [a]
      privileges: [read]
bad:
  indices:
    - names: [a]
      privileges: [read, raed]
`, probs: []string{"roles.yml:8: role [bad]: " + unknownIndexPrivilegeMessage("raed")}, roles: []string{"good"}},
		{name: "unknown cluster privilege", yaml: `bad:
  cluster: [monitor, superpower]
good:
  cluster: [monitor]
`, probs: []string{"roles.yml:2: role [bad]: " + unknownClusterPrivilegeMessage("superpower")}, roles: []string{"good"}},
		{name: "index action pattern is not a cluster privilege", yaml: `bad:
  cluster: ["indices:admin/*"]
`, probs: []string{"roles.yml:2: role [bad]: " + unknownClusterPrivilegeMessage("indices:admin/*")}},
		{name: "cluster action pattern is not an index privilege", yaml: `bad:
  indices:
    - names: [a]
      privileges:
        - "cluster:monitor/*"
`, probs: []string{"roles.yml:5: role [bad]: " + unknownIndexPrivilegeMessage("cluster:monitor/*")}},
		{name: "unknown privilege in global role.manage", yaml: `bad:
  global: {role: {manage: {indices: [{names: [a], privileges: [nope]}]}}}
`, probs: []string{"roles.yml:2: role [bad]: " + unknownIndexPrivilegeMessage("nope")}},
		{name: "raw patterns and upper case are accepted", yaml: `ok:
  cluster: ["cluster:admin/xpack/security/*", "indices:admin/template/*", "INDICES:ADMIN/INDEX_TEMPLATE/PUT", MONITOR]
  indices:
    - names: [a]
      privileges: ["indices:data/read/*", "internal:transport/proxy/indices:data/read/*", Read, none]
`, roles: []string{"ok"}},
		{name: "remote indices privileges are checked", yaml: `bad:
  remote_indices:
    - {clusters: [c], names: [a], privileges: [reed]}
`, probs: []string{"roles.yml:3: role [bad]: " + unknownIndexPrivilegeMessage("reed")}},
		{name: "remote cluster privileges are limited", yaml: `bad:
  remote_cluster:
    - privileges: [monitor_enrich, read_pipeline]
      clusters: ["*"]
`, probs: []string{"roles.yml:3: failed to parse remote_cluster for role [bad]. [monitor_enrich, monitor_stats] are the only " +
			"values allowed for [privileges] within [remote_cluster]. Found [monitor_enrich, read_pipeline]"}},
	})
}

func TestRoleNameRules(t *testing.T) {
	long := strings.Repeat("r", 508)
	runErrorCases(t, []errorCase{
		{name: "reserved name cannot be overridden", yaml: `superuser:
  cluster: [monitor]
kibana_system: {}
mine: {}
`, probs: []string{
			"roles.yml:1: Role [superuser] is reserved and may not be used.",
			"roles.yml:3: Role [kibana_system] is reserved and may not be used.",
		}, roles: []string{"mine"}},
		{name: "leading whitespace", yaml: `" lead": {}`, probs: []string{
			`roles.yml:1: invalid role name [" lead"]. Role names must be at least 1 and no more than 507 characters. ` +
				`They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in ` +
				`the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.`}},
		{name: "non ascii", yaml: "r\u00f4le: {}\nok: {}\n", probs: []string{
			`roles.yml:1: invalid role name ["rôle"]. Role names must be at least 1 and no more than 507 characters. ` +
				`They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in ` +
				`the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.`}, roles: []string{"ok"}},
		{name: "too long", yaml: long + ": {}\n" + long[:507] + ": {}\n", probs: []string{
			`roles.yml:1: invalid role name ["` + long + `"]. Role names must be at least 1 and no more than 507 characters. ` +
				`They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in ` +
				`the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.`}, roles: []string{long[:507]}},
		{name: "punctuation and inner spaces are fine", yaml: "\"my role-1.x@y\": {}\n", roles: []string{"my role-1.x@y"}},
	})
}

func TestDuplicateKeys(t *testing.T) {
	runErrorCases(t, []errorCase{
		{name: "duplicate role drops every definition", yaml: `a:
  cluster: [monitor]
b: {}
a:
  cluster: [all]
`, probs: []string{"roles.yml:4: duplicate key [a] (first defined at line 1); every definition of this role is ignored"},
			roles: []string{"b"}},
		{name: "duplicate field", yaml: `r:
  cluster: [monitor]
  cluster: [all]
`, probs: []string{"roles.yml:3: failed to parse role [r]. duplicate key [cluster] (first defined at line 2)"}},
		{name: "duplicate key in index group", yaml: `r:
  indices:
    - names: [a]
      privileges: [read]
      names: [b]
`, probs: []string{"roles.yml:5: failed to parse indices privileges for role [r]. duplicate key [names] (first defined at line 3)"}},
		{name: "duplicate key in query object", yaml: `r:
  indices:
    - names: [a]
      privileges: [read]
      query:
        term: {a: 1}
        term: {b: 2}
`, probs: []string{"roles.yml:7: role [r]: duplicate key [term] (first defined at line 6)"}},
		{name: "duplicate key in metadata", yaml: `r:
  metadata:
    k: 1
    k: 2
`, probs: []string{"roles.yml:4: role [r]: duplicate key [k] (first defined at line 3)"}},
		{name: "index alias and indices", yaml: `r:
  indices: [{names: [a], privileges: [read]}]
  index: [{names: [b], privileges: [read]}]
`, probs: []string{
			"roles.yml:3: warning: role [r]: field [index] is deprecated, use [indices]",
			"roles.yml:3: failed to parse role [r]. field [index] is already defined at line 2",
		}},
		{name: "deprecated alias alone works", yaml: `r:
  index: [{names: [b], privileges: [read]}]
  application: [{application: app, privileges: [p], resources: ["*"]}]
`, probs: []string{
			"roles.yml:2: warning: role [r]: field [index] is deprecated, use [indices]",
			"roles.yml:3: warning: role [r]: field [application] is deprecated, use [applications]",
		}, roles: []string{"r"}},
		{name: "merge key", yaml: `base: &b {cluster: [monitor]}
r:
  <<: *b
`, probs: []string{"roles.yml:3: failed to parse role [r]. YAML merge keys (<<) are not supported"}, roles: []string{"base"}},
	})
}

func TestQueryValidation(t *testing.T) {
	group := "r:\n  indices:\n    - names: [a]\n      privileges: [read]\n      query: "
	prefix := "roles.yml:5: failed to parse indices privileges for role [r]. "
	runErrorCases(t, []errorCase{
		{name: "string not JSON", yaml: group + `'{"term": {"a": 1}'`, probs: []string{prefix + "[query] must be a JSON object: unexpected end of JSON input"}},
		{name: "string JSON but not object", yaml: group + `'[1]'`, probs: []string{prefix + "[query] must be a JSON object: not a JSON object"}},
		{name: "string with duplicate field", yaml: group + `'{"term": {"a": 1, "a": 2}}'`,
			probs: []string{prefix + "[query] must be a JSON object: duplicate field [a]"}},
		{name: "trailing data", yaml: group + `'{"a": 1} {"b": 2}'`,
			probs: []string{prefix + "[query] must be a JSON object: unexpected data after the JSON object"}},
		{name: "number", yaml: group + `5`, probs: []string{prefix +
			"expected field [query] value to be null, a string, or an object, but found [VALUE_NUMBER] instead"}},
		{name: "array", yaml: group + `[]`, probs: []string{prefix +
			"expected field [query] value to be null, a string, or an object, but found [START_ARRAY] instead"}},
		{name: "empty string means no DLS", yaml: group + `''`, roles: []string{"r"}},
		{name: "null means no DLS", yaml: group + `null`, roles: []string{"r"}},
		{name: "template string", yaml: group + `'{"template": {"source": "{\"term\":{\"u\":\"{{_user.username}}\"}}"}}'`, roles: []string{"r"}},
		{name: "object with infinity", yaml: group + `{range: {a: {gte: .inf}}}`,
			probs: []string{"roles.yml:5: role [r]: value [.inf] cannot be represented in JSON"}},
	})
}

func TestIndexGroupErrors(t *testing.T) {
	p := "failed to parse indices privileges for role [r]. "
	runErrorCases(t, []errorCase{
		{name: "unexpected field", yaml: "r:\n  indices:\n    - names: [a]\n      privileges: [read]\n      namez: [b]\n",
			probs: []string{"roles.yml:5: " + p + "unexpected field [namez]"}},
		{name: "missing names and privileges", yaml: "r:\n  indices:\n    - query: '{}'\n",
			probs: []string{"roles.yml:3: " + p + "missing required [names] field", "roles.yml:3: " + p + "missing required [privileges] field"}},
		{name: "empty names", yaml: "r:\n  indices:\n    - names: []\n      privileges: [read]\n",
			probs: []string{"roles.yml:3: " + p + "[names] cannot be an empty array"}},
		{name: "names not string", yaml: "r:\n  indices:\n    - names: {a: b}\n      privileges: [read]\n",
			probs: []string{"roles.yml:3: " + p + "expected field [names] value to be a string or an array of strings, but found [START_OBJECT] instead"}},
		{name: "indices not a list", yaml: "r:\n  indices: {names: [a]}\n",
			probs: []string{"roles.yml:2: " + p + "expected field [indices] value to be an array, but found [START_OBJECT] instead"}},
		{name: "indices element not object", yaml: "r:\n  indices: [a]\n",
			probs: []string{"roles.yml:2: " + p + "expected field [indices] value to be an array of objects, but found an array element of type [VALUE_STRING]"}},
		{name: "allow_restricted_indices not boolean", yaml: "r:\n  indices:\n    - names: [a]\n      privileges: [read]\n      allow_restricted_indices: \"true\"\n",
			probs: []string{"roles.yml:5: " + p + "expected field [allow_restricted_indices] value to be a boolean, but found [VALUE_STRING] instead"}},
		{name: "privileges not strings", yaml: "r:\n  indices:\n    - names: [a]\n      privileges: [read, true]\n",
			probs: []string{"roles.yml:4: failed to parse role [r]. could not parse [privileges] field. expected a string array but one of the value in the array is [VALUE_BOOLEAN]"}},
		{name: "privileges as a string", yaml: "r:\n  indices:\n    - names: [a]\n      privileges: read\n",
			probs: []string{"roles.yml:4: failed to parse role [r]. could not parse [privileges] field. expected a string array but found [VALUE_STRING] value instead"}},
		{name: "remote indices need clusters", yaml: "r:\n  remote_indices:\n    - names: [a]\n      privileges: [read]\n",
			probs: []string{"roles.yml:3: failed to parse remote indices privileges for role [r]. missing required [clusters] field"}},
		{name: "clusters only in remote indices", yaml: "r:\n  indices:\n    - names: [a]\n      privileges: [read]\n      clusters: [c]\n",
			probs: []string{"roles.yml:5: " + p + "unexpected field [clusters]"}},
	})
}

func TestPatternErrorsInRoles(t *testing.T) {
	group := "r:\n  indices:\n    - privileges: [read]\n      names: "
	runErrorCases(t, []errorCase{
		{name: "slash without closing slash", yaml: group + `["/logs-*"]`, probs: []string{"roles.yml:4: role [r]: invalid pattern [/logs-*]. " +
			"patterns starting with '/' indicate regular expression pattern and therefore must also end with '/'. other patterns " +
			"(those that do not start with '/') will be treated as simple wildcard patterns"}},
		{name: "intersection refused", yaml: group + `["/a.*&~(ab)/"]`,
			probs: []string{"roles.yml:4: role [r]: invalid regular expression pattern [/a.*&~(ab)/]: '&' (intersection) is not supported"}},
		{name: "bad range", yaml: group + `["/[z-a]/"]`,
			probs: []string{"roles.yml:4: role [r]: invalid regular expression pattern [/[z-a]/]: invalid range: from ('z') cannot be > to ('a')"}},
		{name: "good regexps", yaml: group + `["/logs-20[0-9]{2}.*/", "/(a|b)+c?/", "/~(\\.security.*)/"]`, roles: []string{"r"}},
	})
	runErrorCases(t, []errorCase{{name: "class escape", yaml: group + `['/logs-\d+/']`,
		probs: []string{`roles.yml:4: role [r]: invalid regular expression pattern [/logs-\d+/]: the escape \d is not supported`}}})
}

func TestFieldSecurityErrors(t *testing.T) {
	group := "r:\n  indices:\n    - names: [a]\n      privileges: [read]\n      field_security: "
	p := "roles.yml:5: failed to parse indices privileges for role [r]. "
	runErrorCases(t, []errorCase{
		{name: "except without grant", yaml: group + "{except: [a]}", probs: []string{p + "field_security requires grant if except is given"}},
		{name: "grant null", yaml: group + "{grant: null}", probs: []string{p + "grant must not be null."}},
		{name: "unknown option", yaml: group + "{grant: [a], deny: [b]}",
			probs: []string{p + `"field_security" only accepts options grant and except, but got: deny`}},
		{name: "empty", yaml: group + "{}", probs: []string{p + `"field_security" must not be empty.`}},
		{name: "not an object", yaml: group + "[a]", probs: []string{p + `expected START_OBJECT but got START_ARRAY in "field_security".`}},
		{name: "except not a subset", yaml: group + "{grant: [\"customer.*\"], except: [ssn]}",
			probs: []string{"roles.yml:5: failed to parse indices privileges for role [r] - Exceptions for field permissions must be a " +
				"subset of the granted fields but [ssn] is not a subset of [customer.*]"}},
		{name: "except a subset", yaml: group + "{grant: [\"*\"], except: [salary, \"bank.*\"]}", roles: []string{"r"}},
	})
}

func TestRoleLevelErrors(t *testing.T) {
	p := "failed to parse role [r]. "
	long := strings.Repeat("d", 1001)
	runErrorCases(t, []errorCase{
		{name: "unexpected field", yaml: "r:\n  clusterz: [all]\nok: {}\n", probs: []string{"roles.yml:2: " + p + "unexpected field [clusterz]"}, roles: []string{"ok"}},
		{name: "not an object", yaml: "r: [all]\n", probs: []string{"roles.yml:1: " + p + "expected an object but found [START_ARRAY] instead"}},
		{name: "null role", yaml: "r:\n", probs: []string{"roles.yml:1: " + p + "expected an object but found [VALUE_NULL] instead"}},
		{name: "cluster as a string", yaml: "r:\n  cluster: all\n",
			probs: []string{"roles.yml:2: " + p + "could not parse [cluster] field. expected a string array but found [VALUE_STRING] value instead"}},
		{name: "reserved metadata key", yaml: "r:\n  metadata:\n    _reserved: true\n    ok: 1\n",
			probs: []string{"roles.yml:3: role [r]: metadata keys may not start with [_] (found [_reserved])"}},
		{name: "metadata not an object", yaml: "r:\n  metadata: [a]\n",
			probs: []string{"roles.yml:2: " + p + "expected field [metadata] to be of type object, but found [START_ARRAY] instead"}},
		{name: "description too long", yaml: "r:\n  description: " + long + "\n",
			probs: []string{"roles.yml:2: role [r]: Role description must be less than 1000 characters."}},
		{name: "description at the limit", yaml: "r:\n  description: " + long[:1000] + "\n", roles: []string{"r"}},
		{name: "description not a string", yaml: "r:\n  description: [a]\n",
			probs: []string{"roles.yml:2: " + p + "expected field [description] to be a string, but found [START_ARRAY] instead"}},
		{name: "transient metadata not an object", yaml: "r:\n  transient_metadata: 1\n",
			probs: []string{"roles.yml:2: " + p + "unexpected field [transient_metadata]"}},
		{name: "application missing resources", yaml: "r:\n  applications:\n    - {application: app, privileges: [p]}\n",
			probs: []string{"roles.yml:3: failed to parse application privileges for role [r]. missing required [resources] field"}},
		{name: "application unknown field", yaml: "r:\n  applications:\n    - {application: app, privileges: [p], resources: [x], extra: 1}\n",
			probs: []string{"roles.yml:3: failed to parse application privileges for role [r]. unexpected field [extra]"}},
		{name: "global unknown category", yaml: "r:\n  global: {cluster: {manage: {}}}\n",
			probs: []string{"roles.yml:2: failed to parse global privileges for role [r]. unexpected field [cluster]"}},
		{name: "global wrong verb", yaml: "r:\n  global: {application: {write: {applications: [a]}}}\n",
			probs: []string{"roles.yml:2: failed to parse global privileges for role [r]. unexpected field [application.write]"}},
		{name: "several problems are all reported", yaml: "r:\n  cluster: [nope]\n  run_as: x\n",
			probs: []string{"roles.yml:2: role [r]: " + unknownClusterPrivilegeMessage("nope"),
				"roles.yml:3: " + p + "could not parse [run_as] field. expected a string array but found [VALUE_STRING] value instead"}},
	})
}

func TestFileLevelErrors(t *testing.T) {
	runErrorCases(t, []errorCase{
		{name: "empty file", yaml: ""},
		{name: "comments only", yaml: "# nothing\n"},
		{name: "syntax error", yaml: "a: {}\nb:\n  cluster: [monitor\n",
			probs: []string{"roles.yml:2: invalid YAML, no role is loaded from this file: yaml: line 2: did not find expected ',' or ']'"}},
		{name: "tab indentation", yaml: "a:\n\tcluster: [all]\n",
			probs: []string{"roles.yml:2: invalid YAML, no role is loaded from this file: yaml: line 2: found character that cannot start any token"}},
		{name: "not a mapping", yaml: "- a\n- b\n",
			probs: []string{"roles.yml:1: a roles file must be a mapping of role names to role descriptors, found [START_ARRAY]"}},
		{name: "second document", yaml: "a: {}\n---\nb: {}\n",
			probs: []string{"roles.yml:2: a roles file must hold a single YAML document; everything after the first document is ignored"},
			roles: []string{"a"}},
		{name: "non-string role key", yaml: "[a]: {}\nb: {}\n",
			probs: []string{"roles.yml:1: mapping keys must be strings, found [START_ARRAY]; every definition of this role is ignored"},
			roles: []string{"b"}},
		{name: "custom tag", yaml: "r:\n  metadata: {k: !secret v}\n",
			probs: []string{"roles.yml:2: role [r]: unsupported YAML tag [!secret]"}},
	})
}

func TestAliasBombIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		b.WriteString(strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	// The anchors live in one role's metadata, the bomb in another's: both
	// expansions exceed the budget, neither role loads, nothing hangs.
	yaml := "defs:\n  metadata:\n    " + strings.TrimSuffix(strings.ReplaceAll(b.String(), "\n", "\n    "), "    ") +
		"r:\n  metadata:\n    bomb: *a9\n"
	rs, probs := ParseRoles("roles.yml", []byte(yaml))
	if !probs.HasErrors() || !strings.Contains(problemStrings(probs)[len(probs)-1], "YAML aliases expand to too large a document") {
		t.Fatalf("problems = %v", problemStrings(probs))
	}
	if got := fileRoleNames(rs); len(got) != 0 {
		t.Fatalf("roles %v must not load", got)
	}
}
