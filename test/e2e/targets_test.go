package e2e

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestAliasAndResizeTargets: the names a request creates or points at
// besides its index (checklist 42 and 61). A user who may manage an index
// but not read it must not alias or clone it under a name they may read;
// the index and alias a put-alias body names (the cluster reads them from
// the body, over the path's) are the ones decided; aliases in a
// create-index body need the aliases privilege. Canaries in the source
// and in a forbidden index must never be readable by the user afterwards.
func TestAliasAndResizeTargets(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	src, secret := fmt.Sprintf("e2e-tsrc-%d", n), fmt.Sprintf("e2e-tsecret-%d", n)
	pub := func(s string) string { return fmt.Sprintf("e2e-tpub-%s-%d", s, n) }
	o.Users += "keeper:" + su.Password + "\ncreator:" + su.Password + "\n"
	o.UsersRoles += "e2e_keeper:keeper\ne2e_creator:creator\n"
	o.Roles = "e2e_keeper:\n  indices:\n    - names: [\"e2e-tsrc-*\"]\n      privileges: [manage]\n    - names: [\"e2e-tpub-*\"]\n      privileges: [read, manage]\n" +
		"e2e_creator:\n  indices:\n    - names: [\"e2e-tnew-*\"]\n      privileges: [create_index, read]\n    - names: [\"e2e-tmine-*\"]\n      privileges: [manage, read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	canary := func(ix string) string { return "CANARY-TARGET-" + ix }
	for _, ix := range []string{src, secret} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+canary(ix)+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	if r := do(t, c, "PUT", p.URL+"/"+src+"/_settings", su.Name, su.Password, strings.NewReader(`{"index.blocks.write":true}`), hj); r.Status != 200 {
		t.Fatalf("write-block the clone source: %d %s", r.Status, r.Body)
	}
	foreignAlias := fmt.Sprintf("e2e-tother-%d", n)
	if r := do(t, c, "PUT", p.URL+"/"+src+"/_alias/"+foreignAlias, su.Name, su.Password, nil, nil); r.Status != 200 {
		t.Fatalf("superuser alias: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+fmt.Sprintf("/e2e-t*-%d*", n)+"?expand_wildcards=all", su.Name, su.Password, nil, nil)
	})

	for _, tc := range []struct {
		name, user, method, path, body string
		want                           int
	}{
		{"alias readable by the user on an index they may not read", "keeper", "PUT", "/" + src + "/_alias/" + pub("x"), "", 403},
		{"the same through POST", "keeper", "POST", "/" + src + "/_aliases/" + pub("x2"), "", 403},
		{"the same through POST _aliases", "keeper", "POST", "/_aliases", `{"actions":[{"add":{"index":"` + src + `","alias":"` + pub("x3") + `"}}]}`, 403},
		{"a body naming another index than the path", "keeper", "PUT", "/" + pub("a") + "/_alias/" + pub("b"), `{"index":"` + secret + `","alias":"` + pub("y") + `"}`, 403},
		{"a body naming the index in an array", "keeper", "PUT", "/" + pub("a") + "/_alias/" + pub("b"), `{"index":["` + secret + `"]}`, 400},
		{"a body nesting the index", "keeper", "PUT", "/" + pub("a") + "/_alias/" + pub("b"), `{"x":{"index":"` + secret + `"}}`, 400},
		{"PUT _alias with the names in the body only", "keeper", "PUT", "/_alias", `{"index":"` + src + `","alias":"` + pub("z") + `"}`, 403},
		{"clone into a name the user may read", "keeper", "POST", "/" + src + "/_clone/" + pub("copy"), "", 403},
		{"split into a name the user may read", "keeper", "PUT", "/" + src + "/_split/" + pub("split"), `{"settings":{"index.number_of_shards":2}}`, 403},
		// A resize body's aliases are created with the target and name the
		// source's documents: they may not grant more than the source.
		{"clone within the grant, aliased under a name the user may read", "keeper", "POST", "/" + src + "/_clone/" + fmt.Sprintf("e2e-tsrc-acopy-%d", n), `{"aliases":{"` + pub("calias") + `":{}}}`, 403},
		{"split within the grant, aliased under a name the user may read", "keeper", "PUT", "/" + src + "/_split/" + fmt.Sprintf("e2e-tsrc-asplit-%d", n), `{"settings":{"index.number_of_shards":2},"aliases":{"` + pub("salias") + `":{"is_write_index":false}}}`, 403},
		{"clone aliased under a name outside every grant", "keeper", "POST", "/" + src + "/_clone/" + fmt.Sprintf("e2e-tsrc-bcopy-%d", n), fmt.Sprintf(`{"aliases":{"e2e-tother-c-%d":{}}}`, n), 403},
		{"a target named with date math", "keeper", "POST", "/" + src + "/_clone/%3Ce2e-tsrc-%7Bnow%2Fd%7D%3E", "", 403},
		{"removing an alias the user may not manage", "keeper", "DELETE", "/" + src + "/_alias/" + foreignAlias, "", 403},
		{"create_index without manage: no aliases in the body", "creator", "PUT", fmt.Sprintf("/e2e-tnew-1-%d", n), `{"aliases":{"` + pub("c") + `":{}}}`, 403},
		{"create_index without manage: not even its own name", "creator", "PUT", fmt.Sprintf("/e2e-tnew-2-%d", n), fmt.Sprintf(`{"aliases":{"e2e-tnew-2-%d-alias":{}}}`, n), 403},
		// Positive controls: what Elasticsearch allows goes through.
		{"alias within the same grant", "keeper", "PUT", "/" + src + "/_alias/" + fmt.Sprintf("e2e-tsrc-al-%d", n), "", 200},
		{"clone within the same grant", "keeper", "POST", "/" + src + "/_clone/" + fmt.Sprintf("e2e-tsrc-copy-%d", n), "", 200},
		{"clone with an alias within the same grant", "keeper", "POST", "/" + src + "/_clone/" + fmt.Sprintf("e2e-tsrc-ccopy-%d", n), fmt.Sprintf(`{"aliases":{"e2e-tsrc-cal-%d":{}}}`, n), 200},
		{"create an index with aliases under manage", "creator", "PUT", fmt.Sprintf("/e2e-tmine-1-%d", n), fmt.Sprintf(`{"aliases":{"e2e-tmine-al-%d":{}}}`, n), 200},
		{"create an index without aliases", "creator", "PUT", fmt.Sprintf("/e2e-tnew-3-%d", n), `{"settings":{"index.number_of_shards":1}}`, 200},
		// After the alias above exists: a rollover creates an index with the
		// body's aliases, which need the aliases privilege like a create's.
		// A new index named outside the grant would be created (squatted)
		// and written through the user's alias.
		{"rollover naming a new index outside the grant", "keeper", "POST", "/" + fmt.Sprintf("e2e-tsrc-al-%d", n) + "/_rollover/" + fmt.Sprintf("e2e-tsecret-rolled-%d", n),
			"", 403},
		{"rollover adding an alias the user may not manage", "keeper", "POST", "/" + fmt.Sprintf("e2e-tsrc-al-%d", n) + "/_rollover/" + fmt.Sprintf("e2e-tsrc-new-%d", n),
			fmt.Sprintf(`{"aliases":{"e2e-tother-r-%d":{}}}`, n), 403},
		{"rollover adding an alias within the grant", "keeper", "POST", "/" + fmt.Sprintf("e2e-tsrc-al-%d", n) + "/_rollover/" + fmt.Sprintf("e2e-tsrc-new-%d", n),
			fmt.Sprintf(`{"aliases":{"e2e-tsrc-ral-%d":{}}}`, n), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			h := map[string]string(nil)
			if tc.body != "" {
				body, h = strings.NewReader(tc.body), hj
			}
			r := do(t, c, tc.method, p.URL+tc.path, tc.user, su.Password, body, h)
			if r.Status != tc.want {
				t.Fatalf("%s %s as %s: %d %s, want %d", tc.method, tc.path, tc.user, r.Status, r.Body, tc.want)
			}
		})
	}

	// Nothing the refused requests tried exists, and the user reads no canary
	// through any name they may read.
	if r := do(t, c, "GET", p.URL+fmt.Sprintf("/_alias/e2e-tpub-*-%d", n), su.Name, su.Password, nil, nil); strings.Contains(r.Body, "e2e-tpub-") {
		t.Errorf("an alias the user was refused exists: %s", r.Body)
	}
	if r := do(t, c, "GET", p.URL+fmt.Sprintf("/e2e-tpub-*-%d", n), su.Name, su.Password, nil, nil); strings.Contains(r.Body, "e2e-tpub-") {
		t.Errorf("an index the user was refused exists: %s", r.Body)
	}
	for _, path := range []string{"/e2e-tpub-*/_search", "/_search", "/" + pub("x") + "/_search", "/" + pub("y") + "/_search", "/" + pub("copy") + "/_search", "/" + pub("calias") + "/_search", "/" + pub("salias") + "/_search"} {
		r := do(t, c, "GET", p.URL+path+"?expand_wildcards=all&ignore_unavailable=true", "keeper", su.Password, nil, nil)
		for _, ix := range []string{src, secret} {
			if strings.Contains(r.Body, canary(ix)) {
				t.Errorf("keeper read %s's canary through %s: %s", ix, path, r.Body)
			}
		}
	}
}
