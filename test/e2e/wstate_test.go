package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// wsUser is one restricted user of the write-state differential: its role
// and what, on the node, its writes may change.
type wsUser struct {
	name string
	role string // YAML below the role's name
	// may reports whether the user's write may make change c (before its
	// universal checks: canaries, refusals without trace).
	may func(c wsChange) bool
	// readsW: the user reads the whole documents of the writable index,
	// hidden field included (it may copy its values elsewhere).
	readsW bool
	// home are the targets its writes name half of the time.
	home []string
}

// TestWriteStateDifferential: restricted users send generated writes
// (single-document APIs with their parameters, _bulk with per-item
// metadata, by-query APIs, _reindex, resize, rollover, aliases, settings,
// mappings, index creation, templates, pipelines, scripts, data streams)
// through the proxy; after each one the test reads the node's state
// directly and checks that:
//   - nothing changed that the user may not write (documents of other
//     indices, documents a create_doc user would overwrite, a delete user
//     would add, a DLS user cannot see or would write outside its query;
//     mappings, settings, aliases, templates, pipelines, scripts, data
//     streams, indices created or removed);
//   - no document gained a canary value the user may not read;
//   - a request the proxy refused left no trace, and a refused _bulk item
//     did not touch its document;
//   - a reader with DLS and FLS (whose view other users' mapping and alias
//     changes could widen) still sees no canary, by value, aggregation or
//     hit count.
//
// Legitimate writes of each kind of user are checked to succeed.
func TestWriteStateDifferential(t *testing.T) {
	node := openSearchURL(t)
	o, su := superuserOpts(t, node)
	n := time.Now().UnixNano() % 1_000_000_000
	f := &wsFixture{t: t, node: node, pass: su.Password, su: su.Name, prefix: fmt.Sprintf("wsd%d", n),
		ds: os.Getenv("E2E_BACKEND") != "elasticsearch"}
	f.c = (&proxy{}).client(nil)
	f.c.Timeout = 2 * time.Minute
	f.seed(n)
	t.Cleanup(f.drop)

	users := f.users()
	for _, u := range users {
		o.Users += u.name + ":" + su.Password + "\n"
		o.UsersRoles += "e2e_" + u.name + ":" + u.name + "\n"
		o.Roles += "e2e_" + u.name + ":\n" + u.role
	}
	f.p = startProxy(t, o)
	f.p.waitReady()

	f.legitimate()
	f.reader("after seeding")

	var findings []string
	report := func(format string, args ...any) {
		findings = append(findings, fmt.Sprintf(format, args...))
	}
	// E2E_WSTATE_LOG names a file that receives every write, its answer
	// and the changes it made, for reading a run.
	var debugLog *os.File
	if path := os.Getenv("E2E_WSTATE_LOG"); path != "" {
		l, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		debugLog = l
	}
	var tSnap, tSend, tRead time.Duration
	stats := map[string][3]int{} // user -> sent, 2xx, changed the state
	defer func() {
		t.Logf("snapshots %s, writes %s, reader %s", tSnap, tSend, tRead)
		for _, u := range users {
			st := stats[u.name]
			t.Logf("%s: %d writes, %d answered 2xx, %d changed the node's state", u.name, st[0], st[1], st[2])
		}
	}()
	run := func(u *wsUser, rq wsReq, still bool) {
		t0 := time.Now()
		before := f.snapshot()
		t1 := time.Now()
		res := f.send(u.name, rq)
		t2 := time.Now()
		after := f.snapshot()
		tSnap += time.Since(t2) + t1.Sub(t0)
		tSend += t2.Sub(t1)
		t3 := time.Now()
		defer func() { tRead += time.Since(t3) }()
		changes := diff(before, after)
		st := stats[u.name]
		st[0]++
		if res.Status < 300 {
			st[1]++
		}
		if len(changes) > 0 {
			st[2]++
		}
		stats[u.name] = st
		f.judge(u, rq, res, changes, report)
		if still && len(changes) > 0 {
			report("%s %s (%d %.200s): changed %v, where nothing may change", u.name, rq, res.Status, res.Body, changes)
		}
		if debugLog != nil {
			fmt.Fprintf(debugLog, "%s %s -> %d %.300s\n   changes: %v\n", u.name, rq, res.Status, res.Body, changes)
		}
		f.heal(after)
		if len(changes) > 0 {
			if leak := f.readerLeak(); leak != "" {
				report("%s %s (%d): afterwards the reader sees: %s", u.name, rq, res.Status, leak)
			}
		}
	}
	for _, s := range f.sequences(users) {
		for _, rq := range s.reqs {
			run(s.user, rq, s.still)
		}
	}
	g := &wsGen{f: f, r: rand.New(rand.NewPCG(7, 2026))}
	const generated = 500
	for range generated {
		u := users[g.r.IntN(len(users))]
		g.home = u.home
		rq := g.request()
		if u.readsW && strings.Contains(rq.Body, "ctx._source.note = ctx._source.secret") {
			continue // its own data: it may read the hidden field and copy it
		}
		run(u, rq, false)
	}
	slices.Sort(findings)
	findings = slices.Compact(findings)
	for i, s := range findings {
		if i == 40 {
			t.Errorf("… and %d more", len(findings)-40)
			break
		}
		t.Error(s)
	}
}

// send sends a user's write through the proxy.
func (f *wsFixture) send(user string, rq wsReq) result {
	f.t.Helper()
	if rq.Body == "" {
		return do(f.t, f.c, rq.Method, f.p.URL+rq.Path, user, f.pass, nil, nil)
	}
	ct := "application/json"
	if strings.Contains(rq.Path, "/_bulk") {
		ct = "application/x-ndjson"
	}
	return do(f.t, f.c, rq.Method, f.p.URL+rq.Path, user, f.pass, strings.NewReader(rq.Body), map[string]string{"Content-Type": ct})
}

// judge checks one write's changes.
func (f *wsFixture) judge(u *wsUser, rq wsReq, res result, changes []wsChange, report func(string, ...any)) {
	refused := res.Status >= 400 && strings.Contains(res.Body, "security_exception") && !strings.Contains(rq.Path, "_bulk")
	forbidden := f.forbiddenCanaries(u)
	for _, c := range changes {
		switch {
		case refused:
			report("%s %s: refused (%d) but changed %s", u.name, rq, res.Status, c)
		case !u.may(c):
			report("%s %s (%d %.200s): changed %s", u.name, rq, res.Status, res.Body, c)
		case c.aDoc != nil:
			for _, can := range forbidden {
				if strings.Contains(c.aDoc.Source, can) && (c.bDoc == nil || !strings.Contains(c.bDoc.Source, can)) {
					report("%s %s (%d): document %s gained the canary %s", u.name, rq, res.Status, c.Key, can)
				}
			}
		}
	}
	if !strings.Contains(rq.Path, "_bulk") || res.Status != 200 {
		return
	}
	var br struct {
		Items []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Status int    `json:"status"`
			Error  *struct {
				Type string `json:"type"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(res.Body), &br); err != nil {
		report("%s %s: _bulk answer unreadable: %.300s", u.name, rq, res.Body)
		return
	}
	for _, it := range br.Items {
		for _, v := range it {
			if v.Error == nil || v.Error.Type != "security_exception" {
				continue
			}
			for _, c := range changes {
				if c.Kind == "doc" && c.Key == v.Index+"/"+v.ID {
					report("%s %s: refused item %s/%s changed %s", u.name, rq, v.Index, v.ID, c)
				}
			}
		}
	}
}

// forbiddenCanaries are the canaries user u may not read.
func (f *wsFixture) forbiddenCanaries(u *wsUser) []string {
	var out []string
	for _, c := range f.canaries {
		if u.readsW && strings.Contains(c, "qw") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// users are the restricted users and what each may change.
func (f *wsFixture) users() []*wsUser {
	W, D := f.name("w"), f.name("d")
	doc := func(c wsChange, idx string) bool { return c.Kind == "doc" && c.Index == idx }
	mapping := func(c wsChange, idx string) bool { return c.Kind == "index" && c.Key == idx+"#mappings" }
	noPipeline := func(c wsChange) bool { return !strings.Contains(c.After, "_pipeline") }
	// aliasesWithin: every alias added or removed satisfies allowed.
	aliasesWithin := func(c wsChange, allowed func(string) bool) bool {
		names := func(s string) map[string]bool {
			out := map[string]bool{}
			var list []string
			if json.Unmarshal([]byte(s), &list) == nil {
				for _, a := range list {
					out[a] = true
				}
				return out
			}
			var m map[string]any
			_ = json.Unmarshal([]byte(s), &m)
			for a := range m {
				out[a] = true
			}
			return out
		}
		b, a := names(c.Before), names(c.After)
		for n := range a {
			if !b[n] && !allowed(n) {
				return false
			}
		}
		for n := range b {
			if !a[n] && !allowed(n) {
				return false
			}
		}
		return true
	}
	grant := func(names, privs string) string {
		return "    - names: [" + names + "]\n      privileges: [" + privs + "]\n"
	}
	q := func(s string) string { return `"` + s + `"` }
	newPrefix, dsaPrefix := f.name("new"), f.name("dsa")
	return []*wsUser{
		{name: "wsdw", role: "  indices:\n" + grant(q(W)+", "+q(f.name("fa")), "read, write") + grant(q(f.name("r")), "read"), readsW: true,
			home: []string{W, f.name("fa")},
			may:  func(c wsChange) bool { return doc(c, W) || mapping(c, W) }},
		{name: "wsdcd", role: "  indices:\n" + grant(q(W), "create_doc"), home: []string{W},
			may: func(c wsChange) bool { return doc(c, W) && c.bDoc == nil || mapping(c, W) }},
		{name: "wsdidx", role: "  indices:\n" + grant(q(W), "index"), home: []string{W},
			may: func(c wsChange) bool { return doc(c, W) && c.aDoc != nil || mapping(c, W) }},
		{name: "wsddel", role: "  indices:\n" + grant(q(W), "delete"), home: []string{W},
			may: func(c wsChange) bool { return doc(c, W) && c.aDoc == nil }},
		{name: "wsddls", role: "  indices:\n" + grant(q(D)+", "+q(f.name("cd"))+", "+q(f.name("dal")), "read, write") +
			"      query: '{\"term\":{\"level\":\"public\"}}'\n      field_security:\n        grant: [level, note, n]\n" +
			// cd has a second role query of its own: a document
			// checked against cd's queries may not land in d.
			grant(q(f.name("cd")), "read, write") + "      query: '{\"term\":{\"level\":\"other\"}}'\n",
			home: []string{D, f.name("dal")},
			may: func(c wsChange) bool {
				seen := func(d *wsDoc, extra string) bool {
					return d == nil || d.Level == "public" || d.Level == extra && extra != ""
				}
				switch {
				case doc(c, D):
					return seen(c.bDoc, "") && seen(c.aDoc, "")
				case doc(c, f.name("cd")):
					return seen(c.bDoc, "other") && seen(c.aDoc, "other")
				}
				return mapping(c, D) || mapping(c, f.name("cd"))
			}},
		{name: "wsdac", readsW: true, role: "  indices:\n" + grant(q(W), "read, write") + grant(q(newPrefix+"*"), "write, create_index") +
			grant(q(dsaPrefix+"*"), "write, create_index, auto_configure"),
			home: []string{f.name("new1"), f.name("new2"), W, f.name("dsa1")},
			may: func(c wsChange) bool {
				// Its own names: new indices, data streams (plain indices
				// on a node without data streams) and their backing indices.
				own := func(name string) bool {
					return strings.HasPrefix(name, newPrefix) || strings.HasPrefix(name, dsaPrefix) || strings.HasPrefix(name, ".ds-"+dsaPrefix)
				}
				inNew := own(c.Index)
				switch {
				case doc(c, W) || mapping(c, W):
					return true
				case c.Kind == "name":
					return own(c.Key) && c.Before == ""
				case c.Kind == "global":
					return strings.HasPrefix(c.Key, "data_stream/"+dsaPrefix)
				case strings.HasSuffix(c.Key, "#aliases"):
					return inNew && c.Before == "" && (c.After == "[]" || c.After == "{}")
				}
				return inNew && noPipeline(c)
			}},
		{name: "wsdnac", readsW: true, role: "  indices:\n" + grant(q(W), "read, write") + grant(q(newPrefix+"*"), "read, write"),
			home: []string{f.name("new1"), W},
			may: func(c wsChange) bool {
				// Writes into new-prefix indices another user created.
				inNew := strings.HasPrefix(c.Index, newPrefix) && c.Kind != "name"
				return doc(c, W) || mapping(c, W) || inNew && (c.Kind == "doc" || strings.HasSuffix(c.Key, "#mappings"))
			}},
		{name: "wsdmgx", readsW: true, role: "  indices:\n" + grant(q(W)+", "+q(f.name("wal")+"*"), "read, write, manage"),
			home: []string{W, W, f.name("wal1")},
			may: func(c wsChange) bool {
				// It manages its index and the indices and aliases named wal*
				// (a clone of its index may be one).
				wal := strings.HasPrefix(c.Index, f.name("wal")) || c.Kind == "name" && strings.HasPrefix(c.Key, f.name("wal"))
				if c.Index != W && !wal {
					return false
				}
				if strings.HasSuffix(c.Key, "#aliases") {
					return aliasesWithin(c, func(a string) bool { return strings.HasPrefix(a, f.name("wal")) })
				}
				return noPipeline(c)
			}},
		// The reader: read only, with DLS and FLS.
		{name: "wsdrd", role: "  indices:\n" + grant(q(W)+", "+q(D), "read") +
			"      query: '{\"term\":{\"level\":\"public\"}}'\n      field_security:\n        grant: [level, note, n, \"vis*\"]\n",
			home: []string{W, D}, may: func(wsChange) bool { return false }},
		{name: "wsdmg", role: "  indices:\n" + grant(q(W)+", "+q(f.name("wal")+"*"), "read, write, manage") +
			"      field_security:\n        grant: [level, note, n, \"vis*\"]\n",
			home: []string{W},
			may: func(c wsChange) bool {
				if c.Index != W {
					return false
				}
				if strings.HasSuffix(c.Key, "#aliases") {
					return aliasesWithin(c, func(a string) bool { return strings.HasPrefix(a, f.name("wal")) })
				}
				return noPipeline(c)
			}},
	}
}

// wsSequence is a fixed series of writes by one user: the chains random
// generation seldom builds (a mapping change, then the by-query write
// that fills the new field from stored documents).
type wsSequence struct {
	user *wsUser
	reqs []wsReq
	// still: the writes must change nothing (they select documents by
	// what the user may not see).
	still bool
}

func (f *wsFixture) sequences(users []*wsUser) []wsSequence {
	by := map[string]*wsUser{}
	for _, u := range users {
		by[u.name] = u
	}
	W := f.name("w")
	ubq := wsReq{"POST", "/" + W + "/_update_by_query?refresh=true&conflicts=proceed", `{"query":{"match_all":{}}}`}
	return []wsSequence{
		{user: by["wsdmg"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"properties":{"visc":{"type":"keyword"},"secret":{"type":"keyword","copy_to":["visc"]}}}`}, ubq}},
		{user: by["wsdmgx"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"properties":{"visc":{"type":"keyword"},"secret":{"type":"keyword","copy_to":["visc"]}}}`}, ubq}},
		{user: by["wsdmgx"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"properties":{"visalias":{"type":"alias","path":"secret"}}}`}}},
		{user: by["wsdmgx"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"derived":{"visrt":{"type":"keyword","script":{"source":"emit(params._source['secret'])"}}}}`}}},
		{user: by["wsdmgx"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"runtime":{"visrt":{"type":"keyword","script":{"source":"emit(params._source['secret'])"}}}}`}}},
		{user: by["wsdmgx"], reqs: []wsReq{{"POST", "/_aliases", `{"actions":[{"add":{"index":"` + W + `","alias":"` + f.name("wal1") + `","filter":{"term":{"level":"private"}}}}]}`}}},
		{user: by["wsdw"], reqs: []wsReq{ubq}},
		{user: by["wsdmg"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"properties":{"visalias":{"type":"alias","path":"secret"}}}`}}},
		{user: by["wsdmg"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"derived":{"visrt":{"type":"keyword","script":{"source":"emit(params._source['secret'])"}}}}`}}},
		{user: by["wsdmg"], reqs: []wsReq{{"PUT", "/" + W + "/_mapping", `{"runtime":{"visrt":{"type":"keyword","script":{"source":"emit(params._source['secret'])"}}}}`}}},
		{user: by["wsdmg"], reqs: []wsReq{{"POST", "/_aliases", `{"actions":[{"add":{"index":"` + W + `","alias":"` + f.name("wal1") + `"}}]}`}}},
		{user: by["wsdmg"], reqs: []wsReq{{"PUT", "/" + W + "/_settings", `{"index.default_pipeline":"` + f.name("pipe-redirect") + `"}`}}},
		{user: by["wsddls"], reqs: []wsReq{
			{"PUT", "/" + f.name("d") + "/_doc/d2?refresh=true", `{"level":"public","note":"taken"}`},
			{"POST", "/" + f.name("d") + "/_update/d2", `{"doc":{"level":"public"}}`},
			{"DELETE", "/" + f.name("d") + "/_doc/d4?refresh=true", ""},
			{"POST", "/" + f.name("d") + "/_delete_by_query?refresh=true", `{"query":{"match_all":{}}}`},
			{"POST", "/" + f.name("d") + "/_update_by_query?refresh=true", `{"query":{"match_all":{}}}`},
			{"POST", "/_bulk?refresh=true", `{"index":{"_index":"` + f.name("d") + `","_id":"d6"}}` + "\n" + `{"level":"public"}` + "\n" + `{"delete":{"_index":"` + f.name("d") + `","_id":"d2"}}` + "\n"},
		}},
		// The single-alias APIs, with wildcards over aliases the manager
		// may not touch.
		{user: by["wsdmgx"], reqs: []wsReq{
			{"DELETE", "/" + W + "/_alias/*", ""},
			{"DELETE", "/" + W + "/_alias/_all", ""},
			{"DELETE", "/" + W + "/_aliases/" + f.prefix + "-*", ""},
			{"DELETE", "/_all/_alias/" + f.name("fa"), ""},
			{"PUT", "/" + W + "/_alias/" + f.name("sa"), ""},
			{"PUT", "/" + W + "/_alias/" + f.name("wal2"), `{"alias":"` + f.name("fa") + `"}`},
			{"POST", "/" + W + "/_aliases/" + f.name("wal3"), `{"index":"` + f.name("s") + `"}`},
			{"PUT", "/" + f.prefix + "-*/_alias/" + f.name("wal4"), ""},
		}},
		// The spellings of a default or final pipeline the cluster accepts.
		{user: by["wsdmgx"], reqs: func() []wsReq {
			var out []wsReq
			pipe := f.name("pipe-plain")
			for _, b := range []string{
				`{"settings":{"index.default_pipeline":"` + pipe + `"}}`,
				`{"default_pipeline":"` + pipe + `"}`,
				`{"final_pipeline":"` + pipe + `"}`,
				`{"index":{"default_pipeline":"` + pipe + `"}}`,
				`{"settings":{"index":{"final_pipeline":"` + pipe + `"}}}`,
				`{"settings":{"final_pipeline":"` + pipe + `"}}`,
				`{"index":{"settings":{"default_pipeline":"` + pipe + `"}}}`,
			} {
				out = append(out, wsReq{"PUT", "/" + W + "/_settings", b}, wsReq{"PUT", "/" + W + "/_settings?preserve_existing=true", b})
			}
			return out
		}()},
		{user: by["wsdac"], reqs: []wsReq{
			{"PUT", "/" + f.name("new3"), `{"settings":{"default_pipeline":"` + f.name("pipe-plain") + `"}}`},
			{"PUT", "/" + f.name("new4"), `{"settings":{"index":{"final_pipeline":"` + f.name("pipe-plain") + `"}}}`},
			{"PUT", "/" + f.name("new5"), `{"index.default_pipeline":"` + f.name("pipe-plain") + `"}`},
			{"PUT", "/" + f.name("new6"), `{"index":{"default_pipeline":"` + f.name("pipe-plain") + `"}}`},
		}},
		// Settings that change what a query without fields reads.
		{user: by["wsdmgx"], reqs: []wsReq{{"PUT", "/" + W + "/_settings", `{"index.query.default_field":["secret"]}`}}},
		// Date math names resolve before the auto-create check.
		{user: by["wsdnac"], reqs: []wsReq{
			{"PUT", "/%3C" + f.name("new") + "-%7Bnow%2Fd%7D%3E/_doc/1", `{"level":"public"}`},
			{"POST", "/_bulk", `{"index":{"_index":"<` + f.name("new") + `-dm-{now/d}>","_id":"1"}}` + "\n" + `{"level":"public"}` + "\n"},
			{"DELETE", "/%3C" + f.name("new") + "-x-%7Bnow%2Fd%7D%3E/_doc/1?version=9&version_type=external", ""},
		}},
		// Through an alias whose write index is not its first index, the
		// write-side DLS checks look at the write index.
		{user: by["wsddls"], reqs: []wsReq{
			{"POST", "/_bulk?refresh=true", `{"index":{"_index":"` + f.name("dal") + `","_id":"d2"}}` + "\n" + `{"level":"public","note":"replaced"}` + "\n"},
			{"POST", "/_bulk?refresh=true", `{"delete":{"_index":"` + f.name("dal") + `","_id":"d4"}}` + "\n"},
			{"POST", "/_bulk?refresh=true", `{"create":{"_index":"` + f.name("dal") + `","_id":"o1"}}` + "\n" + `{"level":"other"}` + "\n" +
				`{"index":{"_index":"` + f.name("dal") + `"}}` + "\n" + `{"level":"other"}` + "\n"},
			{"POST", "/" + f.name("dal") + "/_bulk?refresh=true", `{"index":{"_id":"d6"}}` + "\n" + `{"level":"public"}` + "\n" + `{"create":{}}` + "\n" + `{"level":"private"}` + "\n"},
		}},
		// Deletes selecting documents by the hidden field's values (their
		// count would tell them) delete nothing.
		{user: by["wsddls"], still: true, reqs: []wsReq{
			{"POST", "/" + f.name("d") + "/_delete_by_query?q=secret:wsdsec*&refresh=true", ""},
			{"POST", "/" + f.name("d") + "/_delete_by_query?refresh=true", `{"query":{"prefix":{"secret":"wsdsec"}}}`},
			{"POST", "/" + f.name("d") + "/_delete_by_query?refresh=true&q=wsdsec*", ""},
			{"POST", "/" + f.name("d") + "/_delete_by_query?refresh=true", `{"query":{"exists":{"field":"secret"}}}`},
		}},
		// A delete with external versioning creates its index.
		{user: by["wsdmg"], still: true, reqs: []wsReq{
			{"POST", "/" + W + "/_delete_by_query?q=secret:wsdsec*&refresh=true", ""},
			{"POST", "/" + W + "/_delete_by_query?refresh=true", `{"query":{"wildcard":{"secret":"wsdsec*"}}}`},
		}},
		{user: by["wsdnac"], reqs: []wsReq{
			{"DELETE", "/" + f.name("new7") + "/_doc/1?version=5&version_type=external", ""},
			{"POST", "/_bulk", `{"delete":{"_index":"` + f.name("new8") + `","_id":"1","version":5,"version_type":"external_gte"}}` + "\n"},
		}},
		{user: by["wsdcd"], reqs: []wsReq{
			{"PUT", "/" + W + "/_doc/w1?refresh=true&op_type=create", `{"level":"public"}`},
			{"POST", "/_bulk?refresh=true", `{"index":{"_index":"` + W + `","_id":"w1"}}` + "\n" + `{"level":"x"}` + "\n" + `{"create":{"_index":"` + W + `","_id":"w1"}}` + "\n" + `{"level":"x"}` + "\n"},
			{"PUT", "/" + W + "/_doc/w1?refresh=true&version=999&version_type=external", `{"level":"x"}`},
		}},
	}
}

// legitimate checks that each kind of user can still do what its role
// grants, so the differential does not pass by refusing everything.
func (f *wsFixture) legitimate() {
	f.t.Helper()
	W, D := f.name("w"), f.name("d")
	for _, c := range []struct {
		user string
		rq   wsReq
		want int
		body string // the answer holds it
	}{
		{"wsdw", wsReq{"PUT", "/" + W + "/_doc/ok1?refresh=true", `{"level":"public","note":"ok"}`}, 201, ""},
		{"wsdw", wsReq{"POST", "/" + W + "/_update/ok1?refresh=true", `{"doc":{"note":"ok2"}}`}, 200, ""},
		{"wsdcd", wsReq{"PUT", "/" + W + "/_create/ok2?refresh=true", `{"level":"public"}`}, 201, ""},
		{"wsdcd", wsReq{"POST", "/" + W + "/_doc?refresh=true", `{"level":"public"}`}, 201, ""},
		{"wsdidx", wsReq{"PUT", "/" + W + "/_doc/ok2?refresh=true", `{"level":"public","note":"again"}`}, 200, ""},
		{"wsddel", wsReq{"DELETE", "/" + W + "/_doc/ok2?refresh=true", ""}, 200, ""},
		{"wsddls", wsReq{"PUT", "/" + D + "/_doc/ok3?refresh=true", `{"level":"public","note":"mine"}`}, 201, ""},
		{"wsddls", wsReq{"DELETE", "/" + D + "/_doc/ok3?refresh=true", ""}, 200, ""},
		{"wsdac", wsReq{"PUT", "/" + f.name("new9") + "/_doc/1?refresh=true", `{"level":"public"}`}, 201, ""},
		{"wsdmgx", wsReq{"PUT", "/" + W + "/_settings", `{"index.number_of_replicas":0}`}, 200, ""},
		{"wsddls", wsReq{"POST", "/_bulk?refresh=true", `{"index":{"_index":"` + f.name("dal") + `","_id":"ok5"}}` + "\n" + `{"level":"public"}` + "\n" +
			`{"index":{"_index":"` + f.name("dal") + `","_id":"d5"}}` + "\n" + `{"level":"public","note":"again"}` + "\n" +
			`{"delete":{"_index":"` + f.name("dal") + `","_id":"d3"}}` + "\n"}, 200, `"errors":false`},
	} {
		if r := f.send(c.user, c.rq); r.Status != c.want || !strings.Contains(r.Body, c.body) {
			f.t.Errorf("legitimate write refused: %s %s: %d %.300s (want %d)", c.user, c.rq, r.Status, r.Body, c.want)
		}
	}
}

// readerLeak searches, as the reader (DLS and FLS on the writable and the
// DLS index), for canaries in values, aggregations over the field names
// other users' mapping changes could add, and hit counts; it returns the
// first leak found, or "".
func (f *wsFixture) readerLeak() string {
	f.t.Helper()
	target := "/" + f.name("w") + "," + f.name("d") + "/_search"
	vis := []string{"visalias", "visc", "visrt", "note.visk", "note"}
	var aggs []string
	for i, v := range vis {
		aggs = append(aggs, fmt.Sprintf(`"a%d":{"terms":{"field":%q}}`, i, v))
	}
	var should []string
	for _, v := range vis[:4] {
		should = append(should, fmt.Sprintf(`{"prefix":{%q:"wsdsec"}}`, v))
	}
	should = append(should, `{"query_string":{"query":"wsdsec*"}}`, `{"query_string":{"query":"wsdpriv*"}}`)
	for _, b := range []string{
		`{"size":100,"fields":["*"],"docvalue_fields":["visalias","visc","note.visk"]}`,
		`{"size":0,"aggs":{` + strings.Join(aggs[:4], ",") + `}}`,
		`{"size":0,"query":{"bool":{"should":[` + strings.Join(should, ",") + `]}}}`,
	} {
		r := do(f.t, f.c, "POST", f.p.URL+target+"?ignore_unavailable=true", "wsdrd", f.pass, strings.NewReader(b), map[string]string{"Content-Type": "application/json"})
		for _, can := range f.canaries {
			if strings.Contains(r.Body, can) {
				return fmt.Sprintf("%s in the answer to %s", can, b)
			}
		}
		if strings.Contains(b, "should") && r.Status == 200 && !strings.Contains(r.Body, `"total":{"value":0`) {
			return "hits for the canaries' prefix: " + r.Body
		}
		if r.Status != 200 && !strings.Contains(b, "aggs") {
			return fmt.Sprintf("the reader's search failed (%d %s)", r.Status, r.Body)
		}
	}
	return ""
}

// heal reopens and unblocks the fixture's indices a user legitimately
// closed or blocked (the manager may), so later writes keep reaching
// them; the next snapshot is taken after it.
func (f *wsFixture) heal(s *wsState) {
	f.t.Helper()
	for _, k := range []string{"w", "d"} {
		idx := f.name(k)
		if strings.Contains(s.Indices[idx+"#state"], "close") {
			f.direct("POST", "/"+idx+"/_open?wait_for_active_shards=1", "")
		}
		if strings.Contains(s.Indices[idx+"#settings"], `"blocks"`) {
			f.direct("PUT", "/"+idx+"/_settings", `{"index.blocks.write":null,"index.blocks.read_only":null,"index.blocks.read_only_allow_delete":null}`)
		}
	}
}

// reader fails the test when the reader sees a canary now.
func (f *wsFixture) reader(when string) {
	f.t.Helper()
	if leak := f.readerLeak(); leak != "" {
		f.t.Fatalf("%s: the reader sees: %s", when, leak)
	}
}

// seed creates the run's indices, documents, aliases, pipelines and data
// streams straight on the node.
func (f *wsFixture) seed(n int64) {
	f.t.Helper()
	mapping := `{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{"level":{"type":"keyword"},"note":{"type":"text"},"n":{"type":"long"},"secret":{"type":"keyword"}}}}`
	for _, k := range []string{"w", "r", "s", "d", "sb", "cd"} {
		f.must("create "+k, "PUT", "/"+f.name(k), mapping)
	}
	var bulk strings.Builder
	add := func(index, id string, doc map[string]any) {
		bulk.WriteString(js(map[string]any{"index": map[string]any{"_index": index, "_id": id}}) + "\n" + js(doc) + "\n")
	}
	can := func(kind string, i int) string {
		c := fmt.Sprintf("%s%dq%s%d", kind, n, "", i)
		return c
	}
	for i := 1; i <= 6; i++ {
		lvl := "private"
		if i%2 == 1 {
			lvl = "public"
		}
		ws := can("wsdsec", i) + "qw"
		ds := can("wsdsec", i) + "qd"
		add(f.name("w"), fmt.Sprintf("w%d", i), map[string]any{"level": lvl, "note": fmt.Sprintf("wnote%d", i), "n": i, "secret": ws})
		dnote := fmt.Sprintf("dnote%d", i)
		if lvl == "private" {
			dnote = can("wsdpriv", i)
			f.canaries = append(f.canaries, dnote)
		}
		add(f.name("d"), fmt.Sprintf("d%d", i), map[string]any{"level": lvl, "note": dnote, "n": i, "secret": ds})
		f.canaries = append(f.canaries, ws, ds)
	}
	for i := 1; i <= 3; i++ {
		sc := can("wsdsidx", i)
		add(f.name("s"), fmt.Sprintf("s%d", i), map[string]any{"level": "public", "note": sc, "n": i, "secret": sc})
		f.canaries = append(f.canaries, sc)
	}
	sb := can("wsdsidx", 9)
	add(f.name("sb"), "sb1", map[string]any{"level": "public", "note": sb, "secret": sb})
	f.canaries = append(f.canaries, sb)
	add(f.name("r"), "r1", map[string]any{"level": "public", "note": "rnote"})
	f.must("seed documents", "POST", "/_bulk?refresh=true", bulk.String())
	f.must("block sb", "PUT", "/"+f.name("sb")+"/_settings", `{"index.blocks.write":true}`)
	f.must("aliases", "POST", "/_aliases", `{"actions":[`+
		`{"add":{"index":"`+f.name("w")+`","alias":"`+f.name("fa")+`","is_write_index":true,"filter":{"term":{"level":"public"}}}},`+
		`{"add":{"index":"`+f.name("s")+`","alias":"`+f.name("sa")+`"}},`+
		`{"add":{"index":"`+f.name("w")+`","alias":"`+f.name("mix")+`","is_write_index":false}},`+
		`{"add":{"index":"`+f.name("s")+`","alias":"`+f.name("mix")+`","is_write_index":true}}`+
		// The DLS user's alias: its write index is not the first of its
		// indices (cd sorts before d).
		`,{"add":{"index":"`+f.name("cd")+`","alias":"`+f.name("dal")+`"}}`+
		`,{"add":{"index":"`+f.name("d")+`","alias":"`+f.name("dal")+`","is_write_index":true}}]}`)
	// The test nodes have no ingest-common module (no set processor): the
	// pipelines are empty, and a write naming one that the proxy lets
	// through is seen by the per-user rules like any other.
	f.must("pipeline", "PUT", "/_ingest/pipeline/"+f.name("pipe-redirect"), `{"processors":[]}`)
	f.must("pipeline", "PUT", "/_ingest/pipeline/"+f.name("pipe-plain"), `{"processors":[]}`)
	if f.ds {
		f.must("data stream template", "PUT", "/_index_template/"+f.name("dst"), `{"index_patterns":["`+f.name("ds")+`*"],"priority":500,"data_stream":{},"template":{"settings":{"number_of_shards":1,"number_of_replicas":0}}}`)
		f.must("data stream", "PUT", "/_data_stream/"+f.name("dsb1"), "")
		f.must("data stream document", "POST", "/"+f.name("dsb1")+"/_doc?refresh=true", `{"@timestamp":"2026-11-28T00:00:00Z","level":"public","note":"dsnote"}`)
	}
}

// drop removes what the run created on the node.
func (f *wsFixture) drop() {
	if f.ds {
		f.direct("DELETE", "/_data_stream/"+f.prefix+"-*", "")
	}
	f.direct("DELETE", "/"+f.prefix+"-*?expand_wildcards=all", "")
	for _, p := range []string{"/_index_template/" + f.name("dst"), "/_index_template/" + f.name("tu"), "/_template/" + f.name("tl"),
		"/_component_template/" + f.name("ct"), "/_ingest/pipeline/" + f.prefix + "-*", "/_scripts/" + f.name("scr")} {
		f.direct("DELETE", p, "")
	}
}
