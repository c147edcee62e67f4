package upstream

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultDialTimeout         = 5 * time.Second
	DefaultIdleConnTimeout     = 90 * time.Second
	DefaultMaxIdleConnsPerHost = 256
	DefaultHealthCheckInterval = 5 * time.Second
	DefaultHealthCheckTimeout  = 3 * time.Second
	DefaultHealthCheckPath     = "/"
	DefaultEjectAfterFailures  = 3
	DefaultEjectFor            = 30 * time.Second
)

// Config describes the cluster and how to talk to it. The zero value of
// every field except Nodes selects a documented default.
type Config struct {
	// Nodes are the base URLs of the cluster's HTTP endpoints: scheme http
	// or https, a host and an optional path prefix. They must not carry
	// credentials, a query or a fragment.
	Nodes []*url.URL

	// CAFile is a PEM bundle of the certificate authorities trusted for TLS
	// to the nodes. Empty means the system roots.
	CAFile string
	// ClientCertFile and ClientKeyFile are an optional PEM client
	// certificate and key presented to the nodes. Both or neither.
	ClientCertFile, ClientKeyFile string
	// InsecureSkipVerify disables verification of the nodes' certificates.
	// DANGEROUS: anyone on the network path can then impersonate the cluster
	// and read every request, including injected credentials. Development
	// only.
	InsecureSkipVerify bool

	// Username and Password are Basic credentials injected into every
	// upstream request (and health check), for clusters that have their own
	// security. Mutually exclusive with APIKey and PassAuthorization.
	Username, Password string
	// APIKey is an Elasticsearch API key injected as the Authorization
	// header, either the base64 "id:key" encoding or the whole
	// "ApiKey <base64>" value. Mutually exclusive with Username and
	// PassAuthorization.
	APIKey string
	// PassAuthorization forwards the client's Authorization header
	// unchanged. Off by default: the client's credentials are meant for the
	// proxy, not for the cluster.
	PassAuthorization bool

	// DialTimeout bounds establishing a TCP connection to a node, and
	// separately its TLS handshake. Default DefaultDialTimeout.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a node's response headers
	// once the request is written. Zero means no limit, as in Elasticsearch
	// itself: synchronous _reindex, _forcemerge or snapshot calls can
	// legitimately take hours. On expiry the client receives 504.
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout is how long an idle keep-alive connection to a node is
	// kept. Default DefaultIdleConnTimeout.
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost caps idle keep-alive connections per node.
	// Default DefaultMaxIdleConnsPerHost (Go's default of 2 forces a new
	// connection for almost every request under load).
	MaxIdleConnsPerHost int

	// HealthCheckInterval is the period of the active health checks.
	// Default DefaultHealthCheckInterval; negative disables them.
	HealthCheckInterval time.Duration
	// HealthCheckTimeout bounds one health check request. Default
	// DefaultHealthCheckTimeout, capped at HealthCheckInterval.
	HealthCheckTimeout time.Duration
	// HealthCheckPath (with an optional query, e.g.
	// "/_cluster/health?local=true") is requested with GET on every node,
	// after the node's path prefix and with the upstream credentials; only
	// a 2xx status means healthy. Default "/". Against a cluster with its
	// own security, configure upstream credentials or a path it answers
	// without them, or every node will be marked down.
	HealthCheckPath string

	// EjectAfterFailures is the number of consecutive connection failures
	// (dial, TLS handshake, connection reset) after which a node is ejected
	// from rotation. Default DefaultEjectAfterFailures; negative disables
	// passive ejection. Timeouts and HTTP error statuses do not count: they
	// depend on the query, and counting them would let one user's expensive
	// queries eject nodes for everyone.
	EjectAfterFailures int
	// EjectFor is how long an ejected node stays out of rotation at most:
	// an active health check started after the ejection, or a request
	// answered by the node (possible only through the no-node-available
	// fallback), ends it sooner. After expiry the node is on probation: one
	// more connection failure ejects it again. Default DefaultEjectFor.
	EjectFor time.Duration

	// FlushInterval is how often response bodies are flushed to the client.
	// Zero keeps httputil.ReverseProxy's behaviour: responses of unknown
	// length (chunked, event streams) are flushed after every write, and
	// others go through the server's write buffer, which sends as it fills,
	// so large responses still stream with bounded memory, without a
	// syscall per small write. -1 flushes after every write always.
	FlushInterval time.Duration
}

// withDefaults returns a copy of c with defaults applied and its fields
// validated.
func (c Config) withDefaults() (Config, error) {
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	setDefault(&c.DialTimeout, DefaultDialTimeout)
	setDefault(&c.IdleConnTimeout, DefaultIdleConnTimeout)
	setDefault(&c.HealthCheckInterval, DefaultHealthCheckInterval)
	setDefault(&c.HealthCheckTimeout, DefaultHealthCheckTimeout)
	setDefault(&c.EjectAfterFailures, DefaultEjectAfterFailures)
	setDefault(&c.EjectFor, DefaultEjectFor)
	setDefault(&c.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	setDefault(&c.HealthCheckPath, DefaultHealthCheckPath)
	if c.HealthCheckInterval > 0 && c.HealthCheckTimeout > c.HealthCheckInterval {
		c.HealthCheckTimeout = c.HealthCheckInterval
	}
	return c, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c Config) validate() error {
	if len(c.Nodes) == 0 {
		return errors.New("no upstream nodes configured")
	}
	seen := make(map[string]bool, len(c.Nodes))
	for i, u := range c.Nodes {
		if err := validateNodeURL(u); err != nil {
			return fmt.Errorf("upstream node %d: %w", i+1, err)
		}
		name := nodeName(u)
		if seen[name] {
			return fmt.Errorf("upstream node %d: duplicate node %s", i+1, name)
		}
		seen[name] = true
	}
	if (c.ClientCertFile == "") != (c.ClientKeyFile == "") {
		return errors.New("upstream client certificate: both certificate and key files are required")
	}
	if err := c.validateCredentials(); err != nil {
		return err
	}
	if !strings.HasPrefix(c.HealthCheckPath, "/") && c.HealthCheckPath != "" {
		return fmt.Errorf("upstream health check path %q must start with /", c.HealthCheckPath)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"dial timeout", c.DialTimeout},
		{"response header timeout", c.ResponseHeaderTimeout},
		{"idle connection timeout", c.IdleConnTimeout},
		{"health check timeout", c.HealthCheckTimeout},
		{"ejection duration", c.EjectFor},
	} {
		if d.v < 0 {
			return fmt.Errorf("upstream %s must not be negative", d.name)
		}
	}
	if c.MaxIdleConnsPerHost < 0 {
		return errors.New("upstream max idle connections per host must not be negative")
	}
	return nil
}

func validateNodeURL(u *url.URL) error {
	switch {
	case u == nil:
		return errors.New("missing URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return errors.New("missing host")
	case u.User != nil:
		// Never echo the URL: it holds a secret.
		return errors.New("credentials in the node URL are not allowed; use the username/password or API key settings")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return errors.New("query and fragment are not allowed in a node URL")
	case u.Opaque != "":
		return errors.New("opaque URLs are not allowed")
	}
	return nil
}

// validateCredentials rejects ambiguous or malformed upstream credentials.
// Error messages never include the secrets themselves.
func (c Config) validateCredentials() error {
	basic := c.Username != "" || c.Password != ""
	n := 0
	for _, set := range []bool{basic, c.APIKey != "", c.PassAuthorization} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("upstream credentials: choose one of username/password, API key or pass-through authorization")
	}
	if basic && c.Username == "" {
		return errors.New("upstream credentials: password set without username")
	}
	if strings.Contains(c.Username, ":") {
		return errors.New("upstream credentials: username must not contain ':'")
	}
	if c.APIKey != "" && !httpguts.ValidHeaderFieldValue(c.APIKey) {
		return errors.New("upstream credentials: API key contains characters not allowed in a header")
	}
	return nil
}
