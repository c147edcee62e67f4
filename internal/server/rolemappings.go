package server

import (
	"encoding/json"
	"net/http"

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
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "the role-mapping API is not enabled (the proxy keeps API role mappings only with security.native_role_mappings set; role-mapping files are edited as files)")
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
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the role mapping")
		return
	}
	doc, _ := json.Marshal(map[string]json.RawMessage{name: raw})
	if _, ps := authn.ParseRoleMappings("role mapping", doc); ps.HasErrors() {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", problemsText(ps))
		return
	}
	var m mappingBody
	_ = json.Unmarshal(raw, &m) // parsed above
	ev := audit.PutRoleMappingEvent(audit.RoleMappingChange{Name: name, Roles: m.Roles, RoleTemplates: m.RoleTemplates,
		Rules: m.Rules, Enabled: m.Enabled == nil || *m.Enabled, Metadata: m.Metadata})
	if !recordChange(w, r, st, s.audit, ev) {
		return
	}
	created, err := s.store.Put(name, raw)
	if err != nil {
		storeFailed(w, st, "role mapping", err)
		return
	}
	st.Log().Info("role mapping stored", zap.String("role_mapping", name), zap.Bool("created", created))
	writeJSONValue(w, http.StatusOK, map[string]any{"role_mapping": map[string]bool{"created": created}})
}

func (s *roleMappingService) get(w http.ResponseWriter, st *requestState) {
	names := pathNames(st, "name")
	found := s.store.Get(names)
	if len(found) == 0 && len(names) > 0 {
		writeJSONValue(w, http.StatusNotFound, map[string]any{})
		return
	}
	writeJSONValue(w, http.StatusOK, found)
}

func (s *roleMappingService) delete(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["name"]
	if !recordChange(w, r, st, s.audit, audit.DeleteRoleMappingEvent(name)) {
		return
	}
	found, err := s.store.Delete(name)
	if err != nil {
		storeFailed(w, st, "role mapping", err)
		return
	}
	writeFound(w, found)
}
