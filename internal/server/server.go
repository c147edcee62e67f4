// Package server runs Portcullis's listeners: the client-facing one (TLS,
// HTTP/2, the middleware chain in front of the forwarder) and the
// operations one (metrics and health), with graceful shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/oidcweb"
	"github.com/portcullis-proxy/portcullis/internal/ipfilter"
)

// Options wires a Server. Every field is required unless marked optional.
type Options struct {
	Listen        string
	MetricsListen string
	// TLS is nil only when plain HTTP was explicitly allowed.
	TLS *CertReloader

	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	MaxHeaderBytes    int
	MaxBodyBytes      int64
	// InFlight bounds the body bytes of all requests being handled
	// (shared by the sites of a process); nil: no bound.
	InFlight *InFlightLimit
	// BulkSpool keeps large _bulk bodies on disk instead of in memory
	// (optional: the zero value spools bodies above 4 MB to the system's
	// temporary directory).
	BulkSpool SpoolOptions

	Log           *zap.Logger
	Authenticator authn.Authenticator
	// BearerTokens adds the Bearer challenge to 401 answers (OIDC enabled).
	BearerTokens bool
	Authorizer   Authorizer
	// Auditor records every decision durably before it takes effect.
	Auditor Auditor
	// APIKeys keeps the API keys the proxy issues and answers the API key
	// endpoints with; nil refuses those endpoints (keys are then off).
	APIKeys APIKeyStore
	// Profiles keeps the user profiles (Kibana activates one at every
	// login); nil refuses the profile APIs.
	Profiles ProfileStore
	// AppPrivileges keeps the application privileges applications
	// register (Kibana's feature privileges), which has_privileges resolves
	// privilege names with; nil refuses the privilege APIs and resolves no
	// name (only actions and "*" grant application privileges).
	AppPrivileges AppPrivilegeStore
	// Roles keeps the role API's roles (optional: nil refuses the role API;
	// roles.yml stays the only source of roles).
	Roles DocStore
	// RoleMappings keeps the role-mapping API's mappings (optional: nil
	// refuses the role-mapping API).
	RoleMappings DocStore
	// Users keeps the native realm's users, which the user API changes
	// (optional: nil refuses the user API).
	Users UserStore
	// RunAs finds the users a caller may run as (es-security-runas-user;
	// the file realm, then the native realm). Optional: without it, every run_as is refused.
	RunAs RunAsLookup
	// IPFilter drops connections from refused addresses (optional: nil
	// allows every address).
	IPFilter *ipfilter.Filter
	// Anonymous lets requests without credentials run as the anonymous
	// user (optional: nil refuses them with 401).
	Anonymous *authn.Anonymous
	// Metadata is the cluster's indices, aliases and data streams
	// (optional: nil means an empty cluster, which fails closed).
	Metadata MetadataSource
	// Restrictions enforces document- and field-level security (optional:
	// without it, requests under DLS/FLS are refused).
	Restrictions *Restrictions
	// Cursors binds scroll, point-in-time and async-search ids to their
	// owner (optional: without it, continuations are refused to users
	// without unrestricted access).
	Cursors *Cursors
	// Upstream forwards allowed requests; Readiness reports its health.
	Upstream  http.Handler
	Readiness Readiness
	// Observer and MetricsHandler come from the metrics package.
	Observer       RequestObserver
	MetricsHandler http.Handler
	// Pprof serves /debug/pprof/ on the operations listener.
	Pprof bool
	// Login is the browser login (optional): its endpoints are served under
	// its reserved prefix, and its cookies are removed from requests.
	Login LoginService
	// Sites are tenants served on the same listener, chosen by Host
	// (optional); requests for other hosts get this Server's own chain,
	// or, with RefuseUnknownHosts, a 421.
	Sites              []Site
	RefuseUnknownHosts bool
}

// Server is a configured, not yet running, pair of listeners.
type Server struct {
	opts Options
}

// New checks the options and returns a Server.
func New(opts Options) (*Server, error) {
	if opts.Authenticator == nil || opts.Authorizer == nil || opts.Upstream == nil || opts.Log == nil ||
		opts.Observer == nil || opts.MetricsHandler == nil || opts.Readiness == nil || opts.Auditor == nil {
		return nil, errors.New("server: incomplete options")
	}
	return &Server{opts: opts}, nil
}

// Handler returns the client-facing handler: the whole middleware chain.
// The order is the request's path through the proxy; each stage may end it.
func (s *Server) Handler() http.Handler {
	if len(s.opts.Sites) == 0 {
		return s.chain()
	}
	def := s.chain()
	if s.opts.RefuseUnknownHosts {
		def = s.refusal(misdirected())
	}
	var certs *siteCerts
	if s.opts.TLS != nil {
		certs = newSiteCerts(s.opts.TLS, s.opts.Sites)
	}
	return newSiteRouter(def, s.opts.Sites, certs, s.refusal(wrongCertificate()))
}

// refusal wraps a handler that refuses every request in the stages that
// log, count and audit it (in this Server's own audit trail).
func (s *Server) refusal(h http.Handler) http.Handler {
	return withAccessLog(s.opts.Log, s.opts.Observer, withAuditedRefusals(s.opts.Auditor, withRecover(h)))
}

// tlsConfig is the listener's TLS configuration: the sites' own
// certificates by server name, or the one certificate.
func (s *Server) tlsConfig() *tls.Config {
	if certs := newSiteCerts(s.opts.TLS, s.opts.Sites); certs != nil {
		return certs.serverConfig()
	}
	return s.opts.TLS.ServerConfig()
}

// chain is the middleware chain of this Server's own site.
func (s *Server) chain() http.Handler {
	o := s.opts
	var h http.Handler = o.Upstream
	h = withLocalAPIs(newSecurityAPIs(o), h)
	if o.Cursors != nil {
		h = withCursorResponses(o.Cursors, o.Restrictions, h)
	}
	if o.Restrictions != nil {
		h = withRestrictionExec(h)
	}
	h = withGrantAudit(o.Auditor, h)
	if o.Restrictions != nil {
		h = withRestrictionPlan(o.Restrictions, h)
	}
	h = withAuthorization(o.Authorizer, o.Metadata, o.Restrictions, h)
	if o.Cursors != nil {
		h = withCursorResolution(o.Cursors, o.Authorizer, o.Metadata, o.Restrictions, h)
	}
	if o.Auditor.EmitRequestBody() {
		h = withReceivedBody(h)
	}
	h = withBody(o.MaxBodyBytes, o.BulkSpool, o.IdleTimeout, h)
	h = withInFlightLimit(o.InFlight, h)
	h = withSniffingGuard(h)
	h = withClassifiedOnly(h)
	challenges := []string{basicChallenge}
	if o.BearerTokens {
		challenges = append(challenges, bearerChallenge)
	}
	if o.APIKeys != nil {
		challenges = append(challenges, apiKeyChallenge)
	}
	h = withAPIKeyLimit(newLimitCache(), h)
	h = withRunAs(o.Authorizer, o.RunAs, o.Anonymous, h)
	if o.Login != nil {
		h = withoutProxyCookies(o.Login, h)
		h = withoutCrossSiteChanges(o.Login, h)
	}
	h = withAuthentication(o.Authenticator, o.Anonymous, challenges, h)
	h = withBodyLimit(o.MaxBodyBytes, h)
	h = withClassification(h)
	h = withFraming(h)
	h = withRecover(h)
	h = withAuditedRefusals(o.Auditor, h)

	return withAccessLog(o.Log, o.Observer, withWriteIdleTimeout(o.IdleTimeout, routeOwnPaths(o.Login, o.Auditor, h)))
}

// routeOwnPaths sends the proxy's own endpoints (the OIDC login under
// oidcweb.PathPrefix) to a gorilla/mux router and everything else straight
// to the cluster chain: a catch-all mux route cost two request clones and a
// regexp match on every proxied request. Matching is on the escaped path,
// case-sensitive, like mux's with UseEncodedPath; the router must not clean
// or redirect paths, since the cluster sees the path exactly as classified.
func routeOwnPaths(login LoginService, auditor Auditor, cluster http.Handler) http.Handler {
	if login == nil {
		return cluster
	}
	own := mux.NewRouter()
	own.SkipClean(true)
	own.UseEncodedPath()
	mountLogin(own, login, auditor)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.EscapedPath(), oidcweb.PathPrefix) {
			own.ServeHTTP(w, r)
			return
		}
		cluster.ServeHTTP(w, r)
	})
}

// Run serves until ctx is cancelled, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish up to ShutdownTimeout, and
// returns nil on a clean drain.
func (s *Server) Run(ctx context.Context) error {
	o := s.opts
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.Listen, err)
	}
	opsLn, err := net.Listen("tcp", o.MetricsListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listening on %s (metrics): %w", o.MetricsListen, err)
	}
	return s.Serve(ctx, ln, opsLn)
}

// Serve is Run on listeners the caller opened (tests use port 0).
func (s *Server) Serve(ctx context.Context, ln, opsLn net.Listener) error {
	o := s.opts
	main := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		ErrorLog:          zap.NewStdLog(o.Log.Named("http")),
		// No ReadTimeout/WriteTimeout: bodies and responses stream and may be
		// large; slow clients are bounded by the header timeout, and by the
		// idle timeout between keep-alive requests and between the reads
		// of a request body (withBody).
	}
	ops := &http.Server{Handler: opsHandler(o.MetricsHandler, o.Readiness, o.Pprof), ReadHeaderTimeout: 5 * time.Second}
	denials := newConnDenials(o.Auditor, o.Log.Named("connections"), connDenialWindow, connDenialMaxPerWindow, time.Now)
	go denials.run(ctx)
	if o.IPFilter != nil {
		ln = &filteredListener{Listener: ln, filter: o.IPFilter, denied: denials.filtered}
		main.Handler = withIPFilterRecheck(o.IPFilter, denials.filtered, main.Handler)
	}
	if o.TLS != nil {
		main.TLSConfig = s.tlsConfig()
		ln = newHandshakeListener(ln, main.TLSConfig, o.ReadHeaderTimeout, denials.handshakeFailed)
	}
	errc := make(chan error, 2)
	go func() { errc <- serve(main, ln) }()
	go func() { errc <- ops.Serve(opsLn) }()
	o.Log.Info("listening", zap.String("address", ln.Addr().String()), zap.Bool("tls", o.TLS != nil),
		zap.String("metrics_address", opsLn.Addr().String()))

	select {
	case err := <-errc:
		_ = main.Close()
		_ = ops.Close()
		return err
	case <-ctx.Done():
	}
	o.Log.Info("shutting down: draining in-flight requests", zap.Duration("timeout", o.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	err := main.Shutdown(sctx)
	_ = ops.Shutdown(sctx)
	if err != nil {
		_ = main.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serve runs srv on ln. With TLS, ln is a handshakeListener that hands
// over completed *tls.Conn; srv enables HTTP/2 for those that negotiated
// "h2" through ALPN (its TLSConfig lists it).
func serve(srv *http.Server, ln net.Listener) error {
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
