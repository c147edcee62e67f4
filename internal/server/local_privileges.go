package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// The security APIs that tell callers what they may do, answered by the
// proxy from its own roles since the cluster has no security. Every user
// may call them about themselves (authz.IsSelfAction); asking about
// another user is refused by authorization (403) unless the caller holds a
// security privilege, and then, as in Elasticsearch, with 400 "users may
// only check the privileges of their own account".
const (
	hasPrivilegesAction  = "cluster:admin/xpack/security/user/has_privileges"
	listPrivilegesAction = "cluster:admin/xpack/security/user/list_privileges"
)

// PrivilegeSubjects resolves a user's roles to answer has_privileges and
// _privileges; *authz.RoleStore implements it. An Authorizer without it
// makes the proxy refuse those two APIs.
type PrivilegeSubjects interface {
	Subject(user string, roles []string) *authz.Subject
}

// writeHasPrivileges answers GET|POST /_security/user[/{user}]/_has_privileges.
func writeHasPrivileges(w http.ResponseWriter, st *requestState, az Authorizer, registered authz.AppPrivileges) {
	subject, ok := privilegeSubject(w, st, az)
	if !ok {
		return
	}
	if target := st.Class.PathParams["user"]; target != "" && target != st.Principal.Username {
		writeLocalError(w, st, http.StatusBadRequest, "illegal_argument_exception", "users may only check the privileges of their own account")
		return
	}
	var body esbody.Value
	if st.Body != nil {
		body = st.Body.json
	}
	check, err := parsePrivilegesCheck(st.Principal.Username+"/has_privileges", body)
	if err != nil {
		writeLocalError(w, st, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	check.Registered = registered
	res, err := subject.HasPrivileges(check)
	if l := st.limit; err == nil && l != nil { // an API key holds what it and its owner both hold
		var keyRes authz.HasPrivilegesResult
		if keyRes, err = l.Evaluator().Subject(st.Principal.Username, l.Roles()).HasPrivileges(check); err == nil {
			res = res.And(keyRes)
		}
	}
	var nameErr *authz.PrivilegeNameError
	switch {
	case errors.Is(err, authz.ErrNoPrivilegeRequested):
		writeLocalError(w, st, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: "+err.Error()+";")
		return
	case errors.As(err, &nameErr):
		writeLocalError(w, st, http.StatusBadRequest, "illegal_argument_exception", nameErr.Message)
		return
	case err != nil:
		writeLocalError(w, st, http.StatusInternalServerError, "exception", "cannot check privileges")
		return
	}
	writeLocalJSON(w, st, res)
}

// writeUserPrivileges answers GET /_security/user/_privileges.
func writeUserPrivileges(w http.ResponseWriter, st *requestState, az Authorizer) {
	if st.limit != nil { // the intersection of two role sets has no descriptor form
		writeLocalError(w, st, http.StatusBadRequest, "illegal_argument_exception", "cannot retrieve the privileges of an API key with role descriptors; use _has_privileges")
		return
	}
	if subject, ok := privilegeSubject(w, st, az); ok {
		writeLocalJSON(w, st, subject.UserPrivileges())
	}
}

// privilegeSubject resolves the caller's roles, or refuses the request when
// the authorizer cannot (fail closed).
func privilegeSubject(w http.ResponseWriter, st *requestState, az Authorizer) (*authz.Subject, bool) {
	subjects, ok := az.(PrivilegeSubjects)
	if !ok {
		writeLocalError(w, st, http.StatusInternalServerError, "exception", "the security proxy cannot list privileges with this authorizer")
		return nil, false
	}
	return subjects.Subject(st.Principal.Username, st.Principal.Roles), true
}

func writeLocalJSON(w http.ResponseWriter, st *requestState, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeLocalError(w, st, http.StatusInternalServerError, "exception", "cannot render the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(body)
}

func writeLocalError(w http.ResponseWriter, st *requestState, status int, typ, reason string) {
	st.Log().Info("local security API refused", zap.String("reason", reason))
	(&eserr.Error{Status: status, Type: typ, Reason: reason}).Write(w)
}
