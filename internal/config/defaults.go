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
	setDuration(&c.Security.ReloadInterval, 5*time.Second) // resource.reload.interval.high
	setDuration(&c.Security.AuthCache.TTL, 20*time.Minute)
	if c.Security.AuthCache.MaxUsers == 0 {
		c.Security.AuthCache.MaxUsers = 100000
	}
	if c.Security.LoginRateLimit.MaxFailures == 0 {
		c.Security.LoginRateLimit.MaxFailures = 10
	}
	setDuration(&c.Security.LoginRateLimit.Window, time.Minute)
	setString(&c.Metrics.Listen, "127.0.0.1:9464")
	setDuration(&c.Server.ReadHeaderTimeout, 10*time.Second)
	setDuration(&c.Server.IdleTimeout, 120*time.Second)
	setDuration(&c.Server.ShutdownTimeout, 30*time.Second)
	if c.Server.MaxHeaderBytes == 0 {
		c.Server.MaxHeaderBytes = 64 << 10
	}
	setString(&c.Log.Level, "info")
}

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
