package server

import "github.com/portcullis-proxy/portcullis/internal/esapi/esbody"

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
