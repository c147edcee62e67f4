package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReadAPIDifferential: every API that reads documents or fields other
// than a _search body (get and HEAD, _source, _mget, _explain,
// _termvectors, _mtermvectors, _count and _search by query string,
// _field_caps, _mapping/field, _validate/query, _msearch, search
// templates, scroll and point in time continuations, the query languages),
// in every response shape the cluster offers (filter_path, pretty, human,
// typed_keys, rest_total_hits_as_int, YAML/CBOR/SMILE, gzip), sent through
// the proxy by the body fuzzer's DLS, FLS and DLS+FLS users. No answer may
// hold a canary the user must not see, in any encoding; an answer the
// proxy gives must be, once index names, scores, timings and term
// statistics are set aside, the answer the superuser gets for the same
// request on the user's mirror indices (what the user may see, and
// nothing else). The requests are a fixed list: no randomness.
func TestReadAPIDifferential(t *testing.T) {
	f := startFuzzFixtureWith(t, true)
	stats := map[string]int{}
	var overRestricted []string
	errs := 0
	for _, u := range f.users {
		forbidden := f.forbidden(u)
		toUser := strings.NewReplacer("@A@", f.a, "@B@", f.b, "@Z@", f.z, "@P@", f.prefix)
		toMirror := strings.NewReplacer("@A@", u.mirrors["a"], "@B@", u.mirrors["b"], "@Z@", f.z, "@P@", f.prefix)
		back := strings.NewReplacer(u.mirrors["a"], f.a, u.mirrors["b"], f.b)
		for i, rq := range readDiffRequests(f) {
			if errs >= 25 {
				break
			}
			rq = rq.withShape(i)
			where := fmt.Sprintf("user=%s #%d [%s] %s %s %s", u.name, i, rq.shape, rq.method, toUser.Replace(rq.path), toUser.Replace(rq.body))
			got := rq.run(t, f, u.name, toUser)
			stats[fmt.Sprintf("%-12s %d", rq.kind, got.status)]++
			// 1. No forbidden canary in any encoding, unless the request
			// carried it.
			sent := strings.ToLower(rq.path + rq.body)
			for _, c := range forbidden {
				if strings.Contains(sent, strings.ToLower(c.value)) {
					continue
				}
				for _, form := range append(canaryForms(c.value), hex.EncodeToString([]byte(c.value))) {
					if strings.Contains(got.raw, form) {
						errs++
						t.Errorf("LEAK %s (%s of %s): %s\n-> %d %.1500s", c.value, c.field, c.index, where, got.status, got.raw)
						break
					}
				}
			}
			// 2. The mirror decides what the answer holds.
			if rq.noMirror {
				if rq.mustFail && got.status < 400 {
					errs++
					t.Errorf("ANSWERED %s: the test node has no such plugin, the proxy must not answer 2xx: %d %.600s", where, got.status, got.raw)
				}
				continue
			}
			want := rq.run(t, f, f.su.Name, toMirror)
			switch {
			case got.status >= 400 && want.status < 400:
				overRestricted = append(overRestricted, fmt.Sprintf("%s: %d %s", where, got.status, errorType(got.raw)))
				stats["refused where the mirror answers"]++
				continue
			case got.status == 200 && want.status == 400 && strings.Contains(want.raw, "No mapping found for ["):
				// A sort on a field the user cannot see: the cluster
				// sorts on missing values (the field is mapped), the
				// mirror has no such field.
				stats["sort on a hidden field"]++
				continue
			case got.status != want.status && (got.status < 400 || want.status < 400):
				errs++
				t.Errorf("STATUS %s\nuser:   %d %.800s\nmirror: %d %.800s", where, got.status, got.raw, want.status, want.raw)
				continue
			case got.status >= 400 || rq.method == "HEAD":
				// Both refuse (the proxy may answer a hidden document's
				// 404 before the cluster would reject a parameter).
				stats["same status"]++
				continue
			}
			if got.json == "" || want.json == "" {
				stats["not comparable (no JSON)"]++
				continue
			}
			if shardFailures(want.json) {
				// The mirror lacks a hidden field's mapping where the
				// real index has it: a sort on it fails there.
				stats["mirror shards failed"]++
				continue
			}
			ud, err1 := readDigest(rq.kind, got.json, nil)
			md, err2 := readDigest(rq.kind, want.json, back)
			if err1 != nil || err2 != nil {
				errs++
				t.Errorf("UNREADABLE %s: user %v, mirror %v\nuser:   %.600s\nmirror: %.600s", where, err1, err2, got.raw, want.raw)
				continue
			}
			for _, o := range refusedItems(ud, md) {
				overRestricted = append(overRestricted, fmt.Sprintf("%s: item %s", where, o))
				stats["item refused where the mirror answers"]++
			}
			if rq.kind == "tv" && lacksTermVectors(ud, md) {
				overRestricted = append(overRestricted, where+": no term vectors where the mirror has some")
				stats["term vectors narrowed"]++
				continue
			}
			stats["compared"]++
			if reflect.DeepEqual(ud, md) {
				continue
			}
			if readSubset("", ud, md) {
				// Fail closed: the proxy shows less than the cluster
				// would (a flat_object with a hidden key, a field one
				// of several indices hides, metadata fields).
				stats["narrowed"]++
				uj, _ := json.Marshal(ud)
				overRestricted = append(overRestricted, fmt.Sprintf("%s: narrowed: %.300s", where, uj))
				continue
			}
			{
				errs++
				uj, _ := json.Marshal(ud)
				mj, _ := json.Marshal(md)
				t.Errorf("DIFF %s\nuser:   %.2000s\nmirror: %.2000s", where, uj, mj)
			}
		}
	}
	logCounts(t, stats)
	for _, o := range overRestricted {
		t.Logf("over-restriction: %.300s", o)
	}
	if stats["compared"] < 150 {
		t.Errorf("only %d answers were compared with the mirror: the requests are refused too often", stats["compared"])
	}
}

// readReq is one request of the read-API differential. Its path and body
// name the indices as @A@, @B@ (readable) and @Z@ (forbidden), @P@ is
// the prefix of every index name of the fixture.
type readReq struct {
	kind, method, path, body string
	hdr                      map[string]string
	shape                    string
	noMirror                 bool // only the canary check applies
	mustFail                 bool // the API is absent from the test nodes: no success
	// follow, when set, sends the continuation requests of a cursor
	// (scroll, point in time) and returns the hits they gathered.
	follow func(t *testing.T, f *fuzzFixture, who string, first readAnswer) readAnswer
}

// readAnswer is a decoded answer: raw holds every byte the client got
// (decompressed), json the answer as JSON when it was JSON or YAML.
type readAnswer struct {
	status int
	raw    string
	json   string
}

// readShapes are the response parameters that change an answer's shape
// without changing what it holds; request i gets shape i mod len.
var readShapes = []string{
	"", "pretty", "human=true", "gzip", "rest_total_hits_as_int=true", "typed_keys",
	"format=yaml", "", "filter_path=-took", "error_trace=true", "format=cbor", "",
	"filter_path=hits.hits._id,hits.hits._index,hits.hits._source,hits.total,docs,_source,found,_id,count,fields,term_vectors,indices,matched,valid,responses",
	"format=smile", "accept yaml",
}

// withShape gives rq the i-th response shape (the cursor requests keep
// their plain shape: their continuations are compared as a whole).
func (rq readReq) withShape(i int) readReq {
	if rq.follow != nil || rq.shape == "fixed" {
		return rq
	}
	rq.shape = readShapes[i%len(readShapes)]
	hdr := map[string]string{}
	for k, v := range rq.hdr {
		hdr[k] = v
	}
	switch {
	case rq.shape == "":
	case rq.shape == "gzip":
		hdr["Accept-Encoding"] = "gzip"
	case rq.shape == "accept yaml":
		hdr["Accept"] = "application/yaml"
	case strings.HasPrefix(rq.shape, "filter_path=") && rq.kind == "mapping",
		(rq.shape == "typed_keys" || strings.HasPrefix(rq.shape, "rest_total")) && rq.kind != "search" && rq.kind != "msearch":
		rq.shape = "" // keys are index names; a parameter the API does not take
	default:
		rq.path = addParam(rq.path, rq.shape)
	}
	rq.hdr = hdr
	return rq
}

// run sends rq as who, with the index names rep gives, and decodes the
// answer.
func (rq readReq) run(t *testing.T, f *fuzzFixture, who string, rep *strings.Replacer) readAnswer {
	t.Helper()
	hdr := map[string]string{}
	for k, v := range rq.hdr {
		hdr[k] = v
	}
	var rd io.Reader
	if rq.body != "" {
		rd = strings.NewReader(rep.Replace(rq.body))
		if hdr["Content-Type"] == "" {
			hdr["Content-Type"] = "application/json"
			if strings.Contains(rq.path, "_msearch") {
				hdr["Content-Type"] = "application/x-ndjson"
			}
		}
	}
	r := do(t, f.c, rq.method, f.p.URL+rep.Replace(rq.path), who, f.su.Password, rd, hdr)
	a := decodeReadAnswer(r)
	if rq.follow != nil && a.status == 200 {
		return rq.follow(t, f, who, a)
	}
	return a
}

// decodeReadAnswer decompresses a gzip answer and turns a YAML, CBOR or
// SMILE one into JSON, which raw also gets (numbers in CBOR and SMILE are
// binary: the canary check reads them decoded).
func decodeReadAnswer(r result) readAnswer {
	body := []byte(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				body = b
			}
		}
	}
	a := readAnswer{status: r.Status, raw: string(body)}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"), strings.HasPrefix(ct, "application/vnd.opensearch+json"), strings.HasPrefix(ct, "application/vnd.elasticsearch+json"):
		a.json = a.raw
	case strings.HasPrefix(ct, "application/cbor"), strings.HasPrefix(ct, "application/smile"):
		dec := cborToJSON
		if strings.HasPrefix(ct, "application/smile") {
			dec = smileToJSON
		}
		js, err := dec(body)
		if err != nil {
			// Undecodable: the canary check reads the raw bytes, and the
			// comparison reports it.
			a.raw += "\nundecodable " + ct + ": " + err.Error()
			a.json = `{"undecodable":true}`
			break
		}
		a.json = js
		a.raw += "\n" + js
	case strings.HasPrefix(ct, "application/yaml"):
		var v any
		if yaml.Unmarshal(body, &v) == nil {
			if b, err := json.Marshal(v); err == nil {
				a.json = string(b)
			}
		}
	}
	return a
}
