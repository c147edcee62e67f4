package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// connectError marks a failure to establish a connection to a node: the
// TCP dial or the TLS handshake. When it is returned, no byte of the request
// has been sent, which is what makes a retry on another node safe.
type connectError struct {
	kind string // KindDial or KindTLS
	err  error
}

func (e *connectError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// dialer opens connections to nodes and wraps every failure in a
// connectError, so that retry decisions rest on where the error came from
// rather than on parsing error strings.
type dialer struct {
	net     net.Dialer
	tls     *tls.Config
	timeout time.Duration // bounds the TLS handshake too
}

// dial opens a plain TCP connection.
func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &connectError{kind: KindDial, err: err}
	}
	return c, nil
}

// dialTLS opens a TCP connection and completes a TLS handshake on it.
func (d *dialer) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := d.tls.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg.ServerName = host
	}
	hctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(hctx); err != nil {
		_ = raw.Close()
		return nil, &connectError{kind: KindTLS, err: err}
	}
	return conn, nil
}

// newTransports builds the HTTP/1.1 transports to the nodes: net/http's
// for health checks, h1Transport for proxied requests (see h1Transport
// for why). Both dial through the same dialer.
func newTransports(cfg Config) (*http.Transport, *h1Transport, error) {
	tlsCfg, err := newTLSConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	d := &dialer{
		net:     net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second},
		tls:     tlsCfg,
		timeout: cfg.DialTimeout,
	}
	h1 := &h1Transport{
		dial:                  d.dial,
		dialTLS:               d.dialTLS,
		pool:                  newConnPool(cfg.MaxIdleConnsPerHost, cfg.IdleConnTimeout),
		responseHeaderTimeout: cfg.ResponseHeaderTimeout,
		bodyStall:             cfg.ResponseHeaderTimeout,
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true) // Elasticsearch speaks HTTP/1.1 only
	return &http.Transport{
		// Proxy is deliberately nil: HTTP_PROXY and friends must not
		// reroute traffic (and injected credentials) to the cluster.
		Proxy:                 nil,
		DialContext:           d.dial,
		DialTLSContext:        d.dialTLS,
		Protocols:             protocols,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       cfg.IdleConnTimeout,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		// Relay bodies as they are: transparent decompression would alter
		// responses and waste CPU.
		DisableCompression: true,
	}, h1, nil
}

// newTLSConfig builds the client TLS configuration from the CA bundle and
// optional client certificate.
func newTLSConfig(cfg Config) (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // documented dev-only option
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
	}
	if cfg.CAFile != "" {
		roots, err := loadCAs(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = roots
	}
	if cfg.ClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.ClientCertFile, cfg.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("upstream client certificate %s: %w", cfg.ClientCertFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// loadCAs reads a PEM bundle of certificate authorities.
func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("upstream CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("upstream CA file %s: %w", file, errors.New("no PEM certificate found"))
	}
	return pool, nil
}
