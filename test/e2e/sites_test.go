package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// doHost is do with the request's Host set (the site it is for).
func doHost(t *testing.T, c *http.Client, host, method, url, user, pass string, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, url, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// TestSites: one listener, two tenants chosen by Host. Each site has its
// own users, roles and audit trail: a user of one site cannot log in on
// the other, a tenant's narrowed search never shows the default site's
// canary, and each audit file holds only its own site's requests. With
// unknown_hosts: refuse, a host no site lists gets 421, audited.
func TestSites(t *testing.T) {
	os_ := openSearchURL(t)
	n := time.Now().UnixNano()
	tenantIdx, secret := fmt.Sprintf("e2e-site-a-%d", n), fmt.Sprintf("e2e-site-secret-%d", n)
	const canary = "CANARY-OTHER-TENANT"
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuse_unknown=%v", refuse), func(t *testing.T) {
			o, su := superuserOpts(t, os_)
			o.ExtraConfig = "sites:\n  - name: tenant-a\n    hosts: [\"a.e2e.test\", \"*.a.e2e.test\"]\n" +
				"    upstream:\n      nodes: [\"" + os_ + "\"]\n      health_check: {interval: 200ms, timeout: 1s}\n" +
				"    security:\n      users: users_a\n      users_roles: users_roles_a\n      roles: roles_a.yml\n      reload_interval: 200ms\n" +
				"    audit:\n      file: audit-a.json\n"
			if refuse {
				o.ExtraConfig += "unknown_hosts: refuse\n"
			}
			p := startProxyWith(t, o, func(dir string) string {
				writeFile(t, filepath.Join(dir, "users_a"), "alice:"+su.Password+"\n")
				writeFile(t, filepath.Join(dir, "users_roles_a"), "tenant_reader:alice\n")
				writeFile(t, filepath.Join(dir, "roles_a.yml"), "tenant_reader:\n  indices:\n    - names: [\"e2e-site-a-*\"]\n      privileges: [read, write, create_index]\n")
				return ""
			})
			p.waitReady()
			c := p.client(nil)
			def := "default.e2e.test" // no site lists it: the default site (or, refusing, nobody)
			if !refuse {
				if r := doHost(t, c, def, "PUT", p.URL+"/"+secret+"/_doc/1?refresh=true", su.Name, su.Password, `{"k":"`+canary+`"}`); r.Status >= 300 {
					t.Fatalf("seed the default site's index: %d %s", r.Status, r.Body)
				}
				t.Cleanup(func() { doHost(t, c, def, "DELETE", p.URL+"/"+secret, su.Name, su.Password, "") })
			}
			if r := doHost(t, c, "a.e2e.test", "PUT", p.URL+"/"+tenantIdx+"/_doc/1?refresh=true", "alice", su.Password, `{"k":"tenant"}`); r.Status >= 300 {
				t.Fatalf("alice writing her tenant's index: %d %s", r.Status, r.Body)
			}
			t.Cleanup(func() {
				if !refuse {
					doHost(t, c, def, "DELETE", p.URL+"/"+tenantIdx, su.Name, su.Password, "")
				}
			})

			// Each site knows only its own users.
			if r := doHost(t, c, "a.e2e.test", "GET", p.URL+"/", su.Name, su.Password, ""); r.Status != 401 {
				t.Fatalf("the default site's superuser on tenant-a: %d %s", r.Status, r.Body)
			}
			if r := doHost(t, c, "x.a.e2e.test:443", "GET", p.URL+"/"+tenantIdx+"/_search", "alice", su.Password, ""); r.Status != 200 || !strings.Contains(r.Body, "tenant") {
				t.Fatalf("alice through the wildcard host: %d %s", r.Status, r.Body)
			}
			for _, path := range []string{"/_search", "/e2e-site-*/_search", "/" + secret + "/_search", "/_all/_search?ignore_unavailable=true"} {
				if r := doHost(t, c, "A.E2E.TEST", "GET", p.URL+path, "alice", su.Password, ""); strings.Contains(r.Body, canary) {
					t.Fatalf("alice on tenant-a, %s showed the other tenant's canary: %d %s", path, r.Status, r.Body)
				}
			}
			other := doHost(t, c, "default.e2e.test", "GET", p.URL+"/", "alice", su.Password, "")
			if refuse {
				if other.Status != 421 || !strings.Contains(other.Body, "no site of the security proxy serves host") {
					t.Fatalf("an unknown host with unknown_hosts: refuse: %d %s", other.Status, other.Body)
				}
			} else {
				if other.Status != 401 {
					t.Fatalf("alice on the default site: %d %s", other.Status, other.Body)
				}
				if r := doHost(t, c, def, "GET", p.URL+"/"+secret+"/_search", su.Name, su.Password, ""); r.Status != 200 || !strings.Contains(r.Body, canary) {
					t.Fatalf("the default site's superuser (positive control): %d %s", r.Status, r.Body)
				}
			}

			// Each trail holds its own site's requests only.
			defAudit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
			aAudit, _ := os.ReadFile(filepath.Join(p.Dir, "audit-a.json"))
			if !strings.Contains(string(aAudit), `"user.name":"alice"`) || !strings.Contains(string(aAudit), `"event.action":"access_granted"`) {
				t.Fatalf("tenant-a's audit lacks alice's requests:\n%s", aAudit)
			}
			// A failed login is audited by the site it was tried on; what a
			// site grants is audited by that site only.
			if granted(string(defAudit), "alice") {
				t.Fatalf("the default site's audit holds tenant-a's grants:\n%s", defAudit)
			}
			if granted(string(aAudit), su.Name) || !granted(string(aAudit), "alice") {
				t.Fatalf("tenant-a's audit:\n%s", aAudit)
			}
			if !refuse && !granted(string(defAudit), su.Name) {
				t.Fatalf("the default site's audit lacks its superuser's grants:\n%s", defAudit)
			}
			if refuse && !strings.Contains(string(defAudit), `"event.action":"tampered_request"`) {
				t.Fatalf("the refused host is not audited:\n%s", defAudit)
			}
		})
	}
}

// granted reports whether an audit log has an access_granted record of user.
func granted(log, user string) bool {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"event.action":"access_granted"`) && strings.Contains(line, `"user.name":"`+user+`"`) {
			return true
		}
	}
	return false
}

// TestSiteCertificates: a site with its own certificate gets it for its
// TLS server name, and a new one when its files change; other names get
// the listener's. A request whose Host belongs to another certificate than
// its connection's server name is refused with 421 and audited as
// tampered_request by the default site's trail, never served by the site
// the Host names.
func TestSiteCertificates(t *testing.T) {
	up := newEchoUpstream(t)
	o, su := superuserOpts(t, up.URL)
	o.TLS = true
	siteCA := newCert(t, "e2e site CA", nil, true, 1)
	o.ExtraConfig = "sites:\n  - name: tenant-a\n    hosts: [\"a.e2e.test\"]\n" +
		"    tls: {cert_file: a.crt, key_file: a.key}\n" +
		"    upstream:\n      nodes: [\"" + up.URL + "\"]\n      health_check: {interval: 200ms, timeout: 1s}\n" +
		"    security:\n      users: users_a\n      users_roles: users_roles_a\n      roles: roles_a.yml\n" +
		"    audit:\n      file: audit-a.json\n"
	var dir string
	writeSiteCert := func(serial int64) {
		c := newCert(t, "a.e2e.test", siteCA, false, serial, "a.e2e.test")
		writeFile(t, filepath.Join(dir, "a.key"), string(c.KeyPEM))
		writeFile(t, filepath.Join(dir, "a.crt"), string(c.CertPEM))
	}
	p := startProxyWith(t, o, func(d string) string {
		dir = d
		writeSiteCert(501)
		writeFile(t, filepath.Join(d, "users_a"), "alice:"+su.Password+"\n")
		writeFile(t, filepath.Join(d, "users_roles_a"), "superuser:alice\n")
		writeFile(t, filepath.Join(d, "roles_a.yml"), "")
		return ""
	})
	p.waitReady()
	pool := x509.NewCertPool()
	pool.AddCert(p.CA.Cert)
	pool.AddCert(siteCA.Cert)
	// send makes one request on a new connection made for serverName.
	send := func(serverName, host, user string) (result, int64) {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName}, ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", p.URL+"/", nil)
		req.Host = host
		req.SetBasicAuth(user, su.Password)
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("server name %q, Host %q: %v", serverName, host, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return result{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}

	if r, serial := send("a.e2e.test", "a.e2e.test", "alice"); r.Status != 200 || serial != 501 {
		t.Fatalf("tenant-a by its name: %d (certificate %d) %s", r.Status, serial, r.Body)
	}
	if r, serial := send("127.0.0.1", "127.0.0.1", su.Name); r.Status != 200 || serial != 100 {
		t.Fatalf("the default site: %d (certificate %d) %s", r.Status, serial, r.Body)
	}
	// Connections made for one certificate, requests for the other's host.
	var refused []string
	for _, tc := range [][3]string{{"a.e2e.test", "127.0.0.1", su.Name}, {"127.0.0.1", "a.e2e.test", "alice"}, {"localhost", "a.e2e.test", "alice"}} {
		r, _ := send(tc[0], tc[1], tc[2])
		if r.Status != 421 || !strings.Contains(r.Body, "is not served on a connection made for") {
			t.Fatalf("server name %q, Host %q: %d %s, want 421", tc[0], tc[1], r.Status, r.Body)
		}
		refused = append(refused, r.Header.Get("X-Request-Id"))
	}
	defAudit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, id := range refused {
		if !strings.Contains(string(defAudit), `"event.action":"tampered_request"`) || !strings.Contains(string(defAudit), `"request.id":"`+id+`"`) {
			t.Fatalf("421 with request id %s not audited as tampered_request:\n%s", id, defAudit)
		}
	}
	if aAudit, _ := os.ReadFile(filepath.Join(p.Dir, "audit-a.json")); strings.Count(string(aAudit), `"event.action":"access_granted"`) != 1 {
		t.Fatalf("tenant-a served more than its one request:\n%s", aAudit)
	}
	// Metrics carry the site: tenant-a's one request is counted under its name.
	if v := p.metricValue(t, `portcullis_requests_total{code="200",decision="allow",method="GET",route="root",site="tenant-a"}`); v != 1 {
		t.Fatalf("tenant-a's requests in the metrics: %v, want 1", v)
	}
	if v := p.metricValue(t, `portcullis_audit_records_total{site="tenant-a"}`); v < 1 {
		t.Fatalf("tenant-a's audit records in the metrics: %v", v)
	}

	// A new certificate in the site's files is served to new connections.
	writeSiteCert(502)
	if !eventually(10*time.Second, func() bool {
		_, serial := send("a.e2e.test", "a.e2e.test", "alice")
		return serial == 502
	}) {
		t.Fatal("the site's new certificate was never served")
	}
}
