package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestUpdateSourceNeedsRead: a user who may write an index but not read it
// cannot read its documents through an update that asks for the document
// back (_source on _update, in a _bulk update item or on _bulk) or runs a
// script (which reads ctx._source and can throw it back); the canary of
// the stored document never appears. Without _source the
// update goes through, and a user who may read gets the document.
func TestUpdateSourceNeedsRead(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	ix := fmt.Sprintf("e2e-updsrc-%d", time.Now().UnixNano())
	o.Users += "wendy:" + su.Password + "\nrita:" + su.Password + "\n"
	o.UsersRoles += "e2e_writer:wendy\ne2e_rw:rita\n"
	o.Roles = "e2e_writer:\n  indices:\n    - names: [\"e2e-updsrc-*\"]\n      privileges: [index]\n" +
		"e2e_rw:\n  indices:\n    - names: [\"e2e-updsrc-*\"]\n      privileges: [index, read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	hn := map[string]string{"Content-Type": "application/x-ndjson"}
	const canary = "CANARY-UPDATE-SOURCE"
	if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"secret":"`+canary+`","n":0}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ix, su.Name, su.Password, nil, nil) })

	for _, probe := range []struct{ name, method, path, body string }{
		{"_update ?_source=true", "POST", "/" + ix + "/_update/1?_source=true", `{"doc":{"n":1}}`},
		{"_update ?_source_includes", "POST", "/" + ix + "/_update/1?_source_includes=secret", `{"doc":{"n":1}}`},
		{"_update body _source", "POST", "/" + ix + "/_update/1", `{"doc":{"n":1},"_source":true}`},
		{"_bulk item _source", "POST", "/_bulk", "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"1\",\"_source\":true}}\n{\"doc\":{\"n\":1}}\n"},
		{"_bulk ?_source", "POST", "/_bulk?_source=true", "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"1\"}}\n{\"doc\":{\"n\":1}}\n"},
		// A script reads ctx._source and can throw it back in an error.
		{"_update script", "POST", "/" + ix + "/_update/1", `{"script":{"source":"throw new IllegalArgumentException(ctx._source.secret)"}}`},
		{"_bulk update script", "POST", "/_bulk", "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"1\"}}\n{\"script\":{\"source\":\"throw new IllegalArgumentException(ctx._source.secret)\"}}\n"},
	} {
		h := hj
		if strings.Contains(probe.path, "_bulk") {
			h = hn
		}
		r := do(t, c, probe.method, p.URL+probe.path, "wendy", su.Password, strings.NewReader(probe.body), h)
		if strings.Contains(r.Body, canary) || !strings.Contains(r.Body, "reads the document") {
			t.Fatalf("%s as wendy (write only): %d %s", probe.name, r.Status, r.Body)
		}
	}
	if r := do(t, c, "POST", p.URL+"/"+ix+"/_update/1", "wendy", su.Password, strings.NewReader(`{"doc":{"n":2}}`), hj); r.Status != 200 || strings.Contains(r.Body, canary) {
		t.Fatalf("wendy's plain update: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+ix+"/_update/1?_source=true", "rita", su.Password, strings.NewReader(`{"doc":{"n":3}}`), hj); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("rita (read and write), positive control: %d %s", r.Status, r.Body)
	}
	// The script channel is real: for a reader, the error spells the value out.
	t.Run("a reader's throwing script shows the value", func(t *testing.T) {
		backendLacks(t, "painless")
		if r := do(t, c, "POST", p.URL+"/"+ix+"/_update/1", "rita", su.Password, strings.NewReader(`{"script":{"source":"throw new IllegalArgumentException(ctx._source.secret)"}}`), hj); !strings.Contains(r.Body, canary) {
			t.Fatalf("rita's throwing script, positive control: %d %s", r.Status, r.Body)
		}
	})
}
