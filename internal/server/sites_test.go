package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(name)) })
}

func TestSiteRouter(t *testing.T) {
	sr := newSiteRouter(named("default"), []Site{
		{Name: "a", Hosts: []string{"a.example.com", "A2.example.com"}, Handler: named("a")},
		{Name: "w", Hosts: []string{"*.example.com"}, Handler: named("w")},
		{Name: "deep", Hosts: []string{"*.eu.example.com"}, Handler: named("deep")},
	}, nil, nil)
	for host, want := range map[string]string{
		"a.example.com":         "a",
		"A.EXAMPLE.COM:9243":    "a",
		"a.example.com.":        "a",
		"a2.example.com":        "a",
		"x.example.com":         "w",
		"x.y.example.com":       "w",
		"x.eu.example.com":      "deep",
		"example.com":           "default",
		"a.example.com.evil":    "default",
		"evil-a.example.com":    "w",
		"[::1]:9243":            "default",
		"":                      "default",
		"notexample.com":        "default",
		"a.example.com:badport": "a", // the port is not the site's business
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		sr.ServeHTTP(rec, r)
		if rec.Body.String() != want {
			t.Errorf("host %q: site %q, want %q", host, rec.Body.String(), want)
		}
	}
}
