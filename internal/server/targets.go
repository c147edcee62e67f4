package server

import (
	"fmt"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Names a request creates or points at besides its index expression:
// aliases, resize targets. Elasticsearch authorizes them (checklist 42 and
// 61), and a user without full access must not get past the proxy what
// the cluster would refuse, because behind the proxy it refuses nothing:
//
//   - an alias needs indices:admin/aliases on the alias name as well as on
//     its indices, and may not grant more than any of its indices
//     (IndicesAliasesRequestInterceptor): otherwise a user who may manage
//     an index but not read it aliases it under a name they may read;
//   - a resize target (clone, shrink, split; downsample and create_from
//     copy an index too) may not grant more than its source
//     (ResizeRequestInterceptor), and neither may an alias its body gives
//     the target: the alias is a name for the source's documents;
//   - aliases in a create-index body (and in a rollover's, for the index it
//     creates) need indices:admin/aliases on the index and on each alias
//     (the create_index privilege's documentation).
//
// Names are decided as written: wildcards and date math are refused here
// (the comparison needs concrete names).

// aliasesAction is the transport action of every alias change.
const aliasesAction = "indices:admin/aliases"

// reasonAliasWidens and reasonResizeWidens are Elasticsearch's messages.
const (
	reasonAliasWidens  = "Adding an alias is not allowed when the alias has more permissions than any of the indices"
	reasonResizeWidens = "Resizing an index is not allowed when the target index has more permissions than the source index"
)

// targetRefusal checks the resize targets and create-index aliases of an
// allowed request of a user without full access; nil when there is
// nothing to refuse. Alias APIs are decided whole by authorizeAliasAPI.
func targetRefusal(az Authorizer, base authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	switch c.API {
	case "indices.clone", "indices.shrink", "indices.split", "indices.downsample", "indices.create_from":
		if ref := resizeRefusal(az, base, c); ref != nil {
			return ref
		}
		return resizeAliasesRefusal(az, base, c, pb)
	case "indices.create":
		return createAliasesRefusal(az, base, c.Indices, pb)
	case "indices.rollover":
		if ref := rolloverIndexRefusal(az, base, c); ref != nil {
			return ref
		}
		// The new index is created with the body's aliases: the same rule as
		// a create, on the new index when named (else on the rolled alias).
		created := c.Targets
		if len(created) == 0 {
			created = c.Indices
		}
		return createAliasesRefusal(az, base, created, pb)
	}
	return nil
}

// rolloverIndexRefusal: a rollover that names its new index creates it,
// so the name needs the create-index privilege. Elasticsearch authorizes
// a rollover on the rolled alias or data stream only; behind the proxy
// that would let a user who manages one alias create an index under any
// name (squatting a name another tenant's application will write to, and
// reading what it writes through the alias).
func rolloverIndexRefusal(az Authorizer, base authz.Request, c *esapi.Classification) *itemRefusal {
	for _, t := range c.Targets {
		probe := base
		probe.Action, probe.Indices, probe.Options = "indices:admin/create", []string{t}, authz.IndicesOptions{}
		if d := az.Decide(probe); !d.Allowed || d.MatchNothing || d.Rewritten {
			return forbidden(base, fmt.Sprintf("the rollover's new index [%s] needs the create_index privilege on that name", t))
		}
	}
	return nil
}

// resizeRefusal: one explicit source, and no target granting more.
func resizeRefusal(az Authorizer, base authz.Request, c *esapi.Classification) *itemRefusal {
	if len(c.Indices) != 1 || !plainName(c.Indices[0]) {
		return forbidden(base, "the source index must be named explicitly (no wildcards or date math)")
	}
	for _, t := range c.Targets {
		if !plainName(t) {
			return forbidden(base, fmt.Sprintf("the target index [%s] must be named explicitly (no wildcards or date math)", t))
		}
		if widens(az, base, t, c.Indices[0]) {
			return forbidden(base, reasonResizeWidens)
		}
	}
	return nil
}

// resizeAliasesRefusal: the aliases of a resize body are created with the
// target, as a create-index body's are, and point at a copy of the
// source's documents: they need indices:admin/aliases (with the target),
// and none may grant more than the source. Without this check a user who
// may manage an index but not read it could clone it under a name of its
// own grant with an alias they may read.
func resizeAliasesRefusal(az Authorizer, base authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	aliases, ref := bodyAliases(pb)
	if ref != nil || len(aliases) == 0 {
		return ref
	}
	var adds [][2]string
	for _, a := range aliases {
		adds = append(adds, [2]string{a, c.Indices[0]})
	}
	return decideAliasNames(az, base, append(append([]string(nil), c.Targets...), aliases...), adds)
}

// createAliasesRefusal: the aliases of the body of a request creating the
// indices created.
func createAliasesRefusal(az Authorizer, base authz.Request, created []string, pb *parsedBody) *itemRefusal {
	aliases, ref := bodyAliases(pb)
	if ref != nil || len(aliases) == 0 {
		return ref
	}
	return decideAliasNames(az, base, append(append([]string(nil), created...), aliases...), nil)
}

// bodyAliases returns the names of a create-index-shaped body's "aliases"
// object (none without a JSON body: the body reader decided).
func bodyAliases(pb *parsedBody) ([]string, *itemRefusal) {
	body, ok := bodyObject(pb)
	if !ok {
		return nil, nil
	}
	v, ok := body.Get("aliases")
	if !ok {
		return nil, nil
	}
	aliases, ok := v.(*esbody.Object)
	if !ok {
		return nil, badBody("[aliases] must be an object")
	}
	names := make([]string, 0, aliases.Len())
	for i := range aliases.Len() {
		names = append(names, aliases.At(i).Name)
	}
	return names, nil
}

// authorizeAliasAPI decides PUT/DELETE /{index}/_alias/{name} and their
// variants. The cluster takes the index and the alias from the body when
// it names them (RestIndexPutAliasAction), so those are the names decided.
func authorizeAliasAPI(az Authorizer, base authz.Request, st *requestState) *itemRefusal {
	c := st.Class
	indices, aliases := c.Indices, c.Targets
	if c.API == "indices.put_alias" {
		var ref *itemRefusal
		if indices, aliases, ref = putAliasNames(c, st.Body); ref != nil {
			return ref
		}
	}
	if len(indices) == 0 || len(aliases) == 0 {
		return badBody("an alias request must name its indices and its alias")
	}
	var adds [][2]string
	if c.API == "indices.put_alias" {
		for _, a := range aliases {
			for _, i := range indices {
				adds = append(adds, [2]string{a, i})
			}
		}
	}
	return decideAliasNames(az, base, append(append([]string(nil), indices...), aliases...), adds)
}

// decideAliasNames decides indices:admin/aliases on each name (explicit,
// without DLS/FLS), then that no added alias grants more than its index.
func decideAliasNames(az Authorizer, base authz.Request, names []string, adds [][2]string) *itemRefusal {
	for _, n := range names {
		if !plainName(n) {
			return forbidden(base, fmt.Sprintf("[%s] must be named explicitly (no wildcards or date math) in alias changes", n))
		}
	}
	if ref := decideNames(az, base, aliasesAction, names); ref != nil {
		return ref
	}
	for _, ai := range adds {
		if widens(az, base, ai[0], ai[1]) {
			return forbidden(base, reasonAliasWidens)
		}
	}
	return nil
}

// putAliasNames are the indices and alias a put-alias request really
// names. The cluster's parser reads "index" and "alias" wherever they
// appear among the body's tokens, nested or in arrays, so only a flat
// body of the members it knows, with their plain types, is accepted.
func putAliasNames(c *esapi.Classification, pb *parsedBody) (indices, aliases []string, ref *itemRefusal) {
	indices, aliases = c.Indices, c.Targets
	body, ok := bodyObject(pb)
	if !ok {
		if pb != nil && pb.json != nil {
			return nil, nil, badBody("an alias body must be a JSON object")
		}
		return indices, aliases, nil
	}
	for i := range body.Len() {
		m := body.At(i)
		var okType bool
		switch m.Name {
		case "index", "alias":
			s, isString := m.Value.(esbody.String)
			okType = isString && s != ""
			if !okType {
				break
			}
			if m.Name == "alias" {
				aliases = []string{string(s)}
			} else {
				indices = strings.Split(string(s), ",")
			}
		case "routing", "index_routing", "indexRouting", "index-routing", "search_routing", "searchRouting", "search-routing":
			switch m.Value.(type) {
			case esbody.String, esbody.Number, esbody.Null:
				okType = true
			}
		case "is_write_index", "is_hidden":
			_, okType = m.Value.(esbody.Bool)
		case "filter":
			_, okType = m.Value.(*esbody.Object)
		default:
			return nil, nil, badBody(fmt.Sprintf("unknown field [%s]", m.Name))
		}
		if !okType {
			return nil, nil, badBody(fmt.Sprintf("field [%s] of an alias body has the wrong type", m.Name))
		}
	}
	return indices, aliases, nil
}

// plainName reports whether name is one concrete name: no wildcard, date
// math, exclusion, remote cluster, selector or list.
func plainName(name string) bool {
	return name != "" && name != "_all" && !strings.ContainsAny(name, "*?,:<>") && name[0] != '-'
}

// bodyObject is the parsed JSON object body, if the request has one.
func bodyObject(pb *parsedBody) (*esbody.Object, bool) {
	if pb == nil {
		return nil, false
	}
	o, ok := pb.json.(*esbody.Object)
	return o, ok
}

// widener is implemented by authorizers that compare what two names grant
// (authz.RoleStore, authz.Evaluator).
type widener interface {
	Widens(roles []string, name, than string) bool
}

// widens reports whether the request's roles (or its API key's role
// descriptors) grant more on name than on than; an authorizer that cannot
// tell makes the answer yes (refuse).
func widens(az Authorizer, req authz.Request, name, than string) bool {
	w, ok := az.(widener)
	return !ok || w.Widens(req.Roles, name, than) || req.Limit != nil && req.Limit.Widens(name, than)
}
