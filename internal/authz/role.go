package authz

import (
	"encoding/json"
	"maps"
	"slices"
)

// Role is one valid role: built in, or read from roles.yml without any
// problem. It is immutable and safe for concurrent use; slices and maps
// returned by its accessors are copies or must be treated as read-only.
type Role struct {
	name          string
	reserved      bool
	line          int
	description   string
	cluster       []string
	clusterGrants []actionSet
	indices       []IndexGroup
	remoteIndices []RemoteIndexGroup
	remoteCluster []RemoteClusterGroup
	global        GlobalPrivileges
	applications  []ApplicationPrivilege
	runAs         []string
	metadata      map[string]any
	transient     map[string]any
}

// IndexGroup is one entry of a role's "indices": which privileges the role
// has on the indices its patterns name, with optional document- and
// field-level security.
type IndexGroup struct {
	// Names are the index patterns as written.
	Names []string
	// Patterns are Names compiled, in the same order.
	Patterns []Pattern
	// Privileges are the privilege names and raw action patterns, lower-cased.
	Privileges []string
	// FieldSecurity is nil when the group has no field-level security.
	FieldSecurity *FieldSecurity
	// Query is the document-level security query as JSON (a query object or
	// {"template":{…}}); nil when the group has no document-level security.
	Query json.RawMessage
	// AllowRestrictedIndices lets Names reach restricted (system) indices.
	AllowRestrictedIndices bool
	// Line is where the group starts in its file.
	Line int

	grants actionSet // data-selector actions of Privileges
}

// FieldSecurity is a group's field_security: the granted field patterns minus
// the excepted ones. A nil Grant never occurs; an empty Grant grants only
// metadata fields.
type FieldSecurity struct {
	// Grant are the granted field patterns.
	Grant []string
	// Except are the field patterns taken back out of Grant.
	Except []string
}

// RemoteIndexGroup is an entry of remote_indices: an IndexGroup that applies
// on the remote clusters matching Clusters.
type RemoteIndexGroup struct {
	// Clusters are the remote cluster alias patterns.
	Clusters []string
	IndexGroup
}

// RemoteClusterGroup is an entry of remote_cluster.
type RemoteClusterGroup struct {
	// Clusters are the remote cluster alias patterns.
	Clusters []string
	// Privileges are monitor_enrich and/or monitor_stats.
	Privileges []string
	// Line is where the entry starts in its file.
	Line int
}

// ApplicationPrivilege is an entry of applications. Application privileges
// grant no Elasticsearch action; they only answer _has_privileges.
type ApplicationPrivilege struct {
	// Application is the application name (pattern), e.g. "kibana-.kibana".
	Application string
	// Privileges are the application's privilege names or actions.
	Privileges []string
	// Resources are the resource patterns, e.g. "space:marketing".
	Resources []string
	// Line is where the entry starts in its file.
	Line int
}

// GlobalPrivileges are the configurable cluster privileges of "global".
type GlobalPrivileges struct {
	// ManageApplications: application.manage.applications.
	ManageApplications []string
	// WriteProfileApplications: profile.write.applications.
	WriteProfileApplications []string
	// ManageRoles: role.manage.indices.
	ManageRoles []ManageRolesIndices
}

// ManageRolesIndices is one entry of role.manage.indices: the role may
// manage roles granting Privileges on Names.
type ManageRolesIndices struct {
	// Names are the index patterns the managed roles may cover.
	Names []string
	// Privileges are the index privileges the managed roles may grant.
	Privileges []string
}

// Name returns the role name.
func (r *Role) Name() string { return r.name }

// Reserved reports whether the role is built in.
func (r *Role) Reserved() bool { return r.reserved }

// Line returns the line of the role's name in roles.yml (0 for built-in roles).
func (r *Role) Line() int { return r.line }

// Description returns the role description.
func (r *Role) Description() string { return r.description }

// ClusterPrivileges returns the cluster privileges as written, lower-cased.
func (r *Role) ClusterPrivileges() []string { return slices.Clone(r.cluster) }

// IndexGroups returns the role's index privilege groups.
func (r *Role) IndexGroups() []IndexGroup { return slices.Clone(r.indices) }

// RemoteIndexGroups returns the role's remote_indices groups.
func (r *Role) RemoteIndexGroups() []RemoteIndexGroup { return slices.Clone(r.remoteIndices) }

// RemoteClusterGroups returns the role's remote_cluster groups.
func (r *Role) RemoteClusterGroups() []RemoteClusterGroup { return slices.Clone(r.remoteCluster) }

// Global returns the role's configurable (global) privileges.
func (r *Role) Global() GlobalPrivileges { return r.global }

// Applications returns the role's application privileges.
func (r *Role) Applications() []ApplicationPrivilege { return slices.Clone(r.applications) }

// RunAs returns the user names (or patterns) the role may impersonate.
func (r *Role) RunAs() []string { return slices.Clone(r.runAs) }

// Metadata returns the role metadata (a shallow copy).
func (r *Role) Metadata() map[string]any { return maps.Clone(r.metadata) }

// TransientMetadata returns the role's transient_metadata (a shallow copy).
func (r *Role) TransientMetadata() map[string]any { return maps.Clone(r.transient) }

// ClusterAllows reports whether the role's cluster privileges grant action.
// Request-dependent privileges (manage_own_api_key, the "global" ones) do not
// count: the proxy cannot evaluate their condition yet.
func (r *Role) ClusterAllows(action string) bool {
	for _, g := range r.clusterGrants {
		if g.matches(action) {
			return true
		}
	}
	return false
}

// Allows reports whether the group's privileges grant action on ordinary
// data (failure-store-only privileges do not count).
func (g IndexGroup) Allows(action string) bool { return g.grants.matches(action) }

// MatchesIndex reports whether the group's patterns cover the concrete index
// name, honouring AllowRestrictedIndices.
func (g IndexGroup) MatchesIndex(name string) bool {
	for _, p := range g.Patterns {
		if p.MatchesIndex(name, g.AllowRestrictedIndices) {
			return true
		}
	}
	return false
}
