package fls

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// testRoles are the roles of the fixture: the captured responses come from
// testdata/capture.sh, whose hidden fields carry CANARY-FLS-* strings (and
// salary 987654321).
const testRoles = `
people_except:
  indices:
    - names: ['fls-people']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['ssn', 'customer.ssn', 'comments.secret_note', 'bank.*', 'salary', 'title',
                 'extra.hidden_code', 'loose.unknown_secret']
    - names: ['fls-other', 'fls-runtime']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['ssn']
people_grant:
  indices:
    - names: ['fls-people', 'fls-other', 'fls-runtime']
      privileges: [read]
      field_security:
        grant: ['name', 'customer.*', 'comments.author', 'comments.text', 'comments.votes.*', 'tags',
                'location', 'bio', 'public_text', 'created', 'note', 'extra.color']
        except: ['customer.ssn']
metadata_only:
  indices:
    - names: ['fls-*']
      privileges: [read]
      field_security:
        grant: []
no_fls:
  indices:
    - names: ['fls-*']
      privileges: [read]
title_only:
  indices:
    - names: ['fls-people']
      privileges: [read]
      field_security:
        grant: ['title', 'pay']
keyword_only:
  indices:
    - names: ['fls-people']
      privileges: [read]
      field_security:
        grant: ['title.keyword', 'all_text', 'public_text', 'bio', 'name*']
customer_subtree:
  indices:
    - names: ['fls-people']
      privileges: [read]
      field_security:
        grant: ['customer.*']
customer_names:
  indices:
    - names: ['fls-people']
      privileges: [read]
      field_security:
        grant: ['customer.name']
customer_ssn_only:
  indices:
    - names: ['fls-people']
      privileges: [read]
      field_security:
        grant: ['customer.ssn', 'ssn']
hr_fls:
  indices:
    - names: ['hr-payroll']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['salary', 'ssn', 'bank.*']
`

// hiddenCanaries are the values hidden from every restricted role of the
// fixture that matter in canary tests.
var hiddenCanaries = []string{"CANARY-FLS", "987654321"}

// fieldAccess returns the FLS the named roles get on index, as the
// authorization engine computes it from testRoles.
func fieldAccess(t testing.TB, index string, roles ...string) *authz.FieldAccess {
	t.Helper()
	return fieldAccessFrom(t, testRoles, index, roles...)
}

// fieldAccessFrom is fieldAccess over the roles of a roles.yml text.
func fieldAccessFrom(t testing.TB, rolesYAML, index string, roles ...string) *authz.FieldAccess {
	t.Helper()
	fa, ok := tryFieldAccess(t, rolesYAML, index, roles...)
	if !ok {
		t.Fatalf("roles %v may not read %s", roles, index)
	}
	return fa
}

// tryFieldAccess is fieldAccessFrom reporting whether the roles may read
// the index at all.
func tryFieldAccess(t testing.TB, rolesYAML, index string, roles ...string) (*authz.FieldAccess, bool) {
	t.Helper()
	rs, probs := authz.ParseRoles("roles.yml", []byte(rolesYAML))
	if probs.HasErrors() {
		t.Fatalf("roles: %v", probs)
	}
	d := authz.NewEvaluator(rs).Decide(authz.Request{
		User: "u", Roles: roles, Action: "indices:data/read/search", Indices: []string{index},
	})
	if !d.Allowed {
		return nil, false
	}
	for _, a := range d.Access {
		if a.Index == index {
			return a.Fields, true
		}
	}
	t.Fatalf("no access entry for %s in %+v", index, d.Access)
	return nil, false
}

// readFixture returns a file of testdata/captured.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "captured", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureMappings parses the captured mappings of the fixture indices
// (fls-runtime's from Elasticsearch: OpenSearch has no runtime section).
func fixtureMappings(t testing.TB) map[string]*Mapping {
	t.Helper()
	ms := map[string]*Mapping{}
	for _, name := range []string{"mapping", "es_mapping_runtime"} {
		parsed, err := ParseMappings(readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for index, m := range parsed {
			ms[index] = m
		}
	}
	return ms
}

// fixtureIndices are the indices of the captured responses.
var fixtureIndices = []string{"fls-people", "fls-other", "fls-runtime"}

// fixturePolicy is the policy of the given roles over the fixture indices
// (an index the roles cannot read is unknown to it).
func fixturePolicy(t testing.TB, roles ...string) Views {
	t.Helper()
	ms := fixtureMappings(t)
	vs := Views{}
	for _, index := range fixtureIndices {
		if fa, ok := tryFieldAccess(t, testRoles, index, roles...); ok {
			vs[index] = NewView(fa, ms[index])
		}
	}
	return vs
}

// peopleView is the view of fls-people under the given roles.
func peopleView(t testing.TB, roles ...string) *View {
	t.Helper()
	return NewView(fieldAccess(t, "fls-people", roles...), fixtureMappings(t)["fls-people"])
}

// apply runs the filter of kind on body and checks the output is valid
// JSON.
func apply(t testing.TB, f *Filter, kind Kind, body []byte) string {
	t.Helper()
	return applyIndex(t, f, kind, body, "fls-people")
}

// applyIndex is apply with the index of a KindSource body.
func applyIndex(t testing.TB, f *Filter, kind Kind, body []byte, index string) string {
	t.Helper()
	var out bytes.Buffer
	if err := f.Apply(&out, bytes.NewReader(body), kind, 200, index); err != nil {
		t.Fatalf("filter: %v\ninput: %s", err, body)
	}
	if out.Len() > 0 && !json.Valid(out.Bytes()) {
		t.Fatalf("invalid JSON output: %s", out.String())
	}
	return out.String()
}

// assertNoCanary fails if a canary occurs in out.
func assertNoCanary(t testing.TB, out string, canaries ...string) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(out, c) {
			t.Fatalf("canary %q leaked:\n%s", c, out)
		}
	}
}

// assertContains fails unless every string occurs in out.
func assertContains(t testing.TB, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

// predicate is a FieldPredicate over an explicit set of names, for cases
// no role can express.
type predicate map[string]bool

func (p predicate) Allows(f string) bool { return p[f] }

// errTest is an error returned by test callbacks.
var errTest = errors.New("test error")

type stringsBuilder = strings.Builder

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// compactJSON removes the whitespace between tokens (values copied whole
// keep the upstream's).
func compactJSON(t testing.TB, s string) string {
	t.Helper()
	v := jsontext.Value(s)
	if err := v.Compact(jsontext.AllowDuplicateNames(true)); err != nil {
		t.Fatalf("compact: %v", err)
	}
	return string(v)
}
