package esapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// specAPI is the part of a rest-api-spec API file the coverage test reads.
type specAPI struct {
	URL struct {
		Paths []struct {
			Path    string   `json:"path"`
			Methods []string `json:"methods"`
		} `json:"paths"`
	} `json:"url"`
}

var specParam = regexp.MustCompile(`\{[^}]+\}`)

// specValue is a plausible value for a path parameter: index-like
// parameters get a valid index name, the rest a neutral token. None starts
// with '_', so no value is mistaken for an API name.
func specValue(name string) string {
	switch name {
	case "index", "target", "new_index", "alias", "source", "dest", "target_index":
		return "logs-1"
	case "type":
		return "mytype"
	case "block":
		return "write"
	case "id", "doc_id":
		return "1"
	}
	return "x1"
}

func expandSpecPath(p string) string {
	return specParam.ReplaceAllStringFunc(p, func(m string) string { return specValue(m[1 : len(m)-1]) })
}

// shapeCovers reports whether a route pattern has the spec path's shape:
// the same segments, with a parameter wherever the spec has one (a spec
// literal may be a parameter of ours: "/_streams/logs/_enable" is served
// by "/_streams/{name}/_enable").
func shapeCovers(pattern, spec string) bool {
	ps, ss := patternSegments(pattern), patternSegments(strings.TrimSuffix(spec, "/"))
	if spec == "/" {
		ss = nil
	}
	if len(ps) != len(ss) {
		return false
	}
	for i := range ps {
		switch {
		case isParam(ps[i]):
		case isParam(ss[i]) || ps[i] != ss[i]:
			return false
		}
	}
	return true
}

// specExpect pins the action of the APIs whose classification matters most;
// every path and method of these APIs must carry exactly this action.
var specExpect = map[string]string{
	"search":                  "indices:data/read/search",
	"count":                   "indices:data/read/search",
	"msearch":                 "indices:data/read/msearch",
	"search_template":         "indices:data/read/search/template",
	"msearch_template":        "indices:data/read/msearch/template",
	"get":                     "indices:data/read/get",
	"get_source":              "indices:data/read/get",
	"exists":                  "indices:data/read/get",
	"mget":                    "indices:data/read/mget",
	"explain":                 "indices:data/read/explain",
	"termvectors":             "indices:data/read/tv",
	"mtermvectors":            "indices:data/read/mtv",
	"field_caps":              "indices:data/read/field_caps",
	"scroll":                  "indices:data/read/scroll",
	"clear_scroll":            "indices:data/read/scroll/clear",
	"open_point_in_time":      "indices:data/read/open_point_in_time",
	"create_pit":              "indices:data/read/point_in_time/create",
	"bulk":                    "indices:data/write/bulk",
	"index":                   "indices:data/write/index",
	"create":                  "indices:data/write/index",
	"update":                  "indices:data/write/update",
	"delete":                  "indices:data/write/delete",
	"delete_by_query":         "indices:data/write/delete/byquery",
	"update_by_query":         "indices:data/write/update/byquery",
	"reindex":                 "indices:data/write/reindex",
	"indices.get_mapping":     "indices:admin/mappings/get",
	"indices.put_mapping":     "indices:admin/mapping/put",
	"indices.get_settings":    "indices:monitor/settings/get",
	"indices.put_settings":    "indices:admin/settings/update",
	"indices.create":          "indices:admin/create",
	"indices.delete":          "indices:admin/delete",
	"indices.resolve_index":   "indices:admin/resolve/index",
	"async_search.submit":     "indices:data/read/async_search/submit",
	"sql.query":               "indices:data/read/sql",
	"eql.search":              "indices:data/read/eql",
	"esql.query":              "indices:data/read/esql",
	"terms_enum":              "indices:data/read/xpack/termsenum/list",
	"cluster.health":          "cluster:monitor/health",
	"cluster.state":           "cluster:monitor/state",
	"cluster.put_settings":    "cluster:admin/settings/update",
	"nodes.info":              "cluster:monitor/nodes/info",
	"nodes.stats":             "cluster:monitor/nodes/stats",
	"tasks.list":              "cluster:monitor/tasks/lists",
	"info":                    "cluster:monitor/main",
	"security.authenticate":   "cluster:admin/xpack/security/user/authenticate",
	"security.has_privileges": "cluster:admin/xpack/security/user/has_privileges",
	"security.put_role":       "cluster:admin/xpack/security/role/put",
}

type specResult struct {
	total, classified, denied int
	failures                  []string
}

func checkSpecDir(t *testing.T, dir string) specResult {
	t.Helper()
	var res specResult
	files, err := filepath.Glob(filepath.Join(dir, "rest-api-spec", "api", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no API files", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if strings.HasPrefix(name, "_common") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]specAPI
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		a, ok := doc[name]
		if !ok {
			t.Fatalf("%s: no API %q", f, name)
		}
		for _, p := range a.URL.Paths {
			for _, m := range p.Methods {
				res.total++
				path := expandSpecPath(p.Path)
				c, err := ClassifyRequest(m, path, nil)
				switch {
				case err != nil:
					res.failures = append(res.failures, fmt.Sprintf("%s %s (%s): %v", m, p.Path, name, err))
					continue
				case c.Action == "":
					res.failures = append(res.failures, fmt.Sprintf("%s %s (%s): empty action", m, p.Path, name))
					continue
				}
				// The route the classifier picked must have the spec's shape:
				// a different shape means a precedence mistake.
				if !shapeCovers(c.Endpoint[strings.IndexByte(c.Endpoint, ' ')+1:], p.Path) && !strings.HasSuffix(c.Endpoint, "/*") {
					res.failures = append(res.failures, fmt.Sprintf("%s %s (%s): matched %s", m, p.Path, name, c.Endpoint))
					continue
				}
				if want, ok := specExpect[name]; ok && c.Action != want && !strings.Contains(p.Path, "{type}") {
					res.failures = append(res.failures, fmt.Sprintf("%s %s (%s): action %s, want %s", m, p.Path, name, c.Action, want))
					continue
				}
				if strings.Contains(p.Path, "{index}") && c.IndicesFrom != IndicesPath && c.Denied == "" && name != "snapshot.status" {
					res.failures = append(res.failures, fmt.Sprintf("%s %s (%s): {index} not read as an index (%s)", m, p.Path, name, c.IndicesFrom))
					continue
				}
				if c.Denied != "" {
					res.denied++
				}
				res.classified++
			}
		}
	}
	return res
}

// TestSpecCoverage classifies every path and method of every rest-api-spec
// found under $REST_SPEC_DIR (scripts/fetch-rest-spec.sh) and requires each
// to be classified with an action or deliberately denied.
func TestSpecCoverage(t *testing.T) {
	dir := os.Getenv("REST_SPEC_DIR")
	if dir == "" {
		if os.Getenv("REST_SPEC_REQUIRED") == "1" {
			t.Fatal("REST_SPEC_REQUIRED=1 but REST_SPEC_DIR is not set: run scripts/fetch-rest-spec.sh")
		}
		t.Skip("REST_SPEC_DIR not set (scripts/fetch-rest-spec.sh)")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("REST_SPEC_DIR: %v", err)
	}
	found := 0
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, "rest-api-spec", "api")); err != nil {
			continue
		}
		found++
		t.Run(e.Name(), func(t *testing.T) {
			res := checkSpecDir(t, sub)
			line := fmt.Sprintf("spec coverage: %s %d/%d paths classified (%d denied)", e.Name(), res.classified, res.total, res.denied)
			fmt.Println(line)
			t.Log(line)
			for _, f := range res.failures {
				t.Errorf("unclassified: %s", f)
			}
		})
	}
	if found == 0 {
		t.Fatalf("REST_SPEC_DIR %s holds no rest-api-spec directory", dir)
	}
}

// TestJarRouteCoverage classifies the routes that the OpenSearch 2.19.6 and
// Elasticsearch 7.17.29 server jars register (testdata, extracted by
// scripts/fetch-rest-spec.sh), which include routes the specs omit.
func TestJarRouteCoverage(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "routes-*.txt"))
	if len(files) == 0 {
		t.Fatal("no testdata/routes-*.txt")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			total, ok, denied := 0, 0, 0
			sc := bufio.NewScanner(fh)
			for sc.Scan() {
				m, p, _ := strings.Cut(sc.Text(), " ")
				if jarRouteIgnored(m, p) {
					continue
				}
				total++
				c, err := ClassifyRequest(m, expandSpecPath(p), nil)
				if err != nil || c.Action == "" {
					t.Errorf("%s %s: %v", m, p, err)
					continue
				}
				if c.Denied != "" {
					denied++
				}
				ok++
			}
			line := fmt.Sprintf("jar route coverage: %s %d/%d routes classified (%d denied)", strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "routes-"), ".txt"), ok, total, denied)
			fmt.Println(line)
			t.Log(line)
		})
	}
}

// jarRouteIgnored skips what the bytecode extraction picks up that is not a
// client route: OPTIONS handlers and a bare "DELETE /" pairing artefact.
func jarRouteIgnored(method, path string) bool {
	return method == "OPTIONS" || (method == "DELETE" && path == "/")
}
