// Package clients runs Portcullis end to end with the official Go client,
// opensearch-go/v4, over TLS verified against the proxy's CA file, with HTTP
// Basic. It is a separate module so that the main module does not depend on
// the client. Run it through scripts/clients.sh, which starts the proxy and
// exports PROXY_URL, PROXY_CA_FILE, ADMIN_USER, ADMIN_PASSWORD, READER_USER,
// READER_PASSWORD and CLIENTS_RUN_ID.
package clients

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

type env struct {
	URL, Index             string
	CA                     []byte
	AdminUser, AdminPass   string
	ReaderUser, ReaderPass string
}

func getenv(t *testing.T) env {
	t.Helper()
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: run the suite through scripts/clients.sh", name)
		}
		return v
	}
	ca, err := os.ReadFile(get("PROXY_CA_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	return env{
		URL:       get("PROXY_URL"),
		Index:     "clients-go-" + strings.ToLower(get("CLIENTS_RUN_ID")),
		CA:        ca,
		AdminUser: get("ADMIN_USER"), AdminPass: get("ADMIN_PASSWORD"),
		ReaderUser: get("READER_USER"), ReaderPass: get("READER_PASSWORD"),
	}
}

// newClient builds a client for the proxy; ca nil means the system roots only.
func newClient(t *testing.T, e env, user, pass string, ca []byte) *opensearchapi.Client {
	t.Helper()
	c, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{
		Addresses:      []string{e.URL},
		Username:       user,
		Password:       pass,
		CACert:         ca,
		DisableRetry:   true,
		RequestTimeout: 30 * time.Second,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type doc struct {
	N     int    `json:"n"`
	Title string `json:"title"`
	Tag   string `json:"tag"`
}

var docs = []doc{
	{1, "alpha portcullis", "keep"},
	{2, "beta portcullis", "keep"},
	{3, "gamma portcullis", "drop"},
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestSuperuserRoundTrip(t *testing.T) {
	e := getenv(t)
	c := newClient(t, e, e.AdminUser, e.AdminPass, e.CA)

	t.Run("cluster health", func(t *testing.T) {
		h, err := c.Cluster.Health(ctx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.Status != "green" && h.Status != "yellow" {
			t.Errorf("status %q", h.Status)
		}
		if h.NumberOfNodes < 1 {
			t.Errorf("number_of_nodes %d", h.NumberOfNodes)
		}
		if got := h.Inspect().Response.StatusCode; got != http.StatusOK {
			t.Errorf("HTTP status %d", got)
		}
	})

	t.Run("info", func(t *testing.T) {
		info, err := c.Info(ctx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.Version.Distribution != "opensearch" || !strings.HasPrefix(info.Version.Number, "2.") {
			t.Errorf("version %+v", info.Version)
		}
	})

	t.Run("index lifecycle", func(t *testing.T) {
		t.Cleanup(func() {
			_, _ = c.Indices.Delete(context.Background(), opensearchapi.IndicesDeleteReq{
				Indices: []string{e.Index}, Params: opensearchapi.IndicesDeleteParams{IgnoreUnavailable: opensearchapi.ToPointer(true)},
			})
		})
		created, err := c.Indices.Create(ctx(t), opensearchapi.IndicesCreateReq{
			Index: e.Index,
			Body: strings.NewReader(`{"settings":{"number_of_shards":1,"number_of_replicas":0},
				"mappings":{"properties":{"n":{"type":"integer"},"tag":{"type":"keyword"}}}}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !created.Acknowledged || created.Index != e.Index {
			t.Fatalf("create: %+v", created)
		}

		var nd strings.Builder
		for _, d := range docs {
			meta, _ := json.Marshal(map[string]any{"index": map[string]any{"_index": e.Index, "_id": d.N}})
			src, _ := json.Marshal(d)
			nd.Write(meta)
			nd.WriteByte('\n')
			nd.Write(src)
			nd.WriteByte('\n')
		}
		bulk, err := c.Bulk(ctx(t), opensearchapi.BulkReq{Body: strings.NewReader(nd.String()), Params: opensearchapi.BulkParams{Refresh: "true"}})
		if err != nil {
			t.Fatal(err)
		}
		if bulk.Errors || len(bulk.Items) != 3 {
			t.Fatalf("bulk: errors=%v items=%d", bulk.Errors, len(bulk.Items))
		}
		for i, item := range bulk.Items {
			if it := item["index"]; it.Result != "created" || it.ID != []string{"1", "2", "3"}[i] || it.Status != 201 {
				t.Errorf("bulk item %d: %+v", i, it)
			}
		}

		res, err := c.Search(ctx(t), &opensearchapi.SearchReq{
			Indices: []string{e.Index},
			Body:    strings.NewReader(`{"query":{"term":{"tag":"keep"}},"sort":[{"n":"asc"}]}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Hits.Total.Value != 2 || len(res.Hits.Hits) != 2 {
			t.Fatalf("search: total %d, hits %d", res.Hits.Total.Value, len(res.Hits.Hits))
		}
		for i, h := range res.Hits.Hits {
			var got doc
			if err := json.Unmarshal(h.Source, &got); err != nil {
				t.Fatal(err)
			}
			if h.ID != []string{"1", "2"}[i] || got != docs[i] {
				t.Errorf("hit %d: id %s source %+v", i, h.ID, got)
			}
		}

		res, err = c.Search(ctx(t), &opensearchapi.SearchReq{
			Indices: []string{e.Index},
			Body:    strings.NewReader(`{"query":{"match":{"title":"portcullis"}}}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Hits.Total.Value != 3 {
			t.Errorf("match search: total %d", res.Hits.Total.Value)
		}

		got, err := c.Document.Get(ctx(t), opensearchapi.DocumentGetReq{Index: e.Index, DocumentID: "3"})
		if err != nil {
			t.Fatal(err)
		}
		var src doc
		if err := json.Unmarshal(got.Source, &src); err != nil {
			t.Fatal(err)
		}
		if !got.Found || got.ID != "3" || src != docs[2] {
			t.Errorf("get: found=%v id=%s source=%+v", got.Found, got.ID, src)
		}

		missing, err := c.Document.Get(ctx(t), opensearchapi.DocumentGetReq{Index: e.Index, DocumentID: "404"})
		if err == nil || missing.Inspect().Response == nil || missing.Inspect().Response.StatusCode != http.StatusNotFound {
			t.Errorf("get of a missing document: err %v", err)
		}

		del, err := c.Indices.Delete(ctx(t), opensearchapi.IndicesDeleteReq{Indices: []string{e.Index}})
		if err != nil {
			t.Fatal(err)
		}
		if !del.Acknowledged {
			t.Errorf("delete not acknowledged")
		}
		ex, err := c.Indices.Exists(ctx(t), opensearchapi.IndicesExistsReq{Indices: []string{e.Index}})
		if ex == nil || ex.StatusCode != http.StatusNotFound {
			t.Errorf("exists after delete: %v %v", ex, err)
		}
	})
}

// searchError runs a search with the client and returns its Elasticsearch error.
func searchError(t *testing.T, c *opensearchapi.Client, index string) (*opensearch.StructError, *http.Response) {
	t.Helper()
	res, err := c.Search(ctx(t), &opensearchapi.SearchReq{Indices: []string{index}, Body: strings.NewReader(`{"query":{"match_all":{}}}`)})
	if err == nil {
		t.Fatalf("search succeeded: %d hits", res.Hits.Total.Value)
	}
	var se *opensearch.StructError
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not a StructError", err, err)
	}
	r := res.Inspect().Response
	if r == nil {
		t.Fatal("no response")
	}
	return se, &http.Response{StatusCode: r.StatusCode, Header: r.Header}
}

func TestReaderSearchForbidden(t *testing.T) {
	e := getenv(t)
	c := newClient(t, e, e.ReaderUser, e.ReaderPass, e.CA)
	se, resp := searchError(t, c, e.Index)
	if resp.StatusCode != http.StatusForbidden || se.Status != 403 {
		t.Errorf("status %d / %d, want 403", resp.StatusCode, se.Status)
	}
	if se.Err.Type != "security_exception" || len(se.Err.RootCause) == 0 || se.Err.RootCause[0].Type != "security_exception" {
		t.Errorf("type %q root_cause %+v", se.Err.Type, se.Err.RootCause)
	}
	want := "action [indices:data/read/search] is unauthorized for user [" + e.ReaderUser + "]"
	if !strings.HasPrefix(se.Err.Reason, want) {
		t.Errorf("reason %q, want prefix %q", se.Err.Reason, want)
	}
}

func TestWrongPassword(t *testing.T) {
	e := getenv(t)
	c := newClient(t, e, e.ReaderUser, "not-"+e.ReaderPass, e.CA)
	se, resp := searchError(t, c, e.Index)
	if resp.StatusCode != http.StatusUnauthorized || se.Status != 401 {
		t.Errorf("status %d / %d, want 401", resp.StatusCode, se.Status)
	}
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="security"`) {
		t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
	}
	want := "unable to authenticate user [" + e.ReaderUser + "] for REST request [/" + e.Index + "/_search]"
	if se.Err.Type != "security_exception" || se.Err.Reason != want {
		t.Errorf("type %q reason %q, want %q", se.Err.Type, se.Err.Reason, want)
	}
}

func TestNoCredentials(t *testing.T) {
	e := getenv(t)
	c := newClient(t, e, "", "", e.CA)
	se, resp := searchError(t, c, e.Index)
	if resp.StatusCode != http.StatusUnauthorized || se.Status != 401 {
		t.Errorf("status %d / %d, want 401", resp.StatusCode, se.Status)
	}
	want := "missing authentication credentials for REST request [/" + e.Index + "/_search]"
	if se.Err.Type != "security_exception" || se.Err.Reason != want {
		t.Errorf("type %q reason %q, want %q", se.Err.Type, se.Err.Reason, want)
	}
}

// TestCertificateVerified: without the proxy's CA the client refuses the
// connection, so the suite really verifies the certificate.
func TestCertificateVerified(t *testing.T) {
	e := getenv(t)
	c := newClient(t, e, e.AdminUser, e.AdminPass, nil)
	_, err := c.Cluster.Health(ctx(t), nil)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("error %v (%T), want x509.UnknownAuthorityError", err, err)
	}
}
