package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// apiKeyGrantAction is POST /_security/api_key/grant: an API key created
// for another user, whose credentials the caller presents (Kibana's
// alerting rules get their keys so). grant_api_key or manage_api_key
// allow it; manage_own_api_key does not (ownAPIKeyActions).
const apiKeyGrantAction = apiKeyPrefix + "grant"

// The grant types Elasticsearch accepts, and the one it names for them.
const (
	grantPassword    = "password"
	grantAccessToken = "access_token"
)

// grantKeyRequest is the body of POST /_security/api_key/grant.
type grantKeyRequest struct {
	GrantType   string          `json:"grant_type"`
	Username    *string         `json:"username"`
	Password    *string         `json:"password"`
	AccessToken *string         `json:"access_token"`
	RunAs       *string         `json:"run_as"`
	APIKey      json.RawMessage `json:"api_key"`
}

// grant answers POST /_security/api_key/grant. The credentials in the body
// go through the same authenticators as a request's own (so failed
// passwords count toward the login rate limit, and a token is validated
// as a bearer token would be); the key belongs to the user they
// authenticate, limited by that user's roles, exactly as if the user had
// created it.
func (s *apiKeyService) grant(w http.ResponseWriter, r *http.Request, st *requestState) {
	var req grantKeyRequest
	if err := decodeStrict(st, &req); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the grant API key request: "+err.Error())
		return
	}
	if reason := req.invalid(); reason != "" {
		validationFailed(w, st, reason)
		return
	}
	if len(req.APIKey) == 0 || string(req.APIKey) == "null" {
		validationFailed(w, st, "api key name is required")
		return
	}
	if req.RunAs != nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "[run_as] in a grant API key request is not supported by the security proxy")
		return
	}
	var key createKeyRequest
	if err := exactFieldNames(req.APIKey, &key); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse [api_key]: "+err.Error())
		return
	}
	if err := jsonfile.DecodeStrict(req.APIKey, &key); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse [api_key]: "+err.Error())
		return
	}
	owner, ok := s.grants.authenticate(w, r, st, &req)
	if !ok {
		return
	}
	s.issue(w, r, st, key, owner, req.auditGrant())
}

// invalid returns Elasticsearch's validation message for a body whose
// fields do not fit its grant type, or "".
func (g *grantKeyRequest) invalid() string {
	switch g.GrantType {
	case grantPassword:
		switch {
		case g.Username == nil || *g.Username == "":
			return "[username] is required for grant_type [password]"
		case g.Password == nil || *g.Password == "":
			return "[password] is required for grant_type [password]"
		case g.AccessToken != nil:
			return "[access_token] is not supported for grant_type [password]"
		}
	case grantAccessToken:
		switch {
		case g.AccessToken == nil || *g.AccessToken == "":
			return "[access_token] is required for grant_type [access_token]"
		case g.Username != nil:
			return "[username] is not supported for grant_type [access_token]"
		case g.Password != nil:
			return "[password] is not supported for grant_type [access_token]"
		}
	case "":
		return "[grant_type] is required"
	default:
		return "grant_type [" + g.GrantType + "] is not supported"
	}
	return ""
}

// credentials is the Authorization header the grant's credentials make.
func (g *grantKeyRequest) credentials() string {
	if g.GrantType == grantPassword {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(*g.Username+":"+*g.Password))
	}
	return "Bearer " + *g.AccessToken
}

// auditGrant describes the grant in the create_apikey event, never with
// the secret itself.
func (g *grantKeyRequest) auditGrant() *audit.APIKeyGrant {
	ag := &audit.APIKeyGrant{Type: g.GrantType}
	if g.Username != nil {
		ag.User = &audit.APIKeyGrantUser{Name: *g.Username, HasPassword: g.Password != nil}
	}
	if g.AccessToken != nil {
		ag.HasAccessToken = true
	}
	return ag
}

// grantAuthenticator authenticates the credentials a request carries for
// another user (grant API key, activate user profile).
type grantAuthenticator struct {
	// authn is the site's own authenticators; nil refuses grants.
	authn authn.Authenticator
	// anonymous, when on, adds its roles to a granted user's, as to every
	// authenticated user's (withAuthentication).
	anonymous *authn.Anonymous
	audit     Auditor
}

// authenticate authenticates the grant's credentials: a request with only
// that Authorization header (no cookie, no client certificate, no other
// credential of the caller's) through the site's authenticators. Only
// users qualify: a service account token, an API key or the anonymous
// user is refused. A failure is audited as authentication_failed of the
// grant's user and answered 401.
func (s *grantAuthenticator) authenticate(w http.ResponseWriter, r *http.Request, st *requestState, g *grantKeyRequest) (*authn.Principal, bool) {
	if s == nil || s.authn == nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "grant API key is not enabled")
		return nil, false
	}
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {g.credentials()}}
	probe.TLS, probe.Body, probe.ContentLength = nil, http.NoBody, 0
	p, err := s.authn.Authenticate(probe)
	if err == nil && p == nil {
		err = authn.ErrNoCredentials
	}
	name := ""
	if g.Username != nil {
		name = *g.Username
	}
	if err == nil {
		switch {
		case p.RealmType == authn.ServiceAccountRealm || p.ServiceToken != nil:
			err = errors.New("service account tokens are not users")
		case p.RealmType == authn.APIKeyRealm || p.APIKey != nil:
			err = errors.New("API keys are not users")
		case authn.IsAnonymous(p):
			err = errors.New("the anonymous user is not a grant's user")
		}
		name = p.Username
	}
	if err != nil {
		return nil, s.grantRefused(w, r, st, name, err)
	}
	s.anonymous.AddRoles(p)
	dropServiceAccountRoles(p)
	return p, true
}

// grantRefused audits and answers a grant whose credentials did not
// authenticate a user. It returns false, for the caller to stop.
func (s *grantAuthenticator) grantRefused(w http.ResponseWriter, r *http.Request, st *requestState, name string, cause error) bool {
	ev := newEvent(r, st, s.audit, audit.TypeTransport, audit.AuthenticationFailed)
	ev.UserName, ev.UserRealm, ev.UserRoles = name, "", nil
	ev.AuthenticationType, ev.APIKeyID, ev.APIKeyName, ev.TokenName, ev.TokenType = "", "", "", "", ""
	ev.UserRunByName, ev.UserRunByRealm = "", ""
	if err := s.audit.Record(r.Context(), ev); err != nil {
		st.Decision = "error"
		st.Log().Error("audit record of a failed grant failed", zap.Error(err))
		auditUnavailable().Write(w)
		return false
	}
	st.Log().Info("grant API key: credentials refused", zap.String("user", name), zap.String("reason", authFailureReason(cause)))
	reason := fmt.Sprintf("unable to authenticate user [%s] for action [%s]", name, st.Action)
	if name == "" {
		reason = fmt.Sprintf("unable to authenticate the grant's access token for action [%s]", st.Action)
	}
	if errors.Is(cause, authn.ErrRateLimited) {
		refuseLocal(w, st, http.StatusTooManyRequests, "security_exception", "too many failed authentication attempts; try again later")
		return false
	}
	refuseLocal(w, st, http.StatusUnauthorized, "security_exception", reason)
	return false
}
