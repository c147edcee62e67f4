package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// addressRevealingActions are APIs whose answers carry the cluster nodes'
// own addresses. A sniffing client (the official clients' "sniff" option)
// would learn them and then talk to the nodes directly, around the proxy
// and its audit. They are refused for every user; clients must be
// configured without sniffing, with the proxy as their only node.
var addressRevealingActions = map[string]bool{
	"cluster:monitor/nodes/info":        true, // _nodes, _nodes/http, _cat/nodes, _cat/nodeattrs
	"cluster:monitor/nodes/stats":       true, // _nodes/stats
	"cluster:monitor/nodes/hot_threads": true,
	"cluster:monitor/nodes/usage":       true,
	"cluster:monitor/state":             true, // _cluster/state, _cat/master, _cat/allocation
	"cluster:monitor/remote/info":       true, // remote cluster seeds
}

// withSniffingGuard refuses the APIs that reveal node addresses, except
// Kibana's version check narrowed to the nodes' versions (nodesVersionOnly),
// refuses the _cat columns of transport ports (catShowsPort), and takes the
// transport addresses out of the shard-listing answers
// (withoutTransportAddresses), the task list
// (serveTaskListWithoutAddresses) and the cluster settings
// (serveClusterSettingsWithoutAddresses).
func withSniffingGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if addressRevealingActions[st.Action] && !nodesVersionOnly(r, st) {
			refuse(w, st, http.StatusForbidden, "action ["+st.Action+"] is refused by the security proxy: its answer would reveal the cluster nodes' addresses "+
				"(configure clients without sniffing, with the proxy as their only node)")
			return
		}
		if catShowsPort(st.Class.API, st.Class.Params.Values) {
			refuse(w, st, http.StatusForbidden, "action ["+st.Action+"] is refused by the security proxy: the [port] column would reveal the cluster nodes' transport port")
			return
		}
		if !withoutTransportAddresses(r.URL, st.Action, st.Class.Params.Values) {
			refuse(w, st, http.StatusBadRequest, "action ["+st.Action+"] is refused by the security proxy: its filter_path cannot be rewritten to hide the nodes' transport addresses")
			return
		}
		if taskListAPIs[st.Class.API] {
			serveTaskListWithoutAddresses(w, r, st, next)
			return
		}
		if st.Class.API == clusterSettingsAPI {
			serveClusterSettingsWithoutAddresses(w, r, st, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// securityActionPrefix starts the action names of the security APIs.
const securityActionPrefix = "cluster:admin/xpack/security/"

// authenticateAction is GET /_security/_authenticate.
const authenticateAction = "cluster:admin/xpack/security/user/authenticate"

// securityAPIs are the security APIs the proxy answers itself, since the
// cluster behind it has no security of its own.
type securityAPIs struct {
	az       Authorizer
	keys     *apiKeyService
	privs    *appPrivilegeService
	roles    *roleService
	mappings *roleMappingService
	users    *userService
	profiles *profileService
}

func newSecurityAPIs(o Options) *securityAPIs {
	grants := &grantAuthenticator{authn: o.Authenticator, anonymous: o.Anonymous, audit: o.Auditor}
	return &securityAPIs{
		az:       o.Authorizer,
		keys:     &apiKeyService{store: o.APIKeys, audit: o.Auditor, now: time.Now, grants: grants},
		profiles: &profileService{store: o.Profiles, audit: o.Auditor, grants: grants, az: o.Authorizer},
		privs:    &appPrivilegeService{store: o.AppPrivileges, audit: o.Auditor},
		roles:    newRoleService(o.Roles, o.Auditor, o.Authorizer),
		mappings: &roleMappingService{store: o.RoleMappings, audit: o.Auditor},
		users:    &userService{store: o.Users, others: o.RunAs, audit: o.Auditor, anonymous: o.Anonymous},
	}
}

// withLocalAPIs answers the security APIs (decided and audited by the
// earlier stages) and refuses those the proxy does not implement: the
// proxy is the cluster's security, so none is forwarded (a cluster with
// its own security would run it with the proxy's credentials, unaudited).
func withLocalAPIs(apis *securityAPIs, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		switch a := st.Action; {
		case isUserAction(a):
			apis.users.serve(w, r, st)
		case isAPIKeyAction(a):
			apis.keys.serve(w, r, st)
		case isPrivilegeAction(a):
			apis.privs.serve(w, r, st)
		case isRoleAction(a):
			apis.roles.serve(w, r, st)
		case isRoleMappingAction(a):
			apis.mappings.serve(w, r, st)
		case isProfileAction(a):
			apis.profiles.serve(w, r, st)
		case a == authenticateAction:
			writeAuthenticate(w, st)
		case a == hasPrivilegesAction:
			writeHasPrivileges(w, st, apis.az, apis.privs.registered())
		case a == listPrivilegesAction:
			writeUserPrivileges(w, st, apis.az)
		case strings.HasPrefix(a, securityActionPrefix):
			refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "action ["+a+"] is not supported by the security proxy")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// authenticateResponse is Elasticsearch's GET /_security/_authenticate body.
type authenticateResponse struct {
	userView
	AuthenticationRealm realmRef   `json:"authentication_realm"`
	LookupRealm         realmRef   `json:"lookup_realm"`
	AuthenticationType  string     `json:"authentication_type"`
	APIKey              *apiKeyRef `json:"api_key,omitempty"`
	Token               *tokenRef  `json:"token,omitempty"`
}

type tokenRef struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type apiKeyRef struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

type realmRef struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func writeAuthenticate(w http.ResponseWriter, st *requestState) {
	p := st.Principal
	resp := authenticateResponse{
		userView:            userView{Username: p.Username, Roles: p.Roles, Metadata: map[string]any{}, Enabled: true},
		AuthenticationRealm: realmRef{p.Realm, p.RealmType}, LookupRealm: realmRef{p.Realm, p.RealmType},
		AuthenticationType: "realm",
	}
	if by := st.RunBy; by != nil { // authenticated by the caller's realm, looked up in the target's
		resp.AuthenticationRealm = realmRef{by.Realm, by.RealmType}
	}
	if k := p.APIKey; k != nil { // as Elasticsearch: the owner, no roles, the key named
		resp.AuthenticationType, resp.APIKey, resp.Roles = "api_key", &apiKeyRef{k.ID, k.Name, k.Metadata}, nil
	}
	if t := p.ServiceToken; t != nil { // as Elasticsearch: no roles, the token named
		resp.AuthenticationType, resp.Token, resp.Roles = "token", &tokenRef{t.Name, t.Source}, nil
		resp.Metadata["_elastic_service_account"] = true
	}
	if resp.Roles == nil {
		resp.Roles = []string{}
	}
	if p.FullName != "" {
		resp.FullName = &p.FullName
	}
	if p.Email != "" {
		resp.Email = &p.Email
	}
	for k, v := range p.Metadata {
		if !strings.HasPrefix(k, "_") {
			resp.Metadata[k] = v
		}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		(&eserr.Error{Status: http.StatusInternalServerError, Type: "exception", Reason: "cannot render the authentication"}).Write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(body)
}
