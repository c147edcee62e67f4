package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// tokenNamePattern is Elasticsearch's rule for service token names.
var tokenNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-][a-zA-Z0-9_-]{0,255}$`)

// runServiceTokens implements "service-tokens create", as
// elasticsearch-service-tokens does: a random secret for a service
// account's new token, its bcrypt hash appended to the service_tokens file,
// and the bearer string printed once (it is not kept).
func runServiceTokens(args []string, stdout, stderr io.Writer) int {
	const use = "usage: proxy service-tokens create --file FILE NAMESPACE/SERVICE TOKEN_NAME"
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, use)
		return 2
	}
	fset := flag.NewFlagSet("service-tokens create", flag.ContinueOnError)
	fset.SetOutput(stderr)
	file := fset.String("file", "", "the service_tokens file (security.service_tokens)")
	if err := fset.Parse(args[1:]); err != nil {
		return 2
	}
	if *file == "" || fset.NArg() != 2 {
		fmt.Fprintln(stderr, use)
		return 2
	}
	account, name := fset.Arg(0), fset.Arg(1)
	if !authz.IsServiceAccount(account) {
		fmt.Fprintf(stderr, "proxy service-tokens: unknown service account %q (one of %s)\n", account, strings.Join(authz.ServiceAccounts(), ", "))
		return 1
	}
	if !tokenNamePattern.MatchString(name) {
		fmt.Fprintf(stderr, "proxy service-tokens: invalid token name %q: 1-256 letters, digits, - and _, not starting with _\n", name)
		return 1
	}
	if err := createServiceToken(*file, account, name, stdout); err != nil {
		fmt.Fprintf(stderr, "proxy service-tokens: %v\n", err)
		return 1
	}
	return 0
}

func createServiceToken(file, account, name string, stdout io.Writer) error {
	qualified := account + "/" + name
	existing, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	known, _ := authn.ParseServiceTokens(file, existing, func(string) bool { return true })
	if _, dup := known[qualified]; dup {
		return fmt.Errorf("token %s already exists in %s", qualified, file)
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	hash, err := authn.HashPassword(secret, 10)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	line := qualified + ":" + hash + "\n"
	if len(existing) > 0 && existing[len(existing)-1] != '\n' {
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "SERVICE_TOKEN %s = %s\n", qualified, authn.EncodeServiceToken(account, name, secret))
	return nil
}
