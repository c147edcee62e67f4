package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis-proxy/portcullis/internal/metrics"
)

// registeredMetrics lists the series names the proxy's registry can expose:
// every registered family (from Describe, which lists vectors before any
// label combination was observed), plus _bucket/_sum/_count of histograms
// and _sum/_count of summaries (types from Gather, after one observation
// of each collector).
func registeredMetrics(t *testing.T) (names map[string]bool, portcullis []string) {
	t.Helper()
	m := metrics.New()
	m.RequestDone("search", "GET", 200, "allow", time.Millisecond)
	m.UpstreamRequest("http://n1:9200", 200, time.Millisecond)
	m.UpstreamError("http://n1:9200", "dial")
	m.NodeHealth("http://n1:9200", true)
	m.CacheHit("default_file")
	m.CacheMiss("default_file")
	m.LoginFailed("default_file", "invalid_credentials")
	m.RateLimited("ip")
	m.Reloaded("users", nil)
	m.Committed(4, 1024, time.Millisecond)
	m.AppendFailed("io")
	m.Unaudited("access_granted")
	m.Rotated()
	m.Shipped("index", 4)
	m.ShipFailed("index", "http")
	m.ShipLag("index", 1, 100)

	names = map[string]bool{}
	ch := make(chan *prometheus.Desc)
	go func() { m.Registry().Describe(ch); close(ch) }()
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		mm := fqName.FindStringSubmatch(d.String())
		if mm == nil {
			t.Fatalf("no fqName in %s", d)
		}
		names[mm[1]] = true
		if strings.HasPrefix(mm[1], "portcullis_") {
			portcullis = append(portcullis, mm[1])
		}
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		var suffixes []string
		switch f.GetType().String() {
		case "HISTOGRAM", "GAUGE_HISTOGRAM":
			suffixes = []string{"_bucket", "_sum", "_count"}
		case "SUMMARY":
			suffixes = []string{"_sum", "_count"}
		}
		for _, s := range suffixes {
			names[f.GetName()+s] = true
		}
	}
	if len(portcullis) < 10 {
		t.Fatalf("only %d portcullis metrics registered: %q", len(portcullis), portcullis)
	}
	return names, portcullis
}

// PromQL pieces that are not metric names.
var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promToken    = regexp.MustCompile(`[0-9][0-9a-zA-Z_.]*|\$[a-zA-Z_]\w*|[a-zA-Z_:][a-zA-Z0-9_:]*`)
	labelValues  = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$`)
	promKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
		"and", "or", "unless", "offset", "inf", "nan", "atan2"}
)

// metricNames returns the metric names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges and grouping
// clauses are removed, other than function calls and keywords.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRanges.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promToken.FindAllStringIndex(s, -1) {
		tok := s[loc[0]:loc[1]]
		if tok[0] >= '0' && tok[0] <= '9' || tok[0] == '$' || slices.Contains(promKeywords, strings.ToLower(tok)) {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function or aggregation
		}
		out = append(out, tok)
	}
	return out
}

func TestMetricNamesParser(t *testing.T) {
	got := metricNames(`histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{job=~"$job", x="b c"}[$__rate_interval]))) / ignoring(x) b_total offset 5m or vector(0) + sum without (le) (c:rec)`)
	if want := []string{"a_bucket", "b_total", "c:rec"}; !slices.Equal(got, want) {
		t.Errorf("metricNames = %q, want %q", got, want)
	}
}

// TestDashboardMetrics: every query of the dashboard (panel targets and
// template variables) names only metrics the proxy registers, and every
// portcullis metric is on the dashboard.
func TestDashboardMetrics(t *testing.T) {
	known, portcullis := registeredMetrics(t)
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		SchemaVersion int               `json:"schemaVersion"`
		Panels        []json.RawMessage `json:"panels"`
		Templating    struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	if dash.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: want a current Grafana dashboard (≥ 36)", dash.SchemaVersion)
	}

	used := map[string]bool{}
	check := func(where, expr string) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, n := range names {
			used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			used[n] = true
			if !known[n] {
				t.Errorf("%s: metric %s is not registered by the proxy (internal/metrics)", where, n)
			}
		}
	}

	vars := map[string]string{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = v.Type
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var s string
			if json.Unmarshal(v.Query, &s) != nil {
				t.Fatalf("variable %s: query is neither an object nor a string", v.Name)
			}
			q.Query = s
		}
		// Grafana's label_values(metric, label): the label is no metric.
		if m := labelValues.FindStringSubmatch(q.Query); m != nil {
			q.Query = m[1]
		}
		check("variable "+v.Name, q.Query)
	}
	if vars["datasource"] != "datasource" || vars["job"] != "query" || vars["instance"] != "query" {
		t.Errorf("template variables = %v, want datasource (datasource), job and instance (query)", vars)
	}

	var walk func(raw []json.RawMessage)
	targets := 0
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p struct {
				Title      string `json:"title"`
				Type       string `json:"type"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
				Panels []json.RawMessage `json:"panels"`
			}
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			if p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: datasource uid %q, want ${datasource}", p.Title, p.Datasource.UID)
			}
			for _, tg := range p.Targets {
				targets++
				if !strings.Contains(tg.Expr, `instance=~"$instance"`) {
					t.Errorf("panel %q: query ignores the instance variable: %s", p.Title, tg.Expr)
				}
				check("panel "+strconv.Quote(p.Title), tg.Expr)
			}
		}
	}
	walk(dash.Panels)
	if targets == 0 {
		t.Fatal("the dashboard has no queries")
	}
	for _, n := range portcullis {
		if !used[n] {
			t.Errorf("metric %s is on no panel of the dashboard", n)
		}
	}
}
