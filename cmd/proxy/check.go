package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// runCheck validates the configuration and every file it references, prints
// each problem as file:line: message, and exits 1 if any is an error.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "proxy check: --config FILE is required")
		return 2
	}
	probs := checkAll(*path)
	for _, p := range probs {
		fmt.Fprintln(stdout, p.String())
	}
	if probs.HasErrors() {
		fmt.Fprintf(stdout, "%s: configuration has errors\n", *path)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK\n", *path)
	return 0
}

// checkAll gathers the problems of the configuration and its files, the
// default site's and every tenant site's.
func checkAll(path string) diag.Problems {
	cfg, probs := config.Load(path, os.LookupEnv)
	if cfg == nil {
		return probs
	}
	probs = append(probs, checkSiteFiles(path, cfg)...)
	for i := range cfg.Sites {
		probs = append(probs, checkSiteFiles(path, cfg.SiteConfig(i))...)
	}
	return probs
}

// checkSiteFiles reports the problems of the files one site names.
func checkSiteFiles(path string, cfg *config.Config) diag.Problems {
	var probs diag.Problems
	s := cfg.Security
	if s.Users != "" && s.UsersRoles != "" {
		probs = append(probs, authn.ValidateFileRealm(s.Users, s.UsersRoles)...)
	}
	if err := auditConfig(cfg).Validate(); err != nil {
		probs.Errorf(path, cfg.Line("audit"), "audit: %v", err)
	}
	if f := s.Sessions.EncryptionKeysFile; f != "" && s.OIDC.Login.Enabled {
		if _, err := session.LoadSecrets(f); err != nil {
			probs.Errorf(path, cfg.Line("security.sessions.encryption_keys_file"), "security.sessions.encryption_keys_file: %v", err)
		}
	}
	if s.Roles != "" {
		_, rp := authz.LoadRolesFile(s.Roles)
		probs = append(probs, rp...)
	}
	probs = append(probs, checkPKI(cfg)...)
	probs = append(probs, checkServiceTokens(cfg)...)
	return probs
}
