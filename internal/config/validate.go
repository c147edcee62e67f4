package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/ipfilter"
)

// Validate checks values and the files they name, reporting each problem at
// the line of the offending key.
func (c *Config) Validate() diag.Problems {
	v := validator{cfg: c}
	v.listener()
	v.tls()
	v.siteSections()
	v.server()
	v.metrics()
	if len(c.Sites) > 0 {
		v.probs = append(v.probs, c.validateSites()...)
	}
	return v.probs
}

// siteSections checks the sections each site has of its own.
func (v *validator) siteSections() {
	v.upstream()
	v.security()
	v.browserLogin()
	v.introspection()
	v.authentication()
	v.pki()
	v.realmNames()
	v.audit()
}

// server checks the listener-wide limits.
func (v *validator) server() {
	sv, u := v.cfg.Server, v.cfg.Upstream
	if sv.MaxInFlightBodyBytes > 0 && sv.MaxInFlightBodyBytes < u.MaxRequestBodyBytes {
		v.errorf("server.max_in_flight_body_bytes", "server.max_in_flight_body_bytes (%d) must be at least upstream.max_request_body_bytes (%d): a body of the largest size could never be accepted",
			sv.MaxInFlightBodyBytes, u.MaxRequestBodyBytes)
	}
	if f := sv.GCHeapFloorBytes; f != -1 && f < 4<<20 {
		v.errorf("server.gc_heap_floor_bytes", "server.gc_heap_floor_bytes: %d: must be -1 (off) or at least 4194304 (Go never collects below 4 MiB)", f)
	}
}

type validator struct {
	cfg   *Config
	probs diag.Problems
}

func (v *validator) errorf(key, format string, args ...any) {
	v.probs.Errorf(v.cfg.File, v.line(key), format, args...)
}

func (v *validator) warnf(key, format string, args ...any) {
	v.probs.Warnf(v.cfg.File, v.line(key), format, args...)
}

// line finds the line of key, or of its closest parent present in the file.
func (v *validator) line(key string) int {
	for k := key; k != ""; k = parentKey(k) {
		if l := v.cfg.Line(k); l > 0 {
			return l
		}
	}
	return 0
}

func parentKey(k string) string {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == '.' {
			return k[:i]
		}
	}
	return ""
}

func (v *validator) listener() {
	c := v.cfg
	if c.Listen == "" {
		v.errorf("listen", "listen: an address is required (e.g. \"127.0.0.1:9243\")")
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.errorf("listen", "listen: %v", err)
	}
	if c.InsecureHTTP && (c.TLS.CertFile != "" || c.TLS.KeyFile != "") {
		v.errorf("insecure_http", "insecure_http: true cannot be combined with tls.cert_file/tls.key_file")
	}
}

func (v *validator) tls() {
	t := v.cfg.TLS
	if v.cfg.InsecureHTTP {
		if t.ClientAuthentication != "none" {
			v.errorf("tls.client_authentication", "tls.client_authentication needs TLS, but insecure_http is true")
		}
		return
	}
	if t.CertFile == "" || t.KeyFile == "" {
		v.errorf("tls", "tls.cert_file and tls.key_file are required (or set insecure_http: true for local development)")
	}
	v.readable("tls.cert_file", t.CertFile)
	v.readable("tls.key_file", t.KeyFile)
	if t.MinVersion != "1.2" && t.MinVersion != "1.3" {
		v.errorf("tls.min_version", "tls.min_version must be \"1.2\" or \"1.3\", not %q", t.MinVersion)
	}
	switch t.ClientAuthentication {
	case "none":
	case "optional", "required":
		if t.ClientCAFile == "" {
			v.errorf("tls.client_authentication", "tls.client_authentication %q needs tls.client_ca_file", t.ClientAuthentication)
		}
	default:
		v.errorf("tls.client_authentication", "tls.client_authentication must be none, optional or required, not %q", t.ClientAuthentication)
	}
	v.readable("tls.client_ca_file", t.ClientCAFile)
}

func (v *validator) upstream() {
	u := v.cfg.Upstream
	if len(u.Nodes) == 0 {
		v.errorf("upstream.nodes", "upstream.nodes: at least one node URL is required")
	}
	for i, n := range u.Nodes {
		if _, err := ParseNodeURL(n); err != nil {
			v.errorf("upstream.nodes", "upstream.nodes[%d]: %v", i, err)
		}
	}
	v.readable("upstream.ca_file", u.CAFile)
	v.readable("upstream.client_cert_file", u.ClientCertFile)
	v.readable("upstream.client_key_file", u.ClientKeyFile)
	if (u.ClientCertFile == "") != (u.ClientKeyFile == "") {
		v.errorf("upstream.client_cert_file", "upstream.client_cert_file and upstream.client_key_file go together")
	}
	if (u.Username == "") != (u.Password == "") {
		v.errorf("upstream.username", "upstream.username and upstream.password go together")
	}
	if u.APIKey != "" && u.Username != "" {
		v.errorf("upstream.api_key", "upstream.api_key and upstream.username are exclusive: choose one credential")
	}
	if u.PassAuthorization && (u.APIKey != "" || u.Username != "") {
		v.errorf("upstream.pass_authorization", "upstream.pass_authorization cannot be combined with injected credentials")
	}
	if u.InsecureSkipVerify {
		v.warnf("upstream.insecure_skip_verify", "upstream.insecure_skip_verify disables verification of the cluster's certificate")
	}
	if u.MaxRequestBodyBytes < 0 {
		v.errorf("upstream.max_request_body_bytes", "upstream.max_request_body_bytes must be positive")
	}
	if u.BulkSpoolThresholdBytes < 0 {
		v.errorf("upstream.bulk_spool_threshold_bytes", "upstream.bulk_spool_threshold_bytes must be positive")
	}
	if u.SpoolDir != "" {
		if fi, err := os.Stat(u.SpoolDir); err != nil || !fi.IsDir() {
			v.errorf("upstream.spool_dir", "upstream.spool_dir %q must be an existing directory", u.SpoolDir)
		}
	}
}

// ParseNodeURL parses and checks one upstream node URL.
func ParseNodeURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q has no host", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("URL %q must not carry credentials, a query or a fragment (use upstream.username/password)", s)
	}
	return u, nil
}

func (v *validator) security() {
	s := v.cfg.Security
	for _, f := range []struct{ key, path string }{
		{"security.users", s.Users}, {"security.users_roles", s.UsersRoles}, {"security.roles", s.Roles},
	} {
		if f.path == "" {
			v.errorf(f.key, "%s: a file path is required", f.key)
		}
	}
	if o := s.OIDC; o.Enabled {
		if len(o.Issuers) == 0 || len(o.Audiences) == 0 {
			v.errorf("security.oidc", "security.oidc: issuers and audiences are required when enabled")
		}
		for _, iss := range o.Issuers {
			if u, err := url.Parse(iss); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				v.errorf("security.oidc.issuers", "security.oidc.issuers: %q is not an http(s) URL", iss)
			}
		}
		if o.RoleMapping == "" {
			v.errorf("security.oidc.role_mapping", "security.oidc.role_mapping: a role-mapping file is required (users without mapped roles can do nothing)")
		}
		v.readable("security.oidc.role_mapping", o.RoleMapping)
	}
	if s.ReloadInterval < 0 || s.AuthCache.TTL < 0 || s.AuthCache.MaxUsers < 0 || s.LoginRateLimit.MaxFailures < 0 {
		v.errorf("security", "security: intervals, TTLs and limits must not be negative")
	}
	if _, err := s.LoginRateLimit.ExemptPrefixes(); err != nil {
		v.errorf("security.login_rate_limit.exempt_addresses", "security.login_rate_limit.exempt_addresses: %v", err)
	}
	for key, f := range map[string]string{"security.application_privileges": s.ApplicationPrivileges,
		"security.api_keys.file": s.APIKeys.File, "security.native_roles": s.NativeRoles,
		"security.native_role_mappings": s.NativeRoleMappings, "security.native_users": s.NativeUsers,
		"security.user_profiles": s.UserProfiles} {
		if f == "" {
			continue
		}
		if st, err := os.Stat(filepath.Dir(f)); err != nil || !st.IsDir() {
			v.errorf(key, "%s: folder %s does not exist", key, filepath.Dir(f))
		}
	}
	if _, err := ipfilter.Parse(s.IPFilter.Allow, nil); err != nil {
		v.errorf("security.ip_filter.allow", "security.ip_filter.%v", err)
	}
	if _, err := ipfilter.Parse(nil, s.IPFilter.Deny); err != nil {
		v.errorf("security.ip_filter.deny", "security.ip_filter.%v", err)
	}
}

func (v *validator) audit() {
	a := v.cfg.Audit
	if a.File == "" {
		v.errorf("audit.file", "audit.file: a path for the audit log is required")
		return
	}
	if a.Include != nil && len(a.Include) == 0 {
		// An empty list would record no event at all: the audit trail would
		// be silently off. Omitting the key gives Elasticsearch's default.
		v.errorf("audit.include", "audit.include: an empty list records no event; omit the key for the default (every action but authentication_success) or list the actions")
	}
	if p := a.PreallocateBytes; p != 0 && p < 64<<10 {
		v.errorf("audit.preallocate_bytes", "audit.preallocate_bytes: %d: must be 0 (disabled) or at least 65536", p)
	}
	dir := filepath.Dir(a.File)
	st, err := os.Stat(dir)
	if err != nil {
		v.errorf("audit.file", "audit.file: folder %s: %v", dir, unwrapPath(err))
	} else if !st.IsDir() {
		v.errorf("audit.file", "audit.file: %s is not a folder", dir)
	}
}

func (v *validator) metrics() {
	m := v.cfg.Metrics
	if _, _, err := net.SplitHostPort(m.Listen); err != nil {
		v.errorf("metrics.listen", "metrics.listen: %v", err)
	}
	if m.Listen == v.cfg.Listen {
		v.errorf("metrics.listen", "metrics.listen must differ from listen")
	}
}

// readable reports a file that is named but cannot be read.
func (v *validator) readable(key, path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		v.errorf(key, "%s: %v", key, err)
		return
	}
	f.Close()
}
