package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/authz/appprivs"
)

// AppPrivilegeStore keeps the application privileges applications register
// (appprivs.FileStore).
type AppPrivilegeStore interface {
	authz.AppPrivileges
	Get(applications, names []string) []appprivs.Privilege
	Put(privs []appprivs.Privilege) (map[string]map[string]bool, error)
	Delete(application string, names []string) (map[string]bool, error)
}

// The application privilege actions, answered by the proxy (the cluster
// has no security index to keep them in).
const (
	privilegePutAction     = "cluster:admin/xpack/security/privilege/put"
	privilegeGetAction     = "cluster:admin/xpack/security/privilege/get"
	privilegeDeleteAction  = "cluster:admin/xpack/security/privilege/delete"
	privilegeBuiltinAction = "cluster:admin/xpack/security/privilege/builtin/get"
	privilegeCacheAction   = "cluster:admin/xpack/security/privilege/cache/clear"
)

// isPrivilegeAction reports whether action is an application privilege API.
func isPrivilegeAction(action string) bool {
	switch action {
	case privilegePutAction, privilegeGetAction, privilegeDeleteAction, privilegeBuiltinAction, privilegeCacheAction:
		return true
	}
	return false
}

// Naming rules after Elasticsearch's (ApplicationPrivilege): application
// names start with a lower-case letter and have at least 3 characters
// ("kibana-.kibana"); privilege names start with a lower-case letter;
// actions contain /, : or *.
var (
	applicationName = regexp.MustCompile(`^[a-z][A-Za-z0-9_.-]{2,}$`)
	privilegeName   = regexp.MustCompile(`^[a-z][a-zA-Z0-9_.-]*$`)
)

// appPrivilegeService answers the application privilege APIs.
type appPrivilegeService struct {
	store AppPrivilegeStore
	audit Auditor
}

func (s *appPrivilegeService) serve(w http.ResponseWriter, r *http.Request, st *requestState) {
	switch st.Action {
	case privilegeBuiltinAction:
		cluster, index := authz.BuiltinPrivileges()
		writeJSONValue(w, http.StatusOK, map[string]any{"cluster": cluster, "index": index, "remote_cluster": []string{}})
		return
	case privilegeCacheAction: // the proxy caches nothing: every read sees the file
		writeCacheCleared(w)
		return
	}
	if s == nil || s.store == nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "application privileges are not enabled (the proxy keeps them only with security.application_privileges set)")
		return
	}
	switch st.Action {
	case privilegePutAction:
		s.put(w, r, st)
	case privilegeGetAction:
		s.get(w, st)
	case privilegeDeleteAction:
		s.delete(w, r, st)
	}
}

// mayManage reports whether the decision lets the caller manage app's
// privileges (nil patterns: every application).
func (st *requestState) mayManage(app string) bool {
	if st.managedApplications == nil {
		return true
	}
	return slices.ContainsFunc(st.managedApplications, func(p string) bool { return authz.MatchesApplication(p, app) })
}

func (s *appPrivilegeService) unauthorized(w http.ResponseWriter, st *requestState, app string) {
	refuseLocal(w, st, http.StatusForbidden, "security_exception",
		fmt.Sprintf("action [%s] is unauthorized for user [%s] on application [%s]", st.Action, st.Principal.Username, app))
}

// putPrivilege is one privilege of a PUT body.
type putPrivilege struct {
	Application *string        `json:"application"`
	Name        *string        `json:"name"`
	Actions     []string       `json:"actions"`
	Metadata    map[string]any `json:"metadata"`
}

func (s *appPrivilegeService) put(w http.ResponseWriter, r *http.Request, st *requestState) {
	var body map[string]map[string]putPrivilege
	if err := decodeStrict(st, &body); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the privileges: "+err.Error())
		return
	}
	var privs []appprivs.Privilege
	events := map[string]map[string]json.RawMessage{}
	for app, byName := range body {
		if !applicationName.MatchString(app) || len(app) < 3 {
			validationFailed(w, st, fmt.Sprintf("Application names must start with a lower-case letter and be at least 3 characters long, found [%s]", app))
			return
		}
		if !st.mayManage(app) {
			s.unauthorized(w, st, app)
			return
		}
		for name, p := range byName {
			if msg := checkPutPrivilege(app, name, p); msg != "" {
				validationFailed(w, st, msg)
				return
			}
			privs = append(privs, appprivs.Privilege{Application: app, Name: name, Actions: p.Actions, Metadata: p.Metadata})
			if events[app] == nil {
				events[app] = map[string]json.RawMessage{}
			}
			events[app][name], _ = json.Marshal(map[string]any{"application": app, "name": name, "actions": p.Actions, "metadata": orEmpty(p.Metadata)})
		}
	}
	if len(privs) == 0 {
		validationFailed(w, st, "At least one application privilege must be provided")
		return
	}
	if !recordChange(w, r, st, s.audit, audit.PutPrivilegesEvent(events)) {
		return
	}
	created, err := s.store.Put(privs)
	if err != nil {
		storeFailed(w, st, "application privilege", err)
		return
	}
	out := map[string]map[string]map[string]bool{}
	for app, names := range created {
		out[app] = map[string]map[string]bool{}
		for n, c := range names {
			out[app][n] = map[string]bool{"created": c}
		}
	}
	st.Log().Info("application privileges stored", zap.Int("privileges", len(privs)))
	writeJSONValue(w, http.StatusOK, out)
}

// checkPutPrivilege validates one privilege of a PUT body; "" when valid.
func checkPutPrivilege(app, name string, p putPrivilege) string {
	switch {
	case !privilegeName.MatchString(name):
		return fmt.Sprintf("Application privilege names must match the pattern ^[a-z][a-zA-Z0-9_.-]*$, found [%s]", name)
	case p.Application != nil && *p.Application != app:
		return fmt.Sprintf("privilege application [%s] in the body does not match [%s]", *p.Application, app)
	case p.Name != nil && *p.Name != name:
		return fmt.Sprintf("privilege name [%s] in the body does not match [%s]", *p.Name, name)
	case len(p.Actions) == 0:
		return fmt.Sprintf("Application privileges must have at least one action, [%s/%s] has none", app, name)
	}
	for k := range p.Metadata {
		if strings.HasPrefix(k, "_") {
			return "metadata keys may not start with [_]"
		}
	}
	for _, a := range p.Actions {
		if !authz.IsApplicationAction(a) {
			return fmt.Sprintf("The application privilege action [%s] must contain one of [/*:]", a)
		}
	}
	return ""
}

func (s *appPrivilegeService) get(w http.ResponseWriter, st *requestState) {
	var apps, names []string
	if app := st.Class.PathParams["application"]; app != "" && app != "_all" {
		apps = strings.Split(app, ",")
	}
	if n := st.Class.PathParams["name"]; n != "" {
		names = strings.Split(n, ",")
	}
	for _, app := range apps {
		if !st.mayManage(app) {
			s.unauthorized(w, st, app)
			return
		}
	}
	out := map[string]map[string]appprivs.Privilege{}
	for _, p := range s.store.Get(apps, names) {
		if !st.mayManage(p.Application) {
			continue // a listing of every application shows the caller's own
		}
		if out[p.Application] == nil {
			out[p.Application] = map[string]appprivs.Privilege{}
		}
		if p.Metadata == nil {
			p.Metadata = map[string]any{}
		}
		out[p.Application][p.Name] = p
	}
	if len(out) == 0 && len(apps) > 0 {
		// Elasticsearch answers a lookup that finds nothing with 404 and {}.
		st.Decision = "allow"
		writeJSONValue(w, http.StatusNotFound, map[string]any{})
		return
	}
	writeJSONValue(w, http.StatusOK, out)
}

func (s *appPrivilegeService) delete(w http.ResponseWriter, r *http.Request, st *requestState) {
	app, names := st.Class.PathParams["application"], strings.Split(st.Class.PathParams["name"], ",")
	if !st.mayManage(app) {
		s.unauthorized(w, st, app)
		return
	}
	if !recordChange(w, r, st, s.audit, audit.DeletePrivilegesEvent(app, names)) {
		return
	}
	found, err := s.store.Delete(app, names)
	if err != nil {
		storeFailed(w, st, "application privilege", err)
		return
	}
	out := map[string]map[string]bool{}
	for n, f := range found {
		out[n] = map[string]bool{"found": f}
	}
	writeJSONValue(w, http.StatusOK, map[string]any{app: out})
}

// registered is the registry has_privileges resolves names with (nil
// without a store).
func (s *appPrivilegeService) registered() authz.AppPrivileges {
	if s == nil || s.store == nil {
		return nil
	}
	return s.store
}
