package server

import (
	"cmp"
	"errors"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// UserStore keeps the native realm's users, which the user API changes
// (authn.NativeRealm). It never returns password hashes.
type UserStore interface {
	// Users returns the named users (every one when names is empty).
	Users(names []string) []authn.NativeUser
	// PutUser creates or replaces a user; an empty passwordHash keeps the
	// current one (authn.ErrPasswordRequired for a new user).
	PutUser(u authn.NativeUser, passwordHash string) (created bool, err error)
	// DeleteUser removes a user and reports whether it existed.
	DeleteUser(name string) (found bool, err error)
	// SetPassword and SetEnabled change an existing user
	// (authn.ErrUserNotFound otherwise).
	SetPassword(name, passwordHash string) error
	SetEnabled(name string, enabled bool) error
}

// The user API's actions, answered by the proxy.
const (
	userPutAction        = "cluster:admin/xpack/security/user/put"
	userGetAction        = "cluster:admin/xpack/security/user/get"
	userDeleteAction     = "cluster:admin/xpack/security/user/delete"
	userPasswordAction   = "cluster:admin/xpack/security/user/change_password"
	userSetEnabledAction = "cluster:admin/xpack/security/user/set_enabled"
)

func isUserAction(action string) bool {
	switch action {
	case userPutAction, userGetAction, userDeleteAction, userPasswordAction, userSetEnabledAction, userQueryAction:
		return true
	}
	return false
}

// otherUser is the authz target of a change of one's own password that
// Elasticsearch does not treat as one's own: no user name holds a NUL.
const otherUser = "\x00"

// authzTargetUser is the user a security API is about, for authz:
// {username} in most routes, {user} in has_privileges'. Changing one's own
// password is allowed to every user only when the native realm
// authenticated them (or looked them up, under run_as) and neither an API
// key nor a token did (Elasticsearch's checkChangePasswordAction):
// otherwise an OIDC or PKI user named like a native user would change that
// user's password. Such a change is then judged as one about another user
// (manage_security).
func authzTargetUser(st *requestState) string {
	c := st.Class
	target := cmp.Or(c.PathParams["username"], c.PathParams["user"])
	if c.Action != userPasswordAction {
		return target
	}
	p := st.Principal
	if (target == "" || target == p.Username) && (p.RealmType != authn.RealmTypeNative || p.APIKey != nil || p.ServiceToken != nil) {
		return otherUser
	}
	return target
}

// userService answers the user API.
type userService struct {
	// anonymous is the anonymous user, whose name is reserved (optional).
	anonymous *authn.Anonymous
	store     UserStore
	// others finds users of the other realms (the users file), to tell a
	// user the API cannot change from an unknown one; optional.
	others RunAsLookup
	audit  Auditor
}

func (s *userService) serve(w http.ResponseWriter, r *http.Request, st *requestState) {
	if s == nil || s.store == nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "the user API is not enabled (the proxy keeps API users only with security.native_users set; the users file is edited as a file)")
		return
	}
	switch st.Action {
	case userPutAction:
		s.put(w, r, st)
	case userGetAction:
		s.get(w, st)
	case userDeleteAction:
		s.delete(w, r, st)
	case userPasswordAction:
		s.changePassword(w, r, st)
	case userSetEnabledAction:
		s.setEnabled(w, r, st)
	case userQueryAction:
		s.query(w, r, st)
	}
}

// putUserRequest is the body of PUT /_security/user/{username}.
type putUserRequest struct {
	Password     *string        `json:"password"`
	PasswordHash *string        `json:"password_hash"`
	Roles        []string       `json:"roles"`
	FullName     *string        `json:"full_name"`
	Email        *string        `json:"email"`
	Metadata     map[string]any `json:"metadata"`
	Enabled      *bool          `json:"enabled"`
}

func (s *userService) put(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["username"]
	var req putUserRequest
	if err := decodeStrict(st, &req); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the user: "+err.Error())
		return
	}
	if !s.validName(w, st, name) {
		return
	}
	switch {
	case req.Roles == nil:
		validationFailed(w, st, "roles are missing")
		return
	case metadataReserved(req.Metadata):
		validationFailed(w, st, "metadata keys may not start with [_]")
		return
	}
	for _, role := range req.Roles {
		if err := authn.ValidateName(role); err != nil {
			validationFailed(w, st, "invalid role name ["+role+"]: "+err.Error())
			return
		}
	}
	hash, ok := passwordHashOf(w, st, req.Password, req.PasswordHash, false)
	if !ok {
		return
	}
	u := authn.NativeUser{Username: name, Roles: req.Roles, FullName: deref(req.FullName), Email: deref(req.Email),
		Metadata: req.Metadata, Enabled: req.Enabled == nil || *req.Enabled}
	if hash == "" && len(s.store.Users([]string{name})) == 0 { // checked again under the store's lock
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", authn.ErrPasswordRequired.Error())
		return
	}
	ev := audit.PutUserEvent(audit.UserChange{Name: name, Enabled: u.Enabled, Roles: u.Roles, FullName: u.FullName,
		Email: u.Email, HasPassword: hash != "", Metadata: u.Metadata})
	if !recordChange(w, r, st, s.audit, ev) {
		return
	}
	created, err := s.store.PutUser(u, hash)
	if errors.Is(err, authn.ErrPasswordRequired) { // deleted since checked
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", err.Error())
		return
	}
	if err != nil {
		storeFailed(w, st, "user", err)
		return
	}
	st.Log().Info("user stored", zap.String("target_user", name), zap.Bool("created", created))
	writeJSONValue(w, http.StatusOK, map[string]bool{"created": created})
}

// userView is a user as GET /_security/user shows it: never a hash.
type userView struct {
	Username string         `json:"username"`
	Roles    []string       `json:"roles"`
	FullName *string        `json:"full_name"`
	Email    *string        `json:"email"`
	Metadata map[string]any `json:"metadata"`
	Enabled  bool           `json:"enabled"`
}

// get lists the native realm's users (the users file's are not listed, as
// Elasticsearch does not list file users either).
func (s *userService) get(w http.ResponseWriter, st *requestState) {
	names := pathNames(st, "username")
	out := map[string]userView{}
	for _, u := range s.store.Users(names) {
		out[u.Username] = nativeUserView(&u)
	}
	if len(out) == 0 && len(names) > 0 {
		writeJSONValue(w, http.StatusNotFound, map[string]any{})
		return
	}
	writeJSONValue(w, http.StatusOK, out)
}

// nativeUserView is u as the user APIs show it.
func nativeUserView(u *authn.NativeUser) userView {
	v := userView{Username: u.Username, Roles: u.Roles, Metadata: u.Metadata, Enabled: u.Enabled}
	if v.Roles == nil {
		v.Roles = []string{}
	}
	if v.Metadata == nil {
		v.Metadata = map[string]any{}
	}
	if u.FullName != "" {
		v.FullName = &u.FullName
	}
	if u.Email != "" {
		v.Email = &u.Email
	}
	return v
}

func (s *userService) delete(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["username"]
	if authn.IsReservedUser(name) {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "user ["+name+"] is reserved and cannot be deleted")
		return
	}
	if !recordChange(w, r, st, s.audit, audit.DeleteUserEvent(name)) {
		return
	}
	found, err := s.store.DeleteUser(name)
	if err != nil {
		storeFailed(w, st, "user", err)
		return
	}
	st.Log().Info("user deleted", zap.String("target_user", name), zap.Bool("found", found))
	writeFound(w, found)
}

// changePasswordRequest is the body of PUT /_security/user/{username}/_password.
type changePasswordRequest struct {
	Password     *string `json:"password"`
	PasswordHash *string `json:"password_hash"`
}

// changePassword changes a native user's password: the caller's own
// (without {username}, or naming themself) or, with manage_security,
// anyone's; authz decided which before.
func (s *userService) changePassword(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := cmp.Or(st.Class.PathParams["username"], st.Principal.Username)
	var req changePasswordRequest
	if err := decodeStrict(st, &req); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the password change: "+err.Error())
		return
	}
	hash, ok := passwordHashOf(w, st, req.Password, req.PasswordHash, true)
	if !ok || !s.existing(w, st, name) {
		return
	}
	if !recordChange(w, r, st, s.audit, audit.ChangePasswordEvent(name)) {
		return
	}
	if !s.applied(w, st, name, s.store.SetPassword(name, hash)) {
		return
	}
	st.Log().Info("user password changed", zap.String("target_user", name))
	writeJSONValue(w, http.StatusOK, map[string]any{})
}

func (s *userService) setEnabled(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["username"]
	enable := st.Class.API == "security.enable_user"
	if name == st.Principal.Username {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "users may not update the enabled status of their own account")
		return
	}
	if !s.existing(w, st, name) || !recordChange(w, r, st, s.audit, audit.SetEnabledEvent(name, enable)) {
		return
	}
	if !s.applied(w, st, name, s.store.SetEnabled(name, enable)) {
		return
	}
	st.Log().Info("user enabled status changed", zap.String("target_user", name), zap.Bool("enabled", enable))
	writeJSONValue(w, http.StatusOK, map[string]any{})
}

// existing answers the change of a user the native realm does not have: a
// reserved name or a user of the users file (400, the API cannot change
// them) or an unknown user (404).
func (s *userService) existing(w http.ResponseWriter, st *requestState, name string) bool {
	switch {
	case authn.IsReservedUser(name):
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "user ["+name+"] is reserved: the proxy has no reserved realm to change it in")
		return false
	case len(s.store.Users([]string{name})) > 0:
		return true
	case s.others != nil && lookupFound(s.others, name):
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "user ["+name+"] does not belong to the native realm (users of the users file are changed in that file)")
		return false
	}
	s.notFound(w, st, name)
	return false
}

func lookupFound(l RunAsLookup, name string) bool {
	_, ok := l.Lookup(name)
	return ok
}

// applied answers a store failure, if any, after the audit record.
func (s *userService) applied(w http.ResponseWriter, st *requestState, name string, err error) bool {
	switch {
	case errors.Is(err, authn.ErrUserNotFound): // deleted since checked
		s.notFound(w, st, name)
		return false
	case err != nil:
		storeFailed(w, st, "user", err)
		return false
	}
	return true
}

func (s *userService) notFound(w http.ResponseWriter, st *requestState, name string) {
	st.Decision = "deny"
	(&eserr.Error{Status: http.StatusNotFound, Type: "resource_not_found_exception", Reason: "user [" + name + "] does not exist in the native realm"}).Write(w)
}

// validName refuses a user name Elasticsearch refuses, and the reserved
// users'.
func (s *userService) validName(w http.ResponseWriter, st *requestState, name string) bool {
	if err := authn.ValidateName(name); err != nil {
		validationFailed(w, st, "invalid username ["+name+"]: "+err.Error())
		return false
	}
	if authn.IsReservedUser(name) || s.anonymous != nil && name == s.anonymous.Username {
		// The anonymous user's name is reserved too, as in Elasticsearch:
		// the audit must not mistake a user for anonymous access.
		validationFailed(w, st, "Username ["+name+"] is reserved and may not be used.")
		return false
	}
	return true
}

// passwordHashOf is the bcrypt hash of a request's password or its given
// hash (only bcrypt is accepted); "" when neither was given and required
// is false. It never puts the password or the hash in an answer or a log.
func passwordHashOf(w http.ResponseWriter, st *requestState, password, hash *string, required bool) (string, bool) {
	switch {
	case password != nil && hash != nil:
		validationFailed(w, st, "only one of [password, passwordHash] can be provided")
		return "", false
	case hash != nil:
		if _, err := authn.ParseNativeHash(*hash); err != nil {
			refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "the provided password hash is not a valid bcrypt hash (the only algorithm the native realm uses)")
			return "", false
		}
		return *hash, true
	case password != nil:
		if len([]rune(*password)) < authn.MinPasswordLength {
			validationFailed(w, st, "passwords must be at least [6] characters long")
			return "", false
		}
		h, err := authn.HashPassword(*password, authn.DefaultBcryptCost)
		if err != nil { // too long for bcrypt
			validationFailed(w, st, strings.TrimPrefix(err.Error(), "hash password: "))
			return "", false
		}
		return h, true
	case required:
		validationFailed(w, st, "password is missing")
		return "", false
	}
	return "", true
}

// metadataReserved: Elasticsearch keeps metadata keys starting with "_"
// for itself.
func metadataReserved(md map[string]any) bool {
	for k := range md {
		if strings.HasPrefix(k, "_") {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
