package esbody

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// corpusRequest is one request of the security acceptance corpus
// (/work/shared/security-corpus/cases.jsonl) that carries a body or a
// ?source= parameter. testdata/corpus_requests.jsonl holds those fields
// only: id, method, target, body headers and body, with the corpus'
// compress and %%PAD:n%% conventions.
type corpusRequest struct {
	ID         string            `json:"id"`
	Method     string            `json:"method"`
	Target     string            `json:"target"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	BodyBase64 string            `json:"body_base64"`
	Compress   string            `json:"compress"`
}

var padMacro = regexp.MustCompile(`%%PAD:([0-9]+)%%`)

// body returns the bytes the corpus runner sends; padding is capped at
// maxPad so fuzz seeds stay small.
func (c corpusRequest) body(t testing.TB, maxPad int) []byte {
	t.Helper()
	var b []byte
	if c.BodyBase64 != "" {
		var err error
		if b, err = base64.StdEncoding.DecodeString(c.BodyBase64); err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
	} else {
		b = []byte(padMacro.ReplaceAllStringFunc(c.Body, func(m string) string {
			n, _ := strconv.Atoi(padMacro.FindStringSubmatch(m)[1])
			return strings.Repeat(" ", min(n, maxPad))
		}))
	}
	switch c.Compress {
	case "gzip":
		b = gzipped(t, string(b))
	case "deflate-raw":
		var z bytes.Buffer
		w, _ := flate.NewWriter(&z, flate.DefaultCompression)
		w.Write(b)
		w.Close()
		b = z.Bytes()
	}
	return b
}

func (c corpusRequest) request(t testing.TB, maxPad int) *http.Request {
	r := req(c.Method, c.Target, c.body(t, maxPad))
	for k, v := range c.Headers {
		r.Header.Set(k, v)
	}
	if strings.EqualFold(c.Headers["Transfer-Encoding"], "chunked") {
		r.ContentLength = -1
	}
	return r
}

func loadCorpus(t testing.TB) []corpusRequest {
	t.Helper()
	f, err := os.Open("testdata/corpus_requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c corpusRequest
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// parseForRoute parses a body with the parser its route needs and returns a
// short description of what the cluster would act on.
func parseForRoute(path string, raw []byte) (string, error) {
	switch {
	case strings.Contains(path, "/_bulk"):
		items, err := ParseBulk(raw)
		return bulkSummary(items), err
	case strings.Contains(path, "/_msearch"):
		items, err := ParseMsearch(raw)
		return msearchSummary(items), err
	case strings.Contains(path, "/_mget"):
		docs, ids, err := ParseMget(raw)
		return mgetSummary(docs, ids), err
	}
	v, err := ParseJSON(raw)
	if err != nil {
		return "", err
	}
	out, err := Encode(v)
	return string(out), err
}

// TestCorpusRequests runs every body of the acceptance corpus through Read
// and the route's parser. Cases about parser differentials have their
// outcome pinned; every other body must be accepted.
func TestCorpusRequests(t *testing.T) {
	pinned := map[string]struct {
		status int    // 0: accepted
		want   string // substring of the summary (accepted) or the reason (refused)
	}{
		"PARSE-001": {0, `"match_all":{}`},
		"PARSE-005": {406, "Content-Type header [application/cbor] is not supported"},
		"PARSE-007": {0, `"match_all":{}`},
		"PARSE-009": {0, `"match_all":{}`},
		"PARSE-011": {0, `"match_all":{}`},
		"PARSE-013": {0, `"match_all":{}`},
		"PARSE-015": {400, "invalid character '/'"},
		"PARSE-017": {0, `"match_all":{}`},
		"PARSE-019": {406, "Content-Type header is missing"},
		"PARSE-021": {0, `"field":"user_ssn"`},
		"PARSE-023": {0, `1/2 {} | 3/4 {} | 5/6 idx=hr-payroll {"size":10}`},
		"PARSE-029": {0, `"size":50`},
		"AUTHZ-019": {0, `idx=hr-payroll`},
		"AUTHN-003": {0, `idx=hr-payroll`},
		"WRITE-003": {0, `1:create idx=hr-payroll id=planted-w03`},
		"WRITE-005": {0, `1:index idx=logs-globex-2024 id=planted-w05`},
		"WRITE-007": {0, `1:index id=wendy-ok-7 src@2={"tenant":"acme","message":"ok"} | 4:index idx=logs-globex-2024 id=planted-w07`},
		"WRITE-009": {0, `1:delete id=sb-nonexistent | 2:index idx=hr-payroll id=planted-w09 src@3=`},
		"AUTHZ-017": {0, `logs-acme-2024/acm-0002 | hr-payroll/pay-001`},
		"DLS-011":   {0, `ids=gxid-01+gxid-02+acm-g-0001`},
		"FLS-023":   {0, `logs-acme-2024/acm-0005 src=["secret_note","user_ssn","user.email","salary"] | logs-acme-2024/acm-0002 sf=secret_note+code`},
	}
	seen := map[string]bool{}
	for _, c := range loadCorpus(t) {
		t.Run(c.ID, func(t *testing.T) {
			seen[c.ID] = true
			p, isPinned := pinned[c.ID]
			b, err := Read(c.request(t, 1<<21), 2<<20)
			var summary string
			if err == nil {
				summary, err = parseForRoute(strings.SplitN(c.Target, "?", 2)[0], b.Raw)
			}
			switch {
			case err != nil && (!isPinned || p.status == 0):
				t.Fatalf("refused: %v", err)
			case err != nil:
				wantErr(t, err, p.status, err.(*Error).Type, p.want)
			case isPinned && p.status != 0:
				t.Fatalf("accepted (%s), want %d %q", summary, p.status, p.want)
			case isPinned && !strings.Contains(summary, p.want):
				t.Fatalf("parsed as %s, want it to contain %s", summary, p.want)
			}
		})
	}
	for id := range pinned {
		if !seen[id] {
			t.Errorf("pinned case %s is not in the corpus", id)
		}
	}
}
