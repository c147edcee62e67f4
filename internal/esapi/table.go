package esapi

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// api describes one REST handler of the cluster: the methods and path
// patterns it serves and what it does. The route files hold these tables;
// they are data, compiled once into a trie.
type api struct {
	// name identifies the handler (the rest-api-spec name where there is
	// one). Path parameters of one api form a family: a parameter bound in
	// one of its patterns is read from the query string when the matched
	// pattern lacks it, exactly as the cluster's handlers call
	// request.param(name) without caring where the value came from.
	name string
	// eps are the endpoints, each "METHOD [METHOD...] /pattern"; "{name}"
	// segments of a pattern are parameters.
	eps []string
	// action is the transport action name.
	action string
	// route is the metrics class.
	route string
	// implicit is what a pattern without the index parameter means:
	// IndicesAllImplicit, IndicesBody or IndicesNone.
	implicit IndexSource
	// body is the body kind.
	body BodyKind
	// bodyIdx is true when the body can name indices (see
	// Classification.BodyIndices).
	bodyIdx bool
	// index is the name of the path parameter holding the index expression;
	// empty means "index".
	index string
	// targets are path parameters that name indices the request creates or
	// writes through (resize target, rollover new_index, alias names).
	targets []string
	// queryIndex is true when the handler reads the "index" query parameter
	// although none of its patterns has an {index} segment (OpenSearch
	// asynchronous search).
	queryIndex bool
	// denied, when set, refuses the endpoint with this reason.
	denied string
	// family is familyParams(a), computed once when the table is built:
	// bind needs it for every request.
	family []string
}

func (a *api) indexParam() string {
	if a.index != "" {
		return a.index
	}
	return "index"
}

// route is one method and pattern of an api.
type route struct {
	api      *api
	method   string
	pattern  string
	segs     []string // pattern segments; "{x}" are parameters
	endpoint string   // "METHOD /pattern"
}

// under reports whether the route's pattern starts with the literal
// segments prefix.
func (r *route) under(prefix []string) bool {
	if len(r.segs) < len(prefix) {
		return false
	}
	for i, s := range prefix {
		if r.segs[i] != s {
			return false
		}
	}
	return true
}

// prefixDeny refuses every method and every path under a prefix of
// literal segments: whole namespaces that are refused on purpose.
type prefixDeny struct {
	segs   []string
	action string
	route  string
	reason string
}

// node is a PathTrie node: literal children by raw token, one wildcard
// child, and the routes registered at this shape by method.
type node struct {
	children map[string]*node
	wildcard *node
	routes   map[string]*route
}

func newNode() *node { return &node{children: map[string]*node{}} }

func (n *node) hasValue() bool { return len(n.routes) > 0 }

// table is the compiled route table.
type table struct {
	root    *node
	denies  []prefixDeny
	apis    []*api
	byShape map[string]*route // "METHOD /a/*/b" -> route, for duplicate checks
}

// allAPIs lists every route table of the package. Each file contributes
// one concern; the union covers Elasticsearch 7.17/8.x and OpenSearch 2.x.
func allAPIs() [][]api {
	return [][]api{
		searchAPIs(),
		documentAPIs(),
		indicesAPIs(),
		clusterAPIs(),
		catAPIs(),
		snapshotAPIs(),
		ingestAPIs(),
		securityAPIs(),
		xpackAPIs(),
		mlAPIs(),
		openSearchAPIs(),
		openSearchPluginAPIs(),
		legacyAPIs(),
		deniedAPIs(),
		typedAPIs(),
	}
}

// routeTable is compiled once; the result is never modified.
var routeTable = sync.OnceValue(func() *table {
	t, err := buildTable(allAPIs(), prefixDenies())
	if err != nil {
		panic("esapi: invalid route table: " + err.Error())
	}
	return t
})

func buildTable(groups [][]api, denies []prefixDeny) (*table, error) {
	t := &table{root: newNode(), denies: denies, byShape: map[string]*route{}}
	for _, g := range groups {
		for i := range g {
			a := &g[i]
			if err := checkAPI(a); err != nil {
				return nil, err
			}
			a.family = familyParams(a)
			t.apis = append(t.apis, a)
			for _, ep := range a.eps {
				f := strings.Fields(ep)
				for _, m := range f[:len(f)-1] {
					if err := t.insert(a, m, f[len(f)-1]); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return t, nil
}

func checkAPI(a *api) error {
	switch {
	case a.name == "":
		return fmt.Errorf("api without name: %v", a.eps)
	case a.action == "":
		return fmt.Errorf("api %s: no action", a.name)
	case a.route == "":
		return fmt.Errorf("api %s: no route class", a.name)
	case len(a.eps) == 0:
		return fmt.Errorf("api %s: no endpoint", a.name)
	case a.implicit == IndicesPath || a.implicit == IndicesQuery:
		return fmt.Errorf("api %s: implicit must be none, body, cursor or all", a.name)
	}
	for _, ep := range a.eps {
		f := strings.Fields(ep)
		if len(f) < 2 {
			return fmt.Errorf("api %s: endpoint %q needs methods and a pattern", a.name, ep)
		}
		for _, m := range f[:len(f)-1] {
			switch m {
			case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH":
			default:
				return fmt.Errorf("api %s: bad method %q", a.name, m)
			}
		}
	}
	return nil
}

// patterns returns the path patterns of a's endpoints.
func (a *api) patterns() []string {
	out := make([]string, 0, len(a.eps))
	for _, ep := range a.eps {
		f := strings.Fields(ep)
		out = append(out, f[len(f)-1])
	}
	return out
}

func patternSegments(p string) []string {
	if p == "/" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

func isParam(s string) bool { return strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") }

func paramName(s string) string { return s[1 : len(s)-1] }

func (t *table) insert(a *api, method, pattern string) error {
	if !strings.HasPrefix(pattern, "/") || (pattern != "/" && strings.HasSuffix(pattern, "/")) {
		return fmt.Errorf("api %s: bad pattern %q", a.name, pattern)
	}
	segs := patternSegments(pattern)
	shape := make([]string, len(segs))
	n := t.root
	for i, s := range segs {
		if s == "" {
			return fmt.Errorf("api %s: empty segment in %q", a.name, pattern)
		}
		if isParam(s) {
			shape[i] = "*"
			if n.wildcard == nil {
				n.wildcard = newNode()
			}
			n = n.wildcard
			continue
		}
		shape[i] = s
		c := n.children[s]
		if c == nil {
			c = newNode()
			n.children[s] = c
		}
		n = c
	}
	key := method + " /" + strings.Join(shape, "/")
	if old, ok := t.byShape[key]; ok {
		return fmt.Errorf("duplicate route %s: %s (%s) and %s (%s)", key, old.pattern, old.api.name, pattern, a.name)
	}
	if n.routes == nil {
		n.routes = map[string]*route{}
	}
	r := &route{api: a, method: method, pattern: pattern, segs: segs, endpoint: method + " " + pattern}
	n.routes[method] = r
	t.byShape[key] = r
	return nil
}

// matchMode mirrors the cluster's PathTrie.TrieMatchingMode: the cluster
// tries each mode in this order and dispatches to the first node that has
// a handler for the method, so explicit routes beat parameters, and
// parameters at the root or leaf beat parameters in the middle.
type matchMode int

const (
	explicitNodesOnly matchMode = iota
	wildcardRootNodesAllowed
	wildcardLeafNodesAllowed
	wildcardNodesAllowed
)

var matchModes = [...]matchMode{explicitNodesOnly, wildcardRootNodesAllowed, wildcardLeafNodesAllowed, wildcardNodesAllowed}

// retrieve is a transcription of PathTrie.TrieNode#retrieve; idx counts
// segments from 0 (the cluster's index 1, after the leading empty token).
func (n *node) retrieve(path []segment, idx int, mode matchMode) *node {
	if idx >= len(path) {
		return nil
	}
	token := path[idx].Raw
	next := n.children[token]
	usedWildcard := false
	if next == nil {
		switch {
		case mode == wildcardNodesAllowed,
			mode == wildcardRootNodesAllowed && idx == 0,
			mode == wildcardLeafNodesAllowed && idx+1 == len(path):
			next = n.wildcard
			if next == nil {
				return nil
			}
			usedWildcard = true
		default:
			return nil
		}
	} else {
		switch {
		case idx+1 == len(path) && !next.hasValue() && n.wildcard != nil &&
			mode != explicitNodesOnly && mode != wildcardRootNodesAllowed:
			next = n.wildcard
			usedWildcard = true
		case idx == 0 && !next.hasValue() && n.wildcard != nil && mode == wildcardRootNodesAllowed:
			next = n.wildcard
			usedWildcard = true
		}
	}
	if idx == len(path)-1 {
		if next.hasValue() {
			return next
		}
		return nil
	}
	found := next.retrieve(path, idx+1, mode)
	if found == nil && !usedWildcard && mode != explicitNodesOnly && n.wildcard != nil {
		found = n.wildcard.retrieve(path, idx+1, mode)
	}
	return found
}

// lookup finds the route for a method and split path the way the
// cluster's RestController does. HEAD falls back to the GET route when no
// mode finds a HEAD handler: it reads exactly what GET reads.
func (t *table) lookup(method string, path []segment) *route {
	if r := t.lookupMethod(method, path); r != nil {
		return r
	}
	if method == "HEAD" {
		return t.lookupMethod("GET", path)
	}
	return nil
}

func (t *table) lookupMethod(method string, path []segment) *route {
	if len(path) == 0 {
		return t.root.routes[method]
	}
	for _, m := range matchModes {
		if n := t.root.retrieve(path, 0, m); n != nil {
			if r := n.routes[method]; r != nil {
				return r
			}
		}
	}
	return nil
}

// deny returns the prefix deny covering path, if any.
func (t *table) deny(path []segment) *prefixDeny {
	for i := range t.denies {
		d := &t.denies[i]
		if len(path) < len(d.segs) {
			continue
		}
		ok := true
		for j, s := range d.segs {
			if path[j].Raw != s {
				ok = false
				break
			}
		}
		if ok {
			return d
		}
	}
	return nil
}

// Endpoint describes one method and pattern of the route table.
type Endpoint struct {
	// Method is the HTTP method.
	Method string
	// Pattern is the path pattern, e.g. "/{index}/_search".
	Pattern string
	// API is the handler name (rest-api-spec name where there is one).
	API string
	// Action is the transport action name.
	Action string
	// Route is the metrics class.
	Route string
	// Denied is the reason when the endpoint is refused on purpose.
	Denied string
}

// Endpoints lists the route table, sorted by pattern then method, for
// documentation and coverage tooling.
func Endpoints() []Endpoint {
	t := routeTable()
	var out []Endpoint
	for _, r := range t.byShape {
		out = append(out, Endpoint{Method: r.method, Pattern: r.pattern, API: r.api.name,
			Action: r.api.action, Route: r.api.route, Denied: r.api.denied})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// DeniedPrefix describes a namespace refused as a whole.
type DeniedPrefix struct {
	// Prefix is the path prefix, e.g. "/_plugins/_security".
	Prefix string
	// Action is the action name reported for requests under it.
	Action string
	// Reason says why it is refused.
	Reason string
}

// DeniedPrefixes lists the namespaces refused as a whole.
func DeniedPrefixes() []DeniedPrefix {
	t := routeTable()
	out := make([]DeniedPrefix, 0, len(t.denies))
	for _, d := range t.denies {
		out = append(out, DeniedPrefix{Prefix: "/" + strings.Join(d.segs, "/"), Action: d.action, Reason: d.reason})
	}
	return out
}
