package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// startProxyWithServiceTokens starts a proxy whose security section also
// names a service_tokens file (empty at first) and holds extra, and
// returns the proxy, a client and the file's path.
func startProxyWithServiceTokens(t *testing.T, o proxyOpts, extra string) (*proxy, *http.Client, string) {
	t.Helper()
	var tokensFile string
	p := startProxyWith(t, o, func(dir string) string {
		tokensFile = filepath.Join(dir, "service_tokens")
		return "  service_tokens: service_tokens\n" + extra
	})
	p.waitReady()
	return p, p.client(nil), tokensFile
}

// createServiceToken appends a token of account to tokensFile with
// `proxy service-tokens create` and returns it.
func createServiceToken(t *testing.T, tokensFile, account, name string) string {
	t.Helper()
	out, err := exec.Command(proxyBin, "service-tokens", "create", "--file", tokensFile, account, name).CombinedOutput()
	m := regexp.MustCompile(`SERVICE_TOKEN ` + regexp.QuoteMeta(account+"/"+name) + ` = (AAEAAW\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("service-tokens create %s %s: %v %s", account, name, err, out)
	}
	return string(m[1])
}

// kibanaToken adds an elastic/kibana token to the proxy's service_tokens
// file and returns the headers that authenticate with it, once the proxy
// has reloaded the file.
func kibanaToken(t *testing.T, p *proxy, c *http.Client, tokensFile string) map[string]string {
	t.Helper()
	kibana := map[string]string{"Authorization": "Bearer " + createServiceToken(t, tokensFile, "elastic/kibana", "kibana-1")}
	if !eventually(10*time.Second, func() bool {
		return do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, kibana).Status == 200
	}) {
		t.Fatal("the kibana token never authenticated")
	}
	return kibana
}
