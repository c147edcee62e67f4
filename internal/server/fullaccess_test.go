package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// adminAllRole grants everything, restricted indices included: the role
// every fullAccessCase is forwarded for.
const adminAllRole = `
admin_all:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
`

// fullAccessCase is one request of runFullAccessTable.
type fullAccessCase struct {
	name, method, target, body string
	// refused: the limited role gets a 403 and nothing is forwarded.
	refused bool
	// why: the 403's body names one of these (any, when empty).
	why []string
}

// runFullAccessTable sends each case as the limited role (defined in
// rolesYAML, next to adminAllRole) and as admin_all: refused cases are
// refused to the limited role with nothing forwarded; everything else is
// forwarded once.
func runFullAccessTable(t *testing.T, rolesYAML, limited string, md *authz.Metadata, cases []fullAccessCase) {
	t.Helper()
	rs, probs := authz.ParseRoles("roles.yml", []byte(rolesYAML+adminAllRole))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	for _, role := range []string{limited, "admin_all"} {
		for _, tc := range cases {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"acknowledged":true}`))
				})
				rec := serveAs(t, rs, md, role, up, tc.method, tc.target, "application/json", tc.body)
				if tc.refused && role == limited {
					if rec.Code != http.StatusForbidden || !containsAny(rec.Body.String(), tc.why) || forwarded != 0 {
						t.Fatalf("want a 403 naming one of %q, nothing forwarded; got %d %s, forwarded %d", tc.why, rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if rec.Code != http.StatusOK || forwarded != 1 {
					t.Fatalf("want it forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
				}
			})
		}
	}
}

// containsAny reports whether s contains one of subs (true when there are
// none).
func containsAny(s string, subs []string) bool {
	if len(subs) == 0 {
		return true
	}
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
