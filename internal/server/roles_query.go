package server

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/secquery"
)

// roleQueryAction is GET/POST /_security/_query/role (Kibana 8.16+ lists
// roles with it). As in Elasticsearch it runs over the role API's roles
// only: not the roles file's, nor the built-in ones.
const roleQueryAction = "cluster:admin/xpack/security/role/query"

// roleQuerySchema is what the query role API lets a query name
// (Elasticsearch's ROLE_FIELD_NAME_TRANSLATORS).
func roleQuerySchema() *secquery.Schema {
	return &secquery.Schema{Noun: "Role", Fields: map[string]secquery.Kind{
		"name": secquery.Keyword, "description": secquery.Keyword,
		"applications.application": secquery.Keyword, "applications.resources": secquery.Keyword, "applications.privileges": secquery.Keyword,
	}, Flattened: []string{"metadata"}}
}

// roleQueryFields is the part of a role descriptor the query role API can
// search.
type roleQueryFields struct {
	Description  string `json:"description"`
	Applications []struct {
		Application string   `json:"application"`
		Privileges  []string `json:"privileges"`
		Resources   []string `json:"resources"`
	} `json:"applications"`
	Metadata map[string]any `json:"metadata"`
}

// roleQueryDoc is the role named name, with descriptor d, as the query
// role API sees it.
func roleQueryDoc(name string, d json.RawMessage) secquery.Doc {
	doc := secquery.Doc{ID: name, Values: map[string][]any{"name": {name}}}
	var f roleQueryFields
	_ = json.Unmarshal(d, &f) // stored descriptors were validated when put
	if f.Description != "" {
		doc.Values["description"] = []any{f.Description}
	}
	for _, app := range f.Applications {
		doc.Values["applications.application"] = append(doc.Values["applications.application"], app.Application)
		for _, p := range app.Privileges {
			doc.Values["applications.privileges"] = append(doc.Values["applications.privileges"], p)
		}
		for _, r := range app.Resources {
			doc.Values["applications.resources"] = append(doc.Values["applications.resources"], r)
		}
	}
	doc.AddFlattened("metadata", f.Metadata)
	return doc
}

// query answers the query role API over the role API's roles, in name
// order when no sort is asked.
func (s *roleService) query(w http.ResponseWriter, r *http.Request, st *requestState) {
	stored := s.store.Get(nil)
	names := make([]string, 0, len(stored))
	for name := range stored {
		names = append(names, name)
	}
	sort.Strings(names)
	docs := make([]secquery.Doc, len(names))
	for i, name := range names {
		docs[i] = roleQueryDoc(name, stored[name])
	}
	serveSecurityQuery(w, r, st, securityQuery{
		schema: roleQuerySchema(), docs: docs, list: "roles",
		render: func(i int) map[string]any {
			var role map[string]any
			_ = json.Unmarshal(withRoleMetadata(stored[names[i]], false), &role)
			if role == nil {
				role = map[string]any{}
			}
			role["name"] = names[i]
			return role
		},
	}, time.Now())
}
