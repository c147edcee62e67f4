// Command proxy is Portcullis: a security-enforcing reverse proxy for
// Elasticsearch, OpenSearch and Kibana.
//
//	proxy serve --config FILE    run the proxy
//	proxy check --config FILE    validate the configuration and every file it names
//	proxy explain --config FILE (--user NAME | --roles R1,R2) METHOD PATH
//	                             show what the proxy would do with a request, without sending it
//	proxy users hash             read a password on stdin, print a bcrypt hash for the users file
//	proxy service-tokens create --file FILE NAMESPACE/SERVICE NAME
//	                             make a service account token (as elasticsearch-service-tokens)
//	proxy audit verify FILE…     check the audit log's hash chain
//	proxy version                print the version
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: proxy <command> [flags]

commands:
  serve --config FILE    run the proxy
  check --config FILE    validate the configuration and the files it references
  explain --config FILE (--user NAME | --roles R1,R2) [--cluster URL] [--body FILE|-] [--json] METHOD PATH[?QUERY]
                         show how a request is classified and decided, without sending it
                         (exit 0 allowed, 1 refused, 2 usage error; see proxy explain -h)
  users hash             read a password from stdin and print its bcrypt hash
  service-tokens create --file FILE NAMESPACE/SERVICE NAME
                         add a service account token to the service_tokens file; print it once
  audit verify FILE...   check the audit log's hash chain; report the first broken record
  version                print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "explain":
		return runExplain(args[1:], stdin, stdout, stderr)
	case "audit":
		return runAudit(args[1:], stdout, stderr)
	case "users":
		return runUsers(args[1:], stdin, stdout, stderr)
	case "service-tokens":
		return runServiceTokens(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "portcullis %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "proxy: unknown command %q\n\n%s", args[0], usage)
	return 2
}
