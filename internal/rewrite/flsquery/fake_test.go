package flsquery

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// fakeView is a FieldView over a fixed list of mapped leaves with
// Elastic-style grant/except patterns. hidden lists names that resolve to
// hidden data although their name is granted (a field alias or runtime
// field over a hidden field), which only the mapping-aware view can know.
type fakeView struct {
	mapped        []string
	grant, except []string
	hidden        []string
}

// isMetadataField reports the fields always visible, as in Elasticsearch.
func isMetadataField(name string) bool {
	return slices.Contains([]string{"_id", "_index", "_routing", "_version", "_seq_no", "_primary_term", "_tier"}, name)
}

func (v *fakeView) Visible(field string) bool {
	if isMetadataField(field) {
		return true
	}
	if slices.Contains(v.hidden, field) {
		return false
	}
	return matchesAny(v.grant, field) && !matchesAny(v.except, field)
}

func (v *fakeView) Expand(pattern string) []string {
	var out []string
	for _, f := range v.mapped {
		if globMatch(pattern, f) && v.Visible(f) {
			out = append(out, f)
		}
	}
	return out
}

func matchesAny(patterns []string, s string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return globMatch(p, s) })
}

// globMatch matches '*' (any run of characters, dots included).
func globMatch(pattern, s string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	if !strings.HasPrefix(s, pattern[:star]) {
		return false
	}
	rest := pattern[star+1:]
	for i := star; i <= len(s); i++ {
		if globMatch(rest, s[i:]) {
			return true
		}
	}
	return false
}

// logsMapping is the leaf list of the corpus logs-* indices.
func logsMapping() []string {
	return []string{"@timestamp", "tenant", "tenant_internal", "message", "message.keyword", "user.name",
		"user.email", "user.ssn_alias", "user.rt_secret", "secret_note", "secret_note.keyword", "all_text", "salary",
		"user_ssn", "code", "comments.author", "comments.text", "event.category"}
}

// aliceView is the corpus role acme_reader on a logs-* index.
func aliceView() *fakeView {
	return &fakeView{mapped: logsMapping(), grant: []string{"@timestamp", "tenant", "message", "user.*"},
		except: []string{"user.email"}, hidden: []string{"user.ssn_alias", "user.rt_secret"}}
}

// payrollMapping is the leaf list of the corpus hr-payroll index.
func payrollMapping() []string {
	return []string{"@timestamp", "tenant", "employee", "department", "note", "salary", "ssn", "code",
		"bank.name", "bank.iban"}
}

// harryView is the corpus role hr_fls on hr-payroll.
func harryView() *fakeView {
	return &fakeView{mapped: payrollMapping(), grant: []string{"*"}, except: []string{"salary", "ssn", "bank.*"}}
}

// aliceHidden are the logs fields alice may not use.
func aliceHidden() []string {
	return []string{"tenant_internal", "message.keyword", "user.email", "user.ssn_alias", "user.rt_secret",
		"secret_note", "secret_note.keyword", "all_text", "salary", "user_ssn", "code", "comments.author",
		"comments.text", "event.category"}
}

func oneIndex(index string, v FieldView) Scope {
	return Scope{Indices: []IndexFields{{Index: index, Fields: v}}}
}

// rewriteString parses body, rewrites it for api and scope, and returns
// the compact JSON of the result.
func rewriteString(t *testing.T, api API, body string, scope Scope) (string, error) {
	t.Helper()
	o, err := esbody.ParseObject([]byte(body))
	if err != nil {
		t.Fatalf("test body does not parse: %v\n%s", err, body)
	}
	out, err := RewriteBody(api, o, scope)
	if err != nil {
		var refusal *Refusal
		if !errors.As(err, &refusal) {
			t.Fatalf("error is not a *Refusal: %T %v", err, err)
		}
		if refusal.Status != 400 || refusal.Type == "" || refusal.Reason == "" {
			t.Fatalf("incomplete refusal: %+v", refusal)
		}
		return "", err
	}
	b, err := esbody.Encode(out)
	if err != nil {
		t.Fatalf("rewritten body does not encode: %v", err)
	}
	return string(b), nil
}

// compact re-encodes a JSON literal written for readability.
func compact(t *testing.T, s string) string {
	t.Helper()
	v, err := esbody.ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("expected JSON does not parse: %v\n%s", err, s)
	}
	b, err := esbody.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rewriteCase is one table test: a body, and either the expected body or
// a substring of the refusal.
type rewriteCase struct {
	name   string
	body   string
	want   string
	refuse string
}

func runCases(t *testing.T, api API, scope Scope, cases []rewriteCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rewriteString(t, api, tc.body, scope)
			if tc.refuse != "" {
				if err == nil {
					t.Fatalf("want refusal containing %q, got body %s", tc.refuse, got)
				}
				if !strings.Contains(err.Error(), tc.refuse) {
					t.Fatalf("refusal %q does not contain %q", err.Error(), tc.refuse)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected refusal: %v", err)
			}
			if want := compact(t, tc.want); got != want {
				t.Fatalf("rewrite mismatch\n got: %s\nwant: %s", got, want)
			}
		})
	}
}
