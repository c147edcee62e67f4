package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTemplateAliasesRefused: an alias defined in a template (composable,
// component or legacy) is attached by the cluster to every index the
// template later creates, whoever creates it. A user who may manage
// templates and read the indices of one prefix (alias names under it
// included) could otherwise put a template over another prefix with an
// alias under their own, and read, through that alias, the indices others
// create there: the rule that an added alias may not grant more than its
// index would never be checked.
func TestTemplateAliasesRefused(t *testing.T) {
	f := newOneRoleProxy(t, "tmpler", "  cluster: [manage_index_templates]\n  indices:\n    - names: [\"e2e-tmpl-own-*\"]\n      privileges: [all]\n")
	n := time.Now().UnixNano()
	secretPrefix, alias := fmt.Sprintf("e2e-tmplsec-%d", n), fmt.Sprintf("e2e-tmpl-own-alias-%d", n)
	canary := fmt.Sprintf("CANARY-TMPL-ALIAS-%d", n)
	names := []string{fmt.Sprintf("e2e-tmpl-c-%d", n), fmt.Sprintf("e2e-tmpl-i-%d", n), fmt.Sprintf("e2e-tmpl-l-%d", n), fmt.Sprintf("e2e-tmpl-ok-%d", n)}
	f.cleanup([]string{"/_index_template/" + names[1], "/_index_template/" + names[3], "/_component_template/" + names[0], "/_template/" + names[2]}, secretPrefix+"-*")
	aliases := `"aliases":{"` + alias + `":{}}`
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"composable template with an alias", "PUT", "/_index_template/" + names[1],
			`{"index_patterns":["` + secretPrefix + `-*"],"priority":900,"template":{` + aliases + `}}`, 403},
		{"component template with an alias", "PUT", "/_component_template/" + names[0], `{"template":{` + aliases + `}}`, 403},
		{"legacy template with an alias", "PUT", "/_template/" + names[2],
			`{"index_patterns":["` + secretPrefix + `-*"],"order":900,` + aliases + `}`, 403},
		{"legacy template, aliases in a legacy pattern key", "PUT", "/_template/" + names[2],
			`{"template":"` + secretPrefix + `-*",` + aliases + `}`, 403},
		{"composable template without alias", "PUT", "/_index_template/" + names[3],
			`{"index_patterns":["e2e-tmpl-own-x-` + fmt.Sprint(n) + `-*"],"priority":900,"template":{"settings":{"number_of_replicas":0}}}`, 200},
		{"composable template with an empty aliases object", "PUT", "/_index_template/" + names[3],
			`{"index_patterns":["e2e-tmpl-own-x-` + fmt.Sprint(n) + `-*"],"priority":900,"template":{"aliases":{}}}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := f.asUser(tc.method, tc.path, tc.body); r.Status != tc.want {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.want)
			}
		})
	}
	// Someone else creates an index under the other prefix: whatever was
	// stored, its documents must not be readable through the user's alias.
	f.setup("seed", "PUT", "/"+secretPrefix+"-1/_doc/1?refresh=true", `{"note":"`+canary+`"}`)
	for _, path := range []string{"/" + alias + "/_search", "/e2e-tmpl-own-*/_search", "/_search"} {
		if r := f.asUser("GET", path, ""); strings.Contains(r.Body, canary) {
			t.Fatalf("GET %s read another prefix's index through a template alias: %d %s", path, r.Status, r.Body)
		}
	}
	// Control: the superuser's template alias is attached, so the probes
	// above were real.
	f.setup("control template", "PUT", "/_index_template/"+names[1], `{"index_patterns":["`+secretPrefix+`-*"],"priority":900,"template":{`+aliases+`}}`)
	f.setup("control seed", "PUT", "/"+secretPrefix+"-2/_doc/1?refresh=true", `{"note":"`+canary+`"}`)
	if r := f.asAdmin("GET", "/"+alias+"/_search", ""); !strings.Contains(r.Body, canary) {
		t.Fatalf("control: the superuser's template alias should reach the new index: %d %s", r.Status, r.Body)
	}
}

// TestReindexAutoCreateNeedsPrivilege: a reindex into an index the cluster
// does not have creates it, and Elasticsearch authorizes that creation as
// indices:admin/auto_create on the destination (create_index,
// auto_configure, manage, all), as for any write. A user with write but
// not create_index on the destination's names is refused a direct write
// to a new index, and must be refused the same creation through _reindex.
func TestReindexAutoCreateNeedsPrivilege(t *testing.T) {
	f := newOneRoleProxy(t, "rex", "  indices:\n    - names: [\"e2e-rex-src-*\"]\n      privileges: [read]\n    - names: [\"e2e-rex-dst-*\"]\n      privileges: [write]\n")
	n := time.Now().UnixNano()
	src, existing, fresh := fmt.Sprintf("e2e-rex-src-%d", n), fmt.Sprintf("e2e-rex-dst-old-%d", n), fmt.Sprintf("e2e-rex-dst-new-%d", n)
	f.cleanup(nil, src, existing, fresh+"*")
	for _, ix := range []string{src, existing} {
		f.setup("seed "+ix, "PUT", "/"+ix+"/_doc/1?refresh=true", `{"k":"v"}`)
	}
	if r := f.asUser("PUT", "/"+fresh+"-direct/_doc/1", `{"k":"v"}`); r.Status != 403 {
		t.Fatalf("control: a direct write creating an index: %d %s, want 403", r.Status, r.Body)
	}
	if r := f.reindex(src, existing); r.Status != 200 {
		t.Fatalf("reindex into an existing index: %d %s, want 200", r.Status, r.Body)
	}
	if r := f.reindex(src, fresh); r.Status != 403 || !strings.Contains(r.Body, "auto_create") {
		t.Fatalf("reindex creating its destination: %d %s, want 403 for indices:admin/auto_create", r.Status, r.Body)
	}
	if f.exists(fresh) {
		t.Fatalf("the destination %s was created", fresh)
	}
}

// TestReindexIntoPercolatorIndexRefused: a reindex copies documents out of
// the proxy's sight. A user who may write an administrator's percolator
// index stores, with a scripted upsert into an index of their own (no
// percolator field there, so allowed), a query that looks a secret
// document up, then reindexes it into the percolator index: the cluster
// parses the query there, fetches the secret with its own rights, and
// indexes its terms, which a prefix query on the extracted terms spells
// out. Reindexing into an index with a percolator field is refused to
// users without full access, as scripted writes into one are.
func TestReindexIntoPercolatorIndexRefused(t *testing.T) {
	backendLacks(t, "painless")
	f := newOneRoleProxy(t, "percrex", "  indices:\n    - names: [\"e2e-prx-*\"]\n      privileges: [all]\n")
	n := time.Now().UnixNano()
	secret, stage, perc, plain := fmt.Sprintf("e2e-prxsecret-%d", n), fmt.Sprintf("e2e-prx-stage-%d", n), fmt.Sprintf("e2e-prx-perc-%d", n), fmt.Sprintf("e2e-prx-plain-%d", n)
	canary := fmt.Sprintf("canaryprx%d", n)
	f.cleanup(nil, secret, stage, perc, plain)
	f.setup("seed", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"code":"`+canary+`"}`)
	f.setup("percolator index", "PUT", "/"+perc, `{`+percolatorMapping+`}`)
	if r := f.asUser("POST", "/"+stage+"/_update/u1?refresh=true", lookupUpsert(secret)); r.Status != 201 {
		t.Fatalf("scripted upsert into the user's own index: %d %s", r.Status, r.Body)
	}
	if r := f.reindex(stage, perc); r.Status != 403 || !strings.Contains(r.Body, "percolator") {
		t.Errorf("reindex into a percolator index: %d %s, want 403", r.Status, r.Body)
	}
	f.extractedTermsLeak(perc, canary, 8)
	// A reindex into an index without percolator field still works.
	f.setup("plain index", "PUT", "/"+plain, `{"mappings":{"properties":{"tenant":{"type":"keyword"}}}}`)
	if r := f.reindex(stage, plain); r.Status != 200 {
		t.Fatalf("reindex into an index without percolator field: %d %s", r.Status, r.Body)
	}
}

// TestReindexCommaSeparatedSource: the cluster splits a string
// source.index at commas (several indices). Each part is decided: two
// readable indices are reindexed, a forbidden one among them is refused.
func TestReindexCommaSeparatedSource(t *testing.T) {
	f := newOneRoleProxy(t, "rexc", "  indices:\n    - names: [\"e2e-rexc-src-*\"]\n      privileges: [read]\n    - names: [\"e2e-rexc-dst-*\"]\n      privileges: [write, create_index]\n")
	n := time.Now().UnixNano()
	a, b, secret := fmt.Sprintf("e2e-rexc-src-a-%d", n), fmt.Sprintf("e2e-rexc-src-b-%d", n), fmt.Sprintf("e2e-rexcsecret-%d", n)
	dst := fmt.Sprintf("e2e-rexc-dst-%d", n)
	canary := fmt.Sprintf("CANARY-REXC-%d", n)
	f.cleanup(nil, a, b, secret, dst+"*")
	for ix, v := range map[string]string{a: "a", b: "b", secret: canary} {
		f.setup("seed "+ix, "PUT", "/"+ix+"/_doc/"+v+"?refresh=true", `{"k":"`+v+`"}`)
	}
	if r := f.reindex(a+","+secret, dst+"-x"); r.Status != 403 {
		t.Fatalf("reindex naming a forbidden index after a comma: %d %s, want 403", r.Status, r.Body)
	}
	if r := f.reindex(a+","+b, dst); r.Status != 200 || !strings.Contains(r.Body, `"created":2`) {
		t.Fatalf("reindex of two readable indices: %d %s, want 200 with 2 created", r.Status, r.Body)
	}
	if r := f.asAdmin("GET", "/"+dst+"*/_search", ""); strings.Contains(r.Body, canary) {
		t.Fatalf("the forbidden index was copied: %s", r.Body)
	}
}

// TestNewIndexFromPercolatorTemplateRefused: a scripted write or a reindex
// into an index the cluster does not have yet creates it from the
// templates that match its name. When an administrator's template (a
// composable or a legacy one) gives it a percolator field, the document
// the script or the reindex writes is parsed as a query there, with the
// cluster's rights: a lookup it holds reads any index. The check on the
// destination's mapping must cover the mapping the new index will get.
func TestNewIndexFromPercolatorTemplateRefused(t *testing.T) {
	backendLacks(t, "painless")
	f := newOneRoleProxy(t, "perctmpl", "  indices:\n    - names: [\"e2e-ptl-*\"]\n      privileges: [all]\n")
	n := time.Now().UnixNano()
	secret, stage := fmt.Sprintf("e2e-ptlsecret-%d", n), fmt.Sprintf("e2e-ptl-stage-%d", n)
	composable, legacy, plain := fmt.Sprintf("e2e-ptl-c-%d", n), fmt.Sprintf("e2e-ptl-l-%d", n), fmt.Sprintf("e2e-ptl-p-%d", n)
	canary := fmt.Sprintf("canaryptl%d", n)
	f.cleanup([]string{"/_index_template/" + composable, "/_template/" + legacy}, secret, stage, composable+"-*", legacy+"-*", plain+"-*")
	f.setup("seed", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"code":"`+canary+`"}`)
	f.setup("composable template", "PUT", "/_index_template/"+composable, `{"index_patterns":["`+composable+`-*"],"priority":990,"template":{`+percolatorMapping+`}}`)
	f.setup("legacy template", "PUT", "/_template/"+legacy, `{"index_patterns":["`+legacy+`-*"],`+percolatorMapping+`}`)
	upsert := lookupUpsert(secret)
	if r := f.asUser("POST", "/"+stage+"/_update/u1?refresh=true", upsert); r.Status != 201 {
		t.Fatalf("scripted upsert into the user's own index: %d %s", r.Status, r.Body)
	}
	for _, prefix := range []string{composable, legacy} {
		t.Run(prefix[:10], func(t *testing.T) {
			if r := f.asUser("POST", "/"+prefix+"-1/_update/u1?refresh=true", upsert); r.Status != 403 {
				t.Errorf("scripted upsert creating a percolator index: %d %s, want 403", r.Status, r.Body)
			}
			if r := f.reindex(stage, prefix+"-2"); r.Status != 403 {
				t.Errorf("reindex creating a percolator index: %d %s, want 403", r.Status, r.Body)
			}
			if r := f.reindex(stage, "<"+prefix+"-3-{now/d}>"); r.Status != 403 {
				t.Errorf("reindex creating a percolator index named in date math: %d %s, want 403", r.Status, r.Body)
			}
			if r := f.asUser("POST", "/%3C"+prefix+"-4-%7Bnow%2Fd%7D%3E/_update/u1?refresh=true", upsert); r.Status != 403 {
				t.Errorf("scripted upsert creating a percolator index named in date math: %d %s, want 403", r.Status, r.Body)
			}
			for _, ix := range []string{prefix + "-1", prefix + "-2"} {
				if f.exists(ix) {
					t.Errorf("%s was created", ix)
				}
			}
		})
	}
	// New indices without a percolator template are still written.
	if r := f.reindex(stage, plain+"-1"); r.Status != 200 {
		t.Fatalf("reindex into a new plain index: %d %s", r.Status, r.Body)
	}
	if r := f.asUser("POST", "/"+plain+"-2/_update/u1?refresh=true", `{"script":{"source":"ctx._source.k = 1"},"upsert":{"k":0}}`); r.Status != 201 {
		t.Fatalf("scripted upsert into a new plain index: %d %s", r.Status, r.Body)
	}
}

// TestPartialUpdateOfPercolatorQueryRefused: a partial document given to
// _update is merged by the cluster into the stored one, out of the proxy's
// sight. In a percolator index the user may write, an administrator's
// query looking up one field of a secret document is re-aimed by merging
// {"path": <another field>} (or another id, another index) into it: no
// body names an index and an id together, yet the merged query looks up
// whatever the user chose, with the cluster's rights. Updates into an
// index with a percolator field are refused to users without full access,
// as scripted ones are.
func TestPartialUpdateOfPercolatorQueryRefused(t *testing.T) {
	f := newOneRoleProxy(t, "percupd", "  indices:\n    - names: [\"e2e-pup-*\"]\n      privileges: [all]\n")
	n := time.Now().UnixNano()
	secret, perc := fmt.Sprintf("e2e-pupsecret-%d", n), fmt.Sprintf("e2e-pup-perc-%d", n)
	canary := fmt.Sprintf("canarypup%d", n)
	f.cleanup(nil, secret, perc)
	f.setup("seed", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"dept":"public-dept","code":"`+canary+`"}`)
	f.setup("percolator index", "PUT", "/"+perc, `{`+percolatorMapping+`}`)
	adminQuery := `{"q":{"terms":{"tenant":{"index":"` + secret + `","id":"s1","path":"dept"}}}}`
	// Written straight to the cluster, as an administrator's tooling would.
	if r := do(t, f.c, "PUT", f.cluster+"/"+perc+"/_doc/a1?refresh=true", "", "", strings.NewReader(adminQuery), map[string]string{"Content-Type": "application/json"}); r.Status >= 300 {
		t.Fatalf("administrator's query: %d %s", r.Status, r.Body)
	}
	reaim := `{"doc":{"q":{"terms":{"tenant":{"path":"code"}}}}}`
	if r := f.asUser("POST", "/"+perc+"/_update/a1?refresh=true", reaim); r.Status != 403 {
		t.Errorf("partial update re-aiming a lookup: %d %s, want 403", r.Status, r.Body)
	}
	bulk := `{"update":{"_index":"` + perc + `","_id":"a1"}}` + "\n" + reaim + "\n"
	if r := do(t, f.c, "POST", f.p.URL+"/_bulk?refresh=true", f.user, f.su.Password, strings.NewReader(bulk), map[string]string{"Content-Type": "application/x-ndjson"}); r.Status != 200 || !strings.Contains(r.Body, `"status":403`) {
		t.Errorf("bulk partial update re-aiming a lookup: %d %s, want its item refused", r.Status, r.Body)
	}
	f.extractedTermsLeak(perc, canary, 9)
}

// TestTemplateComposedAliasesRefused: a composable template whose
// composed_of names an administrator's component template with aliases
// attaches those aliases as surely as one that defines them itself. A
// user who may not read every index stores such a template over a prefix
// others create indices under, then reads them through the alias.
func TestTemplateComposedAliasesRefused(t *testing.T) {
	f := newOneRoleProxy(t, "tmpler", "  cluster: [manage_index_templates]\n  indices:\n    - names: [\"e2e-tmpl-own-*\"]\n      privileges: [all]\n")
	n := time.Now().UnixNano()
	secretPrefix, alias := fmt.Sprintf("e2e-cmpsec-%d", n), fmt.Sprintf("e2e-tmpl-own-shared-%d", n)
	withAliases, plain := fmt.Sprintf("e2e-ct-aliases-%d", n), fmt.Sprintf("e2e-ct-plain-%d", n)
	tmpl := fmt.Sprintf("e2e-cmp-%d", n)
	canary := fmt.Sprintf("CANARY-COMPOSED-ALIAS-%d", n)
	f.cleanup([]string{"/_index_template/" + tmpl, "/_component_template/" + withAliases, "/_component_template/" + plain}, secretPrefix+"-*")
	// The administrator's component templates (one gives every index it
	// builds an alias the user may read).
	f.setup("component template with aliases", "PUT", "/_component_template/"+withAliases, `{"template":{"aliases":{"`+alias+`":{}}}}`)
	f.setup("component template without aliases", "PUT", "/_component_template/"+plain, `{"template":{"settings":{"number_of_replicas":0}}}`)
	composedOf := func(composed ...string) string {
		return `{"index_patterns":["` + secretPrefix + `-*"],"priority":900,"composed_of":["` + strings.Join(composed, `","`) + `"]}`
	}
	if r := f.asUser("PUT", "/_index_template/"+tmpl, composedOf(plain)); r.Status != 200 {
		t.Errorf("composed of a component template without aliases: want 200, got %d %s", r.Status, r.Body)
	}
	if r := f.asUser("PUT", "/_index_template/"+tmpl, composedOf(fmt.Sprintf("e2e-ct-missing-%d", n))); r.Status != 403 {
		t.Errorf("composed of a component template that cannot be read: want 403, got %d %s", r.Status, r.Body)
	}
	if r := f.asUser("PUT", "/_index_template/"+tmpl, composedOf(plain, withAliases)); r.Status != 403 || !strings.Contains(r.Body, "component templates") {
		t.Errorf("composed of a component template with aliases: want 403, got %d %s", r.Status, r.Body)
	}
	// Someone else creates an index under the prefix: its documents must
	// not be readable through the administrator's alias.
	f.setup("seed", "PUT", "/"+secretPrefix+"-1/_doc/1?refresh=true", `{"note":"`+canary+`"}`)
	for _, path := range []string{"/" + alias + "/_search", "/e2e-tmpl-own-*/_search"} {
		if r := f.asUser("GET", path, ""); strings.Contains(r.Body, canary) {
			t.Fatalf("GET %s read another prefix's index through a composed template alias: %d %s", path, r.Status, r.Body)
		}
	}
	// Control: the same template stored by the superuser attaches the
	// alias, so the probes above were real.
	f.setup("control template", "PUT", "/_index_template/"+tmpl, composedOf(withAliases))
	f.setup("control seed", "PUT", "/"+secretPrefix+"-2/_doc/1?refresh=true", `{"note":"`+canary+`"}`)
	if r := f.asUser("GET", "/"+alias+"/_search", ""); !strings.Contains(r.Body, canary) {
		t.Fatalf("control: the composed alias should reach the new index: %d %s", r.Status, r.Body)
	}
}
