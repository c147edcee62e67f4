package server

import (
	"encoding/json"
	"net/http"
	"slices"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// DocStore keeps named JSON documents: the roles of the role API, the
// mappings of the role-mapping API (a jsonfile.Docs, with what uses them
// reloaded after each change).
type DocStore interface {
	Get(names []string) map[string]json.RawMessage
	Put(name string, descriptor json.RawMessage) (created bool, err error)
	Delete(name string) (found bool, err error)
	// PutAll stores every document in one change: all or none.
	PutAll(docs map[string]json.RawMessage) (created map[string]bool, err error)
	// DeleteAll removes every named document in one change: all or none.
	DeleteAll(names []string) (found map[string]bool, err error)
}

// The role API's actions, answered by the proxy.
const (
	rolePutAction    = "cluster:admin/xpack/security/role/put"
	roleGetAction    = "cluster:admin/xpack/security/role/get"
	roleDeleteAction = "cluster:admin/xpack/security/role/delete"
	roleCacheAction  = "cluster:admin/xpack/security/roles/cache/clear"
)

func isRoleAction(action string) bool {
	switch action {
	case rolePutAction, roleGetAction, roleDeleteAction, roleCacheAction, roleQueryAction, roleBulkPutAction, roleBulkDeleteAction:
		return true
	}
	return false
}

// roleService answers the role API.
type roleService struct {
	store DocStore
	audit Auditor
	// files tells which names the roles file defines (authz.RoleStore);
	// nil when the authorizer cannot say.
	files fileRoles
}

// fileRoles is implemented by authorizers that read a roles file.
type fileRoles interface {
	DefinedInFile(name string) bool
}

// newRoleService is the role API over store; az says which names the roles
// file defines, when it can.
func newRoleService(store DocStore, a Auditor, az Authorizer) *roleService {
	f, _ := az.(fileRoles)
	return &roleService{store: store, audit: a, files: f}
}

func (s *roleService) serve(w http.ResponseWriter, r *http.Request, st *requestState) {
	if st.Action == roleCacheAction { // nothing is cached: every decision sees the current roles
		writeCacheCleared(w)
		return
	}
	if s == nil || s.store == nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "the role API is not enabled (the proxy keeps API roles only with security.native_roles set; roles.yml is edited as a file)")
		return
	}
	switch st.Action {
	case rolePutAction:
		s.put(w, r, st)
	case roleGetAction:
		s.get(w, st)
	case roleDeleteAction:
		s.delete(w, r, st)
	case roleQueryAction:
		s.query(w, r, st)
	case roleBulkPutAction:
		s.bulkPut(w, r, st)
	case roleBulkDeleteAction:
		s.bulkDelete(w, r, st)
	}
}

func (s *roleService) put(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["name"]
	var descriptor json.RawMessage
	if err := decodeStrict(st, &descriptor); err != nil || len(descriptor) == 0 {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the role descriptor")
		return
	}
	if s.files != nil && s.files.DefinedInFile(name) {
		// The file's role would win; the API's would lie in wait, taking
		// over whenever the file's broke.
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "role ["+name+"] is defined in the roles file, which wins over the role API: change it there")
		return
	}
	if ps := authz.ValidateRoleDescriptor(name, descriptor); ps.HasErrors() {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", problemsText(ps))
		return
	}
	if !recordChange(w, r, st, s.audit, audit.PutRoleEvent(name, descriptor)) {
		return
	}
	created, err := s.store.Put(name, descriptor)
	if err != nil {
		storeFailed(w, st, "role", err)
		return
	}
	st.Log().Info("role stored", zap.String("role", name), zap.Bool("created", created))
	writeJSONValue(w, http.StatusOK, map[string]any{"role": map[string]bool{"created": created}})
}

// get lists the API's roles and the built-in ones (which carry
// metadata._reserved), as Elasticsearch does; roles.yml's roles are not
// listed (Elasticsearch does not list file roles either).
func (s *roleService) get(w http.ResponseWriter, st *requestState) {
	names := pathNames(st, "name")
	out := map[string]json.RawMessage{}
	for name, d := range authz.ReservedRoleDescriptors() {
		if len(names) == 0 || slices.Contains(names, name) {
			out[name] = withRoleMetadata(d, true)
		}
	}
	for name, d := range s.store.Get(names) {
		if _, reserved := out[name]; !reserved {
			out[name] = withRoleMetadata(d, false)
		}
	}
	if len(out) == 0 && len(names) > 0 {
		writeJSONValue(w, http.StatusNotFound, map[string]any{})
		return
	}
	writeJSONValue(w, http.StatusOK, out)
}

// withRoleMetadata adds Elasticsearch's transient_metadata and, for a
// built-in role, metadata._reserved.
func withRoleMetadata(d json.RawMessage, reserved bool) json.RawMessage {
	var obj map[string]any
	if json.Unmarshal(d, &obj) != nil {
		return d
	}
	for _, k := range []string{"cluster", "indices", "applications", "run_as"} {
		if _, ok := obj[k]; !ok {
			obj[k] = []any{}
		}
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	if reserved {
		meta["_reserved"] = true
	}
	obj["metadata"], obj["transient_metadata"] = meta, map[string]any{"enabled": true}
	out, err := json.Marshal(obj)
	if err != nil {
		return d
	}
	return out
}

func (s *roleService) delete(w http.ResponseWriter, r *http.Request, st *requestState) {
	name := st.Class.PathParams["name"]
	if authz.IsReservedRoleName(name) {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "role ["+name+"] is reserved and cannot be deleted")
		return
	}
	if !recordChange(w, r, st, s.audit, audit.DeleteRoleEvent(name)) {
		return
	}
	found, err := s.store.Delete(name)
	if err != nil {
		storeFailed(w, st, "role", err)
		return
	}
	writeFound(w, found)
}
