package oidcweb

import (
	"html/template"
	"net/http"
)

// pageTemplate renders the few pages the login shows itself. html/template
// escapes every value (provider error descriptions come from the query).
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><h1 id="title">{{.Title}}</h1><p id="message">{{.Message}}</p>
{{if .Link}}<p><a id="link" href="{{.Link}}">{{.LinkText}}</a></p>{{end}}</body></html>
`))

type page struct {
	Title, Message, Link, LinkText string
}

// writePage sends an HTML page that no other site may frame or script.
func writePage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, p)
}

// loginFailed shows why a login could not finish, with a way to start over.
func loginFailed(w http.ResponseWriter, status int, message string) {
	writePage(w, status, page{Title: "Login failed", Message: message, Link: LoginPath, LinkText: "Log in again"})
}

// redirect sends the browser to location; no cache may keep the answer.
func redirect(w http.ResponseWriter, r *http.Request, location string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, location, http.StatusFound)
}
