package server

import (
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn/oidcweb"
)

// Actions and request names Elasticsearch audits for its OpenID Connect
// realm: Kibana's login calls POST /_security/oidc/authenticate, its logout
// POST /_security/oidc/logout.
const (
	oidcAuthenticateAction  = "cluster:admin/xpack/security/oidc/authenticate"
	oidcAuthenticateRequest = "OpenIdConnectAuthenticateRequest"
	oidcLogoutAction        = "cluster:admin/xpack/security/oidc/logout"
	oidcLogoutRequest       = "OpenIdConnectLogoutRequest"
)

// loginRecorder turns the login endpoints' outcomes into audit events and
// makes them durable before the endpoint answers; an error makes the
// endpoint answer 503 without effect.
func loginRecorder(a Auditor) oidcweb.Recorder {
	return func(r *http.Request, o oidcweb.Outcome) error {
		st := stateOf(r)
		evs := loginEvents(r, st, a, o)
		if o.Reason != "" {
			st.Log().Info("login endpoint refused the request", zap.String("reason", o.Reason))
		}
		if len(evs) == 0 {
			return nil
		}
		if err := a.Record(r.Context(), evs...); err != nil {
			st.Decision = "error"
			st.Log().Error("audit write failed; login endpoint answers 503", zap.Error(err))
			return err
		}
		st.auditDone = true
		return nil
	}
}

// loginEvents are the events of one outcome, with the request's shared
// fields (request.id, origin.address, url.path…). Refusals carry no user
// unless one is known; the reason goes to the proxy's log under the same
// request id (Elastic's layout has no reason field).
func loginEvents(r *http.Request, st *requestState, a Auditor, o oidcweb.Outcome) []*audit.Event {
	evs := outcomeEvents(r, st, a, o)
	for _, ev := range evs {
		ev.URLQuery = withoutLoginSecrets(ev.URLQuery)
	}
	if o.Kind == oidcweb.BackchannelLoggedOut {
		evs[0].URLQuery = logoutTokenQuery(evs[0].URLQuery, o.Subject, o.SID)
	}
	return evs
}

// outcomeEvents maps an outcome to Elasticsearch's events.
func outcomeEvents(r *http.Request, st *requestState, a Auditor, o oidcweb.Outcome) []*audit.Event {
	switch o.Kind {
	case oidcweb.LoginSucceeded:
		st.Principal, st.Decision = o.Principal, "allow"
		success := newEvent(r, st, a, audit.TypeRest, audit.AuthenticationSuccess)
		success.Realm = o.Principal.Realm
		success.UserRoles = nil // Elasticsearch's authentication_success has no roles
		return []*audit.Event{success, granted(r, st, a, oidcAuthenticateAction, oidcAuthenticateRequest)}
	case oidcweb.LoggedOut, oidcweb.BackchannelLoggedOut:
		st.Principal, st.Decision = o.Principal, "allow"
		return []*audit.Event{withUser(granted(r, st, a, oidcLogoutAction, oidcLogoutRequest), o.Username)}
	case oidcweb.LoginFailed, oidcweb.BackchannelRefused:
		st.Decision = "unauthenticated"
		return []*audit.Event{newEvent(r, st, a, audit.TypeRest, audit.AuthenticationFailed)}
	case oidcweb.LogoutWithoutSession:
		st.Decision = "unauthenticated"
		if !o.HadCookie {
			return []*audit.Event{newEvent(r, st, a, audit.TypeRest, audit.AnonymousAccessDenied)}
		}
		return []*audit.Event{newEvent(r, st, a, audit.TypeRest, audit.AuthenticationFailed)}
	case oidcweb.LogoutForged:
		st.Decision = "rejected"
		return []*audit.Event{withUser(newEvent(r, st, a, audit.TypeRest, audit.TamperedRequest), o.Username)}
	}
	return nil
}

// granted is the access_granted event of a login action.
func granted(r *http.Request, st *requestState, a Auditor, action, requestName string) *audit.Event {
	ev := newEvent(r, st, a, audit.TypeTransport, audit.AccessGranted)
	ev.Action, ev.RequestName = action, requestName
	return ev
}

// withUser names the user when the outcome knows a name but no principal
// (a session whose claims no longer map, a logout token's sub).
func withUser(ev *audit.Event, username string) *audit.Event {
	if ev.UserName == "" && username != "" {
		ev.UserName = username
	}
	return ev
}

// logoutTokenQuery adds a logout token's sub and sid (never the token) to
// the event's url.query: the back-channel request carries them only in
// its body, and Elastic's layout has no field of their own for them.
func logoutTokenQuery(query, subject, sid string) string {
	v := url.Values{}
	if subject != "" {
		v.Set("sub", subject)
	}
	if sid != "" {
		v.Set("sid", sid)
	}
	if query == "" {
		return v.Encode()
	}
	return query + "&" + v.Encode()
}

// loginSecrets are query parameters of the login endpoints that must not
// reach the audit trail: the authorization code, the login's state, and
// any token a client puts in a URL.
var loginSecrets = []string{"code", "state", "id_token", "id_token_hint", "access_token", "refresh_token", "logout_token"}

// withoutLoginSecrets is query without loginSecrets ("" if it cannot be
// parsed: then nothing of it is kept).
func withoutLoginSecrets(query string) string {
	if query == "" {
		return ""
	}
	v, err := url.ParseQuery(query)
	if err != nil {
		return ""
	}
	for _, k := range loginSecrets {
		v.Del(k)
	}
	return v.Encode()
}
