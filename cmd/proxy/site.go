package main

import (
	"context"
	"encoding/json"
	"fmt"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/profile"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/authz/appprivs"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
	"github.com/portcullis-proxy/portcullis/internal/metrics"
	"github.com/portcullis-proxy/portcullis/internal/reload"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
	"github.com/portcullis-proxy/portcullis/internal/server"
	"github.com/portcullis-proxy/portcullis/internal/upstream"
)

// siteStack is what one site runs on: its realm, roles, authenticators,
// audit trail, upstream and their watchers. The default site is built from
// the top-level sections, each tenant site from its own (sites:).
type siteStack struct {
	cfg       *config.Config
	log       *zap.Logger
	m         *metrics.Metrics
	realm     *authn.FileRealm
	auth      *authStack
	roles     *authz.RoleStore
	up        *upstream.Proxy
	md        *upstream.MetadataCache
	cursors   *server.Cursors
	restrict  *server.Restrictions
	trail     *audit.Trail
	appPrivs  *appprivs.FileStore
	profiles  *profile.FileStore
	native    *jsonfile.Docs
	mappings  *jsonfile.Docs
	users     *authn.NativeRealm // nil without security.native_users
	anonymous *authn.Anonymous
	closers   []func()
}

// buildSite builds a site's stages from cfg (a whole configuration: the
// top level, or config.SiteConfig).
func buildSite(ctx context.Context, cfg *config.Config, log *zap.Logger, m *metrics.Metrics) (_ *siteStack, err error) {
	st := &siteStack{cfg: cfg, log: log, m: m}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	st.realm, err = authn.NewFileRealm(authn.FileRealmOptions{
		UsersPath: cfg.Security.Users, UsersRolesPath: cfg.Security.UsersRoles,
		CacheTTL: cfg.Security.AuthCache.TTL, CacheMaxUsers: cfg.Security.AuthCache.MaxUsers,
		Logger: log.Named("file_realm"), Observer: m,
	})
	if err != nil {
		return nil, fmt.Errorf("loading the file realm: %w", err)
	}
	limiter := authn.NewLoginLimiter(authn.LoginLimiterOptions{
		MaxFailures: cfg.Security.LoginRateLimit.MaxFailures, Window: cfg.Security.LoginRateLimit.Window, Observer: m,
	})
	if st.users, err = openNativeUsers(cfg, log, m); err != nil {
		return nil, err
	}
	exempt, err := cfg.Security.LoginRateLimit.ExemptPrefixes()
	if err != nil {
		return nil, fmt.Errorf("security.login_rate_limit.exempt_addresses: %w", err)
	}
	basic := authn.NewBasicAuthenticator(st.passwordRealms(), authn.BasicOptions{Limiter: limiter, Observer: m, Logger: log.Named("authn"), ExemptAddresses: exempt})
	if st.auth, err = newAuthStack(ctx, cfg, log, basic, failedLogins{limiter: limiter, exempt: exempt}); err != nil {
		return nil, err
	}
	st.closers = append(st.closers, st.auth.Close)
	if st.roles, err = authz.NewRoleStore(cfg.Security.Roles, log.Named("roles")); err != nil {
		return nil, fmt.Errorf("loading roles: %w", err)
	}
	if f := cfg.Security.NativeRoles; f != "" {
		if st.native, err = jsonfile.OpenDocs(f, "roles", func(err error) {
			log.Error("native roles unreadable: none applies until the file is repaired", zap.String("file", f), zap.Error(err))
		}); err != nil {
			return nil, fmt.Errorf("security.native_roles: %w", err)
		}
		if err := st.roles.SetNative(st.native); err != nil {
			return nil, fmt.Errorf("loading roles: %w", err)
		}
	}
	if f := cfg.Security.NativeRoleMappings; f != "" {
		if st.mappings, err = jsonfile.OpenDocs(f, "role_mappings", func(err error) {
			log.Error("role mappings of the API unreadable: none applies until the file is repaired", zap.String("file", f), zap.Error(err))
		}); err != nil {
			return nil, fmt.Errorf("security.native_role_mappings: %w", err)
		}
		for _, m := range st.mappingStores() {
			logProblems(log, m.SetNative(st.mappings))
		}
	}
	if st.up, err = upstream.New(upstreamConfig(cfg), log.Named("upstream"), m); err != nil {
		return nil, fmt.Errorf("configuring the upstream: %w", err)
	}
	st.md = upstream.NewMetadataCache(st.up.Fetch, upstream.MetadataCacheConfig{}, log.Named("metadata"))
	if st.cursors, err = newCursors(cfg); err != nil {
		return nil, err
	}
	mappings := upstream.NewMappingCache(st.up.Fetch, fls.ParseMappings, cfg.Security.DLSFLS.MappingTTL)
	mappings.SetVersions(st.md.MappingVersion)
	st.restrict = &server.Restrictions{
		Cluster:  st.up,
		Mappings: mappings,
		Queries:  dls.NewCache(dls.DefaultCacheEntries),
		WriteDLS: *cfg.Security.DLSFLS.WriteCheck,
	}
	if f := cfg.Security.ApplicationPrivileges; f != "" {
		if st.appPrivs, err = appprivs.Open(f, log.Named("application_privileges")); err != nil {
			return nil, err
		}
	}
	if f := cfg.Security.UserProfiles; f != "" {
		if st.profiles, err = profile.Open(f, log.Named("user_profiles")); err != nil {
			return nil, err
		}
	}
	if st.trail, err = audit.New(auditConfig(cfg), audit.Options{Observer: m, Logger: log.Named("audit")}); err != nil {
		return nil, fmt.Errorf("opening the audit trail: %w", err)
	}
	st.closers = append(st.closers, func() { _ = st.trail.Close() })
	an := cfg.Security.Anonymous
	st.anonymous = authn.NewAnonymous(an.Username, an.Roles, an.AuthzException == nil || *an.AuthzException)
	if st.anonymous != nil {
		log.Warn("anonymous access is on: requests without credentials run as the anonymous user, and its roles are added to every user",
			zap.String("user", st.anonymous.Username), zap.Strings("roles", st.anonymous.Roles))
	}
	return st, nil
}

// options are the server options of the site's chain (the listener's are
// the caller's).
func (st *siteStack) options(shared *config.Config, m *metrics.Metrics) server.Options {
	cfg := st.cfg
	return server.Options{
		MaxBodyBytes: cfg.Upstream.MaxRequestBodyBytes,
		BulkSpool:    server.SpoolOptions{ThresholdBytes: cfg.Upstream.BulkSpoolThresholdBytes, Dir: cfg.Upstream.SpoolDir},
		Log:          st.log, Authenticator: st.auth.authenticator, BearerTokens: cfg.Security.OIDC.Enabled,
		Authorizer: st.roles, Metadata: st.md, Auditor: st.trail, RunAs: st.passwordRealms(), APIKeys: st.auth.apiKeyStore(),
		AppPrivileges: st.appPrivilegeStore(), Roles: st.roleAPIStore(), RoleMappings: st.roleMappingStore(), Users: st.userStore(),
		Profiles:  st.profileStore(),
		Anonymous: st.anonymous, Restrictions: st.restrict, Cursors: st.cursors, Login: st.auth.loginService(),
		Upstream: st.up, Readiness: readiness{st.up, st.md}, Observer: m, MetricsHandler: m.Handler(),
		ReadHeaderTimeout: shared.Server.ReadHeaderTimeout, IdleTimeout: shared.Server.IdleTimeout,
		ShutdownTimeout: shared.Server.ShutdownTimeout, MaxHeaderBytes: shared.Server.MaxHeaderBytes,
	}
}

// profileStore is the store for server.Options (a nil interface without
// one).
func (st *siteStack) profileStore() server.ProfileStore {
	if st.profiles == nil {
		return nil
	}
	return st.profiles
}

// appPrivilegeStore is the store for server.Options (a nil interface
// without one).
func (st *siteStack) appPrivilegeStore() server.AppPrivilegeStore {
	if st.appPrivs == nil {
		return nil
	}
	return st.appPrivs
}

// roleAPIStore is the role API's store for server.Options (a nil interface
// without one): each change reloads the site's roles at once (other
// replicas see it at their next poll).
func (st *siteStack) roleAPIStore() server.DocStore {
	if st.native == nil {
		return nil
	}
	return reloadingDocs{Docs: st.native, reload: func() error {
		_, err := st.roles.Reload()
		return err
	}}
}

// mappingStores are the realms' role mappings (OIDC, PKI) in use.
func (st *siteStack) mappingStores() []*authn.RoleMapperStore {
	var out []*authn.RoleMapperStore
	for _, m := range []*authn.RoleMapperStore{st.auth.mappings, st.auth.pkiMappings} {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// roleMappingStore is the role-mapping API's store for server.Options (a
// nil interface without one): each change reloads the realms' mappings.
func (st *siteStack) roleMappingStore() server.DocStore {
	if st.mappings == nil {
		return nil
	}
	return reloadingDocs{Docs: st.mappings, reload: func() error {
		for _, m := range st.mappingStores() {
			logProblems(st.log, m.Reload())
		}
		return nil
	}}
}

// reloadingDocs is a document store whose changes take effect at once.
type reloadingDocs struct {
	*jsonfile.Docs
	reload func() error
}

// Put implements server.DocStore.
func (r reloadingDocs) Put(name string, doc json.RawMessage) (bool, error) {
	created, err := r.Docs.Put(name, doc)
	if err == nil {
		err = r.reload()
	}
	return created, err
}

// Delete implements server.DocStore.
func (r reloadingDocs) Delete(name string) (bool, error) {
	found, err := r.Docs.Delete(name)
	if err == nil {
		err = r.reload()
	}
	return found, err
}

// start runs the site's health checks, metadata refresh and file watchers
// until ctx is done.
func (st *siteStack) start(ctx context.Context) {
	cfg, log := st.cfg, st.log
	st.up.Start(ctx)
	go st.md.Run(ctx)
	go st.realm.Watch(ctx, cfg.Security.ReloadInterval)
	go st.roles.Watch(ctx, cfg.Security.ReloadInterval)
	if mappings := st.auth.mappings; mappings != nil {
		go reload.Poll(ctx, cfg.Security.ReloadInterval, func() { logProblems(log, mappings.Poll()) })
	}
	if pm := st.auth.pkiMappings; pm != nil {
		go reload.Poll(ctx, cfg.Security.ReloadInterval, func() { logProblems(log, pm.Poll()) })
		go reload.Poll(ctx, cfg.Security.ReloadInterval, func() { st.auth.reloadPKICAs(cfg.Security.PKI.CertificateAuthorities, log) })
	}
	if tokens := st.auth.serviceTokens; tokens != nil {
		go tokens.Watch(ctx, cfg.Security.ReloadInterval)
	}
	go audit.WatchFiles(ctx, st.trail, securityFiles(cfg), cfg.Security.ReloadInterval)
}

// reload re-reads the site's security files (SIGHUP).
func (st *siteStack) reload() {
	_, err := st.realm.Reload()
	st.m.Reloaded("users", err)
	_, err = st.roles.Reload()
	st.m.Reloaded("roles", err)
	if mappings := st.auth.mappings; mappings != nil {
		logProblems(st.log, mappings.Reload())
	}
	st.auth.reloadPKIMappings(st.log)
	st.auth.reloadPKICAs(st.cfg.Security.PKI.CertificateAuthorities, st.log)
	st.auth.reloadServiceTokens()
}

// close releases what the site opened, last first.
func (st *siteStack) close() {
	for i := len(st.closers) - 1; i >= 0; i-- {
		st.closers[i]()
	}
	st.closers = nil
}

// allReady is ready when every site is.
func allReady(stacks []*siteStack) server.Readiness {
	rs := make(multiReady, len(stacks))
	for i, st := range stacks {
		rs[i] = readiness{st.up, st.md}
	}
	return rs
}

type multiReady []server.Readiness

// Healthy implements server.Readiness.
func (rs multiReady) Healthy() bool {
	for _, r := range rs {
		if !r.Healthy() {
			return false
		}
	}
	return true
}
