package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// reasonTemplateAliases is why a non-full user may not define aliases in a
// template.
const reasonTemplateAliases = "a template's aliases are attached by the cluster to every index it creates later, whoever creates it " +
	"(an alias under a name the user may read would reach indices the user may not): " +
	"templates defining aliases are not supported by the security proxy for this user"

// templatePutActions are the requests that store a template: its aliases are
// added, without any authorization, to the indices it creates later.
var templatePutActions = map[string]bool{
	"indices:admin/index_template/put":     true,
	"indices:admin/template/put":           true,
	"cluster:admin/component_template/put": true,
}

// definesTemplateAliases reports whether a template-storing request's body
// defines an alias: "aliases" at the top (legacy templates) or in
// "template" (composable and component templates), unless it is an empty
// object or null. Any other value counts (the cluster refuses it anyway).
func definesTemplateAliases(action string, pb *parsedBody) bool {
	if !templatePutActions[action] {
		return false
	}
	body, ok := bodyObject(pb)
	if !ok {
		// A body the proxy cannot read as an object: let the cluster
		// refuse it only if it cannot hold aliases either.
		return pb != nil && pb.json != nil
	}
	if nonEmptyAliases(body) {
		return true
	}
	if v, ok := body.Get("template"); ok {
		if tmpl, ok := v.(*esbody.Object); ok && nonEmptyAliases(tmpl) {
			return true
		}
	}
	return false
}

func nonEmptyAliases(o *esbody.Object) bool {
	v, ok := o.Get("aliases")
	if !ok {
		return false
	}
	switch a := v.(type) {
	case esbody.Null:
		return false
	case *esbody.Object:
		return a.Len() > 0
	}
	return true
}

// composableTemplatePut is the action storing a composable index template.
const composableTemplatePut = "indices:admin/index_template/put"

// composedAliasesRefusal refuses, to a user who may not read every index,
// a composable index template whose composed_of names component templates
// that define aliases: the cluster attaches those aliases to every index
// the template creates later, exactly as if the body had defined them (an
// administrator's component template with a widely readable alias, put on
// a pattern of indices others create). The component templates are read
// from the cluster; one that cannot be read refuses the request.
func composedAliasesRefusal(ctx context.Context, rs *Restrictions, base authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	if c.Action != composableTemplatePut {
		return nil
	}
	names := composedOf(pb)
	if len(names) == 0 {
		return nil
	}
	if rs == nil || rs.Cluster == nil {
		return forbidden(base, reasonTemplateAliases+" (the component templates cannot be read)")
	}
	escaped := make([]string, len(names))
	for i, n := range names {
		escaped[i] = url.PathEscape(n)
	}
	v, err := clusterJSON(ctx, rs.Cluster, http.MethodGet, "/_component_template/"+strings.Join(escaped, ","))
	if err != nil {
		return forbidden(base, fmt.Sprintf("%s (the component templates %v cannot be read: %v)", reasonTemplateAliases, names, err))
	}
	if componentsDefineAliases(v) {
		return forbidden(base, reasonTemplateAliases+" (through its component templates)")
	}
	return nil
}

// composedOf returns the component template names a body's composed_of
// lists (strings only: anything else is the cluster's to refuse).
func composedOf(pb *parsedBody) []string {
	body, ok := bodyObject(pb)
	if !ok {
		return nil
	}
	arr, _ := body.Get("composed_of")
	list, _ := arr.(esbody.Array)
	var out []string
	for _, v := range list {
		if s, ok := v.(esbody.String); ok && s != "" {
			out = append(out, string(s))
		}
	}
	return out
}

// componentsDefineAliases reads GET /_component_template/<names>:
// {"component_templates":[{"name":…,"component_template":{"template":{"aliases":…}}}]}.
// An answer of another shape counts as defining aliases (fail closed).
func componentsDefineAliases(v esbody.Value) bool {
	o, ok := v.(*esbody.Object)
	if !ok {
		return true
	}
	list, _ := o.Get("component_templates")
	items, ok := list.(esbody.Array)
	if !ok {
		return true
	}
	for _, it := range items {
		io, ok := it.(*esbody.Object)
		if !ok {
			return true
		}
		ct, _ := io.Get("component_template")
		cto, ok := ct.(*esbody.Object)
		if !ok {
			return true
		}
		if tmpl, ok := cto.Get("template"); ok {
			if t, ok := tmpl.(*esbody.Object); ok && nonEmptyAliases(t) {
				return true
			}
		}
	}
	return false
}
