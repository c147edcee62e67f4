package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// The bulk role APIs (Elasticsearch 8.15+): POST /_security/role puts
// several roles, DELETE /_security/role deletes several. Each role is
// checked, audited and stored as the single-role APIs do; a role that
// fails is reported under "errors" and the others still apply, as in
// Elasticsearch.
const (
	roleBulkPutAction    = "cluster:admin/xpack/security/role/bulk_put"
	roleBulkDeleteAction = "cluster:admin/xpack/security/role/bulk_delete"
)

// bulkRoleErrors collects the per-role failures of a bulk role request.
type bulkRoleErrors map[string]map[string]string

func (e bulkRoleErrors) add(name, typ, reason string) {
	e[name] = map[string]string{"type": typ, "reason": reason}
}

// answer writes the bulk answer: each non-empty list, and the errors.
func (e bulkRoleErrors) answer(w http.ResponseWriter, lists map[string][]string) {
	out := map[string]any{}
	for k, v := range lists {
		if len(v) > 0 {
			out[k] = v
		}
	}
	if len(e) > 0 {
		out["errors"] = map[string]any{"count": len(e), "details": e}
	}
	writeJSONValue(w, http.StatusOK, out)
}

// checkRole returns why descriptor cannot be put as role name ("" when it
// can), as the single-role put checks it.
func (s *roleService) checkRole(name string, descriptor json.RawMessage) string {
	if len(bytes.TrimSpace(descriptor)) == 0 || bytes.Equal(bytes.TrimSpace(descriptor), []byte("null")) {
		return "failed to parse the role descriptor"
	}
	if s.files != nil && s.files.DefinedInFile(name) {
		return "role [" + name + "] is defined in the roles file, which wins over the role API: change it there"
	}
	if ps := authz.ValidateRoleDescriptor(name, descriptor); ps.HasErrors() {
		return problemsText(ps)
	}
	return ""
}

func (s *roleService) bulkPut(w http.ResponseWriter, r *http.Request, st *requestState) {
	var req struct {
		Roles map[string]json.RawMessage `json:"roles"`
	}
	if err := decodeStrict(st, &req); err != nil || req.Roles == nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the bulk role request: it needs a [roles] object")
		return
	}
	names := make([]string, 0, len(req.Roles))
	for name := range req.Roles {
		names = append(names, name)
	}
	sort.Strings(names)
	current := s.store.Get(names)
	errs := bulkRoleErrors{}
	var changed, noop []string
	for _, name := range names {
		d := req.Roles[name]
		if why := s.checkRole(name, d); why != "" {
			errs.add(name, "illegal_argument_exception", why)
			continue
		}
		if cur, ok := current[name]; ok && sameJSON(cur, d) {
			noop = append(noop, name)
			continue
		}
		changed = append(changed, name)
	}
	// Every change is on the audit trail before any is made.
	for _, name := range changed {
		if !recordChange(w, r, st, s.audit, audit.PutRoleEvent(name, req.Roles[name])) {
			return
		}
	}
	// One write of the store for the whole bulk: a role at a time would
	// rewrite the file once per role, quadratic in the bulk's size.
	var created, updated []string
	if len(changed) > 0 {
		puts := make(map[string]json.RawMessage, len(changed))
		for _, name := range changed {
			puts[name] = req.Roles[name]
		}
		isNew, err := s.store.PutAll(puts)
		if err != nil {
			st.Log().Error("role store failed", zap.Strings("roles", changed), zap.Error(err))
		}
		for _, name := range changed {
			switch {
			case err != nil:
				errs.add(name, "exception", "the role store failed; the change was not made")
			case isNew[name]:
				created = append(created, name)
			default:
				updated = append(updated, name)
			}
		}
	}
	st.Log().Info("roles stored", zap.Strings("created", created), zap.Strings("updated", updated))
	errs.answer(w, map[string][]string{"created": created, "updated": updated, "noop": noop})
}

func (s *roleService) bulkDelete(w http.ResponseWriter, r *http.Request, st *requestState) {
	var req struct {
		Names []string `json:"names"`
	}
	if err := decodeStrict(st, &req); err != nil || len(req.Names) == 0 {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the bulk role request: it needs a non-empty [names] array")
		return
	}
	errs := bulkRoleErrors{}
	var names []string
	seen := make(map[string]bool, len(req.Names)) // a set: the list can be long
	for _, name := range req.Names {
		switch {
		case authz.IsReservedRoleName(name):
			errs.add(name, "illegal_argument_exception", "role ["+name+"] is reserved and cannot be deleted")
		case !seen[name]:
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, name := range names {
		if !recordChange(w, r, st, s.audit, audit.DeleteRoleEvent(name)) {
			return
		}
	}
	var deleted, notFound []string
	found, err := s.store.DeleteAll(names)
	if err != nil {
		st.Log().Error("role store failed", zap.Strings("roles", names), zap.Error(err))
	}
	for _, name := range names {
		switch {
		case err != nil:
			errs.add(name, "exception", "the role store failed; the change was not made")
		case found[name]:
			deleted = append(deleted, name)
		default:
			notFound = append(notFound, name)
		}
	}
	errs.answer(w, map[string][]string{"deleted": deleted, "not_found": notFound})
}

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}
