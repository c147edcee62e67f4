package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPerItemRefusals: against the real cluster, _bulk and _msearch items
// the user may not touch come back as per-item 403s at their places, the
// others are executed, and nothing reaches the forbidden index.
func TestPerItemRefusals(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Users += "writer:" + u.Password + "\n"
	o.UsersRoles += "e2e_writer:writer\n"
	o.Roles = "e2e_writer:\n  indices:\n    - names: [\"e2e-own-*\"]\n      privileges: [read, write, create_index]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	own, other := fmt.Sprintf("e2e-own-%d", n), fmt.Sprintf("e2e-other-%d", n)
	for _, idx := range []string{own, other} {
		if r := do(t, c, "PUT", p.URL+"/"+idx, u.Name, u.Password, nil, nil); r.Status != 200 {
			t.Fatalf("create %s: %d %s", idx, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+own+","+other, u.Name, u.Password, nil, nil) })
	p.waitReady()
	time.Sleep(300 * time.Millisecond) // metadata refresh after the creations

	bulk := fmt.Sprintf("{\"index\":{\"_index\":%q,\"_id\":\"x\"}}\n{\"f\":\"CANARY-PERITEM\"}\n{\"index\":{\"_index\":%q,\"_id\":\"y\"}}\n{\"f\":1}\n", other, own)
	r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", "writer", u.Password, strings.NewReader(bulk), map[string]string{"Content-Type": "application/x-ndjson"})
	var br struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Index  string `json:"_index"`
			Status int    `json:"status"`
			Error  *struct {
				Type string `json:"type"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.Body), &br); err != nil || r.Status != 200 || !br.Errors || len(br.Items) != 2 {
		t.Fatalf("bulk: %d %s", r.Status, r.Body)
	}
	if it := br.Items[0]["index"]; it.Status != 403 || it.Error == nil || it.Error.Type != "security_exception" || it.Index != other {
		t.Fatalf("first item should be a 403 on %s: %s", other, r.Body)
	}
	if it := br.Items[1]["index"]; it.Status != 201 || it.Index != own {
		t.Fatalf("second item should be created in %s: %s", own, r.Body)
	}
	if direct := do(t, c, "GET", p.URL+"/"+other+"/_search", u.Name, u.Password, nil, nil); strings.Contains(direct.Body, "CANARY-PERITEM") {
		t.Fatal("the refused item reached the forbidden index")
	}
	// Each item has its audit event, in Elasticsearch's shapes, with the
	// request's request.id.
	wantEvents(t, filepath.Join(p.Dir, "audit.json"), r.Header.Get("X-Request-Id"), []string{
		"access_granted indices:data/write/bulk  []",
		"access_denied indices:data/write/index:op_type/index BulkItemRequest [" + other + "]",
		"access_granted indices:data/write/bulk[s] BulkShardRequest [" + own + "]",
		"access_granted indices:data/write/index:op_type/index BulkItemRequest [" + own + "]",
	})

	ms := fmt.Sprintf("{\"index\":%q}\n{}\n{\"index\":%q}\n{}\n", other, own)
	r = do(t, c, "POST", p.URL+"/_msearch", "writer", u.Password, strings.NewReader(ms), map[string]string{"Content-Type": "application/x-ndjson"})
	var mr struct {
		Responses []struct {
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
			Hits   *struct {
				Hits []json.RawMessage `json:"hits"`
			} `json:"hits"`
		} `json:"responses"`
	}
	if err := json.Unmarshal([]byte(r.Body), &mr); err != nil || r.Status != 200 || len(mr.Responses) != 2 {
		t.Fatalf("msearch: %d %s", r.Status, r.Body)
	}
	if mr.Responses[0].Status != 403 || !strings.Contains(string(mr.Responses[0].Error), "security_exception") {
		t.Fatalf("first search should be a 403: %s", r.Body)
	}
	if mr.Responses[1].Hits == nil || len(mr.Responses[1].Hits.Hits) != 1 {
		t.Fatalf("second search should find the written document: %s", r.Body)
	}
	wantEvents(t, filepath.Join(p.Dir, "audit.json"), r.Header.Get("X-Request-Id"), []string{
		"access_granted indices:data/read/msearch  []",
		"access_denied indices:data/read/search SearchRequest [" + other + "]",
		"access_granted indices:data/read/search SearchRequest [" + own + "]",
	})
}

// wantEvents checks the audit records of one request, in order, each as
// "event.action action request.name [indices]".
func wantEvents(t *testing.T, path, requestID string, want []string) {
	t.Helper()
	if requestID == "" {
		t.Fatal("response without X-Request-Id")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev struct {
			Action      string   `json:"event.action"`
			Name        string   `json:"action"`
			RequestName string   `json:"request.name"`
			Indices     []string `json:"indices"`
			RequestID   string   `json:"request.id"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %v: %s", err, line)
		}
		if ev.RequestID == requestID {
			got = append(got, fmt.Sprintf("%s %s %s [%s]", ev.Action, ev.Name, ev.RequestName, strings.Join(ev.Indices, ",")))
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit events of request %s:\n  %s\nwant:\n  %s", requestID, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
