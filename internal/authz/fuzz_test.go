package authz

import (
	"os"
	"testing"
)

// FuzzParseRoles: no input may panic, every problem is located in the file,
// and every role that loads can be evaluated.
func FuzzParseRoles(f *testing.F) {
	for _, path := range []string{"testdata/fixture_roles.yml", "testdata/rich_roles.yml", "reserved_roles.yml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(decisionRoles))
	f.Add([]byte("a: &a [x]\nb: *a\nc: {<<: *a}\n"))
	f.Add([]byte("r:\n  indices:\n    - names: ['/~(a|b)*[^c-d]{1,3}\"q\"@#/']\n      privileges: [read]\n      query: '{\"a\":{}}'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, probs := ParseRoles("fuzz.yml", data)
		for _, p := range probs {
			if p.File != "fuzz.yml" || p.Message == "" || p.Line < 0 {
				t.Fatalf("badly located problem: %+v", p)
			}
		}
		e := NewEvaluator(rs)
		for _, name := range rs.Names() {
			r, _ := rs.Get(name)
			r.ClusterAllows("cluster:monitor/main")
			for _, g := range r.IndexGroups() {
				g.MatchesIndex(".security-7")
				g.Allows("indices:data/read/search")
			}
			e.Decide(Request{User: "u", Roles: []string{name}, Action: "indices:data/read/search", Indices: []string{"*", ".kibana"}})
		}
	})
}

// FuzzParsePattern: patterns never panic and compiled ones can match.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"*", "logs-?", `a\*`, "/logs-20[0-9]{2}.*/", "/~(([.]|ilm-history-).*)/", "/a{2,}|\"b\"@#()/", "/[^]a-]/"} {
		f.Add(s, "logs-2024")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		p.Matches(name)
		p.MatchesIndex(name, false)
		mayReachRestricted(name)
	})
}
