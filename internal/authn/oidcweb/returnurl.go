package oidcweb

import (
	"net/url"
	"strings"
)

// maxReturnLen bounds the return URL kept in the pre-login cookie.
const maxReturnLen = 2048

// safeReturn returns ret if it is a path on this site, and "/" otherwise:
// only relative references that start with a single "/" pass, with
// printable ASCII only (browsers drop tabs and newlines, so "/\t/evil"
// would become "//evil"), no backslash (browsers read "/\evil" as
// "//evil"), no scheme, host or user info, and not one of the proxy's own
// login endpoints (no redirect loops).
func safeReturn(ret string) string {
	if ret == "" || len(ret) > maxReturnLen || ret[0] != '/' || strings.HasPrefix(ret, "//") {
		return "/"
	}
	for i := 0; i < len(ret); i++ {
		if c := ret[i]; c <= 0x20 || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	if strings.HasPrefix(u.Path, PathPrefix) || strings.HasPrefix(strings.ToLower(u.EscapedPath()), strings.ToLower(PathPrefix)) {
		return "/"
	}
	return ret
}
