package e2e

import (
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestIndicesBoostNoExistenceOracle: the cluster resolves every name of a
// search's indices_boost against all its indices, whatever the search
// targets: a missing name failed the search with index_not_found_exception
// (a wildcard too, under allow_no_indices=false) while an existing one was
// ignored, so a user allowed one index learnt which forbidden indices
// exist and could enumerate their names by prefix. The answer must not
// depend on whether a forbidden name exists.
func TestIndicesBoostNoExistenceOracle(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Users += "eoreader:" + u.Password + "\n" + "eodls:" + u.Password + "\n"
	o.UsersRoles += "e2e_eoreader:eoreader\ne2e_eodls:eodls\n"
	o.Roles = "e2e_eoreader:\n  indices:\n    - names: [\"e2e-eovis-*\"]\n      privileges: [read]\n" +
		"e2e_eodls:\n  indices:\n    - names: [\"e2e-eovis-*\"]\n      privileges: [read]\n      query: '{\"term\":{\"owner\":\"me\"}}'\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	vis, sec := fmt.Sprintf("e2e-eovis-%d", n), fmt.Sprintf("e2e-eosecret-%d", n)
	missing := fmt.Sprintf("e2e-eosecrex-%d", n) // same length: the answers compare equal
	hj := map[string]string{"Content-Type": "application/json"}
	for _, d := range [][2]string{
		{"/" + sec + "/_doc/s1?refresh=true", `{"owner":"me"}`},
		{"/" + vis + "/_doc/v1?refresh=true", `{"owner":"me"}`},
	} {
		if r := do(t, c, "PUT", p.URL+d[0], u.Name, u.Password, strings.NewReader(d[1]), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", d[0], r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+vis+","+sec, u.Name, u.Password, nil, nil) })
	type probe struct{ path, body string }
	probes := func(name string) []probe {
		boost := `"indices_boost":[{"` + name + `":2}]`
		return []probe{
			{"/" + vis + "/_search", `{"size":0,` + boost + `}`},
			{"/" + vis + "/_search", `{"size":0,"indices_boost":{"` + name + `":2}}`},
			{"/" + vis + "/_search?allow_no_indices=false", `{"size":0,"indices_boost":[{"` + name[:len(name)-3] + `*":2}]}`},
			{"/_msearch", `{"index":"` + vis + `"}` + "\n" + `{"size":0,` + boost + `}` + "\n"},
		}
	}
	// Control: the probes are real (the superuser sees the difference).
	exist, miss := probes(sec), probes(missing)
	for i := range exist {
		ct := hj
		if strings.HasPrefix(exist[i].path, "/_msearch") {
			ct = map[string]string{"Content-Type": "application/x-ndjson"}
		}
		re := do(t, c, "POST", p.URL+exist[i].path, u.Name, u.Password, strings.NewReader(exist[i].body), ct)
		rm := do(t, c, "POST", p.URL+miss[i].path, u.Name, u.Password, strings.NewReader(miss[i].body), ct)
		if !strings.Contains(rm.Body, "index_not_found_exception") || strings.Contains(re.Body, "index_not_found_exception") {
			t.Fatalf("control %s %s: the superuser should see the missing index only: %d %s / %d %s", exist[i].path, exist[i].body, re.Status, re.Body, rm.Status, rm.Body)
		}
		for _, user := range []string{"eoreader", "eodls"} {
			re := do(t, c, "POST", p.URL+exist[i].path, user, u.Password, strings.NewReader(exist[i].body), ct)
			rm := do(t, c, "POST", p.URL+miss[i].path, user, u.Password, strings.NewReader(miss[i].body), ct)
			eb := strings.ReplaceAll(re.Body, sec, missing)
			eb = strings.ReplaceAll(eb, sec[:len(sec)-3], missing[:len(missing)-3])
			if re.Status != rm.Status || tookRE.ReplaceAllString(eb, "") != tookRE.ReplaceAllString(rm.Body, "") || strings.Contains(rm.Body, "index_not_found") {
				t.Errorf("LEAK %s %s %s: the answer tells whether the forbidden index exists: %d %.400s / %d %.400s", user, exist[i].path, exist[i].body, re.Status, re.Body, rm.Status, rm.Body)
			}
		}
	}
	// Boosting an index the user may search still works.
	for _, user := range []string{"eoreader", "eodls"} {
		r := do(t, c, "POST", p.URL+"/"+vis+"/_search", user, u.Password, strings.NewReader(`{"indices_boost":[{"`+vis+`":2}]}`), hj)
		if r.Status != 200 || !strings.Contains(r.Body, `"v1"`) {
			t.Errorf("%s: boosting an allowed index: %d %s", user, r.Status, r.Body)
		}
	}
}

// tookRE matches the timing of a search answer, which differs between
// two otherwise equal answers.
var tookRE = regexp.MustCompile(`"took":[0-9]+,?`)

// TestDLSHiddenDocumentReadsAsMissing: every read of a document by id must
// answer for a document hidden by the role query exactly as for one that
// never existed (after swapping the two ids, which have the same length),
// and never quote its values. An _mget item with a version made the
// cluster compare it with the hidden document's and answer a
// version_conflict_engine_exception quoting the current version.
func TestDLSHiddenDocumentReadsAsMissing(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Users += "eodoc:" + u.Password + "\n"
	o.UsersRoles += "e2e_eodoc:eodoc\n"
	o.Roles = "e2e_eodoc:\n  indices:\n    - names: [\"e2e-eodoc-*\"]\n      privileges: [read, write]\n      query: '{\"term\":{\"owner\":\"me\"}}'\n" +
		"      field_security:\n        grant: [\"*\"]\n        except: [\"secret\"]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	ix := fmt.Sprintf("e2e-eodoc-%d", time.Now().UnixNano())
	const canary = "CANARY-EODOC-41c7"
	hj := map[string]string{"Content-Type": "application/json"}
	for _, d := range [][2]string{
		{"/" + ix + "/_doc/v1?refresh=true", `{"owner":"me","pub":"ok","secret":"` + canary + `"}`},
		{"/" + ix + "/_doc/h1?refresh=true", `{"owner":"other","pub":"` + canary + `","secret":"` + canary + `"}`},
		{"/" + ix + "/_doc/h1?refresh=true", `{"owner":"other","pub":"` + canary + `","secret":"` + canary + `"}`}, // version 2
	} {
		if r := do(t, c, "PUT", p.URL+d[0], u.Name, u.Password, strings.NewReader(d[1]), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", d[0], r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ix, u.Name, u.Password, nil, nil) })
	type probe struct{ method, path, body string }
	probes := []probe{
		{"GET", "/" + ix + "/_doc/ID", ""},
		{"HEAD", "/" + ix + "/_doc/ID", ""},
		{"GET", "/" + ix + "/_source/ID", ""},
		{"GET", "/" + ix + "/_doc/ID?version=2", ""},
		{"GET", "/" + ix + "/_doc/ID?stored_fields=secret,pub", ""},
		{"POST", "/" + ix + "/_mget", `{"ids":["ID"]}`},
		{"POST", "/" + ix + "/_mget", `{"docs":[{"_id":"ID","version":5}]}`},
		{"POST", "/" + ix + "/_mget", `{"docs":[{"_id":"ID","version":1,"version_type":"external_gte"}]}`},
		{"POST", "/_mget", `{"docs":[{"_index":"` + ix + `","_id":"ID","version":5,"version_type":"external"}]}`},
		{"POST", "/_mget", `{"docs":[{"_index":"` + ix + `","_id":"ID","stored_fields":["secret"]}]}`},
		{"POST", "/" + ix + "/_search", `{"query":{"ids":{"values":["ID"]}}}`},
		{"POST", "/" + ix + "/_count", `{"query":{"ids":{"values":["ID"]}}}`},
		{"POST", "/" + ix + "/_explain/ID", `{"query":{"match_all":{}}}`},
		{"GET", "/" + ix + "/_termvectors/ID", ""},
	}
	for _, pr := range probes {
		send := func(user, id string) result {
			var body *strings.Reader
			if pr.body != "" {
				body = strings.NewReader(strings.ReplaceAll(pr.body, "ID", id))
			}
			path := p.URL + strings.ReplaceAll(pr.path, "ID", id)
			if body == nil {
				return do(t, c, pr.method, path, user, u.Password, nil, nil)
			}
			return do(t, c, pr.method, path, user, u.Password, body, hj)
		}
		if pr.body != "" && strings.Contains(pr.body, "version") {
			// Control: without the proxy's check, the item is a conflict.
			if r := send(u.Name, "h1"); !strings.Contains(r.Body, "version_conflict_engine_exception") {
				t.Fatalf("control %s %s: the superuser should get a version conflict: %d %s", pr.path, pr.body, r.Status, r.Body)
			}
		}
		hid, miss := send("eodoc", "h1"), send("eodoc", "n1")
		if strings.Contains(hid.Body, canary) || strings.Contains(miss.Body, canary) {
			t.Errorf("LEAK %s %s %s: the answer quotes a hidden value: %d %.400s", pr.method, pr.path, pr.body, hid.Status, hid.Body)
		}
		if hid.Status != miss.Status || tookRE.ReplaceAllString(strings.ReplaceAll(hid.Body, "h1", "n1"), "") != tookRE.ReplaceAllString(miss.Body, "") {
			t.Errorf("LEAK %s %s %s: the hidden document answers unlike a missing one: %d %.400s / %d %.400s", pr.method, pr.path, pr.body, hid.Status, hid.Body, miss.Status, miss.Body)
		}
	}
	// Creating over the hidden document is refused like replacing it,
	// without the cluster's conflict quoting its version; over the
	// visible one the cluster's conflict comes back.
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	for _, w := range []probe{
		{"PUT", "/" + ix + "/_create/ID", `{"owner":"me"}`},
		{"PUT", "/" + ix + "/_doc/ID?op_type=create", `{"owner":"me"}`},
		{"POST", "/_bulk", `{"create":{"_index":"` + ix + `","_id":"ID"}}` + "\n" + `{"owner":"me"}` + "\n"},
		{"POST", "/_bulk", `{"index":{"_index":"` + ix + `","_id":"ID","op_type":"create"}}` + "\n" + `{"owner":"me"}` + "\n"},
	} {
		ct := hj
		if strings.HasSuffix(w.path, "_bulk") {
			ct = nd
		}
		r := do(t, c, w.method, p.URL+strings.ReplaceAll(w.path, "ID", "h1"), "eodoc", u.Password, strings.NewReader(strings.ReplaceAll(w.body, "ID", "h1")), ct)
		if strings.Contains(r.Body, "current version") || strings.Contains(r.Body, "version_conflict") || strings.Contains(r.Body, canary) || !strings.Contains(r.Body, "not visible under document level security") {
			t.Errorf("LEAK %s %s %s over the hidden document: %d %.400s", w.method, w.path, w.body, r.Status, r.Body)
		}
		r = do(t, c, w.method, p.URL+strings.ReplaceAll(w.path, "ID", "v1"), "eodoc", u.Password, strings.NewReader(strings.ReplaceAll(w.body, "ID", "v1")), ct)
		if !strings.Contains(r.Body, "version_conflict_engine_exception") {
			t.Errorf("%s %s %s over the visible document: want the cluster's conflict: %d %.400s", w.method, w.path, w.body, r.Status, r.Body)
		}
	}
	// The visible document still reads, without its hidden field.
	r := do(t, c, "POST", p.URL+"/"+ix+"/_mget", "eodoc", u.Password, strings.NewReader(`{"ids":["v1"]}`), hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"found":true`) || strings.Contains(r.Body, canary) {
		t.Errorf("mget of the visible document: %d %s", r.Status, r.Body)
	}
}

// TestDLSRoleQueryNotQuotedInErrors: the cluster evaluates the role query
// the proxy adds to a DLS user's search; on an index where its field has
// another type it fails, and the failure (the error, or a shard failure of
// a successful answer) quoted the role query's value ("For input string:
// \"...\""). Elasticsearch never shows a role query to the user it
// restricts: the values are redacted, in any encoding asked.
func TestDLSRoleQueryNotQuotedInErrors(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	const canary = "CANARY-ROLEQ-5d1f"
	o.Users += "eorole:" + u.Password + "\n"
	o.UsersRoles += "e2e_eorole:eorole\n"
	o.Roles = "e2e_eorole:\n  indices:\n    - names: [\"e2e-eorole-*\"]\n      privileges: [read, write]\n" +
		"      query: '{\"bool\":{\"must_not\":{\"terms\":{\"customer\":[\"" + canary + "\"]}}}}'\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	kw, num := fmt.Sprintf("e2e-eorole-k%d", n), fmt.Sprintf("e2e-eorole-n%d", n)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, d := range [][2]string{
		{"/" + kw + "/_doc/1?refresh=true", `{"customer":"visible"}`},
		{"/" + num + "/_doc/1?refresh=true", `{"customer":5}`},
	} {
		if r := do(t, c, "PUT", p.URL+d[0], u.Name, u.Password, strings.NewReader(d[1]), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", d[0], r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+kw+","+num, u.Name, u.Password, nil, nil) })
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	gz := map[string]string{"Content-Type": "application/json", "Accept-Encoding": "gzip"}
	for _, pr := range []struct {
		method, path, body string
		hdr                map[string]string
	}{
		{"POST", "/" + kw + "," + num + "/_search", `{"size":1}`, hj},
		{"POST", "/e2e-eorole-*/_search?filter_path=_shards", `{"size":0}`, hj},
		{"POST", "/" + kw + "," + num + "/_search", `{"size":1}`, gz},
		{"POST", "/" + num + "/_search", `{}`, hj},
		{"POST", "/" + num + "/_search?error_trace=true", `{}`, gz},
		{"GET", "/" + num + "/_count", "", nil},
		{"GET", "/" + num + "/_search?q=x&format=yaml", "", nil},
		{"GET", "/_cat/count/" + num, "", nil},
		{"POST", "/_msearch", `{"index":"` + num + `"}` + "\n{}\n" + `{"index":"` + kw + `"}` + "\n{}\n", nd},
	} {
		var body io.Reader
		if pr.body != "" {
			body = strings.NewReader(pr.body)
		}
		r := do(t, c, pr.method, p.URL+pr.path, "eorole", u.Password, body, pr.hdr)
		text := r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(r.Body))
			if err != nil {
				t.Fatalf("%s %s: gzip: %v", pr.method, pr.path, err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s %s: gzip: %v", pr.method, pr.path, err)
			}
			text = string(b)
		}
		if !strings.Contains(text, "failed") && !strings.Contains(text, "error") {
			t.Errorf("%s %s: the probe should fail on the numeric index: %d %.400s", pr.method, pr.path, r.Status, text)
		}
		if strings.Contains(strings.ToLower(text), strings.ToLower(canary)) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(canary))[:16]) {
			t.Errorf("LEAK %s %s %s: the answer quotes the role query: %d %.600s", pr.method, pr.path, pr.body, r.Status, text)
		}
	}
	// The visible document is still found.
	r := do(t, c, "POST", p.URL+"/"+kw+"/_search", "eorole", u.Password, strings.NewReader(`{}`), hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"visible"`) {
		t.Errorf("search of the keyword index: %d %s", r.Status, r.Body)
	}
}
