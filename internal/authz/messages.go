package authz

import "strings"

// denialMessage builds Elasticsearch's 403 reason (AuthorizationDenialMessages
// .actionDenied):
//
//	action [A] is unauthorized for user [U] with effective roles [R]
//	  (assigned roles [M] were not found) on indices [I] and restricted indices [X],
//	  this action is granted by the index privileges [P]
//
// The parts in the second and third lines appear only when they apply.
func denialMessage(req Request, effective, missing, indices, restricted []string) string {
	var b strings.Builder
	if req.keyID != "" { // an API key: Elasticsearch names the key, not the roles
		b.WriteString("action [" + req.Action + "] is unauthorized for API key id [" + req.keyID + "] of user [" + req.User + "]")
	} else {
		b.WriteString("action [" + req.Action + "] is unauthorized for user [" + req.User + "]")
		b.WriteString(" with effective roles [" + strings.Join(effective, ",") + "]")
		if len(missing) > 0 {
			b.WriteString(" (assigned roles [" + strings.Join(missing, ",") + "] were not found)")
		}
	}
	cluster := IsClusterAction(req.Action)
	if !cluster && IsIndexAction(req.Action) {
		if ctx := indicesContext(indices, restricted); ctx != "" {
			b.WriteString(" " + ctx)
		}
	}
	if granting := grantingPrivileges(req.Action, cluster); len(granting) > 0 {
		kind := "index"
		if cluster {
			kind = "cluster"
		}
		b.WriteString(", this action is granted by the " + kind + " privileges [" + strings.Join(granting, ",") + "]")
	}
	return b.String()
}

// indicesContext is IndexAuthorizationResult.getFailureDescription.
func indicesContext(indices, restricted []string) string {
	var parts []string
	if len(indices) > 0 {
		parts = append(parts, "indices ["+strings.Join(indices, ",")+"]")
	}
	if len(restricted) > 0 {
		parts = append(parts, "restricted indices ["+strings.Join(restricted, ",")+"]")
	}
	if len(parts) == 0 {
		return ""
	}
	return "on " + strings.Join(parts, " and ")
}

func grantingPrivileges(action string, cluster bool) []string {
	switch {
	case cluster:
		return ClusterPrivilegesGranting(action)
	case IsIndexAction(action):
		return IndexPrivilegesGranting(action)
	}
	return nil
}
