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

	// Sites are the tenants of an edge gateway, each with its own
	// upstream, security and audit, chosen by the request's Host; the
	// top-level sections are the default site.
	Sites []Site `yaml:"sites"`
	// UnknownHosts says what happens to requests for a host no site lists:
	// "default" (the default: the top-level sections serve them) or
	// "refuse" (421 Misdirected Request).
	UnknownHosts string `yaml:"unknown_hosts"`

	// File is the path the configuration was read from (not part of the file).
	File string `yaml:"-"`
	// linePrefix is prepended to key paths by Line (a site's view).
	linePrefix string
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
	// BulkSpoolThresholdBytes is the size above which a _bulk body is
	// spooled to an unlinked temporary file while it is parsed, instead of
	// being held in memory (bodies of unknown or compressed size are
	// streamed and spill to the file past this size).
	BulkSpoolThresholdBytes int64 `yaml:"bulk_spool_threshold_bytes"`
	// SpoolDir holds the spool files ("" = the system's temporary
	// directory). Files are unlinked at creation, mode 0600.
	SpoolDir string `yaml:"spool_dir"`
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
	DLSFLS         DLSFLS        `yaml:"dls_fls"`
	// Sessions configures the server-side sessions of browser logins
	// (oidc.login).
	Sessions Sessions `yaml:"sessions"`
	// Authentication says which authenticators apply, globally and per
	// site and path.
	Authentication Authentication `yaml:"authentication"`
	// IPFilter says which client addresses may connect.
	IPFilter IPFilter `yaml:"ip_filter"`
	// Anonymous lets requests without credentials in as a fixed user.
	Anonymous Anonymous `yaml:"anonymous"`
	// PKI authenticates users by their TLS client certificate.
	PKI PKI `yaml:"pki"`
	// ServiceTokens is Elasticsearch's service_tokens file: the tokens of
	// the service accounts (elastic/kibana, elastic/fleet-server…); empty
	// turns service accounts off.
	ServiceTokens string `yaml:"service_tokens"`
	// NativeRoles is the JSON file the proxy keeps the roles of the role
	// API in (PUT /_security/role/{name}); roles.yml wins on a name both
	// define. Empty turns the role API off.
	NativeRoles string `yaml:"native_roles"`
	// NativeRoleMappings is the JSON file the proxy keeps the mappings of
	// the role-mapping API in (PUT /_security/role_mapping/{name}); they
	// apply with the realms' role-mapping files. Empty turns the API off.
	NativeRoleMappings string `yaml:"native_role_mappings"`
	// NativeUsers is the JSON file the proxy keeps the native realm's users
	// in (the user API: PUT /_security/user/{name}), tried after the users
	// file. Empty turns the user API and the native realm off.
	NativeUsers string `yaml:"native_users"`
	// ApplicationPrivileges is the JSON file the proxy keeps the
	// application privileges in that applications register with PUT
	// /_security/privilege (Kibana's feature privileges); empty turns the
	// privilege APIs off.
	ApplicationPrivileges string `yaml:"application_privileges"`
	// UserProfiles is the JSON file the proxy keeps the user profiles in
	// (the /_security/profile APIs: Kibana activates one at every login);
	// empty turns the profile APIs off.
	UserProfiles string `yaml:"user_profiles"`
	// APIKeys turns on the API keys the proxy issues and authenticates.
	APIKeys APIKeys `yaml:"api_keys"`
}

// APIKeys configures Elasticsearch-style API keys (POST /_security/api_key,
// "Authorization: ApiKey …"). The proxy keeps them in File, which replicas
// may share; without File, API keys are off.
type APIKeys struct {
	File string `yaml:"file"`
}

// Anonymous is Elasticsearch's xpack.security.authc.anonymous: with roles,
// a request without any credentials runs as Username with Roles (which are
// also added to every authenticated user); AuthzException (default true)
// makes its refusals 403, false makes them 401 with a challenge.
type Anonymous struct {
	Username       string   `yaml:"username"`
	Roles          []string `yaml:"roles"`
	AuthzException *bool    `yaml:"authz_exception"`
}

// IPFilter is Elasticsearch's xpack.security.http.filter.allow and .deny:
// IP addresses, CIDR blocks or "_all". An address an allow rule matches is
// allowed even if a deny rule matches it; others are refused when a deny
// rule matches them. Reloaded on SIGHUP.
type IPFilter struct {
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`
}

// DLSFLS tunes how document- and field-level security are enforced.
type DLSFLS struct {
	// WriteCheck makes every document written through a role with DLS
	// match that role's query (beyond Elasticsearch). Default true.
	WriteCheck *bool `yaml:"write_check"`
	// MappingTTL is how long index mappings (needed by FLS) are cached.
	MappingTTL time.Duration `yaml:"mapping_ttl"`
	// CursorKeyFile holds the secret that binds scroll, point-in-time and
	// async-search ids to their owner; replicas must share it. Empty: a
	// random key per process (cursors do not survive a restart).
	CursorKeyFile string `yaml:"cursor_key_file"`
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
	// Login is the browser login (authorization code flow with PKCE).
	Login OIDCLogin `yaml:"login"`
	// Introspection authenticates opaque (non-JWT) bearer tokens.
	Introspection OIDCIntrospection `yaml:"introspection"`
}

// OIDCIntrospection configures opaque access tokens checked at the
// provider's token introspection endpoint (RFC 7662), answers cached.
type OIDCIntrospection struct {
	Enabled      bool   `yaml:"enabled"`
	Endpoint     string `yaml:"endpoint"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// Issuer is the provider whose endpoint it is (one of
	// security.oidc.issuers): its answers may name only that issuer, and
	// one naming none is that issuer's user. Required when the realm
	// trusts several issuers (the issuer is half of a user's name there).
	Issuer string `yaml:"issuer"`
	// CacheTTL caps how long an active answer is reused (a revoked token
	// keeps working at most this long).
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// OIDCLogin configures the browser login against one OpenID provider.
type OIDCLogin struct {
	Enabled bool `yaml:"enabled"`
	// Issuer is the provider (default: the first of security.oidc.issuers).
	Issuer string `yaml:"issuer"`
	// ClientID and ClientSecret are the proxy's client at the provider.
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// RedirectURI is https://<proxy site>/_portcullis/oidc/callback, as
	// registered at the provider.
	RedirectURI string   `yaml:"redirect_uri"`
	Scopes      []string `yaml:"scopes"`
	// PostLogoutRedirectURI is where the provider sends the browser after
	// logout (default: the proxy's /_portcullis/logged_out page).
	PostLogoutRedirectURI string `yaml:"post_logout_redirect_uri"`
	// EndSessionEndpoint overrides the provider's end_session_endpoint.
	EndSessionEndpoint string `yaml:"end_session_endpoint"`
	// EndSessionMethod is how the browser is sent to the end-session
	// endpoint: post (a form, so the ID token hint stays out of the
	// browser's history; the default) or get (a redirect).
	EndSessionMethod string `yaml:"end_session_method"`
	// RefreshBefore: tokens are refreshed when they expire within this.
	RefreshBefore time.Duration `yaml:"refresh_before"`
}

// Sessions configures server-side sessions: where they are stored, how
// they are encrypted, their cookie and their lifetime.
type Sessions struct {
	// Store is "memory" (one instance) or "redis" (shared by replicas).
	Store string       `yaml:"store"`
	Redis SessionRedis `yaml:"redis"`
	// EncryptionKeysFile holds base64 keys, one per line, the first one
	// current (required with redis: replicas must share it).
	EncryptionKeysFile string `yaml:"encryption_keys_file"`
	CookieName         string `yaml:"cookie_name"`
	// SameSite is lax (default), strict or none.
	SameSite    string        `yaml:"same_site"`
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	Lifespan    time.Duration `yaml:"lifespan"`
	// MaxPerUser bounds a user's concurrent sessions (0: no limit).
	MaxPerUser int `yaml:"max_per_user"`
	// XSRFHeader must be on state-changing requests unless their Origin
	// is allowed (AllowedOrigins, or the site's own).
	XSRFHeader     string   `yaml:"xsrf_header"`
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// SessionRedis is the Redis server of the session store.
type SessionRedis struct {
	Address   string `yaml:"address"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	DB        int    `yaml:"db"`
	KeyPrefix string `yaml:"key_prefix"`
	// TLS connects with TLS, verifying the server against CAFile (or the
	// system roots).
	TLS         bool          `yaml:"tls"`
	CAFile      string        `yaml:"ca_file"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
	Timeout     time.Duration `yaml:"timeout"`
}

// Authentication selects authenticators (session, bearer, basic) for all
// requests and per route.
type Authentication struct {
	// Authenticators are tried in order (default: pki when security.pki is
	// on, session when the browser login is on, bearer when OIDC is on,
	// then basic).
	Authenticators []string `yaml:"authenticators"`
	// Routes override Authenticators for a site and path prefix (the
	// longest matching prefix wins).
	Routes []AuthRoute `yaml:"routes"`
}

// AuthRoute is one per-route authenticator list.
type AuthRoute struct {
	Host           string   `yaml:"host"`
	PathPrefix     string   `yaml:"path_prefix"`
	Authenticators []string `yaml:"authenticators"`
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
	// ExemptAddresses are client addresses or CIDR blocks whose failed
	// logins are counted per user name only, never per address: a server
	// relaying many users' Basic credentials (Kibana) would otherwise get
	// all its users locked out by anyone failing logins through it.
	ExemptAddresses []string `yaml:"exempt_addresses"`
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
	// PreallocateBytes extends the active file by this many zero bytes
	// ahead of its writes, so that each commit overwrites allocated blocks
	// (fdatasync) instead of appending (a journal commit). 0, the default,
	// disables it (O_APPEND): a file that does not grow as records are
	// added cannot be followed by file tailers (Filebeat); see
	// config.example.yaml for the trade-off.
	PreallocateBytes int64 `yaml:"preallocate_bytes"`
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
	// MaxInFlightBodyBytes bounds the request body bytes of all requests
	// being handled together (Elasticsearch's in_flight_requests breaker);
	// past it requests get 429. Negative: no bound.
	MaxInFlightBodyBytes int64 `yaml:"max_in_flight_body_bytes"`
	// GCHeapFloorBytes is the heap the garbage collector may grow to before
	// collecting while little is live (gctune); -1: Go's own sizing only.
	GCHeapFloorBytes int64 `yaml:"gc_heap_floor_bytes"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// Line returns the line of the dotted key path in the file, or 0.
func (c *Config) Line(path string) int { return c.lines[c.linePrefix+path] }
