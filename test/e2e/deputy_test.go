package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A search pipeline's filter_query runs in the cluster, with its rights, in
// every search that names the pipeline: a terms lookup stored there reads
// any index. A user with the cluster privilege manage but read access to
// e2e-dep-vis-* only could store one looking up a secret document and learn
// its values from which of their own documents match. Storing it needs
// read access to every index, and so does naming one that reads other
// documents, whoever stored it.
func TestStoredSearchPipelineLookupRefused(t *testing.T) {
	backendLacks(t, "search pipelines")
	f := newOneRoleProxy(t, "pipeadmin", "  cluster: [manage]\n  indices:\n    - names: [\"e2e-dep-vis-*\"]\n      privileges: [all]\n")
	n := time.Now().UnixNano()
	visible, secret, pipeline := fmt.Sprintf("e2e-dep-vis-%d", n), fmt.Sprintf("e2e-dep-sec-%d", n), fmt.Sprintf("e2e-dep-p-%d", n)
	f.cleanup([]string{"/_search/pipeline/" + pipeline}, visible, secret)
	const canary = "CANARY-DEPUTY-PIPE-5c1"
	f.setup("seed the secret", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"allowed":["`+canary+`"]}`)
	f.setup("seed v1", "PUT", "/"+visible+"/_doc/v1?refresh=true", `{"user":"`+canary+`"}`)
	f.setup("seed v2", "PUT", "/"+visible+"/_doc/v2?refresh=true", `{"user":"someone-else"}`)
	body := `{"request_processors":[{"filter_query":{"query":{"terms":{"user.keyword":{"index":"` + secret + `","id":"s1","path":"allowed"}}}}}]}`
	if r := f.asUser("PUT", "/_search/pipeline/"+pipeline, body); r.Status != 403 || !strings.Contains(r.Body, "security_exception") {
		t.Fatalf("the user stored a search pipeline that looks up a secret document: %d %s", r.Status, r.Body)
	}
	if r := f.asAdmin("GET", "/_search/pipeline/"+pipeline, ""); r.Status != 404 {
		t.Fatalf("the refused pipeline is stored: %d %s", r.Status, r.Body)
	}
	if r := f.asUser("POST", "/"+visible+"/_search?search_pipeline="+pipeline, `{"query":{"match_all":{}}}`); r.Status == 200 {
		t.Fatalf("a search through the refused pipeline ran: %s", r.Body)
	}
	// The same pipeline stored by the superuser filters v1 in: the probe is real.
	f.setup("store the pipeline", "PUT", "/_search/pipeline/"+pipeline, body)
	r := f.asAdmin("POST", "/"+visible+"/_search?search_pipeline="+pipeline, `{"query":{"match_all":{}}}`)
	if r.Status != 200 || !strings.Contains(r.Body, `"_id":"v1"`) || strings.Contains(r.Body, `"_id":"v2"`) {
		t.Fatalf("control: the superuser's pipeline should let only v1 through: %d %s", r.Status, r.Body)
	}
	// Stored by someone else, it still reads the secret for whoever names it.
	if r := f.asUser("POST", "/"+visible+"/_search?search_pipeline="+pipeline, `{"query":{"match_all":{}}}`); r.Status != 403 || strings.Contains(r.Body, `"_id"`) {
		t.Errorf("the user ran a stored pipeline that looks up a secret document: %d %s", r.Status, r.Body)
	}
	// A stored pipeline that reads nothing else, and none, stay usable.
	harmless := pipeline + "-harmless"
	f.cleanup([]string{"/_search/pipeline/" + harmless})
	f.setup("store a harmless pipeline", "PUT", "/_search/pipeline/"+harmless, `{"request_processors":[{"filter_query":{"query":{"term":{"user.keyword":"someone-else"}}}}]}`)
	if r := f.asUser("POST", "/"+visible+"/_search?search_pipeline="+harmless, `{"query":{"match_all":{}}}`); r.Status != 200 || !strings.Contains(r.Body, `"_id":"v2"`) || strings.Contains(r.Body, `"_id":"v1"`) {
		t.Errorf("a harmless stored pipeline: want 200 with v2 only: %d %s", r.Status, r.Body)
	}
	if r := f.asUser("POST", "/"+visible+"/_search?search_pipeline=_none", `{"query":{"match_all":{}}}`); r.Status != 200 || !strings.Contains(r.Body, `"_id":"v1"`) {
		t.Errorf("search_pipeline=_none: want 200: %d %s", r.Status, r.Body)
	}
}

// A more_like_this artificial document aimed at another index
// ({"_index":…,"doc":…}) is analysed by the cluster on that index's shards,
// with its mappings: whether the query matched told whether a forbidden
// index exists (and how its fields are analysed). Refused like a document
// reference, whether the index exists or not.
func TestMoreLikeThisArtificialDocumentOfAnotherIndexRefused(t *testing.T) {
	f := newOneRoleProxy(t, "mltreader", "  indices:\n    - names: [\"e2e-dep-vis-*\"]\n      privileges: [read]\n")
	n := time.Now().UnixNano()
	visible, secret := fmt.Sprintf("e2e-dep-vis-%d", n), fmt.Sprintf("e2e-dep-sec-%d", n)
	f.cleanup(nil, visible, secret)
	f.setup("seed the secret", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"text":"alpha gamma"}`)
	f.setup("seed v1", "PUT", "/"+visible+"/_doc/v1?refresh=true", `{"text":"alpha gamma"}`)
	mlt := func(index string) string {
		return `{"query":{"more_like_this":{"fields":["text"],"like":[{"_index":"` + index + `","doc":{"text":"alpha gamma"}}],"min_term_freq":1,"min_doc_freq":1}}}`
	}
	for _, target := range []string{secret, secret + "-missing"} {
		if r := f.asUser("POST", "/"+visible+"/_search", mlt(target)); r.Status != 403 || strings.Contains(r.Body, `"_id":"v1"`) {
			t.Errorf("artificial document of %s: %d %s", target, r.Status, r.Body)
		}
	}
	// Control: for the cluster, the answer depends on the other index.
	if r := f.asAdmin("POST", "/"+visible+"/_search", mlt(secret)); r.Status != 200 || !strings.Contains(r.Body, `"_id":"v1"`) {
		t.Fatalf("control: the superuser's query should find v1: %d %s", r.Status, r.Body)
	}
	if r := f.asAdmin("POST", "/"+visible+"/_search", mlt(secret+"-missing")); r.Status != 200 || strings.Contains(r.Body, `"_id":"v1"`) {
		t.Fatalf("control: with a missing index the query should find nothing: %d %s", r.Status, r.Body)
	}
}

// view_index_metadata on every index allows _validate/query there, and the
// explanation of a rewritten terms lookup lists the values the cluster
// fetched, with its own rights, from the looked-up document: a user who
// may read e2e-dep-vis-* only read a secret document's field. A document
// reference needs read access to every index, whatever privilege allows
// the request's own action.
func TestValidateQueryLookupNeedsReadEverything(t *testing.T) {
	f := newOneRoleProxy(t, "metaviewer", "  indices:\n    - names: [\"*\"]\n      privileges: [view_index_metadata]\n      allow_restricted_indices: true\n"+
		"    - names: [\"e2e-dep-vis-*\"]\n      privileges: [read]\n")
	n := time.Now().UnixNano()
	visible, secret := fmt.Sprintf("e2e-dep-vis-%d", n), fmt.Sprintf("e2e-dep-sec-%d", n)
	f.cleanup(nil, visible, secret)
	const canary = "CANARY-DEPUTY-VALIDATE-9e2"
	f.setup("seed the secret", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"allowed":["`+canary+`"]}`)
	f.setup("seed v1", "PUT", "/"+visible+"/_doc/v1?refresh=true", `{"user":"someone"}`)
	body := `{"query":{"terms":{"user.keyword":{"index":"` + secret + `","id":"s1","path":"allowed"}}}}`
	path := "/" + visible + "/_validate/query?explain=true&rewrite=true"
	if r := f.asUser("POST", path, body); r.Status != 403 || strings.Contains(r.Body, canary) {
		t.Fatalf("the user's validate explained a secret document's values: %d %s", r.Status, r.Body)
	}
	if r := f.asUser("POST", "/"+secret+"/_search", `{}`); r.Status != 403 {
		t.Fatalf("control: the user may not read the secret index: %d %s", r.Status, r.Body)
	}
	if r := f.asAdmin("POST", path, body); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("control: the cluster's explanation lists the looked-up values: %d %s", r.Status, r.Body)
	}
	if r := f.asUser("POST", path, `{"query":{"term":{"user.keyword":"someone"}}}`); r.Status != 200 {
		t.Fatalf("a plain validate: %d %s", r.Status, r.Body)
	}
}

// A role managing every index (system ones included) but reading
// e2e-dep-vis-* only had full access for resize and alias actions, and the
// proxy skipped its checks that a clone target or an alias grants no more
// than its source: the user cloned a secret index to a readable name, or
// aliased it under one, and read it. Elasticsearch refuses both.
func TestManageEverywhereCannotCopyIntoView(t *testing.T) {
	f := newOneRoleProxy(t, "indexops", "  indices:\n    - names: [\"*\"]\n      privileges: [manage]\n      allow_restricted_indices: true\n"+
		"    - names: [\"e2e-dep-vis-*\"]\n      privileges: [read]\n")
	n := time.Now().UnixNano()
	secret := fmt.Sprintf("e2e-dep-sec-%d", n)
	copyName, alias := fmt.Sprintf("e2e-dep-vis-copy-%d", n), fmt.Sprintf("e2e-dep-vis-alias-%d", n)
	f.cleanup(nil, secret, copyName)
	const canary = "CANARY-DEPUTY-CLONE-7b3"
	f.setup("seed the secret", "PUT", "/"+secret+"/_doc/s1?refresh=true", `{"note":"`+canary+`"}`)
	f.setup("block writes", "PUT", "/"+secret+"/_settings", `{"index.blocks.write":true}`)
	for _, rq := range [][3]string{
		{"POST", "/" + secret + "/_clone/" + copyName, `{"settings":{"index.blocks.write":null}}`},
		{"PUT", "/" + secret + "/_alias/" + alias, ""},
		{"POST", "/_aliases", `{"actions":[{"add":{"index":"` + secret + `","alias":"` + alias + `"}}]}`},
	} {
		if r := f.asUser(rq[0], rq[1], rq[2]); r.Status != 403 {
			t.Errorf("%s %s: %d %s", rq[0], rq[1], r.Status, r.Body)
		}
	}
	for _, name := range []string{copyName, alias} {
		if r := f.asUser("POST", "/"+name+"/_search?refresh=true", `{}`); strings.Contains(r.Body, canary) {
			t.Errorf("the secret is readable through %s: %s", name, r.Body)
		}
	}
	if f.exists(copyName) {
		t.Errorf("the clone %s was created", copyName)
	}
}
