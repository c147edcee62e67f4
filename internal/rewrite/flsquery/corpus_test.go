package flsquery

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// corpusCase is the part of a security corpus case this test reads.
type corpusCase struct {
	ID     string `json:"id"`
	Class  string `json:"class"`
	User   string `json:"user"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body"`
}

// corpusPath is the repository's copy of the security corpus.
const corpusPath = "../../../test/corpus/cases.jsonl"

func readCorpus(t *testing.T) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.FromSlash(corpusPath))
	if err != nil {
		t.Fatalf("security corpus: %v", err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("corpus line: %v", err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// corpusUserView returns the FLS view of a corpus user on an index, with
// the user's hidden fields, or nil when the user has no FLS there.
func corpusUserView(user, index string) (FieldView, []string) {
	switch {
	case (user == "alice" || user == "eddie") && strings.HasPrefix(index, "logs-"):
		return aliceView(), aliceHidden()
	case user == "harry" && index == "hr-payroll":
		return harryView(), []string{"salary", "ssn", "bank.iban", "bank.name"}
	}
	return nil, nil
}

// corpusAPI maps a corpus path to the API whose body it carries.
func corpusAPI(path string) (API, bool) {
	p := path
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	switch {
	case strings.HasSuffix(p, "/_search"), strings.HasSuffix(p, "/_async_search"):
		return Search, true
	case strings.HasSuffix(p, "/_count"):
		return Count, true
	case strings.Contains(p, "/_explain/"):
		return Explain, true
	case strings.HasSuffix(p, "/_validate/query"):
		return ValidateQuery, true
	case strings.HasSuffix(p, "/_delete_by_query"):
		return DeleteByQuery, true
	case strings.HasSuffix(p, "/_update_by_query"):
		return UpdateByQuery, true
	case strings.HasSuffix(p, "/_terms_enum"):
		return TermsEnum, true
	case strings.HasSuffix(p, "/_field_caps"):
		return FieldCaps, true
	}
	return 0, false
}

// corpusBody builds the body the cluster would run: the JSON body, with
// the URL q and sort parameters moved into it as the integrator does.
func corpusBody(t *testing.T, c corpusCase) (*esbody.Object, bool) {
	body := &esbody.Object{}
	if strings.TrimSpace(c.Body) != "" {
		o, err := esbody.ParseObject([]byte(c.Body))
		if err != nil {
			return nil, false // refused by the body parser, not this package's concern
		}
		body = o
	}
	u, err := url.Parse(c.Path)
	if err != nil {
		return nil, false
	}
	params := u.Query()
	q, err := QueryFromURL(URLQuery{Q: params.Get("q"), HasQ: params.Has("q"), DF: params.Get("df")})
	if err != nil {
		t.Fatalf("%s: q: %v", c.ID, err)
	}
	if q != nil {
		body.Set("query", q)
	}
	if s := params.Get("sort"); s != "" {
		sorts, err := SortFromURL(s)
		if err != nil {
			t.Fatalf("%s: sort: %v", c.ID, err)
		}
		body.Set("sort", sorts)
	}
	return body, true
}

// corpusOutcomes is what this package must do with each fls-side-channel
// case: rewrite it or refuse it. Every case of the class is listed, so a
// new construct in the corpus fails this test until it is decided.
func corpusOutcomes() map[string]string {
	return map[string]string{
		"FLS-001": "rewrite", // match on a hidden field
		"FLS-003": "rewrite", // exists on a hidden field
		"FLS-005": "rewrite", // field_value_factor score oracle
		"FLS-007": "rewrite", // copy_to target
		"FLS-009": "rewrite", // aggregations on hidden fields and a hidden multi-field
		"FLS-011": "refuse",  // scripted_metric
		"FLS-013": "refuse",  // script_fields
		"FLS-015": "rewrite", // field alias under a granted name
		"FLS-017": "rewrite", // highlight_query on hidden fields
		"FLS-019": "rewrite", // term suggester on a hidden field
		"FLS-021": "refuse",  // terms lookup
		"FLS-023": "n/a",     // _mget: not a search body (response filter)
		"FLS-025": "rewrite", // grant * except, aggregations
	}
}

// TestSecurityCorpus runs every search-like body the corpus sends as an
// FLS user through Rewrite: it must be refused or come back without any
// reference to a hidden field, in any field position and as any JSON
// string outside _source (which the response filter handles).
func TestSecurityCorpus(t *testing.T) {
	corpusOutcome := corpusOutcomes()
	seen := map[string]bool{}
	for _, c := range readCorpus(t) {
		if c.Class == "fls-side-channel" {
			if _, ok := corpusOutcome[c.ID]; !ok {
				t.Errorf("%s: fls-side-channel case without a decided outcome", c.ID)
			}
		}
		api, ok := corpusAPI(c.Path)
		if !ok {
			continue
		}
		index := strings.SplitN(strings.TrimPrefix(c.Path, "/"), "/", 2)[0]
		view, hidden := corpusUserView(c.User, index)
		if view == nil {
			continue
		}
		body, ok := corpusBody(t, c)
		if !ok {
			continue
		}
		seen[c.ID] = true
		t.Run(c.ID, func(t *testing.T) {
			out, err := RewriteBody(api, body, oneIndex(index, view))
			want := corpusOutcome[c.ID]
			if err != nil {
				var refusal *Refusal
				if !errors.As(err, &refusal) {
					t.Fatalf("error is not a refusal: %v", err)
				}
				if want == "rewrite" {
					t.Fatalf("refused, want a rewrite: %v", err)
				}
				return
			}
			if want == "refuse" {
				t.Fatalf("rewritten, want a refusal")
			}
			if err := checkNoHiddenReference(api, out, view); err != nil {
				t.Fatal(err)
			}
			scan := out.Clone()
			scan.Delete("_source")
			raw, _ := esbody.Encode(scan)
			for _, h := range hidden {
				if strings.Contains(string(raw), `"`+h+`"`) {
					t.Errorf("hidden field %q appears in %s", h, raw)
				}
			}
		})
	}
	for id, want := range corpusOutcome {
		if want != "n/a" && !seen[id] {
			t.Errorf("%s was not exercised", id)
		}
	}
	if !slices.ContainsFunc(readCorpus(t), func(c corpusCase) bool { return c.Class == "fls-side-channel" }) {
		t.Fatal("the corpus has no fls-side-channel case")
	}
}
