package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/gctune"
	"github.com/portcullis-proxy/portcullis/internal/ipfilter"
	"github.com/portcullis-proxy/portcullis/internal/metrics"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/cursor"
	"github.com/portcullis-proxy/portcullis/internal/server"
	"github.com/portcullis-proxy/portcullis/internal/upstream"
)

// runServe loads the configuration, wires the stages together and serves
// until SIGTERM/SIGINT. SIGHUP reloads security files and certificates.
func runServe(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "proxy serve: --config FILE is required")
		return 2
	}
	cfg, probs := config.Load(*path, os.LookupEnv)
	if probs.HasErrors() {
		printProblems(stderr, probs)
		fmt.Fprintln(stderr, "proxy serve: configuration has errors; not starting")
		return 1
	}
	log, err := newLogger(cfg.Log.Level)
	if err != nil {
		fmt.Fprintf(stderr, "proxy serve: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	logProblems(log, probs)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("proxy stopped with an error", zap.Error(err))
		return 1
	}
	log.Info("proxy stopped")
	return 0
}

// serve builds every stage from cfg and runs until ctx is done: the
// default site (the top-level sections) and each tenant site (sites:) on
// one listener.
func serve(ctx context.Context, cfg *config.Config, log *zap.Logger) error {
	if cfg.InsecureHTTP {
		log.Warn("!!! INSECURE: serving plain HTTP (insecure_http: true). Credentials and data cross the network in clear text. Use only for local development. !!!")
	}
	if floor := cfg.Server.GCHeapFloorBytes; floor > 0 {
		if t := gctune.Start(uint64(floor)); t != nil {
			defer t.Stop()
			log.Info("garbage collector tuned: the heap may grow to the floor before a collection while little is live",
				zap.Int64("gc_heap_floor_bytes", floor))
		}
	}
	m := metrics.New()
	def, err := buildSite(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	defer def.close()
	stacks := []*siteStack{def}
	var certs *server.CertReloader
	if !cfg.InsecureHTTP {
		certs, err = newCertReloader(cfg, cfg.TLS.CertFile, cfg.TLS.KeyFile, log, m)
		if err != nil {
			return err
		}
	}
	inFlight := server.NewInFlightLimit(cfg.Server.MaxInFlightBodyBytes) // one for every site
	allCerts := []*server.CertReloader{certs}
	var sites []server.Site
	for i, sc := range cfg.Sites {
		slog := log.With(zap.String("site", sc.Name))
		sm := m.ForSite(sc.Name) // its requests, logins, reloads and audit records carry site="<name>"
		st, err := buildSite(ctx, cfg.SiteConfig(i), slog, sm)
		if err != nil {
			return fmt.Errorf("site %s: %w", sc.Name, err)
		}
		defer st.close()
		stacks = append(stacks, st)
		siteOpts := st.options(cfg, sm)
		siteOpts.InFlight = inFlight
		siteSrv, err := server.New(siteOpts)
		if err != nil {
			return fmt.Errorf("site %s: %w", sc.Name, err)
		}
		site := server.Site{Name: sc.Name, Hosts: sc.Hosts, Handler: siteSrv.Handler()}
		if sc.TLS.CertFile != "" {
			if site.TLS, err = newCertReloader(cfg, sc.TLS.CertFile, sc.TLS.KeyFile, slog, sm); err != nil {
				return fmt.Errorf("site %s: %w", sc.Name, err)
			}
			allCerts = append(allCerts, site.TLS)
		}
		sites = append(sites, site)
		slog.Info("site configured", zap.Strings("hosts", sc.Hosts))
	}

	ipRules, err := ipfilter.Parse(cfg.Security.IPFilter.Allow, cfg.Security.IPFilter.Deny)
	if err != nil { // validated by config.Load
		return fmt.Errorf("security.ip_filter: %w", err)
	}
	ipFilter := ipfilter.New(ipRules)
	opts := def.options(cfg, m)
	opts.InFlight = inFlight
	opts.Listen, opts.MetricsListen, opts.TLS = cfg.Listen, cfg.Metrics.Listen, certs
	opts.ReadHeaderTimeout, opts.IdleTimeout = cfg.Server.ReadHeaderTimeout, cfg.Server.IdleTimeout
	opts.ShutdownTimeout, opts.MaxHeaderBytes = cfg.Server.ShutdownTimeout, cfg.Server.MaxHeaderBytes
	opts.IPFilter, opts.Pprof = ipFilter, cfg.Metrics.Pprof
	opts.Sites, opts.RefuseUnknownHosts = sites, cfg.UnknownHosts == config.UnknownHostRefuse
	opts.Readiness = allReady(stacks)
	srv, err := server.New(opts)
	if err != nil {
		return err
	}

	for _, st := range stacks {
		st.auth.trustListenerCAs(certs) // every site's handshakes verify client certificates with the listener's CAs
		st.start(ctx)
	}
	for _, cr := range allCerts {
		if cr != nil {
			go cr.Watch(ctx, cfg.TLS.ReloadInterval)
		}
	}
	go reloadOnSIGHUP(ctx, log, func() {
		for _, st := range stacks {
			st.reload()
		}
		for _, cr := range allCerts {
			if cr != nil {
				_, _ = cr.Reload() // reports through its onLoad hook
			}
		}
		reloadIPFilter(cfg.File, ipFilter, log)
	})
	return srv.Run(ctx)
}

// reloadOnSIGHUP calls reload on every SIGHUP until ctx is done.
func reloadOnSIGHUP(ctx context.Context, log *zap.Logger, reload func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading security files and certificates")
			reload()
		}
	}
}

// reloadIPFilter puts the configuration file's security.ip_filter in
// force (its other settings need a restart); a file with errors keeps the
// rules in force.
func reloadIPFilter(path string, f *ipfilter.Filter, log *zap.Logger) {
	cfg, probs := config.Load(path, os.LookupEnv)
	if probs.HasErrors() {
		logProblems(log, probs)
		log.Error("SIGHUP: the configuration file has errors; the IP filter in force is kept", zap.String("file", path))
		return
	}
	rules, err := ipfilter.Parse(cfg.Security.IPFilter.Allow, cfg.Security.IPFilter.Deny)
	if err != nil {
		log.Error("SIGHUP: security.ip_filter; the IP filter in force is kept", zap.Error(err))
		return
	}
	f.Update(rules)
	log.Info("SIGHUP: IP filter reloaded", zap.Int("allow", len(cfg.Security.IPFilter.Allow)), zap.Int("deny", len(cfg.Security.IPFilter.Deny)))
}

// newCertReloader serves certFile and keyFile (the listener's or a
// site's) with the listener's TLS settings.
func newCertReloader(cfg *config.Config, certFile, keyFile string, log *zap.Logger, m *metrics.Metrics) (*server.CertReloader, error) {
	minV, err := server.ParseMinVersion(cfg.TLS.MinVersion)
	if err != nil {
		return nil, err
	}
	ca, err := server.ParseClientAuth(cfg.TLS.ClientAuthentication)
	if err != nil {
		return nil, err
	}
	return server.NewCertReloader(server.TLSOptions{
		CertFile: certFile, KeyFile: keyFile, MinVersion: minV,
		ClientCAFile: cfg.TLS.ClientCAFile, ClientAuth: ca,
	}, log.Named("tls"), func(err error) { m.Reloaded("certificate", err) })
}

// securityFiles are the files whose changes are audited as
// security_config_change events.
func securityFiles(cfg *config.Config) []audit.WatchedFile {
	files := []audit.WatchedFile{
		{Kind: "users", Path: cfg.Security.Users},
		{Kind: "users_roles", Path: cfg.Security.UsersRoles},
		{Kind: "roles", Path: cfg.Security.Roles},
	}
	if cfg.Security.OIDC.Enabled {
		files = append(files, audit.WatchedFile{Kind: "role_mapping", Path: cfg.Security.OIDC.RoleMapping})
	}
	if p := cfg.Security.PKI; p.Enabled && !(cfg.Security.OIDC.Enabled && p.RoleMapping == cfg.Security.OIDC.RoleMapping) {
		files = append(files, audit.WatchedFile{Kind: "role_mapping", Path: p.RoleMapping})
	}
	if f := cfg.Security.ServiceTokens; f != "" {
		files = append(files, audit.WatchedFile{Kind: "service_tokens", Path: f})
	}
	return files
}

// auditConfig translates the file's audit section.
func auditConfig(cfg *config.Config) audit.Config {
	a := cfg.Audit
	filters := make(map[string]audit.IgnoreFilter, len(a.IgnoreFilters))
	for name, f := range a.IgnoreFilters {
		filters[name] = audit.IgnoreFilter{Users: f.Users, Realms: f.Realms, Roles: f.Roles, Indices: f.Indices, Actions: f.Actions}
	}
	return audit.Config{
		File: a.File, NodeID: a.NodeID, Include: a.Include, Exclude: a.Exclude, EmitRequestBody: a.EmitRequestBody,
		IgnoreFilters: filters, OnFailure: a.OnFailure, HMACKeyFile: a.HMACKeyFile, Stdout: a.Stdout,
		PreallocateBytes: a.PreallocateBytes,
		Rotate: audit.RotateConfig{MaxBytes: a.Rotate.MaxBytes, Interval: a.Rotate.Interval, MaxFiles: a.Rotate.MaxFiles,
			MaxAge: a.Rotate.MaxAge, Compress: a.Rotate.Compress},
		Index: audit.IndexConfig{URL: a.Index.URL, IndexPattern: a.Index.IndexPattern, Username: a.Index.Username,
			Password: a.Index.Password, BatchSize: a.Index.BatchSize, FlushInterval: a.Index.FlushInterval, CursorFile: a.Index.CursorFile},
	}
}

// upstreamConfig translates the file's upstream section.
func upstreamConfig(cfg *config.Config) upstream.Config {
	u := cfg.Upstream
	nodes := make([]*url.URL, 0, len(u.Nodes))
	for _, n := range u.Nodes {
		if parsed, err := config.ParseNodeURL(n); err == nil { // validated by config.Load
			nodes = append(nodes, parsed)
		}
	}
	return upstream.Config{
		Nodes: nodes, CAFile: u.CAFile, ClientCertFile: u.ClientCertFile, ClientKeyFile: u.ClientKeyFile,
		InsecureSkipVerify: u.InsecureSkipVerify, Username: u.Username, Password: u.Password, APIKey: u.APIKey,
		PassAuthorization: u.PassAuthorization, DialTimeout: u.Timeouts.Dial,
		ResponseHeaderTimeout: u.Timeouts.ResponseHeader, IdleConnTimeout: u.Timeouts.Idle,
		MaxIdleConnsPerHost: u.MaxIdleConnsPerHost, HealthCheckInterval: u.HealthCheck.Interval,
		HealthCheckTimeout: u.HealthCheck.Timeout,
	}
}

// newLogger builds the JSON logger at the configured level. Lines go to
// stderr through a buffer flushed every second (and on exit): a write
// syscall per access-log line costs the proxy about a tenth of its
// throughput. Audit records do not go through it; they have their own
// durable log.
func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	// RFC 3339 with nanoseconds is ISO 8601 too, and the time package
	// formats it on a fast path (a third of the cost of a millisecond
	// layout, on every access-log line).
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	out := &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(os.Stderr), Size: 256 << 10, FlushInterval: time.Second}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), out, lvl)
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel), zap.ErrorOutput(zapcore.Lock(os.Stderr))), nil
}

func printProblems(w io.Writer, probs diag.Problems) {
	for _, p := range probs {
		fmt.Fprintln(w, p.String())
	}
}

func logProblems(log *zap.Logger, probs diag.Problems) {
	for _, p := range probs {
		log.Warn("configuration", zap.String("problem", p.String()))
	}
}

// readiness is ready when a node is healthy and the cluster's metadata has
// been read at least once (before that, wildcards would expand to nothing).
type readiness struct {
	up *upstream.Proxy
	md *upstream.MetadataCache
}

// Healthy implements server.Readiness.
func (r readiness) Healthy() bool { return r.up.Healthy() && r.md.Ready() }

// newCursors binds scroll, point-in-time and async-search ids to their
// owner with the configured key (replicas share it), or a random key.
func newCursors(cfg *config.Config) (*server.Cursors, error) {
	var key []byte
	var err error
	if f := cfg.Security.DLSFLS.CursorKeyFile; f != "" {
		key, err = cursor.LoadKey(f)
	} else {
		key, err = cursor.RandomKey()
	}
	if err != nil {
		return nil, fmt.Errorf("cursor key: %w", err)
	}
	b, err := cursor.NewBinder(key)
	if err != nil {
		return nil, fmt.Errorf("cursor key: %w", err)
	}
	return &server.Cursors{Binder: b, Registry: cursor.NewMemoryRegistry(cursor.RegistryLimits{}, time.Now)}, nil
}
