package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPrivilegesAnswers: _has_privileges and _privileges are answered by
// the proxy from its roles (the cluster has no security to ask), and the
// answers agree with what the proxy then lets the user do on the real
// cluster.
func TestPrivilegesAnswers(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "e2e_priv_reader:reader\n"
	o.Roles = "e2e_priv_reader:\n  cluster: [monitor]\n  indices:\n    - names: [\"e2e-priv-*\"]\n      privileges: [read, view_index_metadata]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	index := fmt.Sprintf("e2e-priv-%d", time.Now().UnixNano())
	jsonHdr := map[string]string{"Content-Type": "application/json"}
	if r := do(t, c, "PUT", p.URL+"/"+index+"/_doc/1?refresh=true", u.Name, u.Password, strings.NewReader(`{"a":1}`), jsonHdr); r.Status >= 300 {
		t.Fatalf("seeding: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+index, u.Name, u.Password, nil, nil) })

	check := `{"cluster":["monitor","manage"],"index":[{"names":["` + index + `","e2e-priv-*","*"],"privileges":["read","write"]}]}`
	r := do(t, c, "POST", p.URL+"/_security/user/_has_privileges", "reader", u.Password, strings.NewReader(check), jsonHdr)
	if r.Status != 200 {
		t.Fatalf("has_privileges: %d %s", r.Status, r.Body)
	}
	var got struct {
		Username        string                     `json:"username"`
		HasAllRequested bool                       `json:"has_all_requested"`
		Cluster         map[string]bool            `json:"cluster"`
		Index           map[string]map[string]bool `json:"index"`
		Application     map[string]any             `json:"application"`
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatalf("has_privileges answer %s: %v", r.Body, err)
	}
	want := map[string]map[string]bool{
		index: {"read": true, "write": false}, "e2e-priv-*": {"read": true, "write": false}, "*": {"read": false, "write": false},
	}
	if got.Username != "reader" || got.HasAllRequested || !got.Cluster["monitor"] || got.Cluster["manage"] ||
		fmt.Sprint(got.Index) != fmt.Sprint(want) || got.Application == nil {
		t.Errorf("has_privileges answer: %s", r.Body)
	}
	// The answer matches what the proxy enforces on the real cluster.
	if r := do(t, c, "GET", p.URL+"/"+index+"/_search", "reader", u.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"_id":"1"`) {
		t.Errorf("read said granted, but search gave %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "PUT", p.URL+"/"+index+"/_doc/2", "reader", u.Password, strings.NewReader(`{"a":2}`), jsonHdr); r.Status != 403 {
		t.Errorf("write said not granted, but indexing gave %d %s", r.Status, r.Body)
	}

	// About oneself by name: the same answer; about someone else: refused.
	if r := do(t, c, "GET", p.URL+"/_security/user/reader/_has_privileges", "reader", u.Password, strings.NewReader(check), jsonHdr); r.Status != 200 {
		t.Errorf("has_privileges by own name: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_security/user/"+u.Name+"/_has_privileges", "reader", u.Password, strings.NewReader(check), jsonHdr)
	if r.Status != 403 || !strings.Contains(r.Body, "action [cluster:admin/xpack/security/user/has_privileges] is unauthorized for user [reader]") {
		t.Errorf("has_privileges about another user: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_security/user/_has_privileges", "reader", u.Password, strings.NewReader(`{"index":[{"names":["x"],"privileges":["read"],"query":{}}]}`), jsonHdr)
	if r.Status != 400 || !strings.Contains(r.Body, "Field [query] is not supported in a has_privileges request") {
		t.Errorf("malformed check: %d %s", r.Status, r.Body)
	}

	r = do(t, c, "GET", p.URL+"/_security/user/_privileges", "reader", u.Password, nil, nil)
	wantPrivs := `{"cluster":["monitor"],"global":[],"indices":[{"names":["e2e-priv-*"],"privileges":["read","view_index_metadata"],` +
		`"allow_restricted_indices":false}],"applications":[],"run_as":[]}`
	if r.Status != 200 || r.Body != wantPrivs {
		t.Errorf("_privileges: %d %s\nwant %s", r.Status, r.Body, wantPrivs)
	}
	r = do(t, c, "GET", p.URL+"/_security/user/_privileges", u.Name, u.Password, nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"cluster":["all"]`) || !strings.Contains(r.Body, `"allow_restricted_indices":true`) {
		t.Errorf("superuser _privileges: %d %s", r.Status, r.Body)
	}
}
