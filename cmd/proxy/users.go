package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// runUsers implements "users hash": like elasticsearch-users, it reads a
// password (first line of stdin, so it never appears in shell history or
// process lists) and prints a bcrypt hash for the users file.
func runUsers(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "hash" {
		fmt.Fprintln(stderr, "usage: proxy users hash [--cost N]  (password on stdin)")
		return 2
	}
	fs := flag.NewFlagSet("users hash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cost := fs.Int("cost", 10, "bcrypt cost (4-31); Elasticsearch's default is 10")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintf(stderr, "proxy users hash: reading password: %v\n", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		fmt.Fprintln(stderr, "proxy users hash: empty password on stdin")
		return 1
	}
	if len(password) > 72 {
		fmt.Fprintln(stderr, "proxy users hash: bcrypt uses at most 72 bytes of a password")
		return 1
	}
	hash, err := authn.HashPassword(password, *cost)
	if err != nil {
		fmt.Fprintf(stderr, "proxy users hash: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, hash)
	return 0
}
