package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/explain"
)

// explainUsage documents `proxy explain`, its exit codes included.
const explainUsage = `usage: proxy explain --config FILE [--site NAME] (--user NAME | --roles R1,R2 [--user NAME])
                     [--cluster URL] [--body FILE|-] [--content-type TYPE] [--json] METHOD PATH[?QUERY]

Shows what the proxy would do with one request, without sending it: the
classification, the decision (allow, narrow or deny, with the exact error
body), the document- and field-level security per index and, for _bulk,
_mget and _msearch, the decision on each item. Nothing is forwarded and
nothing is written to the audit log; --cluster only reads the cluster's
index metadata (as serve does) so that wildcards resolve as they would.

With --user the roles are the user's, as at login (users_roles, the
native realm's users, or the OIDC role mappings, those of the
role-mapping API included, for a user of neither); no password is needed.
With --roles the request is decided with exactly those roles. Roles of
the role API (security.native_roles) count as in serve.

exit status: 0 allowed (possibly narrowed), 1 refused, 2 usage or configuration error
`

// explainFlags are the command line of `proxy explain`.
type explainFlags struct {
	config, user, roles, cluster, body, contentType, site string
	json                                                  bool
	method, target                                        string
}

// runExplain is `proxy explain`: flags and wiring; the work is
// explain.Explain's.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, ok := parseExplainFlags(args, stderr)
	if !ok {
		return 2
	}
	in, err := explainInput(f, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "proxy explain: %v\n", err)
		return 2
	}
	rep := explain.Explain(in)
	if err := writeReport(stdout, &rep, f.json); err != nil {
		fmt.Fprintf(stderr, "proxy explain: %v\n", err)
		return 2
	}
	if rep.Outcome == explain.Deny {
		return 1
	}
	return 0
}

func parseExplainFlags(args []string, stderr io.Writer) (explainFlags, bool) {
	var f explainFlags
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, explainUsage) }
	fs.StringVar(&f.config, "config", "", "configuration file")
	fs.StringVar(&f.user, "user", "", "user whose roles decide the request")
	fs.StringVar(&f.roles, "roles", "", "comma-separated roles that decide the request")
	fs.StringVar(&f.cluster, "cluster", "", "cluster node URL to read index metadata from")
	fs.StringVar(&f.body, "body", "", "file holding the request body, - for stdin")
	fs.StringVar(&f.contentType, "content-type", "", "the body's Content-Type (default JSON, NDJSON for _bulk and _msearch)")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.StringVar(&f.site, "site", "", "the site (sites[].name) whose users and roles decide; default: the top-level ones")
	var positional []string
	for { // flags may come after METHOD and PATH too
		if err := fs.Parse(args); err != nil {
			return f, false
		}
		if fs.NArg() == 0 {
			break
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	switch {
	case f.config == "":
		fmt.Fprintf(stderr, "proxy explain: --config FILE is required\n\n%s", explainUsage)
		return f, false
	case f.user == "" && f.roles == "":
		fmt.Fprintf(stderr, "proxy explain: --user or --roles is required\n\n%s", explainUsage)
		return f, false
	case len(positional) != 2 || !strings.HasPrefix(positional[1], "/"):
		fmt.Fprintf(stderr, "proxy explain: want METHOD PATH[?QUERY] after the flags\n\n%s", explainUsage)
		return f, false
	}
	f.method, f.target = strings.ToUpper(positional[0]), positional[1]
	return f, true
}

// explainInput loads what serve loads (configuration, roles, users and
// role mappings, cluster metadata) and the body.
func explainInput(f explainFlags, stdin io.Reader, stderr io.Writer) (explain.Input, error) {
	cfg, probs := config.Load(f.config, os.LookupEnv)
	if probs.HasErrors() {
		printProblems(stderr, probs)
		return explain.Input{}, errors.New("configuration has errors")
	}
	if f.site != "" {
		i := slices.IndexFunc(cfg.Sites, func(s config.Site) bool { return s.Name == f.site })
		if i < 0 {
			return explain.Input{}, fmt.Errorf("no site is named %q", f.site)
		}
		cfg = cfg.SiteConfig(i)
	}
	roles, err := explainRoles(cfg)
	if err != nil {
		return explain.Input{}, err
	}
	user, from, err := explainSubject(cfg, f.user, f.roles)
	if err != nil {
		return explain.Input{}, err
	}
	in := explain.Input{Method: f.method, Target: f.target, ContentType: f.contentType,
		MaxBodyBytes: cfg.Upstream.MaxRequestBodyBytes, User: user, RolesFrom: from, Authorizer: roles}
	if in.Body, err = readExplainBody(f.body, stdin); err != nil {
		return explain.Input{}, err
	}
	if f.cluster != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if in.Metadata, err = clusterMetadata(ctx, cfg, f.cluster); err != nil {
			return explain.Input{}, err
		}
	}
	return in, nil
}

// readExplainBody reads --body: nil without one, stdin for "-".
func readExplainBody(name string, stdin io.Reader) ([]byte, error) {
	switch name {
	case "":
		return nil, nil
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the body from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	return b, nil
}

func writeReport(w io.Writer, rep *explain.Report, asJSON bool) error {
	if !asJSON {
		return rep.WriteText(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
