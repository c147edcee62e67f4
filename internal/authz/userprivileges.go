package authz

import (
	"slices"
	"strings"
)

// UserPrivileges is Elasticsearch's GET /_security/user/_privileges answer:
// what the caller's roles grant, merged.
type UserPrivileges struct {
	Cluster      []string              `json:"cluster"`
	Global       []map[string]any      `json:"global"`
	Indices      []UserIndexPrivileges `json:"indices"`
	Applications []any                 `json:"applications"`
	RunAs        []string              `json:"run_as"`
	// RemoteIndices is present only when a role has remote_indices, as in
	// Elasticsearch 8.x.
	RemoteIndices []UserIndexPrivileges `json:"remote_indices,omitempty"`
}

// UserIndexPrivileges is one entry of "indices" (or "remote_indices").
type UserIndexPrivileges struct {
	Names                  []string             `json:"names"`
	Privileges             []string             `json:"privileges"`
	FieldSecurity          []FieldSecurityEntry `json:"field_security,omitempty"`
	Query                  []string             `json:"query,omitempty"`
	AllowRestrictedIndices bool                 `json:"allow_restricted_indices"`
	Clusters               []string             `json:"clusters,omitempty"`
}

// FieldSecurityEntry is one entry of "field_security".
type FieldSecurityEntry struct {
	Grant  []string `json:"grant"`
	Except []string `json:"except,omitempty"`
}

// UserPrivileges lists what the subject's roles grant, as
// RBACEngine.getUserPrivileges does: cluster privileges and run_as sorted
// and deduplicated; index groups of several roles naming the same indices
// (with the same allow_restricted_indices) merged into one, their
// privileges unioned, and their document- and field-level security
// unioned (a group without either lifts it). Application privileges are
// reported empty: the proxy grants none, and has_privileges answers false
// for every one of them.
func (s *Subject) UserPrivileges() UserPrivileges {
	out := UserPrivileges{Cluster: []string{}, Global: []map[string]any{}, Indices: []UserIndexPrivileges{},
		Applications: []any{}, RunAs: []string{}}
	var local, remote indexMerger
	for _, r := range s.roles {
		out.Cluster = append(out.Cluster, r.role.cluster...)
		out.RunAs = append(out.RunAs, r.role.runAs...)
		out.Global = append(out.Global, globalEntries(r.role.global)...)
		for _, g := range r.role.indices {
			local.add(g, nil)
		}
		for _, g := range r.role.remoteIndices {
			remote.add(g.IndexGroup, g.Clusters)
		}
	}
	out.Cluster = sortedUnique(out.Cluster)
	out.RunAs = sortedUnique(out.RunAs)
	out.Indices = append(out.Indices, local.entries()...)
	out.RemoteIndices = remote.entries()
	return out
}

// globalEntries renders the configurable cluster privileges as
// Elasticsearch does, one object per privilege.
func globalEntries(g GlobalPrivileges) []map[string]any {
	var out []map[string]any
	if len(g.ManageApplications) > 0 {
		out = append(out, map[string]any{"application": map[string]any{"manage": map[string]any{"applications": g.ManageApplications}}})
	}
	if len(g.WriteProfileApplications) > 0 {
		out = append(out, map[string]any{"profile": map[string]any{"write": map[string]any{"applications": g.WriteProfileApplications}}})
	}
	if len(g.ManageRoles) > 0 {
		indices := make([]map[string]any, len(g.ManageRoles))
		for i, m := range g.ManageRoles {
			indices[i] = map[string]any{"names": m.Names, "privileges": m.Privileges}
		}
		out = append(out, map[string]any{"role": map[string]any{"manage": map[string]any{"indices": indices}}})
	}
	return out
}

// indexMerger collates index groups by their set of names (and
// allow_restricted_indices and remote clusters), in order of first
// appearance.
type indexMerger struct {
	order []string
	byKey map[string]*mergedGroup
}

type mergedGroup struct {
	entry UserIndexPrivileges
	// unrestrictedFields / unrestrictedDocs: some merged group had no FLS / DLS.
	unrestrictedFields, unrestrictedDocs bool
}

func (m *indexMerger) add(g IndexGroup, clusters []string) {
	names := sortedUnique(slices.Clone(g.Names))
	key := strings.Join(names, "\x00") + "\x01" + strings.Join(sortedUnique(slices.Clone(clusters)), "\x00")
	if g.AllowRestrictedIndices {
		key += "\x01restricted"
	}
	if m.byKey == nil {
		m.byKey = map[string]*mergedGroup{}
	}
	mg, ok := m.byKey[key]
	if !ok {
		mg = &mergedGroup{entry: UserIndexPrivileges{Names: names, AllowRestrictedIndices: g.AllowRestrictedIndices,
			Clusters: sortedUnique(slices.Clone(clusters))}}
		m.byKey[key] = mg
		m.order = append(m.order, key)
	}
	mg.entry.Privileges = sortedUnique(append(mg.entry.Privileges, g.Privileges...))
	if g.FieldSecurity == nil {
		mg.unrestrictedFields = true
	} else if fs := (FieldSecurityEntry{Grant: nonNil(g.FieldSecurity.Grant), Except: g.FieldSecurity.Except}); !slices.ContainsFunc(mg.entry.FieldSecurity, func(f FieldSecurityEntry) bool {
		return slices.Equal(f.Grant, fs.Grant) && slices.Equal(f.Except, fs.Except)
	}) {
		mg.entry.FieldSecurity = append(mg.entry.FieldSecurity, fs)
	}
	if g.Query == nil {
		mg.unrestrictedDocs = true
	} else if q := string(g.Query); !slices.Contains(mg.entry.Query, q) {
		mg.entry.Query = append(mg.entry.Query, q)
	}
}

func (m *indexMerger) entries() []UserIndexPrivileges {
	var out []UserIndexPrivileges
	for _, key := range m.order {
		mg := m.byKey[key]
		e := mg.entry
		if mg.unrestrictedFields {
			e.FieldSecurity = nil
		}
		if mg.unrestrictedDocs {
			e.Query = nil
		}
		out = append(out, e)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
