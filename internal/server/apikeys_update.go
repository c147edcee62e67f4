package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Updating API keys (PUT /_security/api_key/{id}, POST
// /_security/api_key/_bulk_update), as Elasticsearch does: only the owner
// updates a key, itself (not through a key, even manage_api_key reaches
// no other user's key), and only an active one. What the body names is
// replaced (role_descriptors, metadata, expiration from now); what it
// leaves out is kept. Every update also renews the owner snapshot the key
// is limited by (the owner's current roles and attributes). A key left as
// it was is a noop.

const (
	apiKeyUpdateAction     = apiKeyPrefix + "update"
	apiKeyBulkUpdateAction = apiKeyPrefix + "bulk_update"
)

// updateKeyRequest is the body of the update API; ids only in the bulk one.
type updateKeyRequest struct {
	IDs             []string        `json:"ids"`
	RoleDescriptors json.RawMessage `json:"role_descriptors"`
	Metadata        *map[string]any `json:"metadata"`
	Expiration      *string         `json:"expiration"`
}

// keyUpdate is a validated update: what replaces what (nil: kept).
type keyUpdate struct {
	descriptors json.RawMessage // compact JSON; "{}" gives the owner's privileges back
	metadata    *map[string]any
	ttl         *time.Duration
}

func (s *apiKeyService) update(w http.ResponseWriter, r *http.Request, st *requestState) {
	bulk := st.Action == apiKeyBulkUpdateAction
	var req updateKeyRequest
	if err := decodeStrict(st, &req); err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "failed to parse the API key update request: "+err.Error())
		return
	}
	ids := req.IDs
	switch {
	case !bulk && req.IDs != nil:
		refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "[update_api_key_request] unknown field [ids]")
		return
	case !bulk:
		ids = []string{st.Class.PathParams["id"]}
	case len(ids) == 0:
		validationFailed(w, st, "Field [ids] cannot be empty")
		return
	}
	u, reason := parseKeyUpdate(req)
	if reason != "" {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", reason)
		return
	}
	ev := audit.UpdateAPIKeysEvent(audit.UpdateAPIKeysChange{IDs: ids, RoleDescriptors: descriptorList(u.descriptors),
		Metadata: derefMap(u.metadata), Expiration: req.Expiration}, bulk)
	if !recordChange(w, r, st, s.audit, ev) {
		return
	}
	now := s.now()
	res, err := s.store.Update(slices.Compact(slices.Clone(ids)),
		func(k *apikey.Key) bool { return ownedBy(k, st.Principal) },
		func(k *apikey.Key) { u.apply(k, st, now) })
	if err != nil {
		storeFailed(w, st, "API key", err)
		return
	}
	st.Log().Info("API keys updated", zap.Strings("updated", res.Updated), zap.Strings("noops", res.Noops), zap.Int("errors", len(res.Errors)))
	if bulk {
		writeJSONValue(w, http.StatusOK, bulkUpdateResponse(res))
		return
	}
	if err := res.Errors[ids[0]]; err != nil {
		if errors.Is(err, apikey.ErrKeyNotFound) {
			refuseLocal(w, st, http.StatusNotFound, "resource_not_found_exception", fmt.Sprintf("no API key owned by requesting user found for ID [%s]", ids[0]))
			return
		}
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", err.Error())
		return
	}
	writeJSONValue(w, http.StatusOK, map[string]any{"updated": len(res.Updated) == 1})
}

// parseKeyUpdate validates the body's replacements as creation does.
func parseKeyUpdate(req updateKeyRequest) (keyUpdate, string) {
	var u keyUpdate
	if raw := bytes.TrimSpace(req.RoleDescriptors); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if _, ps := authz.ParseLimit("", "role_descriptors", raw); ps.HasErrors() {
			return u, "invalid role_descriptors: " + problemsText(ps)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return u, "invalid role_descriptors: " + err.Error()
		}
		u.descriptors = buf.Bytes()
	}
	if req.Metadata != nil {
		for k := range *req.Metadata {
			if len(k) > 0 && k[0] == '_' {
				return u, "API key metadata keys may not start with [_]"
			}
		}
		u.metadata = req.Metadata
	}
	if req.Expiration != nil {
		d, err := apikey.ParseExpiration(*req.Expiration)
		if err != nil {
			return u, err.Error()
		}
		u.ttl = &d
	}
	return u, ""
}

// apply changes k as the update says, and renews its owner snapshot.
func (u keyUpdate) apply(k *apikey.Key, st *requestState, now time.Time) {
	if u.descriptors != nil {
		var old bytes.Buffer
		if json.Compact(&old, k.RoleDescriptors) != nil || !bytes.Equal(old.Bytes(), u.descriptors) {
			k.RoleDescriptors = u.descriptors
			if bytes.Equal(u.descriptors, []byte("{}")) {
				k.RoleDescriptors = nil // the owner's privileges, as a key created without descriptors
			}
		}
	}
	if u.metadata != nil {
		k.Metadata = *u.metadata
		if len(k.Metadata) == 0 {
			k.Metadata = nil
		}
	}
	if u.ttl != nil {
		k.Expiration = 0
		if *u.ttl > 0 {
			k.Expiration = now.Add(*u.ttl).UnixMilli()
		}
	}
	k.RefreshOwner(st.Principal)
}

// bulkUpdateResponse is the bulk update API's answer.
func bulkUpdateResponse(res apikey.UpdateResult) map[string]any {
	out := map[string]any{"updated": orNone(res.Updated), "noops": orNone(res.Noops)}
	if len(res.Errors) > 0 {
		details := map[string]any{}
		for id, err := range res.Errors {
			typ, reason := "illegal_argument_exception", err.Error()
			if errors.Is(err, apikey.ErrKeyNotFound) {
				typ, reason = "resource_not_found_exception", fmt.Sprintf("no API key owned by requesting user found for ID [%s]", id)
			}
			details[id] = map[string]any{"type": typ, "reason": reason}
		}
		out["errors"] = map[string]any{"count": len(res.Errors), "details": details}
	}
	return out
}

// descriptorList lists the descriptors by name for the audit event (nil:
// not replaced).
func descriptorList(raw json.RawMessage) []json.RawMessage {
	if raw == nil {
		return nil
	}
	var m map[string]json.RawMessage
	list := []json.RawMessage{}
	if json.Unmarshal(raw, &m) == nil {
		for name, d := range m {
			list = append(list, namedDescriptor(name, d))
		}
	}
	return list
}

func derefMap(m *map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	if *m == nil {
		return map[string]any{}
	}
	return *m
}
