package oidcweb

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeReturn: whatever the input, the return URL stays on this site.
func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"/", "//evil", "/\\evil", "/a?b=//c", "https://evil", "/\t/evil", "/%2F%2Fevil", "/_portcullis/login"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeReturn(in)
		if out != "/" && out != in {
			t.Fatalf("safeReturn(%q) = %q: neither the input nor /", in, out)
		}
		u, err := url.Parse(out)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") ||
			strings.ContainsAny(out, "\\\t\r\n ") {
			t.Fatalf("safeReturn(%q) = %q leaves the site", in, out)
		}
		// What a browser would resolve it to, from this site.
		base, _ := url.Parse("https://proxy.example.com/page")
		if r := base.ResolveReference(u); r.Host != "proxy.example.com" {
			t.Fatalf("safeReturn(%q) = %q resolves to %s", in, out, r)
		}
	})
}
