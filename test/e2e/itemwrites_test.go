package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWritesAuthorizedPerItem: the writes _delete_by_query,
// _update_by_query and an update script make are authorized by
// Elasticsearch as requests of their own, with the caller's roles (the
// bulk items of a by-query request; the delete an update script asks for
// with ctx.op = 'delete'). A role granting the by-query action by name
// without the item's action, and a user with index but not delete, must
// not delete or rewrite documents that way; plain scripted updates, noop
// scripts and a _bulk update item's scripted delete (authorized as an
// update by Elasticsearch) still work.
func TestWritesAuthorizedPerItem(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	ix := fmt.Sprintf("e2e-iw-%d", n)
	script := fmt.Sprintf("e2e-iw-del-%d", n)
	for _, u := range []string{"iwdbq", "iwubq", "iwindex", "iwdel", "iwupd", "iwnobulk", "iwstar"} {
		o.Users += u + ":" + su.Password + "\n"
	}
	o.UsersRoles += "e2e_iw_dbq:iwdbq\ne2e_iw_ubq:iwubq\ne2e_iw_index:iwindex\ne2e_iw_delete:iwdel\ne2e_iw_update:iwupd\ne2e_iw_nobulk:iwnobulk\ne2e_iw_other:iwnobulk\ne2e_iw_star:iwstar\n"
	o.Roles = "e2e_iw_dbq:\n  indices:\n    - names: [\"e2e-iw-*\"]\n      privileges: [\"indices:data/write/delete/byquery\", \"indices:data/write/bulk*\", read]\n" +
		"e2e_iw_ubq:\n  indices:\n    - names: [\"e2e-iw-*\"]\n      privileges: [\"indices:data/write/update/byquery\", \"indices:data/write/bulk*\", read]\n" +
		"e2e_iw_index:\n  indices:\n    - names: [\"e2e-iw-*\"]\n      privileges: [index, read]\n" +
		"e2e_iw_delete:\n  indices:\n    - names: [\"e2e-iw-*\"]\n      privileges: [delete, read]\n" +
		"e2e_iw_update:\n  indices:\n    - names: [\"e2e-iw-*\"]\n      privileges: [\"indices:data/write/update\", \"indices:data/write/bulk\", read]\n" +
		"e2e_iw_nobulk:\n  indices:\n    - names: [\"e2e-iw-*\"]\n      privileges: [\"indices:data/write/delete\", read]\n" +
		"e2e_iw_other:\n  indices:\n    - names: [\"e2e-iwother-*\"]\n      privileges: [write]\n" +
		// index everywhere (a grant that keeps wildcards as written), delete
		// on the -tmp indices only.
		"e2e_iw_star:\n  indices:\n    - names: [\"*\"]\n      privileges: [index, read]\n      allow_restricted_indices: true\n    - names: [\"e2e-iw-*-tmp\"]\n      privileges: [delete]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	hn := map[string]string{"Content-Type": "application/x-ndjson"}
	var seed strings.Builder
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&seed, "{\"index\":{\"_index\":%q,\"_id\":\"d%d\"}}\n{\"n\":0,\"keep\":\"CANARY-IW-%d\"}\n", ix, i, i)
	}
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(seed.String()), hn); r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ix+","+ix+"-tmp", su.Name, su.Password, nil, nil) })
	if r := do(t, c, "PUT", p.URL+"/"+ix+"-tmp/_doc/t1?refresh=true", su.Name, su.Password, strings.NewReader(`{"n":0}`), hj); r.Status != 201 {
		t.Fatalf("seed %s-tmp: %d %s", ix, r.Status, r.Body)
	}
	count := func() string {
		t.Helper()
		r := do(t, c, "GET", p.URL+"/"+ix+"/_count", su.Name, su.Password, nil, nil)
		if r.Status != 200 {
			t.Fatalf("count: %d %s", r.Status, r.Body)
		}
		return r.Body
	}

	deletes := []string{
		`{"script":"ctx.op = 'delete'"}`,
		`{"script":{"source":"ctx['op'] = \"delete\""}}`,
		`{"script":{"source":"ctx.op = params.op","params":{"op":"delete"}}}`,
		`{"script":{"source":"ctx.op = 'del' + 'ete'"}}`,
		`{"script":{"source":"def o = 'delete'; ctx.op = o"}}`,
		`{"script":{"source":"ctx.put('op', 'delete')"}}`,
		`{"script":{"source":"ctx.op /* noop */ = 'delete' // 'noop'\n"}}`,
		// Painless assigns through parentheses.
		`{"script":"(ctx.op) = 'delete'"}`,
		`{"script":{"source":"((ctx['op'])) = \"delete\";"}}`,
	}
	probes := []struct{ name, user, path, body string }{
		{"_delete_by_query without the delete action", "iwdbq", "/" + ix + "/_delete_by_query?refresh=true", `{"query":{"match_all":{}}}`},
		{"_delete_by_query through a wildcard without the delete action", "iwdbq", "/e2e-iw-*/_delete_by_query?refresh=true", `{"query":{"match_all":{}}}`},
		{"_update_by_query without the index action", "iwubq", "/" + ix + "/_update_by_query?refresh=true", `{"script":"ctx._source.n = 7"}`},
		// The update API writes the document with an index request of
		// its own: the update action alone does not allow it.
		{"_update without the index action", "iwupd", "/" + ix + "/_update/d3?refresh=true", `{"doc":{"n":7}}`},
		{"_update upsert without the index action", "iwupd", "/" + ix + "/_update/new1?refresh=true", `{"doc":{"n":7},"doc_as_upsert":true}`},
	}
	// A wildcard the update's decision keeps whole (ix and ix-tmp) must
	// not be narrowed, for the delete, to the indices where the user may
	// delete (ix-tmp).
	probes = append(probes,
		struct{ name, user, path, body string }{"_update_by_query through a wildcard kept whole", "iwstar", "/" + ix + "*/_update_by_query?refresh=true", deletes[0]},
		struct{ name, user, path, body string }{"_update_by_query on _all", "iwstar", "/_all/_update_by_query?refresh=true&q=keep:CANARY-IW-*", deletes[0]})
	for i, b := range deletes {
		probes = append(probes,
			struct{ name, user, path, body string }{fmt.Sprintf("_update with a deleting script %d", i), "iwindex", "/" + ix + "/_update/d1?refresh=true", b},
			struct{ name, user, path, body string }{fmt.Sprintf("_update_by_query with a deleting script %d", i), "iwindex", "/" + ix + "/_update_by_query?refresh=true", b})
	}
	refused := func(probes []struct{ name, user, path, body string }) {
		t.Helper()
		for _, pr := range probes {
			r := do(t, c, "POST", p.URL+pr.path, pr.user, su.Password, strings.NewReader(pr.body), hj)
			if r.Status != 403 || !strings.Contains(r.Body, "security_exception") {
				t.Errorf("%s as %s: %d %s, want a 403 security_exception", pr.name, pr.user, r.Status, r.Body)
			}
			if strings.Contains(r.Body, `"deleted":1`) || strings.Contains(r.Body, `"result":"deleted"`) || strings.Contains(r.Body, `"updated":`) {
				t.Errorf("%s as %s wrote: %d %s", pr.name, pr.user, r.Status, r.Body)
			}
			denied := false
			for _, ev := range auditRecords(t, filepath.Join(p.Dir, "audit.json"), r.Header.Get("X-Request-Id")) {
				denied = denied || ev.Action == "access_denied"
			}
			if !denied {
				t.Errorf("%s as %s: no access_denied audit record", pr.name, pr.user)
			}
		}
		if got := count(); !strings.Contains(got, `"count":5`) {
			t.Fatalf("documents after the refused writes: %s", got)
		}
		if r := do(t, c, "POST", p.URL+"/"+ix+"/_search?q=n:7", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"value":0`) {
			t.Fatalf("documents rewritten by a refused update: %d %s", r.Status, r.Body)
		}
	}
	// The refusals need no script engine on the cluster (the Elasticsearch
	// 7.17 test node has none).
	refused(probes)

	// A _bulk delete item's shard request (indices:data/write/bulk[s]) is
	// authorized on its index: the delete action granted by name there,
	// and bulk on other indices, do not allow it.
	item := "{\"delete\":{\"_index\":\"" + ix + "\",\"_id\":\"d2\"}}\n"
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", "iwnobulk", su.Password, strings.NewReader(item), hn); r.Status != 200 || !strings.Contains(r.Body, `"status":403`) || strings.Contains(r.Body, `"result":"deleted"`) {
		t.Errorf("a _bulk delete item without bulk on its index: %d %s, want the item refused", r.Status, r.Body)
	}
	if got := count(); !strings.Contains(got, `"count":5`) {
		t.Fatalf("documents after the refused bulk item: %s", got)
	}

	// Positive controls that need no script.
	if r := do(t, c, "POST", p.URL+"/"+ix+"/_delete_by_query?refresh=true", "iwdel", su.Password, strings.NewReader(`{"query":{"ids":{"values":["d4"]}}}`), hj); r.Status != 200 || !strings.Contains(r.Body, `"deleted":1`) {
		t.Errorf("a delete by query with the delete privilege: %d %s", r.Status, r.Body)
	}
	// A _bulk update item is authorized as an update alone.
	item = "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"d3\"}}\n{\"doc\":{\"n\":9}}\n"
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", "iwupd", su.Password, strings.NewReader(item), hn); r.Status != 200 || !strings.Contains(r.Body, `"result":"updated"`) {
		t.Errorf("a _bulk update item as iwupd: %d %s", r.Status, r.Body)
	}
	if got := count(); !strings.Contains(got, `"count":4`) {
		t.Fatalf("documents after the delete by query: %s, want d1, d2, d3, d5", got)
	}

	backendLacks(t, "painless")
	// A stored script (stored on the cluster directly: the proxy lets only
	// users with full access store scripts) is not seen by the proxy.
	t.Cleanup(func() { do(t, c, "DELETE", os_+"/_scripts/"+script, "", "", nil, nil) })
	if r := do(t, c, "PUT", os_+"/_scripts/"+script, "", "", strings.NewReader(`{"script":{"lang":"painless","source":"ctx.op = 'delete'"}}`), hj); r.Status != 200 {
		t.Fatalf("storing the script: %d %s", r.Status, r.Body)
	}
	stored := `{"script":{"id":"` + script + `"}}`
	for _, pr := range []struct{ name, path string }{{"_update", "/" + ix + "/_update/d1?refresh=true"}, {"_update_by_query", "/" + ix + "/_update_by_query?refresh=true"}} {
		r := do(t, c, "POST", p.URL+pr.path, "iwindex", su.Password, strings.NewReader(stored), hj)
		if r.Status != 403 || strings.Contains(r.Body, `"deleted":`) || strings.Contains(r.Body, `"result":"deleted"`) {
			t.Errorf("%s with a stored deleting script as iwindex: %d %s, want a 403", pr.name, r.Status, r.Body)
		}
	}
	if got := count(); !strings.Contains(got, `"count":4`) {
		t.Fatalf("documents after the stored script: %s", got)
	}
	// Positive controls: what Elasticsearch allows these users.
	for _, ok := range []struct{ name, user, path, body, want string }{
		{"a counter", "iwindex", "/" + ix + "/_update/d1?refresh=true", `{"script":{"source":"ctx._source.n += params.k","params":{"k":1}}}`, `"result":"updated"`},
		{"a noop", "iwindex", "/" + ix + "/_update/d2?refresh=true", `{"script":"if (ctx._source.n == 0) { ctx.op = 'noop' }"}`, `"result":"noop"`},
		{"a counter by query", "iwindex", "/" + ix + "/_update_by_query?refresh=true", `{"script":{"source":"ctx._source.n += 1"}}`, `"updated":4`},
	} {
		r := do(t, c, "POST", p.URL+ok.path, ok.user, su.Password, strings.NewReader(ok.body), hj)
		if r.Status != 200 || !strings.Contains(r.Body, ok.want) {
			t.Errorf("%s as %s: %d %s, want %s", ok.name, ok.user, r.Status, r.Body, ok.want)
		}
	}
	// A _bulk update item is authorized as an update: its script may
	// delete (TransportShardBulkAction runs it on the shard).
	item = "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"d5\"}}\n{\"script\":\"ctx.op = 'delete'\"}\n"
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", "iwindex", su.Password, strings.NewReader(item), hn); r.Status != 200 || !strings.Contains(r.Body, `"result":"deleted"`) {
		t.Errorf("a _bulk update item deleting by script as iwindex: %d %s", r.Status, r.Body)
	}
	if got := count(); !strings.Contains(got, `"count":3`) {
		t.Fatalf("documents after the scripted positive controls: %s, want d1, d2, d3", got)
	}
}
