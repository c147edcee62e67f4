package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/portcullis-proxy/portcullis/internal/reload"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// TLSOptions configures TLS termination.
type TLSOptions struct {
	CertFile, KeyFile string
	// MinVersion is tls.VersionTLS12 or tls.VersionTLS13.
	MinVersion uint16
	// ClientCAFile and ClientAuth configure client-certificate verification.
	ClientCAFile string
	ClientAuth   tls.ClientAuthType
}

// modernCipherSuites are the TLS 1.2 suites allowed: ECDHE key exchange with
// AEAD ciphers only. TLS 1.3 suites are not configurable in Go and all good.
var modernCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// CertReloader serves the listener's certificate (and client CAs) and
// replaces them when their files change, without touching established
// connections: each handshake asks for the current configuration. A broken
// new certificate is logged and the previous one stays in use.
type CertReloader struct {
	opts    TLSOptions
	log     *zap.Logger
	onLoad  func(error)
	current atomic.Pointer[tls.Config]

	mu       sync.Mutex // serialises reloads
	lastSeen []byte     // concatenated file contents of the loaded state
}

// NewCertReloader loads the certificate and key (and client CAs); it fails if
// they cannot be loaded, since there is nothing to fall back to at startup.
// onLoad (may be nil) is told the result of each reload attempt.
func NewCertReloader(opts TLSOptions, log *zap.Logger, onLoad func(error)) (*CertReloader, error) {
	cr := &CertReloader{opts: opts, log: log, onLoad: onLoad}
	if _, err := cr.Reload(); err != nil {
		return nil, err
	}
	return cr, nil
}

// ServerConfig returns the tls.Config for the listener.
func (cr *CertReloader) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: cr.opts.MinVersion,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return cr.current.Load(), nil
		},
	}
}

// Reload reads the files again and swaps in the new state if they changed.
// It reports whether anything changed.
func (cr *CertReloader) Reload() (bool, error) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	contents, err := cr.readFiles()
	if err == nil && bytes.Equal(contents, cr.lastSeen) {
		return false, nil
	}
	var cfg *tls.Config
	if err == nil {
		cfg, err = cr.build()
	}
	if cr.onLoad != nil {
		cr.onLoad(err)
	}
	if err != nil {
		if cr.current.Load() != nil {
			cr.log.Error("TLS certificate reload failed; keeping the previous certificate", zap.Error(err))
		}
		return false, err
	}
	cr.current.Store(cfg)
	cr.lastSeen = contents
	if leaf := cfg.Certificates[0].Leaf; leaf != nil {
		cr.log.Info("TLS certificate loaded", zap.String("subject", leaf.Subject.String()),
			zap.Time("not_after", leaf.NotAfter), zap.String("serial", leaf.SerialNumber.String()))
	}
	return true, nil
}

// ClientCAs returns the client CAs in force (tls.client_ca_file as last
// loaded), nil without them.
func (cr *CertReloader) ClientCAs() *x509.CertPool { return cr.current.Load().ClientCAs }

// Watch polls the files every interval until ctx is done. Polling (rather
// than inotify) also follows Kubernetes' symlink swaps of mounted secrets.
func (cr *CertReloader) Watch(ctx context.Context, interval time.Duration) {
	reload.Poll(ctx, interval, func() { _, _ = cr.Reload() }) // errors are logged in Reload
}

func (cr *CertReloader) readFiles() ([]byte, error) {
	var all []byte
	for _, f := range []string{cr.opts.CertFile, cr.opts.KeyFile, cr.opts.ClientCAFile} {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		all = append(append(all, b...), 0)
	}
	return all, nil
}

func (cr *CertReloader) build() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cr.opts.CertFile, cr.opts.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading certificate %s with key %s: %w", cr.opts.CertFile, cr.opts.KeyFile, err)
	}
	if time.Now().After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("certificate %s expired on %s", cr.opts.CertFile, cert.Leaf.NotAfter.Format(time.RFC3339))
	}
	cfg := &tls.Config{
		MinVersion:   cr.opts.MinVersion,
		CipherSuites: modernCipherSuites,
		NextProtos:   []string{"h2", "http/1.1"},
		Certificates: []tls.Certificate{cert},
		ClientAuth:   cr.opts.ClientAuth,
	}
	if cr.opts.ClientCAFile != "" {
		pool, err := loadCertPool(cr.opts.ClientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
	}
	return cfg, nil
}

func loadCertPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("CA file " + file + " holds no PEM certificate")
	}
	return pool, nil
}

// ParseMinVersion maps "1.2"/"1.3" to the tls constants.
func ParseMinVersion(v string) (uint16, error) {
	switch v {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unsupported TLS minimum version %q", v)
}

// ParseClientAuth maps Elastic's client_authentication values.
func ParseClientAuth(v string) (tls.ClientAuthType, error) {
	switch v {
	case "", "none":
		return tls.NoClientCert, nil
	case "optional":
		return tls.VerifyClientCertIfGiven, nil
	case "required":
		return tls.RequireAndVerifyClientCert, nil
	}
	return 0, fmt.Errorf("unsupported client_authentication %q", v)
}
