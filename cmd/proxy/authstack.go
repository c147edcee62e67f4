package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authn/oidcweb"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// authStack is every authenticator the configuration enables, arranged
// per route (security.authentication).
type authStack struct {
	authenticator authn.Authenticator
	// mappings are the OIDC role mappings (nil without OIDC), reloaded by
	// the caller.
	mappings *authn.RoleMapperStore
	// pkiMappings are the PKI realm's role mappings (nil without PKI),
	// reloaded by the caller.
	pkiMappings *authn.RoleMapperStore
	// pki is the PKI realm (nil without it).
	pki *authn.PKIAuthenticator
	// login is the browser login (nil unless security.oidc.login.enabled).
	login   *oidcweb.Service
	backend session.Backend
	// serviceTokens are the service account tokens (nil unless
	// security.service_tokens).
	serviceTokens *authn.ServiceTokens
	// apiKeys is the API key store (nil unless security.api_keys.file).
	apiKeys *apikey.FileStore
}

// failedLogins is the site's failed-login limiter and the addresses it
// does not count (security.login_rate_limit), shared by Basic and the
// introspection of opaque bearer tokens.
type failedLogins struct {
	limiter *authn.LoginLimiter
	exempt  []netip.Prefix
}

// newAuthStack builds the bearer authenticator (security.oidc), the
// browser login (security.oidc.login) and the per-route selection around
// basic.
func newAuthStack(ctx context.Context, cfg *config.Config, log *zap.Logger, basic authn.Authenticator, failed failedLogins) (*authStack, error) {
	st := &authStack{}
	byName := map[string]authn.Authenticator{authn.SchemeBasic: basic}
	if cfg.Security.OIDC.Enabled {
		bearer, mappings, err := newBearer(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		byName[authn.SchemeBearer], st.mappings = bearer, mappings
		if cfg.Security.OIDC.Introspection.Enabled {
			in, err := newIntrospection(cfg, mappings, failed)
			if err != nil {
				return nil, err
			}
			byName[authn.SchemeBearer] = authn.Chain{bearer, in} // JWTs locally, opaque tokens at the provider
		}
	}
	if f := cfg.Security.ServiceTokens; f != "" {
		tokens, err := newServiceTokens(f, log)
		if err != nil {
			return nil, err
		}
		st.serviceTokens, byName[authn.SchemeServiceToken] = tokens, tokens
	}
	if f := cfg.Security.APIKeys.File; f != "" {
		store, err := apikey.OpenFileStore(f, log)
		if err != nil {
			return nil, err
		}
		st.apiKeys, byName[authn.SchemeAPIKey] = store, apikey.NewAuthenticator(store)
	}
	if cfg.Security.PKI.Enabled {
		pki, mappings, err := newPKI(cfg, log)
		if err != nil {
			return nil, err
		}
		byName[authn.SchemePKI], st.pkiMappings, st.pki = pki, mappings, pki
	}
	if cfg.Security.OIDC.Login.Enabled {
		if err := st.startLogin(ctx, cfg, log, failed); err != nil {
			st.Close()
			return nil, err
		}
		byName[authn.SchemeSession] = st.login
	}
	def := cfg.Security.Authentication.Authenticators
	if len(def) == 0 {
		def = defaultAuthenticators(cfg)
	}
	routes := make([]authn.Route, 0, len(cfg.Security.Authentication.Routes))
	for _, r := range cfg.Security.Authentication.Routes {
		routes = append(routes, authn.Route{Host: r.Host, PathPrefix: r.PathPrefix, Authenticators: named(byName, r.Authenticators)})
	}
	st.authenticator = authn.NewRoutes(named(byName, def), routes)
	return st, nil
}

// defaultAuthenticators, for whichever is enabled: the session cookie,
// then the credentials Elasticsearch tries before any realm (service
// account tokens, API keys: a request that sends one is decided by it),
// then the realms: the client certificate (PKI, the strongest credential,
// as a PKI realm with the lowest order), bearer JWTs, Basic.
func defaultAuthenticators(cfg *config.Config) []string {
	var out []string
	if cfg.Security.OIDC.Login.Enabled {
		out = append(out, authn.SchemeSession)
	}
	if cfg.Security.ServiceTokens != "" {
		out = append(out, authn.SchemeServiceToken)
	}
	if cfg.Security.APIKeys.File != "" {
		out = append(out, authn.SchemeAPIKey)
	}
	if cfg.Security.PKI.Enabled {
		out = append(out, authn.SchemePKI)
	}
	if cfg.Security.OIDC.Enabled {
		out = append(out, authn.SchemeBearer)
	}
	return append(out, authn.SchemeBasic)
}

// apiKeyStore is the store for server.Options (a nil interface without one).
func (st *authStack) apiKeyStore() server.APIKeyStore {
	if st.apiKeys == nil {
		return nil
	}
	return st.apiKeys
}

// named resolves authenticator names (validated by config.Load).
func named(byName map[string]authn.Authenticator, names []string) []authn.Named {
	out := make([]authn.Named, 0, len(names))
	for _, n := range names {
		if a, ok := byName[n]; ok {
			out = append(out, authn.Named{Scheme: n, Authenticator: a})
		}
	}
	return out
}

// loginService is the login for server.Options (a nil interface without one).
func (st *authStack) loginService() server.LoginService {
	if st.login == nil {
		return nil
	}
	return st.login
}

// Close releases the session store.
func (st *authStack) Close() {
	if st.backend != nil {
		_ = st.backend.Close()
	}
}

// newBearer is the OIDC bearer-token authenticator and its role mappings.
func newBearer(ctx context.Context, cfg *config.Config, log *zap.Logger) (*authn.BearerAuthenticator, *authn.RoleMapperStore, error) {
	o := cfg.Security.OIDC
	mappings, probs := authn.NewRoleMapperStore(o.RoleMapping)
	logProblems(log, probs)
	bearer, err := authn.NewBearerAuthenticator(ctx, authn.BearerOptions{
		RealmName: o.RealmName, RealmType: o.RealmType, Issuers: o.Issuers, Audiences: o.Audiences,
		AllowedAlgorithms: o.AllowedAlgorithms, ClockSkew: o.AllowedClockSkew,
		ClaimPrincipal: o.Claims.Principal, ClaimGroups: o.Claims.Groups, ClaimMail: o.Claims.Mail,
		ClaimName: o.Claims.Name, ClaimDN: o.Claims.DN, PrincipalPattern: o.ClaimPatterns.Principal,
		ClientSharedSecret: o.ClientSharedSecret, RoleMapper: mappings, CacheSize: o.Cache.Size, CacheTTL: o.Cache.TTL,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("configuring the OIDC realm: %w", err)
	}
	for iss, e := range bearer.DiscoveryErrors() {
		log.Warn("OIDC discovery failed; will retry on use", zap.String("issuer", iss), zap.Error(e))
	}
	return bearer, mappings, nil
}

// newIntrospection authenticates opaque bearer tokens at the provider,
// with the bearer realm's claims and role mappings; inactive tokens count
// as failed logins of their client's address.
func newIntrospection(cfg *config.Config, mappings *authn.RoleMapperStore, failed failedLogins) (*authn.IntrospectionAuthenticator, error) {
	o := cfg.Security.OIDC
	realmType := o.RealmType
	if realmType == "" {
		realmType = "jwt" // as the bearer realm
	}
	realmName := o.RealmName
	if realmName == "" {
		realmName = realmType + "1"
	}
	claims, err := authn.NewClaimMapping(authn.ClaimOptions{
		RealmName: realmName, RealmType: realmType, ClaimPrincipal: o.Claims.Principal, ClaimGroups: o.Claims.Groups,
		ClaimMail: o.Claims.Mail, ClaimName: o.Claims.Name, ClaimDN: o.Claims.DN, PrincipalPattern: o.ClaimPatterns.Principal,
		SeveralIssuers: len(o.Issuers) > 1,
	})
	if err != nil {
		return nil, fmt.Errorf("configuring token introspection: %w", err)
	}
	in := o.Introspection
	a, err := authn.NewIntrospectionAuthenticator(authn.IntrospectionOptions{
		Endpoint: in.Endpoint, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Issuers: o.Issuers, Issuer: in.Issuer, Audiences: o.Audiences,
		Claims: claims, RoleMapper: mappings, CacheTTL: in.CacheTTL,
		Limiter: failed.limiter, ExemptAddresses: failed.exempt,
	})
	if err != nil {
		return nil, fmt.Errorf("configuring token introspection: %w", err)
	}
	return a, nil
}

// startLogin builds the session store and the browser login (refused login
// codes count as failed logins of their address). Sessions
// belong to Elastic's OIDC realm: realm.name is security.oidc.realm_name
// (default oidc1), realm type oidc.
func (st *authStack) startLogin(ctx context.Context, cfg *config.Config, log *zap.Logger, failed failedLogins) error {
	o, s := cfg.Security.OIDC, cfg.Security.Sessions
	secrets, err := sessionSecrets(s, log)
	if err != nil {
		return err
	}
	sessionKeys, err := session.NewKeyring(secrets, "session")
	if err != nil {
		return err
	}
	stateKeys, err := session.NewKeyring(secrets, "login-state")
	if err != nil {
		return err
	}
	st.backend, err = sessionBackend(ctx, s, log)
	if err != nil {
		return err
	}
	sessions, err := session.NewManager(session.Options{
		Backend: st.backend, Keys: sessionKeys, IdleTimeout: s.IdleTimeout, Lifespan: s.Lifespan, MaxPerUser: s.MaxPerUser,
	})
	if err != nil {
		return fmt.Errorf("configuring sessions: %w", err)
	}
	realmName := o.RealmName
	if realmName == "" {
		realmName = "oidc1"
	}
	claims, err := authn.NewClaimMapping(authn.ClaimOptions{
		RealmName: realmName, RealmType: "oidc", ClaimPrincipal: o.Claims.Principal, ClaimGroups: o.Claims.Groups,
		ClaimMail: o.Claims.Mail, ClaimName: o.Claims.Name, ClaimDN: o.Claims.DN, PrincipalPattern: o.ClaimPatterns.Principal,
		// As the bearer realm's users, which may share its name.
		SeveralIssuers: len(o.Issuers) > 1,
	})
	if err != nil {
		return fmt.Errorf("configuring the OIDC login: %w", err)
	}
	var mapper authn.PrincipalMapper
	if st.mappings != nil {
		mapper = st.mappings
	}
	l := o.Login
	st.login, err = oidcweb.New(ctx, oidcweb.Options{
		Issuer: l.Issuer, ClientID: l.ClientID, ClientSecret: l.ClientSecret, RedirectURL: l.RedirectURI, Scopes: l.Scopes,
		PostLogoutRedirectURL: l.PostLogoutRedirectURI, EndSessionEndpoint: l.EndSessionEndpoint,
		EndSessionByRedirect: l.EndSessionMethod == "get",
		AllowedAlgorithms:    o.AllowedAlgorithms, ClockSkew: o.AllowedClockSkew, RefreshBefore: l.RefreshBefore,
		Claims: claims, RoleMapper: mapper, Sessions: sessions, StateKeys: stateKeys,
		CookieName: s.CookieName, SameSite: sameSite(s.SameSite), XSRFHeader: s.XSRFHeader, AllowedOrigins: s.AllowedOrigins,
		Limiter: failed.limiter, ExemptAddresses: failed.exempt, Logger: log.Named("login"),
	})
	if err != nil {
		return fmt.Errorf("configuring the OIDC login: %w", err)
	}
	if err := st.login.Ready(); err != nil {
		log.Warn("OIDC login: provider discovery failed; will retry on use", zap.Error(err))
	}
	return nil
}

// sessionSecrets reads the key file, or draws a random key for a memory
// store without one (its sessions end with the process anyway).
func sessionSecrets(s config.Sessions, log *zap.Logger) ([][]byte, error) {
	if s.EncryptionKeysFile != "" {
		secrets, err := session.LoadSecrets(s.EncryptionKeysFile)
		if err != nil {
			return nil, fmt.Errorf("security.sessions.encryption_keys_file: %w", err)
		}
		return secrets, nil
	}
	if s.Store != "memory" {
		return nil, fmt.Errorf("security.sessions.encryption_keys_file is required with store %q", s.Store)
	}
	log.Info("sessions: no encryption_keys_file; using a random key (sessions end when the proxy restarts)")
	secret, err := session.RandomSecret()
	if err != nil {
		return nil, err
	}
	return [][]byte{secret}, nil
}

// sessionBackend opens the configured store. Redis is pinged once: an
// unreachable Redis is logged, not fatal (bearer and Basic work without
// it; session logins fail with a clear error until it is back).
func sessionBackend(ctx context.Context, s config.Sessions, log *zap.Logger) (session.Backend, error) {
	if s.Store == "memory" {
		return session.NewMemory(nil), nil
	}
	r := s.Redis
	var tlsConf *tls.Config
	if r.TLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
		if r.CAFile != "" {
			pem, err := os.ReadFile(r.CAFile)
			if err != nil {
				return nil, fmt.Errorf("security.sessions.redis.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("security.sessions.redis.ca_file: no PEM certificate in %s", r.CAFile)
			}
			tlsConf.RootCAs = pool
		}
	}
	b, err := session.NewRedis(session.RedisOptions{
		Address: r.Address, Username: r.Username, Password: r.Password, DB: r.DB, TLS: tlsConf,
		KeyPrefix: r.KeyPrefix, DialTimeout: r.DialTimeout, Timeout: r.Timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("configuring the session store: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := b.Ping(pctx); err != nil {
		log.Warn("session store (redis) unreachable at startup; session logins fail until it answers", zap.String("address", r.Address), zap.Error(err))
	}
	return b, nil
}

func sameSite(s string) http.SameSite {
	switch strings.ToLower(s) {
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}
