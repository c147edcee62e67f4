package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn/profile"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// ProfileStore keeps the user profiles (profile.FileStore).
type ProfileStore interface {
	Activate(u profile.User) (profile.Profile, error)
	Get(uids []string) []profile.Profile
	UpdateData(uid string, labels, data map[string]any, v profile.Version) error
	SetEnabled(uid string, enabled bool) error
	Suggest(name string, size int, hintUIDs []string) (int, []profile.Profile)
}

// The user profile actions, answered by the proxy (the cluster behind it
// has no security index).
const (
	profilePrefix             = "cluster:admin/xpack/security/profile/"
	profileActivateAction     = profilePrefix + "activate"
	profileGetAction          = profilePrefix + "get"
	profileSuggestAction      = profilePrefix + "suggest"
	profileHasPrivilegesAct   = profilePrefix + "has_privileges"
	profileSetEnabledAction   = profilePrefix + "set_enabled"
	profileDataAction         = authz.ProfileDataAction
	maxProfileSuggestions     = 100
	defaultProfileSuggestions = 10
)

// isProfileAction reports whether action is a user profile API.
func isProfileAction(action string) bool { return strings.HasPrefix(action, profilePrefix) }

// profileService answers the user profile APIs.
type profileService struct {
	store  ProfileStore
	audit  Auditor
	grants *grantAuthenticator
	az     Authorizer
}

// serve answers one authorized profile request.
func (s *profileService) serve(w http.ResponseWriter, r *http.Request, st *requestState) {
	if s == nil || s.store == nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "user profiles are not enabled (the proxy keeps them only with security.user_profiles set)")
		return
	}
	switch st.Action {
	case profileActivateAction:
		s.activate(w, r, st)
	case profileGetAction:
		s.get(w, r, st)
	case profileDataAction:
		s.updateData(w, r, st)
	case profileSetEnabledAction:
		s.setEnabled(w, r, st)
	case profileSuggestAction:
		s.suggest(w, r, st)
	case profileHasPrivilegesAct:
		s.hasPrivileges(w, r, st)
	default:
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("action [%s] is not supported by the security proxy", st.Action))
	}
}

// activateRequest is the body of POST /_security/profile/_activate.
type activateRequest struct {
	GrantType   string  `json:"grant_type"`
	Username    *string `json:"username"`
	Password    *string `json:"password"`
	AccessToken *string `json:"access_token"`
}

// activate answers POST /_security/profile/_activate: the grant's user
// gets (or refreshes) their profile. Kibana calls it at every login.
func (s *profileService) activate(w http.ResponseWriter, r *http.Request, st *requestState) {
	var body activateRequest
	if err := decodeStrict(st, &body); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the activate profile request: "+err.Error())
		return
	}
	g := &grantKeyRequest{GrantType: body.GrantType, Username: body.Username, Password: body.Password, AccessToken: body.AccessToken}
	if reason := g.invalid(); reason != "" {
		validationFailed(w, st, reason)
		return
	}
	p, ok := s.grants.authenticate(w, r, st, g)
	if !ok {
		return
	}
	if !recordChange(w, r, st, s.audit, audit.ActivateUserProfileEvent(g.auditGrant())) {
		return
	}
	u := profile.User{Username: p.Username, Roles: slices.Clone(p.Roles), RealmName: p.Realm, FullName: p.FullName, Email: p.Email, Issuer: p.Issuer}
	prof, err := s.store.Activate(u)
	if err != nil {
		storeFailed(w, st, "user profile", err)
		return
	}
	st.Log().Info("user profile activated", zap.String("uid", prof.UID), zap.String("user", p.Username))
	writeJSONValue(w, http.StatusOK, profileView(prof, "", true))
}

// get answers GET /_security/profile/{uid}: the profiles asked for, with
// the data the data parameter selects, and an error per unknown uid.
func (s *profileService) get(w http.ResponseWriter, r *http.Request, st *requestState) {
	uids := pathNames(st, "uid")
	found := s.store.Get(uids)
	out := make([]map[string]any, 0, len(found))
	known := map[string]bool{}
	for _, p := range found {
		known[p.UID] = true
		out = append(out, profileView(p, r.URL.Query().Get("data"), true))
	}
	resp := map[string]any{"profiles": out}
	if errs := missingProfiles(uids, known); errs != nil {
		resp["errors"] = errs
	}
	writeJSONValue(w, http.StatusOK, resp)
}

// missingProfiles is the errors object of the uids not found (nil: none).
func missingProfiles(uids []string, known map[string]bool) map[string]any {
	details := map[string]any{}
	for _, uid := range uids {
		if !known[uid] {
			details[uid] = map[string]string{"type": "resource_not_found_exception", "reason": "profile document not found"}
		}
	}
	if len(details) == 0 {
		return nil
	}
	return map[string]any{"count": len(details), "details": details}
}

// profileView is a profile as the APIs show it: data filtered by the
// data parameter (comma-separated paths, * for all, nothing for none).
func profileView(p profile.Profile, dataFilter string, full bool) map[string]any {
	p.User.Issuer = "" // not Elasticsearch's: never shown
	if p.User.Roles == nil {
		p.User.Roles = []string{}
	}
	v := map[string]any{
		"uid": p.UID, "user": p.User, "labels": orEmpty(p.Labels), "data": selectData(p.Data, dataFilter),
		"_doc": map[string]int64{"_primary_term": p.PrimaryTerm, "_seq_no": p.SeqNo},
	}
	if full {
		v["enabled"], v["last_synchronized"] = p.Enabled, p.LastSynchronized
	}
	return v
}

// selectData keeps the parts of data the comma-separated dotted paths
// name ("kibana.*", "kibana.userSettings"); "*" keeps everything.
func selectData(data map[string]any, filter string) map[string]any {
	out := map[string]any{}
	for _, path := range strings.Split(filter, ",") {
		if path = strings.TrimSpace(path); path != "" {
			copyPath(out, data, strings.Split(path, "."))
		}
	}
	return out
}

// copyPath copies what segs names in src into dst. Values are copied
// deeply: src belongs to the store, whose readers share it.
func copyPath(dst, src map[string]any, segs []string) {
	for k, v := range src {
		if segs[0] != "*" && segs[0] != k {
			continue
		}
		rest := segs[1:]
		if len(rest) == 0 || len(rest) == 1 && rest[0] == "*" {
			dst[k] = deepCopy(v)
			continue
		}
		sub, ok := v.(map[string]any)
		if !ok {
			continue
		}
		d, _ := dst[k].(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		copyPath(d, sub, rest)
		if len(d) > 0 {
			dst[k] = d
		}
	}
}

// deepCopy copies JSON objects and arrays (other values are immutable).
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// updateDataRequest is the body of POST /_security/profile/{uid}/_data.
type updateDataRequest struct {
	Labels map[string]any `json:"labels"`
	Data   map[string]any `json:"data"`
}

// updateData answers POST /_security/profile/{uid}/_data. Without
// manage_user_profile, every top-level key must be an application the
// caller's global profile.write names (Kibana: kibana*).
func (s *profileService) updateData(w http.ResponseWriter, r *http.Request, st *requestState) {
	uid := st.Class.PathParams["uid"]
	var body updateDataRequest
	if err := decodeStrict(st, &body); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the update profile data request: "+err.Error())
		return
	}
	if len(body.Labels) == 0 && len(body.Data) == 0 {
		validationFailed(w, st, "update request is empty")
		return
	}
	for _, k := range append(mapKeys(body.Labels), mapKeys(body.Data)...) {
		if k == "" || strings.HasPrefix(k, "_") || strings.Contains(k, ".") {
			validationFailed(w, st, "field name ["+k+"] must not be empty, start with [_] or contain [.]")
			return
		}
		if st.profileApplications != nil && !slices.ContainsFunc(st.profileApplications, func(p string) bool { return authz.MatchesApplication(p, k) }) {
			refuseLocal(w, st, http.StatusForbidden, "security_exception", fmt.Sprintf("action [%s] is unauthorized for user [%s]: the profile data of application [%s] is not writable by its roles", st.Action, st.Principal.Username, k))
			return
		}
	}
	v, err := versionParams(r)
	if err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", err.Error())
		return
	}
	if !recordChange(w, r, st, s.audit, audit.UpdateUserProfileDataEvent(uid, body.Labels, body.Data)) {
		return
	}
	switch err := s.store.UpdateData(uid, body.Labels, body.Data, v); {
	case errors.Is(err, profile.ErrNotFound):
		refuseLocal(w, st, http.StatusNotFound, "document_missing_exception", "["+uid+"]: document missing")
	case errors.Is(err, profile.ErrConflict):
		refuseLocal(w, st, http.StatusConflict, "version_conflict_engine_exception", "["+uid+"]: version conflict, required seqNo and primary term do not match the profile's")
	case err != nil:
		storeFailed(w, st, "user profile", err)
	default:
		writeJSONValue(w, http.StatusOK, map[string]bool{"acknowledged": true})
	}
}

func mapKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// versionParams reads if_seq_no and if_primary_term.
func versionParams(r *http.Request) (profile.Version, error) {
	var v profile.Version
	q := r.URL.Query()
	for name, dst := range map[string]**int64{"if_seq_no": &v.SeqNo, "if_primary_term": &v.PrimaryTerm} {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return v, fmt.Errorf("parameter [%s] must be a non-negative number, found [%s]", name, s)
			}
			*dst = &n
		}
	}
	return v, nil
}

// setEnabled answers POST /_security/profile/{uid}/_enable and _disable.
func (s *profileService) setEnabled(w http.ResponseWriter, r *http.Request, st *requestState) {
	uid := st.Class.PathParams["uid"]
	enabled := st.Class.API == "security.enable_user_profile"
	if !recordChange(w, r, st, s.audit, audit.SetUserProfileEnabledEvent(uid, enabled)) {
		return
	}
	switch err := s.store.SetEnabled(uid, enabled); {
	case errors.Is(err, profile.ErrNotFound):
		refuseLocal(w, st, http.StatusNotFound, "document_missing_exception", "["+uid+"]: document missing")
	case err != nil:
		storeFailed(w, st, "user profile", err)
	default:
		writeJSONValue(w, http.StatusOK, map[string]any{})
	}
}

// suggestRequest is the body of /_security/profile/_suggest.
type suggestRequest struct {
	Name *string `json:"name"`
	Size *int    `json:"size"`
	Data *string `json:"data"`
	Hint *struct {
		UIDs   []string       `json:"uids"`
		Labels map[string]any `json:"labels"`
	} `json:"hint"`
}

// suggest answers /_security/profile/_suggest: enabled profiles whose
// names start with name (Kibana's case assignees).
func (s *profileService) suggest(w http.ResponseWriter, r *http.Request, st *requestState) {
	var body suggestRequest
	if err := decodeStrict(st, &body); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the suggest profiles request: "+err.Error())
		return
	}
	q := r.URL.Query()
	name, size, data := q.Get("name"), defaultProfileSuggestions, q.Get("data")
	if body.Name != nil {
		name = *body.Name
	}
	if body.Data != nil {
		data = *body.Data
	}
	if qs := q.Get("size"); qs != "" {
		n, err := strconv.Atoi(qs)
		if err != nil {
			refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "parameter [size] must be a number")
			return
		}
		size = n
	}
	if body.Size != nil {
		size = *body.Size
	}
	if size < 0 || size > maxProfileSuggestions {
		validationFailed(w, st, fmt.Sprintf("[size] parameter cannot be negative or greater than [%d] but was [%d]", maxProfileSuggestions, size))
		return
	}
	var hints []string
	if body.Hint != nil {
		hints = body.Hint.UIDs
	}
	total, found := s.store.Suggest(name, size, hints)
	out := make([]map[string]any, 0, len(found))
	for _, p := range found {
		out = append(out, profileView(p, data, false))
	}
	writeJSONValue(w, http.StatusOK, map[string]any{
		"took": 0, "timed_out": false, "total": map[string]any{"value": total, "relation": "eq"}, "profiles": out,
	})
}

// hasPrivileges answers /_security/profile/_has_privileges: which of the
// profiles' users hold the privileges, judged by the roles their profile
// recorded at its last activation. A disabled profile holds none.
func (s *profileService) hasPrivileges(w http.ResponseWriter, r *http.Request, st *requestState) {
	subjects, ok := s.az.(PrivilegeSubjects)
	if !ok {
		writeLocalError(w, st, http.StatusInternalServerError, "exception", "the security proxy cannot check privileges with this authorizer")
		return
	}
	var body struct {
		UIDs       []string        `json:"uids"`
		Privileges json.RawMessage `json:"privileges"`
	}
	if err := decodeStrict(st, &body); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the profile privileges request: "+err.Error())
		return
	}
	uids := body.UIDs
	var privs esbody.Value
	if st.Body != nil {
		if obj, ok := esbody.AsObject(st.Body.json); ok {
			privs, _ = obj.Get("privileges") // as parsed, for parsePrivilegesCheck
		}
	}
	if len(uids) == 0 {
		validationFailed(w, st, "profile uids must be provided")
		return
	}
	check, err := parsePrivilegesCheck("profile/has_privileges", privs)
	if err != nil {
		writeLocalError(w, st, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	found := s.store.Get(uids)
	known, holders := map[string]bool{}, []string{}
	for _, p := range found {
		known[p.UID] = true
		if !p.Enabled {
			continue
		}
		res, err := subjects.Subject(p.User.Username, p.User.Roles).HasPrivileges(check)
		if err != nil {
			writeLocalError(w, st, http.StatusBadRequest, "illegal_argument_exception", err.Error())
			return
		}
		if res.HasAllRequested {
			holders = append(holders, p.UID)
		}
	}
	resp := map[string]any{"has_privilege_uids": holders}
	if errs := missingProfiles(uids, known); errs != nil {
		resp["errors"] = errs
	}
	writeJSONValue(w, http.StatusOK, resp)
}
