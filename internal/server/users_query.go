package server

import (
	"net/http"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/secquery"
)

// userQueryAction is GET/POST /_security/_query/user. As in Elasticsearch
// it runs over the native realm's users only (not the users file's, nor
// the built-in ones).
const userQueryAction = "cluster:admin/xpack/security/user/query"

// userQuerySchema is what the query user API lets a query name
// (Elasticsearch's USER_FIELD_NAME_TRANSLATORS); full_name and email cannot
// be sorted on.
func userQuerySchema() *secquery.Schema {
	return &secquery.Schema{Noun: "User", Fields: map[string]secquery.Kind{
		"username": secquery.Keyword, "roles": secquery.Keyword, "enabled": secquery.Bool,
		"full_name": secquery.Keyword, "email": secquery.Keyword,
	}, Unsortable: []string{"full_name", "email"}}
}

// userQueryDoc is u as the query user API sees it.
func userQueryDoc(u *authn.NativeUser) secquery.Doc {
	d := secquery.Doc{ID: u.Username, Values: map[string][]any{"username": {u.Username}, "enabled": {u.Enabled}}}
	for _, r := range u.Roles {
		d.Values["roles"] = append(d.Values["roles"], r)
	}
	if u.FullName != "" {
		d.Values["full_name"] = []any{u.FullName}
	}
	if u.Email != "" {
		d.Values["email"] = []any{u.Email}
	}
	return d
}

// query answers the query user API over the native realm's users, as the
// get user API shows them (never a password hash).
func (s *userService) query(w http.ResponseWriter, r *http.Request, st *requestState) {
	users := s.store.Users(nil)
	docs := make([]secquery.Doc, len(users))
	for i := range users {
		docs[i] = userQueryDoc(&users[i])
	}
	serveSecurityQuery(w, r, st, securityQuery{
		schema: userQuerySchema(), docs: docs, list: "users",
		render: func(i int) map[string]any {
			v := nativeUserView(&users[i])
			return map[string]any{"username": v.Username, "roles": v.Roles, "full_name": v.FullName, "email": v.Email, "metadata": v.Metadata, "enabled": v.Enabled}
		},
		refusedParams: []string{"with_profile_uid"},
	}, time.Now())
}
