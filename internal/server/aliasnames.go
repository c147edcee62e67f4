package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// aliasListingAPIs are the requests that list or test aliases by name
// (GET and HEAD /_alias[/{name}], /{index}/_alias[/{name}]).
var aliasListingAPIs = map[string]bool{"indices.get_alias": true, "indices.exists_alias": true}

// aliasNamesRefusal narrows the alias names of a get-alias request of a
// user without full access, as Elasticsearch does for AliasesRequest
// (IndicesAndAliasesResolver): no name, "_all" and wildcards expand to
// the aliases the user may access; an explicit alias name must be
// authorized like an index (403 otherwise); "-name" removes names. The
// indices are narrowed as usual; without this, the cluster would list
// every alias of those indices, filters and routing included, whatever
// the alias's name. The request path is rewritten to name exactly the
// resolved aliases, or none ("*,-*": an empty answer) when none is left.
// When the request named no alias explicitly, the names are sent as
// patterns that match exactly them (exactAliasPatterns): the cluster
// answers 404 for an explicit name none of the indices has, which a
// listing must not.
func aliasNamesRefusal(r *http.Request, az Authorizer, base authz.Request, c *esapi.Classification) *itemRefusal {
	names, ref := authorizedAliasNames(az, base, c.Targets)
	if ref != nil {
		return ref
	}
	exprs := names
	if len(names) == 0 {
		exprs = []string{"*", "-*"}
	} else if !namesExplicitAlias(c.Targets) {
		exprs = exactAliasPatterns(base.Metadata, names)
	}
	if err := setAliasNames(r, c.API, exprs); err != nil {
		return forbidden(base, "the request's alias names cannot be narrowed safely ("+err.Error()+")")
	}
	return nil
}

// authorizedAliasNames resolves alias expressions for the action of base
// (replaceWildcardsWithAuthorizedAliases, then the explicit names'
// authorization).
func authorizedAliasNames(az Authorizer, base authz.Request, exprs []string) ([]string, *itemRefusal) {
	var out []string
	has := map[string]bool{}
	add := func(n string) {
		if !has[n] {
			has[n] = true
			out = append(out, n)
		}
	}
	remove := func(n string) {
		if has[n] {
			delete(has, n)
			out = slices.DeleteFunc(out, func(x string) bool { return x == n })
		}
	}
	if len(exprs) == 0 {
		exprs = []string{"_all"}
	}
	var explicit []string
	for _, e := range exprs {
		include := true
		if strings.HasPrefix(e, "-") {
			include, e = false, e[1:]
		}
		if e == "" {
			continue
		}
		if e == "_all" || strings.Contains(e, "*") {
			pattern := e
			if e == "_all" {
				pattern = "*"
			}
			for _, a := range accessibleAliases(az, base, pattern) {
				if include {
					add(a)
				} else {
					remove(a)
				}
			}
			continue
		}
		if include {
			add(e)
			explicit = append(explicit, e)
		} else {
			remove(e)
		}
	}
	for _, e := range explicit {
		if !has[e] {
			continue // excluded again later
		}
		req := base
		req.Indices, req.Options = []string{e}, authz.IndicesOptions{}
		if d := az.Decide(req); !d.Allowed {
			return nil, &itemRefusal{status: statusOr403(d.Status), reason: d.Reason}
		}
	}
	return out, nil
}

// accessibleAliases are the aliases the cluster has, matching pattern,
// that the user of base may access for its action (hidden ones included,
// as the get-alias API lists them).
func accessibleAliases(az Authorizer, base authz.Request, pattern string) []string {
	md := base.Metadata
	if md == nil {
		return nil
	}
	req := base
	req.Indices, req.Options = []string{pattern}, authz.IndicesOptions{ExpandWildcards: authz.ExpandAll}
	d := az.Decide(req)
	if !d.Allowed || d.MatchNothing {
		return nil
	}
	var out []string
	for _, n := range d.Indices {
		if _, ok := md.Alias(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// namesExplicitAlias reports whether alias expressions include a name
// without wildcard (not an exclusion, not "_all").
func namesExplicitAlias(exprs []string) bool {
	return slices.ContainsFunc(exprs, func(e string) bool {
		return !strings.HasPrefix(e, "-") && e != "_all" && !strings.Contains(e, "*")
	})
}

// exactAliasPatterns turns alias names into expressions the cluster reads
// as wildcards matching exactly them: "name*" for each, then "-other" for
// every other alias of md that one of those patterns would match.
func exactAliasPatterns(md *authz.Metadata, names []string) []string {
	out := make([]string, 0, len(names))
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		out = append(out, n+"*")
		keep[n] = true
	}
	if md == nil {
		return out
	}
	for _, other := range md.Names() {
		if keep[other] {
			continue
		}
		if _, ok := md.Alias(other); !ok {
			continue
		}
		if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(other, n) }) {
			out = append(out, "-"+other)
		}
	}
	return out
}

// setAliasNames rewrites the {name} part of a get-alias path (after the
// "_alias" or "_aliases" segment) to the alias expressions exprs, and
// checks that the result classifies as the same API on the same indices
// and exactly those expressions.
func setAliasNames(r *http.Request, api string, exprs []string) error {
	before, err := esapi.ClassifyURL(r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
	if err != nil {
		return err
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	at := slices.IndexFunc(segs, func(s string) bool { return s == "_alias" || s == "_aliases" })
	if at < 0 {
		return fmt.Errorf("no _alias segment in %q", r.URL.EscapedPath())
	}
	path := "/" + strings.Join(append(segs[:at:at], "_alias", joinIndices(exprs)), "/")
	again, err := esapi.ClassifyURL(r.Method, path, r.URL.RawQuery)
	if err != nil {
		return err
	}
	if again.API != api || again.Denied != "" || !slices.Equal(again.Indices, before.Indices) || !slices.Equal(again.Targets, exprs) {
		return fmt.Errorf("%s classifies as %s on %v / %v", path, again.API, again.Indices, again.Targets)
	}
	u, err := url.Parse(path)
	if err != nil {
		return err
	}
	r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
	r.RequestURI = r.URL.RequestURI()
	return nil
}
