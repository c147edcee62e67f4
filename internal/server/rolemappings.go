package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// The role-mapping API's actions, answered by the proxy.
const (
	roleMappingPutAction    = "cluster:admin/xpack/security/role_mapping/put"
	roleMappingGetAction    = "cluster:admin/xpack/security/role_mapping/get"
	roleMappingDeleteAction = "cluster:admin/xpack/security/role_mapping/delete"
)

func isRoleMappingAction(action string) bool {
	switch action {
	case roleMappingPutAction, roleMappingGetAction, roleMappingDeleteAction:
		return true
	}
	return false
}

// roleMappingService answers the role-mapping API.
type roleMappingService struct {
	store DocStore
	audit Auditor
}

func (s *roleMappingService) serve(w http.ResponseWriter, r *http.Request, st *requestState) {
	if s == nil || s.store == nil {
		refuseAPIKeys(w, st, http.StatusBadRequest, "illegal_argument_exception", "the role-mapping API is not enabled (the proxy keeps API role mappings only with security.native_role_mappings set; role-mapping files are edited as files)")
		return
	}
	switch st.Action {
	case roleMappingPutAction:
		s.put(w, r, st)
	case roleMappingGetAction:
		s.get(w, st)
	case roleMappingDeleteAction:
		s.delete(w, r, st)
	}
}

// mappingBody is what the audit event shows of a mapping.
type mappingBody struct {
	Roles         []string        `json:"roles"`
	RoleTemplates json.RawMessage `json:"role_templates"`
	Rules         json.RawMessage `json:"rules"`
	Enabled       *bool           `json:"enabled"`
	Metadata      map[string]any  `json:"metadata"`
}

func (s *roleMappingService) put(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["name"]
	var raw json.RawMessage
	if err := decodeStrict(st, &raw); err != nil || len(raw) == 0 {
		refuseAPIKeys(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the role mapping")
		return
	}
	doc, _ := json.Marshal(map[string]json.RawMessage{name: raw})
	if _, ps := authn.ParseRoleMappings("role mapping", doc); ps.HasErrors() {
		refuseAPIKeys(w, st, http.StatusBadRequest, "illegal_argument_exception", problemsText(ps))
		return
	}
	var m mappingBody
	_ = json.Unmarshal(raw, &m) // parsed above
	ev := audit.PutRoleMappingEvent(audit.RoleMappingChange{Name: name, Roles: m.Roles, RoleTemplates: m.RoleTemplates,
		Rules: m.Rules, Enabled: m.Enabled == nil || *m.Enabled, Metadata: m.Metadata})
	if !(&apiKeyService{audit: s.audit}).record(w, r, st, ev) {
		return
	}
	created, err := s.store.Put(name, raw)
	if err != nil {
		s.fail(w, st, err)
		return
	}
	st.Log().Info("role mapping stored", zap.String("role_mapping", name), zap.Bool("created", created))
	writeJSONValue(w, http.StatusOK, map[string]any{"role_mapping": map[string]bool{"created": created}})
}

func (s *roleMappingService) get(w http.ResponseWriter, st *requestState) {
	var names []string
	if n := st.Class.PathParams["name"]; n != "" {
		names = strings.Split(n, ",")
	}
	found := s.store.Get(names)
	if len(found) == 0 && len(names) > 0 {
		writeJSONValue(w, http.StatusNotFound, map[string]any{})
		return
	}
	writeJSONValue(w, http.StatusOK, found)
}

func (s *roleMappingService) delete(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["name"]
	if !(&apiKeyService{audit: s.audit}).record(w, r, st, audit.DeleteRoleMappingEvent(name)) {
		return
	}
	found, err := s.store.Delete(name)
	if err != nil {
		s.fail(w, st, err)
		return
	}
	status := http.StatusOK
	if !found {
		status = http.StatusNotFound
	}
	writeJSONValue(w, status, map[string]bool{"found": found})
}

func (s *roleMappingService) fail(w http.ResponseWriter, st *requestState, err error) {
	(&roleService{}).fail(w, st, err)
}
