package authz

import "slices"

// selfActions are the security APIs every authenticated user may call about
// themselves, whatever their roles (RBACEngine.checkSameUserPermissions):
// who am I, what may I do, does my password change.
var selfActions = map[string]bool{
	"cluster:admin/xpack/security/user/authenticate":    true,
	"cluster:admin/xpack/security/user/has_privileges":  true,
	"cluster:admin/xpack/security/user/list_privileges": true,
	"cluster:admin/xpack/security/user/change_password": true,
}

// IsSelfAction reports whether action is one of the security APIs a user
// may always call about themselves.
func IsSelfAction(action string) bool { return selfActions[action] }

// decideCluster decides a cluster action (template actions included) by
// the roles' cluster privileges. A cluster action names no index: index
// expressions in the request are ignored.
func (e *Evaluator) decideCluster(req Request, roles []*compiledRole, d Decision) Decision {
	if selfActions[req.Action] && (req.TargetUser == "" || req.TargetUser == req.User) {
		d.Allowed, d.Unrestricted = true, true
		return d
	}
	for _, r := range roles {
		if r.role.ClusterAllows(req.Action) {
			d.Allowed, d.Unrestricted = true, true
			return d
		}
	}
	if managed := managedApplications(roles); applicationPrivilegeActions[req.Action] && len(managed) > 0 {
		d.Allowed, d.Unrestricted, d.ManagedApplications = true, true, managed
		return d
	}
	if apps := profileWriteApplications(roles); req.Action == ProfileDataAction && len(apps) > 0 {
		d.Allowed, d.Unrestricted, d.ProfileApplications = true, true, apps
		return d
	}
	if ownAPIKeyActions[req.Action] && slices.ContainsFunc(roles, grantsOwnAPIKeys) {
		d.Allowed, d.Unrestricted, d.OwnAPIKeysOnly = true, true, true
		return d
	}
	d.Status, d.ErrorType = 403, "security_exception"
	d.Reason = denialMessage(req, d.EffectiveRoles, d.MissingRoles, nil, nil)
	return d
}

// ownAPIKeyActions are the API key actions manage_own_api_key grants on
// the caller's own keys (Elasticsearch's ManageOwnApiKeyClusterPrivilege).
var ownAPIKeyActions = map[string]bool{
	"cluster:admin/xpack/security/api_key/create":      true,
	"cluster:admin/xpack/security/api_key/get":         true,
	"cluster:admin/xpack/security/api_key/invalidate":  true,
	"cluster:admin/xpack/security/api_key/query":       true,
	"cluster:admin/xpack/security/api_key/update":      true,
	"cluster:admin/xpack/security/api_key/bulk_update": true,
}

// applicationPrivilegeActions are the application privilege APIs the
// configurable privilege application.manage grants, for the applications it
// names (ManageApplicationPrivileges).
var applicationPrivilegeActions = map[string]bool{
	"cluster:admin/xpack/security/privilege/put":    true,
	"cluster:admin/xpack/security/privilege/get":    true,
	"cluster:admin/xpack/security/privilege/delete": true,
}

// managedApplications are the application patterns the roles may manage
// the privileges of (global application.manage).
func managedApplications(roles []*compiledRole) []string {
	var out []string
	for _, r := range roles {
		out = append(out, r.role.global.ManageApplications...)
	}
	return out
}

// ProfileDataAction is POST /_security/profile/{uid}/_data, which the
// global privilege profile.write allows for the applications it names
// (the top-level keys of the labels and data written).
const ProfileDataAction = "cluster:admin/xpack/security/profile/put/data"

// profileWriteApplications are the application patterns the roles may
// write profile data of (global profile.write).
func profileWriteApplications(roles []*compiledRole) []string {
	var out []string
	for _, r := range roles {
		out = append(out, r.role.global.WriteProfileApplications...)
	}
	return out
}

// grantsOwnAPIKeys reports whether the role holds manage_own_api_key.
func grantsOwnAPIKeys(r *compiledRole) bool {
	return slices.Contains(r.role.cluster, "manage_own_api_key")
}
