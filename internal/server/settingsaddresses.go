package server

import (
	"io"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// GET _cluster/settings shows, with include_defaults, the node's own
// network settings (network.host, transport.port, discovery.seed_hosts…),
// and in any section the remote clusters' seeds (cluster.remote.*.seeds,
// which the proxy refuses in _remote/info): the nodes' and the remote
// clusters' transport addresses, which have no security (see
// withSniffingGuard). The proxy takes those settings out of the answer,
// nested or flat (flat_settings), and applies the client's filter_path
// after (a filter_path exclusion would also drop the empty sections the
// cluster sends, {"persistent":{},"transient":{}}, which clients read).

// clusterSettingsAPI is GET _cluster/settings.
const clusterSettingsAPI = "cluster.get_settings"

// addressSettings are the settings (flat names, "*" wildcards) that name
// an address or a port.
var addressSettings = []string{
	"network.host", "network.bind_host", "network.publish_host",
	"http.host", "http.bind_host", "http.publish_host", "http.port", "http.publish_port",
	"transport.host", "transport.bind_host", "transport.publish_host", "transport.port",
	"transport.tcp.port", "transport.publish_port", "transport.profiles.*",
	"discovery.seed_hosts", "discovery.zen.ping.unicast.hosts",
	"cluster.remote.*.seeds", "cluster.remote.*.proxy_address",
	"search.remote.*.seeds", "search.remote.*.proxy_address",
}

// isAddressSetting reports whether a setting's flat name is one of
// addressSettings, or an element of one ("discovery.seed_hosts.0", as list
// settings were once flattened).
func isAddressSetting(name string) bool {
	for _, p := range addressSettings {
		if authz.SimpleMatch(p, name) || authz.SimpleMatch(p+".*", name) {
			return true
		}
	}
	return false
}

// serveClusterSettingsWithoutAddresses forwards GET _cluster/settings and
// passes its answer on without the address settings (JSON only: another
// format is refused).
func serveClusterSettingsWithoutAddresses(w http.ResponseWriter, r *http.Request, st *requestState, next http.Handler) {
	serveThroughFilter(w, r, st, next, dropAddressSettings)
}

// dropAddressSettings copies a cluster settings answer without the
// address settings of its sections.
func dropAddressSettings(dst io.Writer, src io.Reader) error {
	return copyOneValue(dst, src, "cluster settings", func(dec *jsontext.Decoder, enc *jsontext.Encoder) error {
		return copyObjectMembers(dec, enc, func(string) error { return copySettings(dec, enc, "") }, nil)
	})
}

// copySettings copies the next value, a settings object whose members'
// flat names start with prefix, without the address settings.
func copySettings(dec *jsontext.Decoder, enc *jsontext.Encoder, prefix string) error {
	return copyObjectMembers(dec, enc,
		func(name string) error { return copySettings(dec, enc, prefix+name+".") },
		func(name string) bool { return isAddressSetting(strings.ToLower(prefix + name)) })
}
