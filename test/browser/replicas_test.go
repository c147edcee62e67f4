package browser

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// balancer is a round-robin load balancer in front of proxy replicas, as
// in production: the browser sees one site, consecutive requests land on
// different replicas.
type balancer struct {
	URL  string
	next atomic.Uint64
	hits []atomic.Int64
}

func startBalancer(t *testing.T, port int, backends ...string) *balancer {
	t.Helper()
	lb := &balancer{URL: "http://127.0.0.1:" + itoa(port), hits: make([]atomic.Int64, len(backends))}
	targets := make([]*url.URL, len(backends))
	for i, b := range backends {
		targets[i], _ = url.Parse(b)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		i := int(lb.next.Add(1)-1) % len(targets)
		lb.hits[i].Add(1)
		pr.SetURL(targets[i])
		pr.Out.Host = pr.In.Host // the site's name, as a real balancer keeps it
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:"+itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return lb
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestReplicasShareSessionsInRedis: two replicas behind a balancer share
// Redis and a key file. A login that starts on one replica finishes on the
// other; both serve the session; when the tokens expire, a burst of
// requests on both replicas makes exactly one refresh (Redis lock), seen
// by both; logout on one ends the session on the other. Then Redis goes
// down: requests with a session fail closed with a clear 503, new logins
// fail with a clear page, Basic and bearer keep working.
func TestReplicasShareSessionsInRedis(t *testing.T) {
	e := getEnv(t)
	e.requireRedis(t)
	up := newUpstream(t)
	keys := writeKeys(t)
	const lbPort = 18452
	site := "http://127.0.0.1:" + itoa(lbPort)
	cfg := proxyConfig{Issuer: e.issuer, Upstream: up.URL, Store: "redis", Redis: e.redis, KeysFile: keys, Site: site}
	cfg.Port = freePort(t)
	a := startProxy(t, cfg)
	cfg.Port = freePort(t)
	b := startProxy(t, cfg)
	lb := startBalancer(t, lbPort, a.URL, b.URL)

	br := newBrowser(t, e)
	page := site + "/logs-web/_search"
	br.open(page)
	if !br.onDexLogin() {
		t.Fatalf("not sent to Dex: at %s", br.location())
	}
	if text := br.dexLogin("alice@example.com"); !strings.Contains(text, marker) || br.location() != page {
		t.Fatalf("login through the balancer: at %s: %s", br.location(), text)
	}
	for i := 0; i < 4; i++ {
		if text := br.open(page); !strings.Contains(text, marker) {
			t.Fatalf("reload %d: %s", i, text)
		}
	}
	if lb.hits[0].Load() < 3 || lb.hits[1].Load() < 3 {
		t.Fatalf("the balancer did not spread the requests: %d / %d", lb.hits[0].Load(), lb.hits[1].Load())
	}
	token := br.cookie(site, "portcullis_session").Value
	for _, p := range []*proxy{a, b} {
		if status, si := getSession(t, p.URL, token); status != 200 || si.Username != "alice@example.com" {
			t.Fatalf("replica %s: %d %+v", p.URL, status, si)
		}
	}

	if e.tokenTTL <= time.Minute {
		_, before := getSession(t, a.URL, token)
		time.Sleep(time.Until(before.TokensExpireAt) + time.Second)
		for i, s := range burst(t, []string{a.URL, b.URL}, token, 24) {
			if s != 200 {
				t.Fatalf("request %d of the burst after expiry: %d", i, s)
			}
		}
		_, onA := getSession(t, a.URL, token)
		_, onB := getSession(t, b.URL, token)
		if onA.Refreshes != 1 || onB.Refreshes != 1 || !onA.TokensExpireAt.Equal(onB.TokensExpireAt) || !onA.TokensExpireAt.After(before.TokensExpireAt) {
			t.Fatalf("after the burst: replica a %+v, replica b %+v (before %+v); want exactly one refresh seen by both", onA, onB, before)
		}
	} else {
		t.Logf("Dex tokens live %s: the cross-replica refresh is not exercised", e.tokenTTL)
	}

	if status, _, _ := get(t, noRedirects(), "GET", b.URL+"/_portcullis/logout", map[string]string{"Cookie": "portcullis_session=" + token}); status != http.StatusFound {
		t.Fatalf("logout on b: %d", status)
	}
	if status, _ := getSession(t, a.URL, token); status != http.StatusUnauthorized {
		t.Fatalf("replica a after logout on b: %d", status)
	}

	t.Run("redis down", func(t *testing.T) { redisDown(t, e, a, site) })
}

// redisDown stops Redis (and starts it again at the end).
func redisDown(t *testing.T, e env, a *proxy, site string) {
	br := newBrowser(t, e)
	page := site + "/logs-web/_search"
	br.open(page)
	br.dexLogin("alice@example.com")
	token := br.cookie(site, "portcullis_session").Value

	redisScript(t, "stop")
	t.Cleanup(func() { redisScript(t, "start") })

	status, body, _ := get(t, noRedirects(), "GET", a.URL+"/logs-web/_search", map[string]string{"Cookie": "portcullis_session=" + token})
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "the session store is unavailable") {
		t.Fatalf("session request with Redis down: %d %s", status, body)
	}
	if text := br.open(page); !strings.Contains(text, "the session store is unavailable") {
		t.Fatalf("browser with a session, Redis down: %s", text)
	}
	fresh := newBrowser(t, e)
	fresh.open(page)
	if !fresh.onDexLogin() {
		t.Fatalf("new login with Redis down: not sent to Dex: at %s: %s", fresh.location(), fresh.bodyText())
	}
	if text := fresh.dexLogin("alice@example.com"); !strings.Contains(text, "The session store is unavailable") {
		t.Fatalf("new login with Redis down: at %s: %s", fresh.location(), text)
	}
	if fresh.cookie(site, "portcullis_session") != nil {
		t.Fatal("a session cookie was set without a session")
	}
	req, _ := http.NewRequest("GET", a.URL+"/logs-web/_search", nil)
	req.SetBasicAuth(basicUser, basicPassword)
	if resp, err := noRedirects().Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("Basic with Redis down: %v %v", resp, err)
	}
	bearer := passwordGrantToken(t, e.issuer, "alice@example.com")
	status, body, _ = get(t, noRedirects(), "GET", a.URL+"/logs-web/_search", map[string]string{"Authorization": "Bearer " + bearer})
	if status != 200 || !strings.Contains(body, marker) {
		t.Fatalf("bearer with Redis down: %d %s", status, body)
	}
}

// redisScript runs scripts/redis.sh for the Redis of REDIS_ADDR.
func redisScript(t *testing.T, action string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(getEnv(t).redis)
	cmd := exec.Command("scripts/redis.sh", action)
	cmd.Dir = "../.."
	cmd.Env = append(cmd.Environ(), "REDIS_PORT="+port)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/redis.sh %s: %v\n%s", action, err, out)
	}
}
