// Package esapi classifies an Elasticsearch/OpenSearch REST request: which
// action it performs (Elastic's action names) and which index expressions it
// names. It knows nothing of roles.
//
// This is the foundation's coarse classifier: it names the action of the
// common endpoints so refusals read like Elasticsearch's, and returns an
// empty action for everything else. Authorization fails closed on an empty
// action for every user who is not a superuser.
package esapi

import (
	"net/http"
	"strings"
)

// Classification is what the classifier learned about one request.
type Classification struct {
	// Action is Elastic's action name, e.g. "indices:data/read/search"; empty
	// when the endpoint is not (yet) known.
	Action string
	// Indices are the index expressions named in the path, as written.
	Indices []string
	// Route is a low-cardinality class for metrics and logs.
	Route string
}

// Classify returns the classification of a method and an (escaped) path.
func Classify(method, escapedPath string) Classification {
	segs := splitPath(escapedPath)
	if len(segs) == 0 {
		return Classification{Action: "cluster:monitor/main", Route: "root"}
	}
	if strings.HasPrefix(segs[0], "_") {
		return classifyAPI(method, segs)
	}
	return classifyIndexScoped(method, segs)
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// clusterAPIs maps the first segment of cluster-level endpoints to a route
// class and, where the method does not change it, the action.
var clusterAPIs = map[string]Classification{
	"_cat":      {Route: "cat", Action: "cluster:monitor/state"},
	"_nodes":    {Route: "nodes", Action: "cluster:monitor/nodes/info"},
	"_tasks":    {Route: "tasks", Action: "cluster:monitor/tasks/lists"},
	"_search":   {Route: "search", Action: "indices:data/read/search"},
	"_msearch":  {Route: "msearch", Action: "indices:data/read/msearch"},
	"_bulk":     {Route: "bulk", Action: "indices:data/write/bulk"},
	"_mget":     {Route: "mget", Action: "indices:data/read/mget"},
	"_count":    {Route: "count", Action: "indices:data/read/search"},
	"_aliases":  {Route: "aliases", Action: "indices:admin/aliases"},
	"_mapping":  {Route: "mapping", Action: "indices:admin/mappings/get"},
	"_settings": {Route: "settings", Action: "indices:monitor/settings/get"},
	"_security": {Route: "security"},
	"_plugins":  {Route: "plugins"},
	"_snapshot": {Route: "snapshot"},
	"_ingest":   {Route: "ingest"},
}

func classifyAPI(method string, segs []string) Classification {
	if segs[0] == "_cluster" && len(segs) > 1 {
		switch segs[1] {
		case "health":
			return Classification{Route: "cluster", Action: "cluster:monitor/health"}
		case "state":
			return Classification{Route: "cluster", Action: "cluster:monitor/state"}
		case "stats":
			return Classification{Route: "cluster", Action: "cluster:monitor/stats"}
		case "settings":
			if method == http.MethodPut {
				return Classification{Route: "cluster", Action: "cluster:admin/settings/update"}
			}
			return Classification{Route: "cluster", Action: "cluster:monitor/settings"}
		}
		return Classification{Route: "cluster"}
	}
	if c, ok := clusterAPIs[segs[0]]; ok {
		if c.Route == "aliases" && method != http.MethodPost {
			c.Action = "indices:admin/aliases/get"
		}
		return c
	}
	return Classification{Route: "other"}
}

func classifyIndexScoped(method string, segs []string) Classification {
	idx := strings.Split(segs[0], ",")
	c := Classification{Indices: idx, Route: "index"}
	if len(segs) == 1 {
		switch method {
		case http.MethodPut:
			c.Action = "indices:admin/create"
		case http.MethodDelete:
			c.Action = "indices:admin/delete"
		case http.MethodGet, http.MethodHead:
			c.Action = "indices:admin/get"
		}
		return c
	}
	switch segs[1] {
	case "_search":
		c.Route, c.Action = "search", "indices:data/read/search"
	case "_count":
		c.Route, c.Action = "count", "indices:data/read/search"
	case "_msearch":
		c.Route, c.Action = "msearch", "indices:data/read/msearch"
	case "_bulk":
		c.Route, c.Action = "bulk", "indices:data/write/bulk"
	case "_mget":
		c.Route, c.Action = "mget", "indices:data/read/mget"
	case "_doc", "_create", "_source", "_update":
		c.Route = "document"
		c.Action = documentAction(method, segs[1])
	case "_mapping", "_mappings":
		c.Route, c.Action = "mapping", "indices:admin/mappings/get"
		if method == http.MethodPut || method == http.MethodPost {
			c.Action = "indices:admin/mapping/put"
		}
	case "_refresh":
		c.Route, c.Action = "admin", "indices:admin/refresh"
	default:
		c.Route = "other"
	}
	return c
}

func documentAction(method, kind string) string {
	switch {
	case kind == "_update":
		return "indices:data/write/update"
	case kind == "_create":
		return "indices:data/write/index"
	case method == http.MethodGet || method == http.MethodHead:
		return "indices:data/read/get"
	case method == http.MethodDelete:
		return "indices:data/write/delete"
	case method == http.MethodPut || method == http.MethodPost:
		return "indices:data/write/index"
	}
	return ""
}
