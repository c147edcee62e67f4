package server

import (
	"bytes"
	"strings"
	"testing"
)

func TestQuotesLiteral(t *testing.T) {
	lits := []string{"acme-secret", "me", "42"}
	for s, want := range map[string]bool{
		`For input string: "ACME-SECRET"`: true,
		`failed: [me]`:                    true,
		`time`:                            false,
		`the value 420`:                   false,
		`value 42.`:                       true,
		`acme-secretive`:                  false,
		`xacme-secret`:                    false,
		`":acme-secret"`:                  true,
	} {
		if got := quotesLiteral(s, lits); got != want {
			t.Errorf("quotesLiteral(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRedactFailures(t *testing.T) {
	in := `{"_shards":{"failed":1,"failures":[{"index":"i","reason":{"reason":"For input string: \"acme\"","n":42}}]},` +
		`"hits":{"hits":[{"_source":{"customer":"acme"}}]},"error":{"reason":"acme","ok":"fine"}}`
	var out bytes.Buffer
	if err := redactFailures(&out, strings.NewReader(in), []string{"acme", "42"}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Count(got, redactedReason) != 3 {
		t.Errorf("want the two failure values and the error reason redacted: %s", got)
	}
	if !strings.Contains(got, `"_source":{"customer":"acme"}`) || !strings.Contains(got, `"ok":"fine"`) || !strings.Contains(got, `"failed":1`) {
		t.Errorf("values outside failures, and unrelated ones, must stay: %s", got)
	}
}
