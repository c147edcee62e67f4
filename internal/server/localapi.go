package server

import (
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// What the security APIs the proxy answers itself (API keys, users, roles,
// role mappings, application privileges) share.

// recordChange writes the security_config_change event of a change before
// the change is made; when it cannot be written, nothing changes (503).
func recordChange(w http.ResponseWriter, r *http.Request, st *requestState, a Auditor, change *audit.Event) bool {
	ev := newEvent(r, st, a, audit.TypeSecurityConfigChange, change.EventAction)
	ev.Change = change.Change
	if err := a.Record(r.Context(), ev); err != nil {
		st.Decision = "error"
		st.Log().Error("audit record of a security change failed; nothing was changed", zap.String("change", change.EventAction), zap.Error(err))
		auditUnavailable().Write(w)
		return false
	}
	return true
}

// storeFailed answers a store that could not make a change. The change may
// or may not be on disk (the file was replaced but, say, its folder could
// not be synced): the client is told to check.
func storeFailed(w http.ResponseWriter, st *requestState, what string, err error) {
	st.Decision = "error"
	st.Log().Error(what+" store failed", zap.Error(err))
	(&eserr.Error{Status: http.StatusInternalServerError, Type: "exception",
		Reason: fmt.Sprintf("the %s store failed; the change may not have been made", what)}).Write(w)
}

// refuseLocal answers a refusal of a locally answered security API. A 403
// is an authorization refusal made after the request's access_granted
// record (the API decided on what its body names): it gets its own
// access_denied record, written before the answer like every refusal's,
// so that the trail does not show the request as only granted.
func refuseLocal(w http.ResponseWriter, st *requestState, status int, typ, reason string) {
	st.Decision = "deny"
	if status == http.StatusForbidden {
		st.auditDone = false // the refusal writer records access_denied
	}
	st.Log().Info("security API request refused", zap.String("reason", reason))
	(&eserr.Error{Status: status, Type: typ, Reason: reason}).Write(w)
}

// pathNames splits a comma-separated path parameter (nil when absent).
func pathNames(st *requestState, key string) []string {
	if n := st.Class.PathParams[key]; n != "" {
		return strings.Split(n, ",")
	}
	return nil
}

// writeFound answers a delete: {"found": …}, 404 when nothing was found.
func writeFound(w http.ResponseWriter, found bool) {
	status := http.StatusOK
	if !found {
		status = http.StatusNotFound
	}
	writeJSONValue(w, status, map[string]bool{"found": found})
}

// writeCacheCleared answers a _clear_cache: the proxy caches nothing that
// a read of the shared files does not refresh.
func writeCacheCleared(w http.ResponseWriter) {
	writeJSONValue(w, http.StatusOK, map[string]any{"_nodes": map[string]int{"total": 0, "successful": 0, "failed": 0}, "cluster_name": "portcullis", "nodes": map[string]any{}})
}
