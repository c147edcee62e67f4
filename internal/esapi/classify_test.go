package esapi

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

// want is the expected outcome of one classification.
type want struct {
	err      error // non-nil: ClassifyURL must fail with this (errors.Is)
	action   string
	endpoint string
	indices  []string
	from     IndexSource
	denied   bool
	params   map[string]string // expected PathParams entries
	targets  []string
}

func check(t *testing.T, method, path, query string, w want) {
	t.Helper()
	c, err := ClassifyURL(method, path, query)
	if w.err != nil {
		if !errors.Is(err, w.err) {
			t.Fatalf("%s %s?%s: err %v, want %v (got %+v)", method, path, query, err, w.err, c)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s %s?%s: unexpected error %v", method, path, query, err)
	}
	if w.action != "" && c.Action != w.action {
		t.Errorf("action %q, want %q", c.Action, w.action)
	}
	if w.endpoint != "" && c.Endpoint != w.endpoint {
		t.Errorf("endpoint %q, want %q", c.Endpoint, w.endpoint)
	}
	if w.indices != nil && !reflect.DeepEqual(c.Indices, w.indices) {
		t.Errorf("indices %q, want %q", c.Indices, w.indices)
	}
	if c.IndicesFrom != w.from {
		t.Errorf("indices from %s, want %s", c.IndicesFrom, w.from)
	}
	if (c.Denied != "") != w.denied {
		t.Errorf("denied %q, want denied=%v", c.Denied, w.denied)
	}
	for k, v := range w.params {
		if c.PathParams[k] != v {
			t.Errorf("path param %s=%q, want %q", k, c.PathParams[k], v)
		}
	}
	if w.targets != nil && !reflect.DeepEqual(c.Targets, w.targets) {
		t.Errorf("targets %q, want %q", c.Targets, w.targets)
	}
}

const (
	search = "indices:data/read/search"
	get    = "indices:data/read/get"
)

// TestPathDecoding covers how the cluster splits, decodes and matches
// paths, and the shapes the classifier refuses because an intermediary
// could read them differently.
func TestPathDecoding(t *testing.T) {
	cases := []struct {
		name, method, path, query string
		w                         want
	}{
		{"plain", "GET", "/logs/_search", "", want{action: search, endpoint: "GET /{index}/_search", indices: []string{"logs"}, from: IndicesPath}},
		{"comma list", "GET", "/a,b/_search", "", want{action: search, indices: []string{"a", "b"}, from: IndicesPath}},
		{"encoded comma splits", "GET", "/logs-zzz%2C%2A/_search", "ignore_unavailable=true", want{action: search, indices: []string{"logs-zzz", "*"}, from: IndicesPath}},
		{"encoded star is a wildcard", "GET", "/logs-%2A/_search", "", want{action: search, indices: []string{"logs-*"}, from: IndicesPath}},
		{"lower-case escapes", "GET", "/a%2cb/_search", "", want{action: search, indices: []string{"a", "b"}, from: IndicesPath}},
		{"encoded slash is not a separator", "GET", "/a%2Fb/_search", "", want{err: ErrBadIndex}},
		{"encoded slash in a document id", "GET", "/logs/_doc/a%2Fb", "", want{action: get, indices: []string{"logs"}, from: IndicesPath, params: map[string]string{"id": "a/b"}}},
		{"dot-dot", "GET", "/hr-payroll/../logs/_search", "", want{err: ErrBadPath}},
		{"dot", "GET", "/./logs/_search", "", want{err: ErrBadPath}},
		{"encoded dot-dot", "GET", "/hr/%2E%2E/logs/_search", "", want{err: ErrBadPath}},
		{"encoded hash then dot-dot", "GET", "/hr-payroll/_search%23/../../logs/_search", "", want{err: ErrBadPath}},
		{"raw hash", "GET", "/logs/_search#x", "", want{err: ErrBadPath}},
		{"raw question mark", "GET", "/logs/_search?x", "", want{err: ErrBadPath}},
		{"backslash", "GET", "/logs\\_search", "", want{err: ErrBadPath}},
		{"double slash before API", "GET", "//_search", "", want{err: ErrBadPath}},
		{"double slash inside", "GET", "/logs//_search", "", want{err: ErrBadPath}},
		{"trailing slash like the cluster", "GET", "/logs/_search/", "", want{action: search, endpoint: "GET /{index}/_search", indices: []string{"logs"}, from: IndicesPath}},
		{"several trailing slashes", "GET", "/logs/_search///", "", want{action: search, indices: []string{"logs"}, from: IndicesPath}},
		{"root", "GET", "/", "", want{action: "cluster:monitor/main", from: IndicesNone}},
		{"root double slash", "GET", "//", "", want{action: "cluster:monitor/main", from: IndicesNone}},
		{"no leading slash", "GET", "logs/_search", "", want{err: ErrBadPath}},
		{"upper-case API name is an index", "GET", "/_SEARCH", "", want{err: ErrBadIndex}},
		{"upper-case API after index", "GET", "/logs/_SEARCH", "", want{err: ErrUnknownEndpoint}},
		{"upper-case index", "GET", "/Logs/_search", "", want{err: ErrBadIndex}},
		{"encoded underscore API name", "GET", "/logs/%5Fsearch", "", want{err: ErrBadPath}},
		{"encoded underscore index", "GET", "/%5Fall/_search", "", want{err: ErrBadPath}},
		{"_all", "GET", "/_all/_search", "", want{action: search, indices: []string{"_all"}, from: IndicesPath}},
		{"_all in a list", "GET", "/a,_all/_search", "", want{err: ErrBadIndex}},
		{"star", "GET", "/*/_search", "", want{action: search, indices: []string{"*"}, from: IndicesPath}},
		{"index-less search is all", "GET", "/_search", "", want{action: search, from: IndicesAllImplicit}},
		{"exclusion after wildcard", "GET", "/logs-*,-logs-old/_search", "", want{action: search, indices: []string{"logs-*", "-logs-old"}, from: IndicesPath}},
		{"exclusion without wildcard", "GET", "/logs,-logs-old/_search", "", want{err: ErrBadIndex}},
		{"leading exclusion", "GET", "/-logs/_search", "", want{err: ErrBadIndex}},
		{"plus prefix", "GET", "/+logs/_search", "", want{err: ErrBadIndex}},
		{"plus stays a plus", "GET", "/a+b/_search", "", want{action: search, indices: []string{"a+b"}, from: IndicesPath}},
		{"remote", "GET", "/remote:logs/_search", "", want{action: search, indices: []string{"remote:logs"}, from: IndicesPath}},
		{"remote wildcard cluster", "GET", "/*:logs/_search", "", want{action: search, indices: []string{"*:logs"}, from: IndicesPath}},
		{"failure store selector", "GET", "/logs::failures/_search", "", want{action: search, indices: []string{"logs::failures"}, from: IndicesPath}},
		{"unknown selector", "GET", "/logs::secret/_search", "", want{err: ErrBadIndex}},
		{"date math", "GET", "/%3Clogs-%7Bnow%2Fd%7D%3E/_search", "", want{action: search, indices: []string{"<logs-{now/d}>"}, from: IndicesPath}},
		{"static date math", "GET", "/%3Chr-payroll%3E/_search", "", want{action: search, indices: []string{"<hr-payroll>"}, from: IndicesPath}},
		{"date math with time zone", "GET", "/%3Clogs-%7Bnow%2Fd%7Byyyy.MM.dd%7C%2B12%3A00%7D%7D%3E/_search", "", want{action: search, indices: []string{"<logs-{now/d{yyyy.MM.dd|+12:00}}>"}, from: IndicesPath}},
		{"unbalanced date math", "GET", "/%3Clogs-%7Bnow%3E/_search", "", want{err: ErrBadIndex}},
		{"empty element", "GET", "/a,,b/_search", "", want{err: ErrBadIndex}},
		{"trailing comma", "GET", "/index,/_search", "", want{err: ErrBadIndex}},
		{"leading comma", "GET", "/,index/_search", "", want{err: ErrBadIndex}},
		{"space", "GET", "/a%20b/_search", "", want{err: ErrBadIndex}},
		{"question mark in name", "GET", "/a%3Fb/_search", "", want{err: ErrBadIndex}},
		{"control character", "GET", "/a%00b/_search", "", want{err: ErrBadPath}},
		{"bad escape", "GET", "/a%2/_search", "", want{err: ErrBadPath}},
		{"non-hex escape", "GET", "/a%zz/_search", "", want{err: ErrBadPath}},
		{"invalid UTF-8", "GET", "/a%ff/_search", "", want{err: ErrBadPath}},
		{"raw non-ASCII", "GET", "/caf\u00e9/_search", "", want{err: ErrBadPath}},
		{"encoded UTF-8 name", "GET", "/caf%C3%A9/_search", "", want{action: search, indices: []string{"caf\u00e9"}, from: IndicesPath}},
		{"typed search is refused", "GET", "/logs-globex-2024/_doc/_search", "size=50", want{action: search, indices: []string{"logs-globex-2024"}, from: IndicesPath, denied: true}},
		{"hidden backing indices", "GET", "/.ds-payroll-stream-*/_search", "expand_wildcards=all", want{action: search, indices: []string{".ds-payroll-stream-*"}, from: IndicesPath}},
		{"security plugin", "GET", "/_plugins/_security/api/roles", "", want{denied: true}},
		{"opendistro security plugin", "PUT", "/_opendistro/_security/api/internalusers/x", "", want{denied: true}},
		{"internal", "GET", "/_internal/desired_balance", "", want{denied: true}},
		{"reload secure settings", "POST", "/_nodes/reload_secure_settings", "", want{denied: true}},
		{"unknown API", "GET", "/_nonexistent", "", want{err: ErrBadIndex}},
		{"unknown API under index", "POST", "/logs/_nonexistent/x/y", "", want{err: ErrUnknownEndpoint}},
		{"unknown method", "OPTIONS", "/logs/_search", "", want{err: ErrUnknownEndpoint}},
		{"TRACE", "TRACE", "/", "", want{err: ErrUnknownEndpoint}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.method, tc.path, tc.query, tc.w) })
	}
}

// TestMethods checks that the method selects the API on a shared path.
func TestMethods(t *testing.T) {
	cases := []struct {
		method, path string
		w            want
	}{
		{"GET", "/logs/_doc/1", want{action: get, from: IndicesPath, params: map[string]string{"id": "1"}}},
		{"HEAD", "/logs/_doc/1", want{action: get, endpoint: "HEAD /{index}/_doc/{id}", from: IndicesPath}},
		{"PUT", "/logs/_doc/1", want{action: "indices:data/write/index", from: IndicesPath}},
		{"POST", "/logs/_doc/1", want{action: "indices:data/write/index", from: IndicesPath}},
		{"POST", "/logs/_doc", want{action: "indices:data/write/index", from: IndicesPath}},
		{"DELETE", "/logs/_doc/1", want{action: "indices:data/write/delete", from: IndicesPath}},
		{"PUT", "/logs/_create/1", want{action: "indices:data/write/index", from: IndicesPath}},
		{"POST", "/logs/_update/1", want{action: "indices:data/write/update", from: IndicesPath}},
		{"GET", "/logs", want{action: "indices:admin/get", from: IndicesPath}},
		{"HEAD", "/logs", want{action: "indices:admin/get", from: IndicesPath}},
		{"PUT", "/logs", want{action: "indices:admin/create", from: IndicesPath}},
		{"DELETE", "/logs", want{action: "indices:admin/delete", from: IndicesPath}},
		{"POST", "/logs", want{err: ErrUnknownEndpoint}},
		{"GET", "/logs/_mapping", want{action: "indices:admin/mappings/get", from: IndicesPath}},
		{"PUT", "/logs/_mapping", want{action: "indices:admin/mapping/put", from: IndicesPath}},
		{"GET", "/logs/_settings", want{action: "indices:monitor/settings/get", from: IndicesPath}},
		{"PUT", "/logs/_settings", want{action: "indices:admin/settings/update", from: IndicesPath}},
		{"PUT", "/_settings", want{action: "indices:admin/settings/update", from: IndicesAllImplicit}},
		{"GET", "/_cluster/settings", want{action: "cluster:monitor/settings", from: IndicesNone}},
		{"PUT", "/_cluster/settings", want{action: "cluster:admin/settings/update", from: IndicesNone}},
		{"GET", "/_alias", want{action: "indices:admin/aliases/get", from: IndicesAllImplicit}},
		{"POST", "/_aliases", want{action: "indices:admin/aliases", from: IndicesBody}},
		{"PUT", "/logs/_alias/view", want{action: "indices:admin/aliases", from: IndicesPath, targets: []string{"view"}}},
		{"DELETE", "/logs/_alias/view", want{action: "indices:admin/aliases", from: IndicesPath, targets: []string{"view"}}},
		{"PUT", "/_alias", want{action: "indices:admin/aliases", from: IndicesBody}},
		{"POST", "/logs/_pit", want{action: "indices:data/read/open_point_in_time", from: IndicesPath}},
		{"DELETE", "/_pit", want{action: "indices:data/read/close_point_in_time", from: IndicesCursor}},
		{"POST", "/logs/_search/point_in_time", want{action: "indices:data/read/point_in_time/create", from: IndicesPath}},
		{"DELETE", "/_search/point_in_time", want{action: "indices:data/read/point_in_time/delete", from: IndicesCursor}},
		{"GET", "/_search/point_in_time/_all", want{action: "indices:data/read/point_in_time/readall", from: IndicesAllImplicit}},
		{"POST", "/_search/scroll", want{action: "indices:data/read/scroll", from: IndicesCursor}},
		{"DELETE", "/_search/scroll", want{action: "indices:data/read/scroll/clear", from: IndicesCursor}},
		{"GET", "/_async_search/abc", want{action: "indices:data/read/async_search/get", from: IndicesCursor, params: map[string]string{"id": "abc"}}},
		{"DELETE", "/_async_search/abc", want{action: "indices:data/read/async_search/delete", from: IndicesCursor}},
		{"POST", "/logs/_async_search", want{action: "indices:data/read/async_search/submit", from: IndicesPath}},
		{"POST", "/_bulk", want{action: "indices:data/write/bulk", from: IndicesBody}},
		{"PUT", "/logs/_bulk", want{action: "indices:data/write/bulk", from: IndicesPath}},
		{"POST", "/_mget", want{action: "indices:data/read/mget", from: IndicesBody}},
		{"POST", "/_msearch", want{action: "indices:data/read/msearch", from: IndicesBody}},
		{"POST", "/_reindex", want{action: "indices:data/write/reindex", from: IndicesBody}},
		{"POST", "/logs/_delete_by_query", want{action: "indices:data/write/delete/byquery", from: IndicesPath}},
		{"POST", "/logs/_update_by_query", want{action: "indices:data/write/update/byquery", from: IndicesPath}},
		{"POST", "/_sql", want{action: "indices:data/read/sql", from: IndicesBody}},
		{"POST", "/_xpack/sql", want{action: "indices:data/read/sql", from: IndicesBody}},
		{"GET", "/_xpack/watcher/stats", want{denied: true}},
		{"POST", "/_query", want{action: "indices:data/read/esql", from: IndicesBody}},
		{"POST", "/logs/_eql/search", want{action: "indices:data/read/eql", from: IndicesPath}},
		{"POST", "/_plugins/_sql", want{action: "cluster:admin/opensearch/sql", from: IndicesBody}},
		{"POST", "/_opendistro/_sql", want{action: "cluster:admin/opensearch/sql", from: IndicesBody}},
		{"POST", "/_plugins/_ppl", want{action: "cluster:admin/opensearch/ppl", from: IndicesBody}},
		{"POST", "/_plugins/_alerting/monitors/_execute", want{denied: true}},
		{"GET", "/_plugins/_ml/models/m1", want{action: "cluster:admin/opensearch/ml/models/get", from: IndicesNone}},
		{"POST", "/_plugins/_ml/agents/a1/_execute", want{denied: true}},
		{"POST", "/_plugins/_ism/add/logs-*", want{action: "cluster:admin/opendistro/ism/managedindex/add", indices: []string{"logs-*"}, from: IndicesPath}},
		{"GET", "/_plugins/_knn/warmup/logs", want{action: "cluster:admin/knn_warmup_action", indices: []string{"logs"}, from: IndicesPath}},
		{"POST", "/logs-globex-2024/_terms_enum", want{action: "indices:data/read/xpack/termsenum/list", from: IndicesPath}},
		{"POST", "/logs/_search/template", want{action: "indices:data/read/search/template", from: IndicesPath}},
		{"GET", "/_render/template/t1", want{action: "cluster:admin/script/get", from: IndicesNone}},
		{"POST", "/logs/_shrink/small", want{action: "indices:admin/resize", indices: []string{"logs"}, from: IndicesPath, targets: []string{"small"}}},
		{"POST", "/alias1/_rollover/logs-000002", want{action: "indices:admin/rollover", indices: []string{"alias1"}, from: IndicesPath, targets: []string{"logs-000002"}}},
		{"GET", "/_cluster/state/metadata", want{action: "cluster:monitor/state", from: IndicesAllImplicit}},
		{"GET", "/_cluster/health/logs", want{action: "cluster:monitor/health", indices: []string{"logs"}, from: IndicesPath}},
		{"GET", "/_cat/indices", want{action: "indices:monitor/stats", from: IndicesAllImplicit}},
		{"GET", "/_cat/indices/logs-*", want{action: "indices:monitor/stats", indices: []string{"logs-*"}, from: IndicesPath}},
		{"GET", "/_cat/count/logs", want{action: search, indices: []string{"logs"}, from: IndicesPath}},
		{"GET", "/_resolve/index/logs-*", want{action: "indices:admin/resolve/index", indices: []string{"logs-*"}, from: IndicesPath}},
		{"GET", "/_data_stream/logs-ds", want{action: "indices:admin/data_stream/get", indices: []string{"logs-ds"}, from: IndicesPath}},
		{"GET", "/_security/_authenticate", want{action: "cluster:admin/xpack/security/user/authenticate", from: IndicesNone}},
		{"PUT", "/_security/role/x", want{action: "cluster:admin/xpack/security/role/put", from: IndicesNone, params: map[string]string{"name": "x"}}},
		{"GET", "/_tasks", want{action: "cluster:monitor/tasks/lists", from: IndicesNone}},
		{"POST", "/_tasks/_cancel", want{action: "cluster:admin/tasks/cancel", from: IndicesNone}},
		{"GET", "/_nodes/stats", want{action: "cluster:monitor/nodes/stats", from: IndicesNone}},
		{"PUT", "/_snapshot/repo/snap", want{action: "cluster:admin/snapshot/create", from: IndicesNone, params: map[string]string{"repository": "repo", "snapshot": "snap"}}},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) { check(t, tc.method, tc.path, "", tc.w) })
	}
}

// TestQueryParams covers the query string: ?index= on index-less routes,
// conflicts with the path, duplicates, and the flagged parameters.
func TestQueryParams(t *testing.T) {
	cases := []struct {
		name, method, path, query string
		w                         want
	}{
		{"index param selects the index", "GET", "/_search", "index=hr-payroll", want{action: search, indices: []string{"hr-payroll"}, from: IndicesQuery}},
		{"index param list", "GET", "/_count", "index=a,b", want{action: search, indices: []string{"a", "b"}, from: IndicesQuery}},
		{"index param encoded comma", "GET", "/_search", "index=a%2Cb", want{action: search, indices: []string{"a", "b"}, from: IndicesQuery}},
		{"index param on bulk", "POST", "/_bulk", "index=logs", want{action: "indices:data/write/bulk", indices: []string{"logs"}, from: IndicesQuery}},
		{"index param on mget", "POST", "/_mget", "index=logs", want{action: "indices:data/read/mget", indices: []string{"logs"}, from: IndicesQuery}},
		{"index param on cat", "GET", "/_cat/indices", "index=secret", want{action: "indices:monitor/stats", indices: []string{"secret"}, from: IndicesQuery}},
		{"index param on OpenSearch async search", "POST", "/_plugins/_asynchronous_search", "index=secret", want{action: "cluster:admin/opendistro/asynchronous_search/submit", indices: []string{"secret"}, from: IndicesQuery}},
		{"index param and path", "GET", "/logs/_search", "index=secret", want{err: ErrBadParams}},
		{"empty index param", "GET", "/_search", "index=", want{err: ErrBadParams}},
		{"invalid index param", "GET", "/_search", "index=_all,x", want{err: ErrBadIndex}},
		{"duplicate index param", "GET", "/_search", "index=a&index=b", want{err: ErrBadParams}},
		{"duplicate any param", "GET", "/logs/_search", "q=a&q=b", want{err: ErrBadParams}},
		{"id param and path", "GET", "/logs/_doc/1", "id=2", want{err: ErrBadParams}},
		{"scroll id from query", "DELETE", "/_search/scroll", "scroll_id=abc", want{action: "indices:data/read/scroll/clear", from: IndicesCursor, params: map[string]string{"scroll_id": "abc"}}},
		{"bad expand_wildcards", "GET", "/_search", "expand_wildcards=everything", want{err: ErrBadParams}},
		{"bad boolean", "GET", "/_search", "ignore_unavailable=yes", want{err: ErrBadParams}},
		{"bad escape in query", "GET", "/_search", "q=%zz", want{err: ErrBadParams}},
		// The cluster's RestUtils.decodeQueryString splits parameters at ';'
		// as well as '&', and stops reading the query at the first '#'.
		{"semicolon separator hides a parameter", "GET", "/_search", "pretty=true;index=hr-payroll", want{err: ErrBadParams}},
		{"semicolon in a value", "GET", "/logs/_search", "q=a;b", want{err: ErrBadParams}},
		{"hash hides the rest of the query", "GET", "/_search", "pretty#&index=logs", want{err: ErrBadParams}},
		{"encoded semicolon and hash are values", "GET", "/logs/_search", "q=a%3Bb%23c", want{action: search, indices: []string{"logs"}, from: IndicesPath}},
		// Netty reads the request line byte by byte as ISO-8859-1 (UTF-8
		// "é" becomes "Ã©" on the cluster) and splits it at spaces (an HTTP/2
		// :path may carry one): raw non-ASCII and control bytes are refused.
		{"raw non-ASCII in the query", "GET", "/_search", "index=logs-\xc3\xa9", want{err: ErrBadParams}},
		{"raw space in the query", "GET", "/_search", "size=1 &index=logs", want{err: ErrBadParams}},
		{"more parameters than Go's url package parses", "GET", "/_search", "index=logs" + strings.Repeat("&", 10000), want{err: ErrBadParams}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.method, tc.path, tc.query, tc.w) })
	}
}

func TestParamsParsed(t *testing.T) {
	c, err := ClassifyURL("GET", "/logs/_search", "q=tenant:globex&size=20&expand_wildcards=open,hidden&ignore_unavailable=true&allow_no_indices=false&format=yaml&source=%7B%7D&source_content_type=application%2Fjson&_source=a+b&x=1")
	if err != nil {
		t.Fatal(err)
	}
	p := c.Params
	if !reflect.DeepEqual(p.IndicesOptions.ExpandWildcards, []string{"open", "hidden"}) {
		t.Errorf("expand_wildcards %q", p.IndicesOptions.ExpandWildcards)
	}
	if p.IndicesOptions.IgnoreUnavailable == nil || !*p.IndicesOptions.IgnoreUnavailable {
		t.Error("ignore_unavailable not true")
	}
	if p.IndicesOptions.AllowNoIndices == nil || *p.IndicesOptions.AllowNoIndices {
		t.Error("allow_no_indices not false")
	}
	if p.IndicesOptions.IgnoreThrottled != nil {
		t.Error("ignore_throttled set")
	}
	if p.Format != "yaml" || !p.BodyInQuery {
		t.Errorf("format %q, body in query %v", p.Format, p.BodyInQuery)
	}
	if v, _ := p.Get("_source"); v != "a b" {
		t.Errorf("'+' in the query is a space on the cluster (RestUtils.decodeQueryString), got %q", v)
	}
	c, err = ClassifyURL("GET", "/logs+x/_doc/1", "routing=a+b%2Bc")
	if err != nil {
		t.Fatal(err)
	}
	if c.Indices[0] != "logs+x" || c.Params.Values["routing"] != "a b+c" {
		t.Errorf("'+' stays a '+' in the path only: index %q, routing %q", c.Indices[0], c.Params.Values["routing"])
	}
	wantShaping := []string{"_source", "allow_no_indices", "expand_wildcards", "format", "ignore_unavailable", "q", "size", "source", "source_content_type"}
	if !reflect.DeepEqual(p.Shaping, wantShaping) {
		t.Errorf("shaping %q, want %q", p.Shaping, wantShaping)
	}
	if _, err := ClassifyRequest("GET", "/_search", url.Values{"index": {"a", "b"}}); !errors.Is(err, ErrBadParams) {
		t.Errorf("url.Values duplicate: %v", err)
	}
}

func TestParseIndexExpression(t *testing.T) {
	cases := []struct {
		in   string
		want IndexExpression
		err  bool
	}{
		{in: "logs", want: IndexExpression{Raw: "logs", Name: "logs"}},
		{in: "logs-*", want: IndexExpression{Raw: "logs-*", Name: "logs-*", Wildcard: true}},
		{in: "_all", want: IndexExpression{Raw: "_all", Name: "_all", All: true}},
		{in: "rc:logs", want: IndexExpression{Raw: "rc:logs", Name: "logs", Remote: "rc"}},
		{in: "rc:logs::failures", want: IndexExpression{Raw: "rc:logs::failures", Name: "logs", Remote: "rc", Selector: "failures"}},
		{in: "logs::data", want: IndexExpression{Raw: "logs::data", Name: "logs", Selector: "data"}},
		{in: "<logs-{now/d}>", want: IndexExpression{Raw: "<logs-{now/d}>", Name: "<logs-{now/d}>", DateMath: true}},
		{in: "rc:<logs-{now/d}>", want: IndexExpression{Raw: "rc:<logs-{now/d}>", Name: "<logs-{now/d}>", Remote: "rc", DateMath: true}},
		{in: ".hidden", want: IndexExpression{Raw: ".hidden", Name: ".hidden"}},
		{in: "-logs", err: true},
		{in: "_search", err: true},
		{in: "Logs", err: true},
		{in: "a/b", err: true},
		{in: "a:b:c", err: true},
		{in: ":logs", err: true},
		{in: "rc:", err: true},
		{in: "<logs", err: true},
		{in: "<_x{now}>", err: true},
		{in: "<lo/gs{now}>", err: true},
		{in: "..", err: true},
		{in: strings.Repeat("a", 256), err: true},
	}
	for _, tc := range cases {
		got, err := ParseIndexExpression(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("%q: no error, got %+v", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestCorpusRequests classifies every request of the security corpus and
// pins the outcome of the ones whose whole point is the path or the query.
func TestCorpusRequests(t *testing.T) {
	pinned := map[string]want{
		"AUTHZ-003": {action: search, indices: []string{"logs-acme-2024", "hr-payroll"}, from: IndicesPath},
		"AUTHZ-005": {action: search, indices: []string{"logs-zzz", "*"}, from: IndicesPath},
		"AUTHZ-007": {action: search, from: IndicesAllImplicit},
		"AUTHZ-009": {action: search, indices: []string{"<hr-payroll>"}, from: IndicesPath},
		"AUTHZ-013": {action: search, indices: []string{".ds-payroll-stream-*"}, from: IndicesPath},
		"AUTHZ-015": {action: search, indices: []string{"hr-payroll"}, from: IndicesQuery},
		"AUTHZ-021": {action: search, from: IndicesPath, denied: true},
		"META-005":  {action: "cluster:monitor/state", from: IndicesAllImplicit},
		"PATH-001":  {action: search, indices: []string{"logs-globex-2024"}, from: IndicesPath},
		"PATH-003":  {err: ErrBadPath},
		"PATH-005":  {err: ErrBadPath},
		"ALT-001":   {action: "indices:data/read/sql", from: IndicesBody},
		"ALT-003":   {action: "indices:data/read/sql", from: IndicesBody},
		"ALT-005":   {action: "indices:data/read/esql", from: IndicesBody},
		"ALT-009":   {denied: true},
		"ALT-011":   {action: "indices:data/read/search/template", from: IndicesPath},
		"SETUP-003": {action: "indices:data/read/point_in_time/create", from: IndicesPath},
		"STATE-001": {action: "indices:data/read/scroll", from: IndicesCursor},
		"STATE-005": {action: "indices:data/read/async_search/get", from: IndicesCursor},
		"WRITE-003": {action: "indices:data/write/bulk", from: IndicesBody},
		"WRITE-017": {action: "indices:data/write/reindex", from: IndicesBody},
	}
	for _, l := range corpusRequests(t) {
		id, method, target := l[0], l[1], l[2]
		path, query, _ := strings.Cut(target, "?")
		path = strings.ReplaceAll(path, "%%gary_async%%", "FmRldE8zREVEUzA2ZVpUeGs2ejJFUFEaMkZ5QTlrRnRRZWUtd1p6cm1BU0ZXZzoxMTM3")
		t.Run(id, func(t *testing.T) {
			c, err := ClassifyURL(method, path, query)
			if w, ok := pinned[id]; ok {
				check(t, method, path, query, w)
				return
			}
			if err != nil {
				t.Fatalf("%s %s: %v", method, target, err)
			}
			if c.Action == "" {
				t.Fatalf("%s %s: empty action", method, target)
			}
		})
	}
}

// corpusRequests reads testdata/corpus-requests.txt: "ID METHOD TARGET",
// taken from the shared security corpus (cases.jsonl, raw cases left out).
func corpusRequests(t testing.TB) [][3]string {
	f, err := os.Open("testdata/corpus-requests.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][3]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), " ", 3)
		if len(p) == 3 {
			out = append(out, [3]string{p[0], p[1], p[2]})
		}
	}
	return out
}

// TestLegacyClassify keeps the server's entry point honest: known requests
// carry their action, refused ones an empty action.
func TestLegacyClassify(t *testing.T) {
	if c := Classify("GET", "/logs/_search"); c.Action != search || !reflect.DeepEqual(c.Indices, []string{"logs"}) || c.Route != "search" {
		t.Errorf("search: %+v", c)
	}
	for _, p := range []string{"/hr/../logs/_search", "/_plugins/_security/api/roles", "/logs/_nonexistent/a/b", "/_SEARCH"} {
		if c := Classify("GET", p); c.Action != "" {
			t.Errorf("%s: action %q, want empty", p, c.Action)
		}
	}
}

func TestRouteTable(t *testing.T) {
	if _, err := buildTable(allAPIs(), prefixDenies()); err != nil {
		t.Fatal(err)
	}
	eps := Endpoints()
	if len(eps) < 800 {
		t.Errorf("only %d endpoints", len(eps))
	}
	for _, e := range eps {
		if e.Action == "" || e.Route == "" {
			t.Errorf("%s %s: empty action or route", e.Method, e.Pattern)
		}
		// Action names are transport action names: a namespace, a colon,
		// a slash-separated path.
		if !strings.HasPrefix(e.Action, "indices:") && !strings.HasPrefix(e.Action, "cluster:") && !strings.HasPrefix(e.Action, "internal:") {
			t.Errorf("%s %s: action %q is not a transport action name", e.Method, e.Pattern, e.Action)
		}
		// Every search path is a search, whatever the method, and every
		// path below an index that ends in _search reads documents.
		if (e.Pattern == "/_search" || e.Pattern == "/{index}/_search") && e.Action != "indices:data/read/search" {
			t.Errorf("%s %s: action %q", e.Method, e.Pattern, e.Action)
		}
		if strings.HasPrefix(e.Pattern, "/{index}/") && strings.HasSuffix(e.Pattern, "/_search") && !strings.HasPrefix(e.Action, "indices:data/read/") {
			t.Errorf("%s %s: search endpoint with action %q", e.Method, e.Pattern, e.Action)
		}
	}
	if len(DeniedPrefixes()) == 0 {
		t.Error("no denied prefixes")
	}
	// A duplicate shape must be caught at build time.
	dup := [][]api{{
		{name: "a", eps: []string{"GET /{index}/_x"}, action: "x", route: "x"},
		{name: "b", eps: []string{"GET /{other}/_x"}, action: "y", route: "y"},
	}}
	if _, err := buildTable(dup, nil); err == nil {
		t.Error("duplicate route accepted")
	}
}
