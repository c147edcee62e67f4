package authn

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// Service accounts. Elasticsearch's service accounts (elastic/kibana,
// elastic/fleet-server, elastic/enterprise-search-server) authenticate with
// service account tokens sent as "Authorization: Bearer <token>", where the
// token is base64 (standard alphabet, no padding) of the bytes 0 1 0 1
// followed by "namespace/service/token_name:secret". The proxy reads their
// hashes from Elasticsearch's service_tokens file: one
// "namespace/service/token_name:hash" line per token, any hash format of
// the users file.

// Service account realm and token source names, as Elasticsearch reports
// them in _authenticate and the audit log.
const (
	ServiceAccountRealm    = "_service_account"
	ServiceTokenFileSource = "_service_account_file"
)

// serviceTokenPrefix is the four bytes every service account token starts
// with (magic, token type, reserved, format version).
const serviceTokenPrefix = "\x00\x01\x00\x01"

// ServiceTokenRef names the service account token a request authenticated
// with. It is immutable once built.
type ServiceTokenRef struct {
	// Name is the token's name (the last part of its qualified name).
	Name string
	// Source is where the token is defined: ServiceTokenFileSource.
	Source string
}

// EncodeServiceToken returns the bearer string of a token.
func EncodeServiceToken(account, tokenName, secret string) string {
	return base64.RawStdEncoding.EncodeToString([]byte(serviceTokenPrefix + account + "/" + tokenName + ":" + secret))
}

// DecodeServiceToken splits a bearer string into the service account
// ("namespace/service"), the token name and the secret; ok is false when
// the string is not a service account token (another kind of bearer
// token).
func DecodeServiceToken(bearer string) (account, tokenName, secret string, ok bool) {
	if len(bearer) > 4096 {
		return "", "", "", false
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(bearer, "="))
	if err != nil || !bytes.HasPrefix(raw, []byte(serviceTokenPrefix)) {
		return "", "", "", false
	}
	qualified, secret, found := strings.Cut(string(raw[4:]), ":")
	parts := strings.Split(qualified, "/")
	if !found || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || secret == "" {
		return "", "", "", false
	}
	return parts[0] + "/" + parts[1], parts[2], secret, true
}

// ParseServiceTokens parses a service_tokens file: qualified token name to
// hash. Lines of unknown service accounts, malformed names and unreadable
// hashes are skipped with a problem naming file:line.
func ParseServiceTokens(file string, data []byte, known func(account string) bool) (map[string]*StoredHash, diag.Problems) {
	var ps diag.Problems
	out := map[string]*StoredHash{}
	if n := firstInvalidUTF8Line(data); n > 0 {
		ps.Errorf(file, n, "file is not valid UTF-8; no service tokens loaded from it")
		return out, ps
	}
	for i, line := range splitLines(string(data)) {
		t := trimJava(line)
		if isSkippable(t) {
			continue
		}
		name, raw, found := strings.Cut(t, ":")
		parts := strings.Split(name, "/")
		switch {
		case !found || raw == "":
			ps.Errorf(file, i+1, "invalid entry: expected namespace/service/token_name:hash; line skipped")
			continue
		case len(parts) != 3 || slices.Contains(parts, ""):
			ps.Errorf(file, i+1, "invalid token name %q: expected namespace/service/token_name; line skipped", name)
			continue
		case !known(parts[0] + "/" + parts[1]):
			ps.Errorf(file, i+1, "unknown service account %q; line skipped", parts[0]+"/"+parts[1])
			continue
		}
		h, err := ParseHash(raw)
		if err != nil {
			ps.Errorf(file, i+1, "service token %q: %v; this token cannot authenticate", name, err)
			continue
		}
		if w := h.Weakness(); w != "" {
			ps.Warnf(file, i+1, "service token %q: %s", name, w)
		}
		if _, dup := out[name]; dup {
			ps.Warnf(file, i+1, "service token %q is defined again; this later entry replaces it", name)
		}
		out[name] = h
	}
	return out, ps
}

// ServiceTokens authenticates service account tokens against a
// service_tokens file, reloaded on change. It is safe for concurrent use.
type ServiceTokens struct {
	path  string
	known func(string) bool
	// roles gives an account's role names (its one built-in role).
	roles func(string) []string
	log   *zap.Logger
	cache *credentialCache

	reloadMu sync.Mutex
	state    atomic.Pointer[serviceTokenState]
}

type serviceTokenState struct {
	sum      [32]byte
	tokens   map[string]*StoredHash
	gen      uint64
	problems diag.Problems
}

// NewServiceTokens loads the file at path. known says which service
// accounts exist; roles gives the role names of one.
func NewServiceTokens(path string, known func(string) bool, roles func(string) []string, log *zap.Logger) (*ServiceTokens, error) {
	cache, err := newCredentialCache(DefaultCacheTTL, 1000, time.Now)
	if err != nil {
		return nil, err
	}
	s := &ServiceTokens{path: path, known: known, roles: roles, log: log, cache: cache}
	s.state.Store(&serviceTokenState{})
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Problems are those of the last load.
func (s *ServiceTokens) Problems() diag.Problems { return s.state.Load().problems }

// Reload re-reads the file when its content changed; a file that cannot be
// read removes every token (fail closed).
func (s *ServiceTokens) Reload() (bool, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cur := s.state.Load()
	f := readSecurityFile(s.path)
	if f.sum == cur.sum && cur.tokens != nil {
		return false, f.err
	}
	next := &serviceTokenState{sum: f.sum, gen: cur.gen + 1, tokens: map[string]*StoredHash{}}
	switch {
	case f.err != nil:
		next.problems.Errorf(s.path, 0, "cannot read the service tokens file: %v; no token authenticates", f.err)
	case f.missing:
		next.problems.Warnf(s.path, 0, "service tokens file does not exist: no token authenticates")
	default:
		next.tokens, next.problems = ParseServiceTokens(s.path, f.data, s.known)
	}
	s.state.Store(next)
	s.cache.clear()
	for _, p := range next.problems {
		s.log.Warn("service tokens problem", zap.String("problem", p.String()))
	}
	s.log.Info("service tokens loaded", zap.String("file", s.path), zap.Int("tokens", len(next.tokens)))
	return true, f.err
}

// Watch reloads the file every interval until ctx is done.
func (s *ServiceTokens) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	reload.Poll(ctx, interval, func() { _, _ = s.Reload() })
}

// Authenticate implements Authenticator: a Bearer service account token,
// or ErrNoCredentials for anything else (other bearer tokens go on to the
// next authenticator).
func (s *ServiceTokens) Authenticate(r *http.Request) (*Principal, error) {
	scheme, bearer, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, ErrNoCredentials
	}
	account, tokenName, secret, ok := DecodeServiceToken(strings.TrimSpace(bearer))
	if !ok {
		return nil, ErrNoCredentials
	}
	st := s.state.Load()
	qualified := account + "/" + tokenName
	if p := s.cache.get(qualified, secret, st.gen); p != nil {
		return p, nil
	}
	h, known := st.tokens[qualified]
	if !known || !h.Verify(secret) {
		return nil, &AuthError{Username: account, Reason: fmt.Sprintf("service account token [%s] is unknown or its secret is wrong", qualified)}
	}
	p := &Principal{
		Username: account, Realm: ServiceAccountRealm, RealmType: ServiceAccountRealm,
		Roles: s.roles(account), FullName: "Service account - " + account,
		Metadata:     map[string]any{"_elastic_service_account": true},
		ServiceToken: &ServiceTokenRef{Name: tokenName, Source: ServiceTokenFileSource},
	}
	s.cache.put(qualified, secret, st.gen, p)
	return p, nil
}
