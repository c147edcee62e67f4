package oidcweb

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"sort"
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

// endSessionScript submits the end-session form as soon as the page loads;
// the page's Content-Security-Policy allows this script and no other.
const endSessionScript = `document.getElementById("logout").submit();`

// endSessionTemplate is the page that takes the browser to the provider's
// end-session endpoint with a POST, so that the ID token hint is not in a
// URL (browser history, the provider's access logs). Without JavaScript
// the button does it.
var endSessionTemplate = template.Must(template.New("end_session").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Logging out</title></head>
<body><form id="logout" method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<p>Logging out at your identity provider…</p>
<noscript><button type="submit">Continue</button></noscript></form>
<script>` + endSessionScript + `</script></body></html>
`))

type formField struct{ Name, Value string }

// writeEndSessionForm sends the self-submitting end-session form.
func writeEndSessionForm(w http.ResponseWriter, action string, params url.Values) {
	var fields []formField
	for name, values := range params {
		for _, v := range values {
			fields = append(fields, formField{name, v})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	sum := sha256.Sum256([]byte(endSessionScript))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_ = endSessionTemplate.Execute(w, struct {
		Action string
		Fields []formField
	}{action, fields})
}
