package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServiceAccounts (checklist 15): a token made with `proxy
// service-tokens create` authenticates its service account through the
// proxy with the account's built-in privileges: elastic/fleet-server
// writes to logs-* (creating the index) but cannot read it, nor reach an
// index outside its privileges (whose canary never shows); elastic/kibana
// is Kibana's kibana_system. The audit names the token and lists no roles.
// A token removed from the file stops working after the reload.
func TestServiceAccounts(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	p, c, tokensFile := startProxyWithServiceTokens(t, o, "  api_keys:\n    file: api_keys.json\n")
	n := time.Now().UnixNano()
	logs, secret := fmt.Sprintf("logs-e2e-sa-%d", n), fmt.Sprintf("e2e-sa-secret-%d", n)
	const canary = "CANARY-SERVICE-ACCOUNT"
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, c, "PUT", p.URL+"/"+secret+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+canary+`"}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+logs+","+secret, su.Name, su.Password, nil, nil) })

	fleet, kibana := createServiceToken(t, tokensFile, "elastic/fleet-server", "fleet-1"), createServiceToken(t, tokensFile, "elastic/kibana", "kibana-1")
	bearer := func(tok string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	}
	// The proxy reloads the file within its reload interval.
	if !eventually(10*time.Second, func() bool {
		return do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, bearer(fleet)).Status == 200
	}) {
		t.Fatal("the fleet-server token never authenticated")
	}
	r := do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, bearer(fleet))
	for _, want := range []string{`"username":"elastic/fleet-server"`, `"roles":[]`, `"authentication_type":"token"`, `"token":{"name":"fleet-1","type":"_service_account_file"}`, `"_service_account"`} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("_authenticate lacks %s: %s", want, r.Body)
		}
	}
	if r := do(t, c, "POST", p.URL+"/"+logs+"/_doc?refresh=true", "", "", strings.NewReader(`{"message":"from fleet"}`), bearer(fleet)); r.Status != 201 {
		t.Fatalf("fleet-server writing to %s: %d %s", logs, r.Status, r.Body)
	}
	for _, path := range []string{"/" + logs + "/_search", "/" + secret + "/_search", "/" + secret + "/_doc/1", "/_search", "/_all/_search"} {
		r := do(t, c, "GET", p.URL+path, "", "", nil, bearer(fleet))
		if r.Status != 403 && !(r.Status == 200 && !strings.Contains(r.Body, "_source")) || strings.Contains(r.Body, canary) {
			t.Fatalf("fleet-server reading %s: %d %s", path, r.Status, r.Body)
		}
	}
	// Fleet Server makes its agents' API keys: limited by the account's
	// role, as in Elasticsearch, they write where it may and read nothing
	// it may not.
	r = do(t, c, "POST", p.URL+"/_security/api_key", "", "", strings.NewReader(`{"name":"agent-1","role_descriptors":{"agent":{"indices":[{"names":["logs-*","`+secret+`"],"privileges":["all"]}]}}}`), bearer(fleet))
	encoded := regexp.MustCompile(`"encoded":"([^"]+)"`).FindStringSubmatch(r.Body)
	if r.Status != 200 || encoded == nil {
		t.Fatalf("fleet-server creating an agent's API key: %d %s", r.Status, r.Body)
	}
	agent := map[string]string{"Authorization": "ApiKey " + encoded[1], "Content-Type": "application/json"}
	if r := do(t, c, "POST", p.URL+"/"+logs+"/_doc?refresh=true", "", "", strings.NewReader(`{"message":"from an agent"}`), agent); r.Status != 201 {
		t.Fatalf("the agent's key writing to %s: %d %s", logs, r.Status, r.Body)
	}
	for _, path := range []string{"/" + secret + "/_search", "/" + secret + "/_doc/1", "/" + logs + "/_search"} {
		if r := do(t, c, "GET", p.URL+path, "", "", nil, agent); r.Status != 403 || strings.Contains(r.Body, canary) {
			t.Fatalf("the agent's key reading %s: %d %s, want 403", path, r.Status, r.Body)
		}
	}
	// Appended after the fleet token: a reload may have read the file
	// between the two, and the next one is a reload interval later.
	eventually(10*time.Second, func() bool {
		return do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, bearer(kibana)).Status == 200
	})
	if r := do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, bearer(kibana)); r.Status != 200 || !strings.Contains(r.Body, `"username":"elastic/kibana"`) {
		t.Fatalf("kibana token: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+secret+"/_search", "", "", nil, bearer(kibana)); r.Status != 403 || strings.Contains(r.Body, canary) {
		t.Fatalf("elastic/kibana reading %s: %d %s", secret, r.Status, r.Body)
	}
	for name, tok := range map[string]string{"wrong secret": fleet[:len(fleet)-2] + "xx", "truncated": fleet[:20]} {
		if r := do(t, c, "GET", p.URL+"/", "", "", nil, bearer(tok)); r.Status != 401 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}

	// Removing the token's line revokes it.
	data, _ := os.ReadFile(tokensFile)
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "elastic/fleet-server/fleet-1:") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(tokensFile, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool {
		return do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, bearer(fleet)).Status == 401
	}) {
		t.Fatal("a removed token still authenticates")
	}

	audit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, want := range []string{
		`"user.name":"elastic/fleet-server","user.realm":"_service_account","user.roles":[]`,
		`"authentication.type":"TOKEN"`, `"authentication.token.name":"fleet-1"`, `"authentication.token.type":"_service_account_file"`,
	} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	if strings.Contains(string(audit), fleet) || strings.Contains(string(audit), kibana) {
		t.Error("a service token is in the audit log")
	}
}
