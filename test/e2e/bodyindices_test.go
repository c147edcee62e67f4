package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestBodyNamedIndices: _reindex and POST _aliases are authorized on the
// indices and aliases their bodies name, as Elasticsearch does: allowed
// when every name is, refused (403 naming the index) otherwise, and never
// for sources under DLS/FLS.
func TestBodyNamedIndices(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	src, dst, secret := fmt.Sprintf("e2e-bsrc-%d", n), fmt.Sprintf("e2e-bdst-%d", n), fmt.Sprintf("e2e-bsecret-%d", n)
	o.Users += "mover:" + su.Password + "\nfiltered:" + su.Password + "\n"
	o.UsersRoles += "e2e_mover:mover\ne2e_filtered:filtered\n"
	o.Roles = "e2e_mover:\n  indices:\n    - names: [\"e2e-bsrc-*\"]\n      privileges: [read, manage]\n    - names: [\"e2e-bdst-*\"]\n      privileges: [write, create_index, manage]\n" +
		"e2e_filtered:\n  indices:\n    - names: [\"e2e-bsrc-*\"]\n      privileges: [read]\n      query: '{\"term\":{\"k\":\"x\"}}'\n    - names: [\"e2e-bdst-*\"]\n      privileges: [write, create_index]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, ix := range []string{src, secret} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"CANARY-BODYIDX-`+ix+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed: %d %s", r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+src+","+dst+","+secret, su.Name, su.Password, nil, nil) })

	r := do(t, c, "POST", p.URL+"/_reindex?refresh=true", "mover", su.Password, strings.NewReader(`{"source":{"index":"`+secret+`"},"dest":{"index":"`+dst+`"}}`), hj)
	if r.Status != 403 || !strings.Contains(r.Body, secret) {
		t.Fatalf("reindex from a forbidden index: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_reindex?refresh=true", "filtered", su.Password, strings.NewReader(`{"source":{"index":"`+src+`"},"dest":{"index":"`+dst+`"}}`), hj)
	if r.Status != 403 {
		t.Fatalf("reindex from an index under DLS: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_reindex?refresh=true", "mover", su.Password, strings.NewReader(`{"source":{"index":"`+src+`"},"dest":{"index":"`+dst+`"},"script":{"source":"ctx._index = '`+secret+`'"}}`), hj)
	if r.Status != 403 {
		t.Fatalf("reindex with a script: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_reindex?refresh=true", "mover", su.Password, strings.NewReader(`{"source":{"index":"`+src+`"},"dest":{"index":"`+dst+`"}}`), hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"created":1`) {
		t.Fatalf("allowed reindex: %d %s", r.Status, r.Body)
	}

	r = do(t, c, "POST", p.URL+"/_aliases", "mover", su.Password, strings.NewReader(`{"actions":[{"add":{"index":"`+secret+`","alias":"e2e-bsrc-alias-`+fmt.Sprint(n)+`"}}]}`), hj)
	if r.Status != 403 || !strings.Contains(r.Body, secret) {
		t.Fatalf("alias on a forbidden index (exposing it under an allowed name): %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_aliases", "mover", su.Password, strings.NewReader(`{"actions":[{"add":{"index":"`+src+`","alias":"e2e-bsrc-alias-`+fmt.Sprint(n)+`"}}]}`), hj)
	if r.Status != 200 {
		t.Fatalf("allowed alias: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_aliases", su.Name, su.Password, strings.NewReader(`{"actions":[{"remove":{"index":"`+src+`","alias":"e2e-bsrc-alias-`+fmt.Sprint(n)+`"}}]}`), hj)
	if r.Status != 200 {
		t.Fatalf("superuser alias removal: %d %s", r.Status, r.Body)
	}
}
