// Package browser is the end-to-end test of the browser login: a real
// headless Chromium (Debian's chromium, driven over the DevTools protocol
// by chromedp) logs in through the real proxy binary at a real OpenID
// provider (Dex), against a small upstream stand-in, with sessions in
// memory or in a real Redis shared by two proxy replicas.
//
// It is a separate module so that the product's go.mod does not depend on
// chromedp. scripts/e2e.sh runs it; by hand:
//
//	DEX_PORT=5571 DEX_TELEMETRY_PORT=5572 DEX_ID_TOKENS_EXPIRY=20s scripts/dex.sh start
//	scripts/redis.sh start
//	cd test/browser && BROWSER_DEX_ISSUER=http://127.0.0.1:5571/dex BROWSER_DEX_TOKEN_TTL=20s \
//	    REDIS_ADDR=127.0.0.1:6391 go test -count=1 ./
//
// Environment: BROWSER_DEX_ISSUER (a Dex rendered from test/oidc/dex.yaml.tmpl,
// whose client portcullis-web lists the redirect URIs on ports 18451-18456),
// BROWSER_DEX_TOKEN_TTL (that Dex's expiry.idTokens), REDIS_ADDR (the
// replica tests; scripts/redis.sh with REDIS_PORT stops and restarts it for
// the Redis-down test), CHROMIUM (default /usr/bin/chromium). Without Dex
// or Chromium the tests skip, unless BROWSER_E2E_REQUIRED=1.
//
// Ports: proxies on 18451-18456 (fixed: they are registered at Dex).
package browser
