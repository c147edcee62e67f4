package upstream

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
)

// headerRule is one entry of the strip table. Names are normalized: lower
// case with '_' replaced by '-', because some servers treat X_Forwarded_User
// like X-Forwarded-User; every incoming header name is normalized the same
// way before matching.
type headerRule struct {
	name   string
	prefix bool // match every header whose normalized name starts with name
	why    string
}

// strippedHeaders lists the request headers never forwarded to the cluster.
// The cluster has no security of its own, so any header that could carry an
// identity, a credential, a privilege or a client address it might trust is
// removed. The proxy then sets its own X-Forwarded-For/-Proto/-Host and
// Forwarded, and its own Authorization when upstream credentials are
// configured. It is read-only.
//
// Deliberately kept: X-Opaque-Id, traceparent/tracestate, Cookie (Elasticsearch
// ignores cookies; a cookie is only meaningful to the proxy's own session
// handling) and X-Elastic-Product-Origin (Kibana needs it for system
// indices; which indices a caller may touch is decided by authorization
// before forwarding).
var strippedHeaders = []headerRule{
	// Credentials meant for the proxy, not the cluster.
	{"authorization", false, "client credentials are for the proxy (unless PassAuthorization)"},
	{"proxy-authorization", false, "credentials for a proxy"},
	{"es-secondary-authorization", false, "Elasticsearch secondary credentials"},
	{"es-client-authentication", false, "JWT realm client shared secret"},
	{"x-api-key", false, "credential"},
	{"x-auth-token", false, "credential"},
	{"x-access-token", false, "credential"},
	{"x-id-token", false, "credential"},
	{"x-amz-security-token", false, "AWS session credential"},

	// Impersonation and security internals of Elasticsearch / OpenSearch.
	{"es-security-", true, "Elasticsearch security headers, e.g. es-security-runas-user"},
	{"-xpack-security-", true, "Elasticsearch internal security context"},
	{"xpack-security-", true, "Elasticsearch internal security context"},
	{"x-elastic-internal-origin", false, "unlocks internal APIs"},
	{"securitytenant", false, "OpenSearch tenant selection"},
	{"security-tenant", false, "OpenSearch tenant selection (legacy spelling)"},
	{"-opendistro-security", true, "OpenSearch internal security context"},
	{"opendistro-security", true, "OpenSearch internal security context"},
	{"-opensearch-security", true, "OpenSearch internal security context"},
	{"opensearch-security", true, "OpenSearch internal security context"},

	// Identities asserted by authenticating proxies.
	{"x-forwarded-", true, "oauth2-proxy style identity (X-Forwarded-User, -Email, -Groups, -Preferred-Username…) and client-supplied forwarding data; the proxy sets its own X-Forwarded-For/-Proto/-Host"},
	{"forwarded", false, "client-supplied forwarding data; replaced by the proxy's own"},
	{"x-auth-request-", true, "oauth2-proxy identity"},
	{"x-proxy-", true, "OpenSearch proxy authentication (x-proxy-user, x-proxy-roles)"},
	{"x-remote-", true, "Apache-style identity (X-Remote-User, X-Remote-Group)"},
	{"remote-user", false, "identity"},
	{"x-user", false, "identity"},
	{"x-user-", true, "identity (X-User-Id, X-User-Email…)"},
	{"x-username", false, "identity"},
	{"x-email", false, "identity"},
	{"x-groups", false, "identity"},
	{"x-roles", false, "identity"},
	{"x-webauth-", true, "auth-proxy identity (X-WEBAUTH-USER)"},
	{"x-authenticated-", true, "auth-proxy identity"},
	{"x-consumer-", true, "API gateway identity"},
	{"x-ms-client-principal", true, "Azure App Service identity"},
	{"x-ms-token-", true, "Azure App Service tokens"},
	{"x-amzn-oidc-", true, "AWS ALB identity"},
	{"x-goog-authenticated-user-", true, "Google IAP identity"},
	{"x-goog-iap-jwt-assertion", false, "Google IAP identity"},
	{"cf-access-", true, "Cloudflare Access identity"},

	// Client certificates relayed by TLS terminators.
	{"x-client-cert", true, "client certificate"},
	{"x-client-verify", false, "client certificate verification result"},
	{"x-ssl-", true, "client certificate (X-SSL-Client-Cert, -DN, -Verify)"},
	{"ssl-client-", true, "client certificate"},

	// Client addresses, which IP-based rules might trust.
	{"x-real-ip", false, "client address"},
	{"true-client-ip", false, "client address"},
	{"x-client-ip", false, "client address"},
	{"x-cluster-client-ip", false, "client address"},
	{"x-originating-ip", false, "client address"},
	{"cf-connecting-ip", false, "client address"},
	{"fastly-client-ip", false, "client address"},

	// Method and path overrides: the cluster must execute exactly what was
	// authorized.
	{"x-http-method-override", false, "method override"},
	{"x-http-method", false, "method override"},
	{"x-method-override", false, "method override"},
	{"x-original-", true, "method, URL or address override (X-Original-URL…)"},
	{"x-rewrite-url", false, "URL override"},

	// Hop-by-hop and upgrade headers. ReverseProxy removes the standard
	// ones and those listed in Connection; these entries also catch
	// underscore spellings, and stop the protocol upgrades ReverseProxy
	// would otherwise re-add: a tunnel would bypass authorization.
	{"connection", false, "hop-by-hop"},
	{"upgrade", false, "protocol upgrades are never relayed"},
	{"http2-settings", false, "h2c upgrade"},
	{"keep-alive", false, "hop-by-hop"},
	{"proxy-connection", false, "hop-by-hop"},
	{"transfer-encoding", false, "hop-by-hop"},
	{"trailer", false, "hop-by-hop; request trailers are dropped"},
}

// headerPolicy applies the strip table and injects upstream credentials.
type headerPolicy struct {
	exact    map[string]bool
	prefixes []string
	// authorization is the Authorization value injected upstream; empty
	// when no credentials are configured.
	authorization string
}

func newHeaderPolicy(cfg Config) *headerPolicy {
	h := &headerPolicy{exact: make(map[string]bool), authorization: upstreamAuthorization(cfg)}
	for _, r := range strippedHeaders {
		switch {
		case r.name == "authorization" && cfg.PassAuthorization:
			// forwarded unchanged
		case r.prefix:
			h.prefixes = append(h.prefixes, r.name)
		default:
			h.exact[r.name] = true
		}
	}
	return h
}

// upstreamAuthorization returns the Authorization value for the configured
// upstream credentials, or "".
func upstreamAuthorization(cfg Config) string {
	switch {
	case cfg.Username != "":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password))
	case cfg.APIKey != "":
		key := strings.TrimSpace(cfg.APIKey)
		if len(key) > len("apikey ") && strings.EqualFold(key[:len("apikey ")], "apikey ") {
			key = strings.TrimSpace(key[len("apikey "):])
		}
		return "ApiKey " + key
	}
	return ""
}

// stripped reports whether the header named key must not reach the cluster.
func (h *headerPolicy) stripped(key string) bool {
	var buf [64]byte
	k := normalizeHeaderName(buf[:0], key)
	if h.exact[string(k)] {
		return true
	}
	for _, p := range h.prefixes {
		if len(k) >= len(p) && string(k[:len(p)]) == p {
			return true
		}
	}
	return false
}

// normalizeHeaderName appends key to dst in lower case with '_' as '-'.
func normalizeHeaderName(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		dst = append(dst, c)
	}
	return dst
}

// apply rewrites the outbound request's headers: strip, then set the
// proxy's own forwarding headers, then inject credentials. Request trailers
// are dropped: Elasticsearch has no use for them and they would smuggle
// headers past this table.
func (h *headerPolicy) apply(pr *httputil.ProxyRequest) {
	hdr := pr.Out.Header
	for k := range hdr {
		if h.stripped(k) {
			delete(hdr, k)
		}
	}
	pr.Out.Trailer = nil
	pr.SetXForwarded() // replaces, since ReverseProxy and the table removed any client values
	setForwarded(pr)
	if h.authorization != "" {
		hdr.Set("Authorization", h.authorization)
	}
}

// setForwarded sets an RFC 7239 Forwarded header from the real peer.
func setForwarded(pr *httputil.ProxyRequest) {
	ip, _, err := net.SplitHostPort(pr.In.RemoteAddr)
	if err != nil {
		return
	}
	if strings.Contains(ip, ":") {
		ip = `"[` + ip + `]"`
	}
	proto := "http"
	if pr.In.TLS != nil {
		proto = "https"
	}
	pr.Out.Header.Set("Forwarded", "for="+ip+";proto="+proto)
}

// injectCredentials sets the upstream credentials on a request the proxy
// makes itself (health checks).
func (h *headerPolicy) injectCredentials(r *http.Request) {
	if h.authorization != "" {
		r.Header.Set("Authorization", h.authorization)
	}
}
