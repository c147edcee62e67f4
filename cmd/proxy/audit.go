package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/portcullis-proxy/portcullis/internal/audit"
)

const auditUsage = `usage: proxy audit verify [--hmac-key-file FILE] FILE...

Checks the hash chain of audit files given oldest first: rotated files
(.gz or not) and then the active file, e.g.
  proxy audit verify /var/log/portcullis/audit-*.json* /var/log/portcullis/audit.json
Prints "OK: N records" or the first break as "file:line: reason" (exit 1).
`

// runAudit implements "audit verify FILE…".
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage) }
	keyFile := fs.String("hmac-key-file", "", "key file of a log written with audit.hmac_key_file")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	var key []byte
	if *keyFile != "" {
		var err error
		if key, err = audit.LoadHMACKey(*keyFile); err != nil {
			fmt.Fprintf(stderr, "proxy audit verify: %v\n", err)
			return 2
		}
	}
	rep, err := audit.VerifyWithKey(key, files...)
	if err != nil {
		fmt.Fprintf(stderr, "proxy audit verify: %v\n", err)
		return 1
	}
	if rep.Break != nil {
		fmt.Fprintln(stdout, rep.Break.String())
		return 1
	}
	fmt.Fprintf(stdout, "OK: %d records\n", rep.Records)
	if rep.Records > 0 {
		fmt.Fprintf(stderr, "chain.seq %d to %d in %d file(s), last chain.hash %s\n", rep.FirstSeq, rep.LastSeq, rep.Files, rep.LastHash)
		if rep.FirstSeq != 1 {
			fmt.Fprintf(stderr, "note: the chain starts at chain.seq %d: records before it (older files) were not checked\n", rep.FirstSeq)
		}
		if key == nil {
			fmt.Fprintln(stderr, "note: verified as a plain SHA-256 chain, which anyone who can edit the files can recompute; a log written with audit.hmac_key_file must be verified with --hmac-key-file (rewritten without the key it would verify here)")
		}
		fmt.Fprintln(stderr, "note: records removed from the end of the newest file leave no gap; compare the last chain.hash with a copy kept elsewhere (the shippers)")
	}
	return 0
}
