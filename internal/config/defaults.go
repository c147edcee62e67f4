package config

import "time"

// applyDefaults fills every setting the file left out.
func (c *Config) applyDefaults() {
	setString(&c.TLS.MinVersion, "1.2")
	setString(&c.TLS.ClientAuthentication, "none")
	setDuration(&c.TLS.ReloadInterval, 5*time.Second)
	setDuration(&c.Upstream.Timeouts.Dial, 5*time.Second)
	setDuration(&c.Upstream.Timeouts.ResponseHeader, 60*time.Second)
	setDuration(&c.Upstream.Timeouts.Idle, 90*time.Second)
	if c.Upstream.MaxIdleConnsPerHost == 0 {
		c.Upstream.MaxIdleConnsPerHost = 256
	}
	setDuration(&c.Upstream.HealthCheck.Interval, 5*time.Second)
	setDuration(&c.Upstream.HealthCheck.Timeout, 2*time.Second)
	if c.Upstream.MaxRequestBodyBytes == 0 {
		c.Upstream.MaxRequestBodyBytes = 100 << 20 // Elasticsearch's http.max_content_length
	}
	if c.Upstream.BulkSpoolThresholdBytes == 0 {
		c.Upstream.BulkSpoolThresholdBytes = 4 << 20 // larger _bulk bodies go to disk, not memory
	}
	setDuration(&c.Security.ReloadInterval, 5*time.Second) // resource.reload.interval.high
	setDuration(&c.Security.AuthCache.TTL, 20*time.Minute)
	if c.Security.AuthCache.MaxUsers == 0 {
		c.Security.AuthCache.MaxUsers = 100000
	}
	if c.Security.LoginRateLimit.MaxFailures == 0 {
		c.Security.LoginRateLimit.MaxFailures = 10
	}
	setDuration(&c.Security.LoginRateLimit.Window, time.Minute)
	if c.Security.DLSFLS.WriteCheck == nil {
		on := true
		c.Security.DLSFLS.WriteCheck = &on
	}
	setDuration(&c.Security.DLSFLS.MappingTTL, 30*time.Second)
	c.applySessionDefaults()
	c.applyPKIDefaults()
	setString(&c.Metrics.Listen, "127.0.0.1:9464")
	setDuration(&c.Server.ReadHeaderTimeout, 10*time.Second)
	setDuration(&c.Server.IdleTimeout, 120*time.Second)
	setDuration(&c.Server.ShutdownTimeout, 30*time.Second)
	if c.Server.MaxHeaderBytes == 0 {
		c.Server.MaxHeaderBytes = 64 << 10
	}
	if c.Server.MaxInFlightBodyBytes == 0 {
		c.Server.MaxInFlightBodyBytes = 1 << 30
	}
	if c.Server.GCHeapFloorBytes == 0 {
		c.Server.GCHeapFloorBytes = DefaultGCHeapFloorBytes
	}
	setString(&c.Log.Level, "info")
}

// DefaultGCHeapFloorBytes is server.gc_heap_floor_bytes's default.
const DefaultGCHeapFloorBytes = 32 << 20

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// applySessionDefaults fills the browser login and session settings
// (Kibana's session defaults: 3 days idle, 30 days lifespan).
func (c *Config) applySessionDefaults() {
	l := &c.Security.OIDC.Login
	if l.Issuer == "" && len(c.Security.OIDC.Issuers) > 0 {
		l.Issuer = c.Security.OIDC.Issuers[0]
	}
	if len(l.Scopes) == 0 {
		l.Scopes = []string{"openid", "email", "profile", "offline_access"}
	}
	setDuration(&l.RefreshBefore, time.Minute)
	setDuration(&c.Security.OIDC.Introspection.CacheTTL, 2*time.Minute)
	s := &c.Security.Sessions
	setString(&s.Store, "memory")
	setString(&s.CookieName, "portcullis_session")
	setString(&s.SameSite, "lax")
	setDuration(&s.IdleTimeout, 72*time.Hour)
	setDuration(&s.Lifespan, 30*24*time.Hour)
	setString(&s.XSRFHeader, "kbn-xsrf")
	setString(&s.Redis.KeyPrefix, "portcullis:session:")
	setDuration(&s.Redis.DialTimeout, 2*time.Second)
	setDuration(&s.Redis.Timeout, time.Second)
}
