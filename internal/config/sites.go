package config

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// Site is one tenant of an edge gateway: requests whose Host is one of
// Hosts are authenticated, authorized, audited and forwarded with the
// site's own upstream, security and audit sections (the same schema as the
// top-level ones, which form the default site), and optionally presented
// with its own certificate. The listener, the TLS settings, metrics,
// server and log settings are shared.
type Site struct {
	// Name identifies the site in logs and problems.
	Name string `yaml:"name"`
	// Hosts are the host names (without port, case-insensitive) routed to
	// the site; "*.example.com" matches every subdomain of example.com.
	Hosts []string `yaml:"hosts"`
	// TLS is the site's own certificate (optional; default: the
	// listener's), served to connections whose TLS server name is one of
	// Hosts.
	TLS      SiteTLS  `yaml:"tls"`
	Upstream Upstream `yaml:"upstream"`
	Security Security `yaml:"security"`
	Audit    Audit    `yaml:"audit"`
}

// SiteTLS is a site's own certificate. The TLS version, cipher suites and
// client-certificate settings are the listener's (tls:).
type SiteTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// UnknownHostRefuse is the value of unknown_hosts that refuses requests for
// hosts no site lists.
const UnknownHostRefuse = "refuse"

// SiteConfig returns the configuration of site i as a whole Config: the
// shared sections of c with the site's upstream, security and audit. Its
// problems are reported at the site's lines.
func (c *Config) SiteConfig(i int) *Config {
	sc := *c
	s := c.Sites[i]
	sc.Upstream, sc.Security, sc.Audit = s.Upstream, s.Security, s.Audit
	sc.Sites = nil
	sc.linePrefix = fmt.Sprintf("sites.%d.", i)
	return &sc
}

// applySiteDefaults fills each site's sections as the top-level ones.
func (c *Config) applySiteDefaults() {
	for i := range c.Sites {
		sc := c.SiteConfig(i)
		sc.applyDefaults()
		c.Sites[i].Upstream, c.Sites[i].Security, c.Sites[i].Audit = sc.Upstream, sc.Security, sc.Audit
	}
}

// resolveSitePaths makes each site's file paths relative to dir.
func (c *Config) resolveSitePaths(dir string) {
	for i := range c.Sites {
		sc := c.SiteConfig(i)
		sc.resolvePaths(dir)
		c.Sites[i].Upstream, c.Sites[i].Security, c.Sites[i].Audit = sc.Upstream, sc.Security, sc.Audit
		for _, p := range []*string{&c.Sites[i].TLS.CertFile, &c.Sites[i].TLS.KeyFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
}

// validateSites checks every site as a configuration of its own, then what
// sites must not share: host names, names, audit files.
func (c *Config) validateSites() diag.Problems {
	var probs diag.Problems
	v := validator{cfg: c}
	switch c.UnknownHosts {
	case "", "default", UnknownHostRefuse:
	default:
		v.errorf("unknown_hosts", "unknown_hosts: %q: default or refuse", c.UnknownHosts)
	}
	seenHost, seenName := map[string]string{}, map[string]bool{}
	audits := map[string]string{filepath.Clean(c.Audit.File): "the default site"}
	// What a site's users make through the APIs (keys, users, roles,
	// mappings, privileges) and the key binding its cursors belong to that
	// site: a file shared by two sites would carry them to the other.
	var owned []ownedFile
	own := func(where, settingKey, setting, f string) {
		if f == "" {
			return
		}
		o := ownedFile{where: where, setting: setting, path: filepath.Clean(f)}
		o.info, _ = os.Stat(o.path) // a file not made yet is compared by path
		for _, prev := range owned {
			if prev.sameFile(o) {
				v.errorf(settingKey, "%s: %s %s is also the %s of %s (one file cannot serve two stores; what one site's users make would reach the other)", where, setting, f, prev.setting, prev.where)
			}
		}
		owned = append(owned, o)
	}
	for setting, f := range siteOwnedFiles(c.Security) {
		own("the default site", setting, setting, f)
	}
	stores := map[string]string{}
	if s := sessionStore(c.Security); s != "" {
		stores[s] = "the default site"
	}
	if p := c.Security.PKI; p.Enabled && p.CertificateAuthorities == "" {
		v.errorf("security.pki", "security.pki.certificate_authorities is required when several sites share the listener (its client CAs are every tenant's)")
	}
	for i, s := range c.Sites {
		key := fmt.Sprintf("sites.%d", i)
		name := s.Name
		switch {
		case name == "":
			v.errorf(key, "sites[%d]: a name is required", i)
			name = fmt.Sprintf("#%d", i)
		case seenName[name]:
			v.errorf(key+".name", "sites[%d]: the name %q is used twice", i, name)
		}
		seenName[name] = true
		if len(s.Hosts) == 0 {
			v.errorf(key, "site %s: hosts: at least one host name is required", name)
		}
		for _, h := range s.Hosts {
			canon := strings.ToLower(h)
			switch {
			case !isASCII(canon):
				v.errorf(key+".hosts", "site %s: hosts: %q is not an ASCII host name: write an internationalized name in its xn-- (punycode) form, the one clients send", name, h)
			case !validSiteHost(canon):
				v.errorf(key+".hosts", "site %s: hosts: %q is not a host name (no port, scheme or path; * only as a leading label)", name, h)
			}
			if other, dup := seenHost[canon]; dup {
				v.errorf(key+".hosts", "site %s: host %q is also listed by site %s", name, h, other)
			}
			seenHost[canon] = name
		}
		for setting, f := range siteOwnedFiles(s.Security) {
			own("site "+name, key+"."+setting, setting, f)
		}
		if store := sessionStore(s.Security); store != "" {
			if other, dup := stores[store]; dup {
				v.errorf(key+".security.sessions.redis", "site %s: its sessions share Redis address, db and key_prefix with %s (a session cookie of one would log in at the other): give each site its own key_prefix", name, other)
			}
			stores[store] = "site " + name
		}
		if p := s.Security.PKI; p.Enabled && p.CertificateAuthorities == "" {
			// The listener's client CAs are every tenant's: without its own,
			// the site would take the other tenants' certificates.
			v.errorf(key+".security.pki", "site %s: security.pki.certificate_authorities is required when several sites share the listener", name)
		}
		v.siteTLS(key+".tls", name, s)
		if f := s.Security.IPFilter; len(f.Allow) > 0 || len(f.Deny) > 0 {
			v.errorf(key+".security.ip_filter", "site %s: security.ip_filter filters connections, before any Host is known: set it at the top level", name)
		}
		if f := filepath.Clean(s.Audit.File); s.Audit.File != "" {
			if other, dup := audits[f]; dup {
				v.errorf(key+".audit.file", "site %s: audit.file %s is also the audit file of %s (each trail needs its own file: its hash chain)", name, s.Audit.File, other)
			}
			audits[f] = "site " + name
		}
		sv := validator{cfg: c.SiteConfig(i)}
		sv.siteSections()
		for _, p := range sv.probs {
			p.Message = "site " + name + ": " + p.Message
			probs = append(probs, p)
		}
	}
	return append(v.probs, probs...)
}

// siteTLS checks a site's own certificate: both files, loadable as a
// pair, not expired, and (a warning) covering the site's host names.
func (v *validator) siteTLS(key, name string, s Site) {
	t := s.TLS
	if t.CertFile == "" && t.KeyFile == "" {
		return
	}
	if v.cfg.InsecureHTTP {
		v.errorf(key, "site %s: tls needs TLS, but insecure_http is true", name)
		return
	}
	if t.CertFile == "" || t.KeyFile == "" {
		v.errorf(key, "site %s: tls.cert_file and tls.key_file go together", name)
		return
	}
	before := len(v.probs)
	v.readable(key+".cert_file", t.CertFile)
	v.readable(key+".key_file", t.KeyFile)
	if len(v.probs) > before {
		return
	}
	pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		v.errorf(key, "site %s: tls: certificate %s with key %s: %v", name, t.CertFile, t.KeyFile, err)
		return
	}
	leaf := pair.Leaf
	if time.Now().After(leaf.NotAfter) {
		v.errorf(key+".cert_file", "site %s: tls.cert_file %s expired on %s", name, t.CertFile, leaf.NotAfter.Format(time.RFC3339))
	}
	for _, h := range s.Hosts {
		probe := strings.ToLower(h)
		if rest, ok := strings.CutPrefix(probe, "*."); ok {
			probe = "portcullis-check." + rest // any one subdomain
		}
		if leaf.VerifyHostname(probe) != nil {
			v.warnf(key+".cert_file", "site %s: tls.cert_file %s does not cover host %q: clients verifying it will refuse the connection", name, t.CertFile, h)
		}
	}
}

// ownedFile is a file one site's store owns.
type ownedFile struct {
	where, setting, path string
	info                 os.FileInfo
}

// sameFile reports whether two owned files are one: the same path, or
// (through links) the same file on disk.
func (a ownedFile) sameFile(b ownedFile) bool {
	return a.path == b.path || a.info != nil && b.info != nil && os.SameFile(a.info, b.info)
}

// siteOwnedFiles are the settings naming files that belong to one site.
func siteOwnedFiles(s Security) map[string]string {
	return map[string]string{
		"security.api_keys.file": s.APIKeys.File, "security.native_users": s.NativeUsers,
		"security.native_roles": s.NativeRoles, "security.native_role_mappings": s.NativeRoleMappings,
		"security.application_privileges": s.ApplicationPrivileges, "security.dls_fls.cursor_key_file": s.DLSFLS.CursorKeyFile,
		"security.user_profiles":                 s.UserProfiles,
		"security.sessions.encryption_keys_file": sessionKeysFile(s),
	}
}

// sessionKeysFile is the file sealing a site's browser sessions, when it
// has them: a site whose login is off owns none.
func sessionKeysFile(s Security) string {
	if !s.OIDC.Login.Enabled {
		return ""
	}
	return s.Sessions.EncryptionKeysFile
}

// sessionStore names where a site's browser sessions live in Redis (""
// without a Redis store): two sites must not share one, or a session
// cookie of one would log in at the other.
func sessionStore(s Security) string {
	if !s.OIDC.Login.Enabled || s.Sessions.Store != "redis" {
		return ""
	}
	r := s.Sessions.Redis
	return fmt.Sprintf("redis://%s/%d/%s", r.Address, r.DB, r.KeyPrefix)
}

// validSiteHost accepts a lower-case ASCII host name or "*." followed by
// one. Clients send internationalized names in their xn-- form: a Unicode
// spelling could never match a request.
func validSiteHost(h string) bool {
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 || strings.ContainsAny(h, ":/*@ ") || !isASCII(h) {
		return false
	}
	return !slices.Contains(strings.Split(h, "."), "")
}

// isASCII reports whether s has printable ASCII bytes only.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
