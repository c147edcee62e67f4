package server

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// _cat/tasks has a "port" column (alias "po"): the bound transport port
// of the node running each task. The cluster's transport port has no
// security (see withSniffingGuard), and the text table cannot be cut by a
// filter_path, so a _cat/tasks request whose h parameter selects that
// column, by name or by a wildcard, is refused. Without h, the default
// columns show no port.

// catPortColumns are the port columns of the _cat APIs the proxy lets
// through, by API.
var catPortColumns = map[string][]string{
	"cat.tasks": {"port", "po"},
}

// catShowsPort reports whether a _cat request's h parameter selects one
// of its API's port columns. The cluster (RestTable) reads h as a comma
// separated list of column names, aliases or wildcard patterns; the
// proxy compares without case, to be safe.
func catShowsPort(api string, params map[string]string) bool {
	cols := catPortColumns[api]
	h, ok := params["h"]
	if len(cols) == 0 || !ok {
		return false
	}
	for _, entry := range strings.Split(strings.ToLower(h), ",") {
		entry = strings.TrimSpace(entry)
		for _, col := range cols {
			if authz.SimpleMatch(entry, col) {
				return true
			}
		}
	}
	return false
}
