package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// APIKeyStore keeps the API keys the proxy issues (apikey.FileStore).
type APIKeyStore interface {
	Create(k apikey.Key) error
	Find(f apikey.Filter) []apikey.Key
	Invalidate(f apikey.Filter, keep func(*apikey.Key) bool) (done, already []string, err error)
	Update(ids []string, mine func(*apikey.Key) bool, edit func(*apikey.Key)) (apikey.UpdateResult, error)
}

// The API key actions. The cluster behind the proxy has no security of
// its own: the proxy answers them all, and never forwards one (a cluster
// with its own security would create the key for the proxy's own
// credentials).
const (
	apiKeyPrefix           = "cluster:admin/xpack/security/api_key/"
	apiKeyCreateAction     = apiKeyPrefix + "create"
	apiKeyGetAction        = apiKeyPrefix + "get"
	apiKeyInvalidateAction = apiKeyPrefix + "invalidate"
	crossClusterKeyPrefix  = "cluster:admin/xpack/security/cross_cluster/api_key/"
)

// isAPIKeyAction reports whether action manages API keys.
func isAPIKeyAction(action string) bool {
	return strings.HasPrefix(action, apiKeyPrefix) || strings.HasPrefix(action, crossClusterKeyPrefix)
}

// apiKeyService answers the API key endpoints.
type apiKeyService struct {
	store APIKeyStore
	audit Auditor
	now   func() time.Time
	// grants authenticates the credentials of a grant.
	grants *grantAuthenticator
}

// serve answers one authorized API key request.
func (s *apiKeyService) serve(w http.ResponseWriter, r *http.Request, st *requestState) {
	if s == nil || s.store == nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "api keys are not enabled (the proxy keeps API keys only with security.api_keys.file set)")
		return
	}
	if st.Principal.APIKey != nil {
		// Elasticsearch gives a key created by a key no privileges; the
		// proxy refuses key management by keys altogether.
		refuseLocal(w, st, http.StatusForbidden, "security_exception", fmt.Sprintf("action [%s] is unauthorized for API key id [%s] of user [%s]: API keys cannot manage API keys", st.Action, st.Principal.APIKey.ID, st.Principal.Username))
		return
	}
	switch st.Action {
	case apiKeyCreateAction:
		s.create(w, r, st)
	case apiKeyGrantAction:
		s.grant(w, r, st)
	case apiKeyGetAction:
		s.get(w, r, st)
	case apiKeyQueryAction:
		s.query(w, r, st)
	case apiKeyInvalidateAction:
		s.invalidate(w, r, st)
	case apiKeyUpdateAction, apiKeyBulkUpdateAction:
		s.update(w, r, st)
	default:
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("action [%s] is not supported by the security proxy", st.Action))
	}
}

func validationFailed(w http.ResponseWriter, st *requestState, reason string) {
	refuseLocal(w, st, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: "+reason+";")
}

// createKeyRequest is the body of POST /_security/api_key.
type createKeyRequest struct {
	Name            string          `json:"name"`
	Expiration      *string         `json:"expiration"`
	RoleDescriptors json.RawMessage `json:"role_descriptors"`
	Metadata        map[string]any  `json:"metadata"`
}

// maxKeyNameLength is Elasticsearch's limit on API key names.
const maxKeyNameLength = 1024

func (s *apiKeyService) create(w http.ResponseWriter, r *http.Request, st *requestState) {
	var req createKeyRequest
	if err := decodeStrict(st, &req); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the API key request: "+err.Error())
		return
	}
	s.issue(w, r, st, req, st.Principal, nil)
}

// issue validates req, then creates the key for owner: the caller, or the
// user a grant authenticated (grant describes it in the audit event).
func (s *apiKeyService) issue(w http.ResponseWriter, r *http.Request, st *requestState, req createKeyRequest, owner *authn.Principal, grant *audit.APIKeyGrant) {
	switch {
	case strings.TrimSpace(req.Name) == "":
		validationFailed(w, st, "api key name is required")
		return
	case len(req.Name) > maxKeyNameLength:
		validationFailed(w, st, "api key name may not be more than [1024] characters long")
		return
	case req.Name != strings.TrimSpace(req.Name):
		validationFailed(w, st, "api key name may not begin or end with whitespace")
		return
	case strings.HasPrefix(req.Name, "_"):
		validationFailed(w, st, "api key name may not begin with an underscore")
		return
	}
	for k := range req.Metadata {
		if strings.HasPrefix(k, "_") {
			validationFailed(w, st, "API key metadata keys may not start with [_]")
			return
		}
	}
	var ttl time.Duration
	if req.Expiration != nil {
		d, err := apikey.ParseExpiration(*req.Expiration)
		if err != nil {
			refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", err.Error())
			return
		}
		ttl = d
	}
	descriptors := bytes.TrimSpace(req.RoleDescriptors)
	if _, ps := authz.ParseLimit("", "role_descriptors", descriptors); ps.HasErrors() {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "invalid role_descriptors: "+problemsText(ps))
		return
	}
	c, err := apikey.New(req.Name, owner, descriptors, req.Metadata, ttl, s.now())
	if err != nil {
		storeFailed(w, st, "API key", err)
		return
	}
	if !recordChange(w, r, st, s.audit, createKeyEvent(c.Key, req, grant)) {
		return
	}
	if err := s.store.Create(c.Key); err != nil {
		storeFailed(w, st, "API key", err)
		return
	}
	resp := map[string]any{"id": c.Key.ID, "name": c.Key.Name, "api_key": c.Secret, "encoded": c.Encoded}
	if c.Key.Expiration != 0 {
		resp["expiration"] = c.Key.Expiration
	}
	st.Log().Info("API key created", zap.String("id", c.Key.ID), zap.String("owner", c.Key.Username), zap.Bool("granted", grant != nil))
	writeJSONValue(w, http.StatusOK, resp)
}

// createKeyEvent is the security_config_change create_apikey event (no
// secret in it).
func createKeyEvent(k apikey.Key, req createKeyRequest, grant *audit.APIKeyGrant) *audit.Event {
	var descs []json.RawMessage
	var m map[string]json.RawMessage
	if json.Unmarshal(req.RoleDescriptors, &m) == nil {
		for name, d := range m {
			descs = append(descs, namedDescriptor(name, d))
		}
	}
	return audit.CreateAPIKeyEvent(audit.APIKeyChange{ID: k.ID, Name: k.Name, Expiration: req.Expiration, RoleDescriptors: descs, Metadata: k.Metadata}, grant)
}

// namedDescriptor adds the role's name to its descriptor, as the audit
// event lists them.
func namedDescriptor(name string, d json.RawMessage) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(d, &obj) != nil {
		return d
	}
	obj["name"], _ = json.Marshal(name)
	out, err := json.Marshal(obj)
	if err != nil {
		return d
	}
	return out
}

// get answers GET /_security/api_key.
func (s *apiKeyService) get(w http.ResponseWriter, r *http.Request, st *requestState) {
	q := r.URL.Query()
	f := apikey.Filter{Name: q.Get("name"), Username: q.Get("username"), RealmName: q.Get("realm_name")}
	if id := q.Get("id"); id != "" {
		f.IDs = []string{id}
	}
	owner, err := boolParam(q.Get("owner"))
	if err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "parameter [owner]: "+err.Error())
		return
	}
	activeOnly, err := boolParam(q.Get("active_only"))
	if err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "parameter [active_only]: "+err.Error())
		return
	}
	own := owner || st.ownAPIKeysOnly
	if own && (f.Username != "" || f.RealmName != "") {
		refuseLocal(w, st, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: username or realm name must not be specified when retrieving owned API keys;")
		return
	}
	now := s.now()
	keys := []map[string]any{}
	for _, k := range s.store.Find(f) {
		if own && !ownedBy(&k, st.Principal) || activeOnly && !k.Active(now) {
			continue
		}
		keys = append(keys, keyInfo(&k, now))
	}
	if len(keys) == 0 && (len(f.IDs) > 0 || f.Name != "") {
		// Elasticsearch answers a lookup by id or name that finds nothing
		// with 404 resource_not_found_exception.
		refuseLocal(w, st, http.StatusNotFound, "resource_not_found_exception", "unable to find apikey with id or name")
		return
	}
	writeJSONValue(w, http.StatusOK, map[string]any{"api_keys": keys})
}

// keyInfo is one key as the get API shows it (never its hash).
func keyInfo(k *apikey.Key, now time.Time) map[string]any {
	info := map[string]any{
		"id": k.ID, "name": k.Name, "type": "rest", "creation": k.Creation, "invalidated": k.Invalidated,
		"username": k.Username, "realm": k.Realm, "realm_type": k.RealmType, "metadata": orEmpty(k.Metadata),
		"role_descriptors": json.RawMessage(orEmptyObject(k.RoleDescriptors)),
	}
	if k.Expiration != 0 {
		info["expiration"] = k.Expiration
	}
	if k.Invalidated {
		info["invalidation"] = k.Invalidation
	}
	return info
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyObject(raw json.RawMessage) []byte {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return []byte("{}")
	}
	return raw
}

// invalidateKeysRequest is the body of DELETE /_security/api_key.
type invalidateKeysRequest struct {
	ID        string   `json:"id"`
	IDs       []string `json:"ids"`
	Name      string   `json:"name"`
	Username  string   `json:"username"`
	RealmName string   `json:"realm_name"`
	Owner     bool     `json:"owner"`
}

// invalidate answers DELETE /_security/api_key.
func (s *apiKeyService) invalidate(w http.ResponseWriter, r *http.Request, st *requestState) {
	var req invalidateKeysRequest
	if err := decodeStrict(st, &req); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the invalidate request: "+err.Error())
		return
	}
	f := apikey.Filter{IDs: req.IDs, Name: req.Name, Username: req.Username, RealmName: req.RealmName}
	if req.ID != "" {
		if len(req.IDs) > 0 {
			validationFailed(w, st, "Must use either [id] or [ids], not both at the same time")
			return
		}
		f.IDs = []string{req.ID}
	}
	own := req.Owner || st.ownAPIKeysOnly
	switch {
	case f.Empty() && !req.Owner:
		validationFailed(w, st, "One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false")
		return
	case own && (f.Username != "" || f.RealmName != ""):
		validationFailed(w, st, "username or realm name must not be specified when the current user owns the API key(s)")
		return
	}
	ev := audit.InvalidateAPIKeysEvent(audit.InvalidateAPIKeysChange{IDs: f.IDs, Name: f.Name, OwnedByAuthenticatedUser: own, UserName: f.Username, RealmName: f.RealmName})
	if !recordChange(w, r, st, s.audit, ev) {
		return
	}
	done, already, err := s.store.Invalidate(f, func(k *apikey.Key) bool { return !own || ownedBy(k, st.Principal) })
	if err != nil {
		storeFailed(w, st, "API key", err)
		return
	}
	st.Log().Info("API keys invalidated", zap.Strings("ids", done))
	writeJSONValue(w, http.StatusOK, map[string]any{
		"invalidated_api_keys": orNone(done), "previously_invalidated_api_keys": orNone(already), "error_count": 0,
	})
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ownedBy reports whether p owns k: same user name in the same realm and,
// in a realm trusting several OpenID providers, from the same issuer
// (Elasticsearch would have one realm per issuer). A key made before owners
// carried their issuer is its snapshot's jwt_claim_iss's.
func ownedBy(k *apikey.Key, p *authn.Principal) bool {
	if k.Username != p.Username || k.Realm != p.Realm {
		return false
	}
	issuer := k.OwnerIssuer
	if issuer == "" && p.Issuer != "" {
		issuer, _ = k.OwnerMetadata["jwt_claim_iss"].(string)
	}
	return issuer == p.Issuer
}

// decodeStrict reads the request's JSON body into v; unknown fields are
// errors, and a struct's fields match only their exact names
// (Elasticsearch's parsers are case-sensitive; encoding/json alone would
// take "PASSWORD" or "paſſword" for "password"). A missing body decodes
// as {}.
func decodeStrict(st *requestState, v any) error {
	if st.Body == nil || st.Body.body == nil || len(bytes.TrimSpace(st.Body.body.Raw)) == 0 {
		return nil
	}
	if st.Body.body.MediaType != esbody.MediaJSON {
		return fmt.Errorf("the body must be JSON")
	}
	raw := st.Body.body.Raw
	if err := exactFieldNames(raw, v); err != nil {
		return err
	}
	return jsonfile.DecodeStrict(raw, v)
}

// exactFieldNames refuses a JSON object whose keys are not exactly the
// json names of v's struct fields (v a pointer to a struct; other targets
// pass).
func exactFieldNames(raw []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil // not an object: the decoder reports it
	}
	names := map[string]bool{}
	st := t.Elem()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = st.Field(i).Name
		}
		names[name] = true
	}
	for k := range obj {
		if !names[k] {
			return fmt.Errorf("json: unknown field %q", k)
		}
	}
	return nil
}

func boolParam(v string) (bool, error) {
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("expected true or false, got [%s]", v)
}

func writeJSONValue(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		(&eserr.Error{Status: http.StatusInternalServerError, Type: "exception", Reason: "cannot render the answer"}).Write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// problemsText joins the errors of ps (without file names: the body is the
// "file").
func problemsText(ps diag.Problems) string {
	var msgs []string
	for _, p := range ps {
		if p.Severity == diag.Error {
			msgs = append(msgs, p.Message)
		}
	}
	return strings.Join(msgs, "; ")
}
