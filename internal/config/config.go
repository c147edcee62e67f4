// Package config defines Portcullis's configuration file: its schema, the
// expansion of ${VAR} references, and validation that reports every problem
// as file:line. Unknown keys are errors: a typo in a security setting must
// never silently fall back to a default.
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	// Listen is the address of the client-facing listener, e.g. "0.0.0.0:9243".
	Listen string `yaml:"listen"`
	// InsecureHTTP allows serving plain HTTP (no tls section). Local development only.
	InsecureHTTP bool     `yaml:"insecure_http"`
	TLS          TLS      `yaml:"tls"`
	Upstream     Upstream `yaml:"upstream"`
	Security     Security `yaml:"security"`
	Audit        Audit    `yaml:"audit"`
	Metrics      Metrics  `yaml:"metrics"`
	Server       Server   `yaml:"server"`
	Log          Log      `yaml:"log"`

	// File is the path the configuration was read from (not part of the file).
	File string `yaml:"-"`
	// lines maps dotted key paths ("upstream.nodes") to their line in File.
	lines map[string]int
}

// TLS configures TLS termination on the client-facing listener.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// MinVersion is "1.2" (default) or "1.3".
	MinVersion string `yaml:"min_version"`
	// ClientCAFile holds the CAs that client certificates must chain to.
	ClientCAFile string `yaml:"client_ca_file"`
	// ClientAuthentication is Elastic's setting of the same name:
	// "none" (default), "optional" or "required".
	ClientAuthentication string `yaml:"client_authentication"`
	// ReloadInterval is how often certificate files are checked for changes.
	ReloadInterval time.Duration `yaml:"reload_interval"`
}

// Upstream configures the cluster behind the proxy.
type Upstream struct {
	Nodes              []string `yaml:"nodes"`
	CAFile             string   `yaml:"ca_file"`
	ClientCertFile     string   `yaml:"client_cert_file"`
	ClientKeyFile      string   `yaml:"client_key_file"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify"`
	// Username and Password are injected as Basic credentials upstream,
	// for clusters that run their own security.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// APIKey is injected as "Authorization: ApiKey <APIKey>" instead.
	APIKey string `yaml:"api_key"`
	// PassAuthorization forwards the client's own Authorization header.
	PassAuthorization   bool        `yaml:"pass_authorization"`
	Timeouts            Timeouts    `yaml:"timeouts"`
	MaxIdleConnsPerHost int         `yaml:"max_idle_conns_per_host"`
	HealthCheck         HealthCheck `yaml:"health_check"`
	// MaxRequestBodyBytes bounds request bodies; larger ones get 413.
	MaxRequestBodyBytes int64 `yaml:"max_request_body_bytes"`
}

// Timeouts bound each phase of talking to the cluster.
type Timeouts struct {
	Dial           time.Duration `yaml:"dial"`
	ResponseHeader time.Duration `yaml:"response_header"`
	Idle           time.Duration `yaml:"idle"`
}

// HealthCheck configures active health checks of the nodes.
type HealthCheck struct {
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
}

// Security names Elastic's security files.
type Security struct {
	Users          string        `yaml:"users"`
	UsersRoles     string        `yaml:"users_roles"`
	Roles          string        `yaml:"roles"`
	RoleMapping    string        `yaml:"role_mapping"`
	ReloadInterval time.Duration `yaml:"reload_interval"`
	AuthCache      AuthCache     `yaml:"auth_cache"`
	LoginRateLimit RateLimit     `yaml:"login_rate_limit"`
	OIDC           OIDC          `yaml:"oidc"`
}

// OIDC configures bearer-token (JWT) authentication against OpenID
// providers, like Elastic's oidc/jwt realms.
type OIDC struct {
	Enabled bool `yaml:"enabled"`
	// RealmName is realm.name in role mappings; RealmType is oidc or jwt.
	RealmName string `yaml:"realm_name"`
	RealmType string `yaml:"realm_type"`
	// Issuers are discovered (/.well-known/openid-configuration); a token's
	// iss must be one of them and its aud must contain one of Audiences.
	Issuers           []string      `yaml:"issuers"`
	Audiences         []string      `yaml:"audiences"`
	AllowedAlgorithms []string      `yaml:"allowed_algorithms"`
	AllowedClockSkew  time.Duration `yaml:"allowed_clock_skew"`
	Claims            OIDCClaims    `yaml:"claims"`
	ClaimPatterns     struct {
		Principal string `yaml:"principal"`
	} `yaml:"claim_patterns"`
	// ClientSharedSecret requires "ES-Client-Authentication: SharedSecret <s>".
	ClientSharedSecret string `yaml:"client_shared_secret"`
	// RoleMapping is a file of Elastic role mappings (API format or
	// role_mapping.yml), reloaded with the other security files.
	RoleMapping string `yaml:"role_mapping"`
	Cache       struct {
		Size int           `yaml:"size"`
		TTL  time.Duration `yaml:"ttl"`
	} `yaml:"cache"`
}

// OIDCClaims names the claims a principal is built from.
type OIDCClaims struct {
	Principal string `yaml:"principal"`
	Groups    string `yaml:"groups"`
	Mail      string `yaml:"mail"`
	Name      string `yaml:"name"`
	DN        string `yaml:"dn"`
}

// AuthCache configures the credential cache (Elastic: cache.ttl, cache.max_users).
type AuthCache struct {
	TTL      time.Duration `yaml:"ttl"`
	MaxUsers int           `yaml:"max_users"`
}

// RateLimit configures throttling of failed logins.
type RateLimit struct {
	// MaxFailures per source address and per username within Window; 0 disables.
	MaxFailures int           `yaml:"max_failures"`
	Window      time.Duration `yaml:"window"`
}

// Audit configures the audit trail (Elastic's xpack.security.audit.* settings).
type Audit struct {
	// File is the active audit log; rotated files are written beside it.
	File string `yaml:"file"`
	// NodeID is written as node.id (default: the host name).
	NodeID string `yaml:"node_id"`
	// Include and Exclude are events.include/exclude (event.action names).
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// EmitRequestBody writes request.body, with credentials redacted.
	EmitRequestBody bool `yaml:"emit_request_body"`
	// IgnoreFilters are events.ignore_filters policies by name.
	IgnoreFilters map[string]AuditIgnoreFilter `yaml:"ignore_filters"`
	// OnFailure is "deny" (default: refuse with 503 when the log cannot be
	// written) or "allow" (forward anyway and count it).
	OnFailure string      `yaml:"on_failure"`
	Rotate    AuditRotate `yaml:"rotate"`
	// HMACKeyFile turns the record hash chain into an HMAC chain.
	HMACKeyFile string `yaml:"hmac_key_file"`
	// Stdout copies committed records to standard output.
	Stdout bool       `yaml:"stdout"`
	Index  AuditIndex `yaml:"index"`
}

// AuditIgnoreFilter is one ignore policy: it matches when all its filters do.
type AuditIgnoreFilter struct {
	Users   []string `yaml:"users"`
	Realms  []string `yaml:"realms"`
	Roles   []string `yaml:"roles"`
	Indices []string `yaml:"indices"`
	Actions []string `yaml:"actions"`
}

// AuditRotate is rotation and retention of the audit log.
type AuditRotate struct {
	MaxBytes int64         `yaml:"max_bytes"`
	Interval time.Duration `yaml:"interval"`
	MaxFiles int           `yaml:"max_files"`
	MaxAge   time.Duration `yaml:"max_age"`
	Compress bool          `yaml:"compress"`
}

// AuditIndex ships committed records into a cluster index.
type AuditIndex struct {
	URL           string        `yaml:"url"`
	IndexPattern  string        `yaml:"index_pattern"`
	Username      string        `yaml:"username"`
	Password      string        `yaml:"password"`
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	CursorFile    string        `yaml:"cursor_file"`
}

// Metrics configures the operations listener (/metrics, /healthz, /readyz).
type Metrics struct {
	Listen string `yaml:"listen"`
	// Pprof serves Go's /debug/pprof/ profiles on the same listener (off by
	// default: profiles reveal internals; keep this listener private).
	Pprof bool `yaml:"pprof"`
}

// Server holds client-side timeouts and shutdown behaviour.
type Server struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// Line returns the line of the dotted key path in the file, or 0.
func (c *Config) Line(path string) int { return c.lines[path] }
