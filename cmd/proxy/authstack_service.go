package main

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// newServiceTokens loads the service_tokens file: each service account
// gets its one built-in role, named like the account.
func newServiceTokens(path string, log *zap.Logger) (*authn.ServiceTokens, error) {
	tokens, err := authn.NewServiceTokens(path, authz.IsServiceAccount, func(account string) []string { return []string{account} }, log)
	if err != nil {
		return nil, fmt.Errorf("loading the service tokens: %w", err)
	}
	return tokens, nil
}

// checkServiceTokens reports the problems of the service_tokens file, for
// `proxy check`.
func checkServiceTokens(cfg *config.Config) diag.Problems {
	if cfg.Security.ServiceTokens == "" {
		return nil
	}
	tokens, err := authn.NewServiceTokens(cfg.Security.ServiceTokens, authz.IsServiceAccount, func(string) []string { return nil }, zap.NewNop())
	if err != nil {
		var ps diag.Problems
		ps.Errorf(cfg.Security.ServiceTokens, 0, "%v", err)
		return ps
	}
	return tokens.Problems()
}

// reloadServiceTokens re-reads the service_tokens file (SIGHUP).
func (st *authStack) reloadServiceTokens() {
	if st.serviceTokens != nil {
		_, _ = st.serviceTokens.Reload() // logs its own problems
	}
}
