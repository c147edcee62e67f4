package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// run_as: a caller whose roles list a user in run_as may send
// es-security-runas-user and have the request authorized, audited and
// answered as that user (checklist 16–18). Elasticsearch looks the user up
// in a realm that supports lookup; here that is the file realm. The header
// never reaches the cluster (upstream strips es-security-*), so the proxy
// either runs the request as the target or refuses it: running it as the
// caller would give an application that impersonates its end users the
// application's own, wider, access.

// RunAsHeader names the user to run as.
const RunAsHeader = "Es-Security-Runas-User"

// RunAsLookup finds users without their credentials (authn.FileRealm).
type RunAsLookup interface {
	Lookup(username string) (*authn.Principal, bool)
}

// runAsDecider is implemented by authorizers that know the roles' run_as
// (authz.RoleStore, authz.Evaluator).
type runAsDecider interface {
	MayRunAs(roles []string, target string) bool
}

// withRunAs replaces the authenticated principal by the run_as target (with
// the anonymous roles when anonymous access is on), or
// refuses the request (403, run_as_denied) when the caller may not run as
// that user, the user cannot be looked up, or the header is empty or
// repeated.
func withRunAs(az Authorizer, users RunAsLookup, anon *authn.Anonymous, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values(RunAsHeader)
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		st := stateOf(r)
		caller := st.Principal
		target, ok := runAsTarget(az, users, caller, values)
		if !ok {
			st.Decision, st.runAsRefused, st.runAsName = "deny", true, values[0]
			eserr.Security(http.StatusForbidden, runAsDeniedReason(st.Action, caller, values[0])).Write(w)
			return
		}
		// The cluster must not see it either (upstream strips it too).
		r.Header.Del(RunAsHeader)
		anon.AddRoles(target) // as every authenticated user's, the target's roles include the anonymous ones
		dropServiceAccountRoles(target)
		st.RunBy, st.Principal = caller, target
		next.ServeHTTP(w, r)
	})
}

// runAsTarget is the principal to run as, if the caller may.
func runAsTarget(az Authorizer, users RunAsLookup, caller *authn.Principal, values []string) (*authn.Principal, bool) {
	d, ok := az.(runAsDecider)
	// API keys cannot run as anyone: their limit would not follow the
	// target.
	if !ok || users == nil || caller == nil || caller.APIKey != nil || len(values) != 1 || values[0] == "" {
		return nil, false
	}
	if !d.MayRunAs(caller.Roles, values[0]) {
		return nil, false
	}
	return users.Lookup(values[0])
}

// runAsDeniedReason is Elasticsearch's refusal of a run_as.
func runAsDeniedReason(action string, caller *authn.Principal, target string) string {
	return fmt.Sprintf("action [%s] is unauthorized for user [%s] with effective roles [%s], because user [%s] is unauthorized to run as [%s]",
		action, caller.Username, strings.Join(caller.Roles, ","), caller.Username, target)
}
