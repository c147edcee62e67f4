package e2e

import (
	"fmt"
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
			if re.Status != rm.Status || eb != rm.Body || strings.Contains(rm.Body, "index_not_found") {
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
