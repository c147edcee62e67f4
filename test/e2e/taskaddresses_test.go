package e2e

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The task list names each node by its transport address (GET _tasks,
// grouped by node as by default: transport_address and ip are ip:port),
// and _cat/tasks has a "port" column (the bound transport port), as the
// node-info APIs the proxy refuses (withSniffingGuard): the cluster's
// transport port has no security, and a client that learns it can reach
// the nodes around the proxy. Task lists must keep their tasks without
// the nodes' transport addresses and ports.
func TestTaskListingsHideTransportAddresses(t *testing.T) {
	f := newOneRoleProxy(t, "taskmon", "  cluster: [monitor]\n")
	// The node's transport address, asked of the cluster itself.
	var info struct {
		Nodes map[string]struct {
			TransportAddress string `json:"transport_address"`
		} `json:"nodes"`
	}
	r := do(t, f.c, "GET", f.cluster+"/_nodes/_local?filter_path=nodes.*.transport_address", "", "", nil, nil)
	if err := json.Unmarshal([]byte(r.Body), &info); err != nil || len(info.Nodes) != 1 {
		t.Fatalf("control: the node's transport address: %v %s", err, r.Body)
	}
	var address, port string
	for _, n := range info.Nodes {
		address = n.TransportAddress
		_, port, _ = strings.Cut(address[strings.LastIndex(address, ":"):], ":")
	}
	if port == "" {
		t.Fatalf("control: no transport port in %s", r.Body)
	}
	// Control: the cluster's own task list shows it.
	if r := do(t, f.c, "GET", f.cluster+"/_tasks", "", "", nil, nil); !strings.Contains(r.Body, address) {
		t.Fatalf("control: the cluster's task list has no transport address: %s", r.Body)
	}
	jsonPort := regexp.MustCompile(`"(port|po)"\s*:`)
	for _, path := range []string{
		"/_tasks", "/_tasks?group_by=nodes", "/_tasks?filter_path=nodes.*.transport_address,nodes.*.ip",
		"/_tasks?filter_path=**.ip", "/_tasks?actions=*&group_by=nodes&pretty",
		"/_cat/tasks?format=json", "/_cat/tasks?h=port&format=json", "/_cat/tasks?h=po&format=json",
		"/_cat/tasks?h=*&format=json", "/_cat/tasks?h=p*&format=json", "/_cat/tasks?h=action,%2A&format=json",
	} {
		r := f.asUser("GET", path, "")
		if strings.Contains(r.Body, address) || strings.Contains(r.Body, "transport_address") || jsonPort.MatchString(r.Body) {
			t.Errorf("GET %s: the node's transport address or port: %d %.600s", path, r.Status, r.Body)
		}
		if r.Status != 200 && !strings.Contains(r.Body, "security_exception") {
			t.Errorf("GET %s: neither an answer nor a refusal: %d %.600s", path, r.Status, r.Body)
		}
	}
	// The text table: no port column, whatever the headers asked.
	for _, h := range []string{"", "&h=port", "&h=*", "&h=po,ip", "&h=node,p%2A"} {
		r := f.asUser("GET", "/_cat/tasks?v=true"+h, "")
		header, _, _ := strings.Cut(r.Body, "\n")
		for _, col := range strings.Fields(header) {
			if col == "port" || col == "po" {
				t.Errorf("GET /_cat/tasks?v=true%s: a port column: %.600s", h, r.Body)
			}
		}
		if r.Status != 200 && !strings.Contains(r.Body, "security_exception") {
			t.Errorf("GET /_cat/tasks?v=true%s: neither an answer nor a refusal: %d %.600s", h, r.Status, r.Body)
		}
	}
	// Still usable: the default listings answer, with their tasks; an
	// empty list keeps its "nodes", as the node answers it; filter_path
	// still applies.
	if r := f.asUser("GET", "/_tasks?actions=no-such-action", ""); r.Status != 200 || strings.TrimSpace(r.Body) != `{"nodes":{}}` {
		t.Errorf("GET /_tasks?actions=no-such-action: %d %.600s", r.Status, r.Body)
	}
	if r := f.asUser("GET", "/_tasks?filter_path=nodes.*.name", ""); r.Status != 200 || !strings.Contains(r.Body, `"name"`) || strings.Contains(r.Body, `"tasks"`) {
		t.Errorf("GET /_tasks?filter_path=nodes.*.name: %d %.600s", r.Status, r.Body)
	}
	// Still usable: the default listings answer, with their tasks.
	if r := f.asUser("GET", "/_tasks", ""); r.Status != 200 || !strings.Contains(r.Body, `"tasks"`) {
		t.Errorf("GET /_tasks: %d %.600s", r.Status, r.Body)
	}
	if r := f.asUser("GET", "/_cat/tasks?v=true", ""); r.Status != 200 || !strings.Contains(r.Body, "cluster:monitor/tasks/lists") {
		t.Errorf("GET /_cat/tasks: %d %.600s", r.Status, r.Body)
	}
}

// GET _cluster/settings showed, with include_defaults, the node's network
// settings (network.host, transport.port…) and, in any section, the
// remote clusters' seeds (which the proxy refuses in _remote/info): the
// answer keeps its sections and other settings, without those.
func TestClusterSettingsHideAddresses(t *testing.T) {
	f := newOneRoleProxy(t, "setmon", "  cluster: [monitor]\n")
	const seed = "192.0.2.77:9377" // TEST-NET-1: nothing answers there
	alias := "e2e-seedcanary-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.setup("remote seed", "PUT", "/_cluster/settings", `{"persistent":{"cluster.remote.`+alias+`.seeds":["`+seed+`"],"cluster.remote.`+alias+`.skip_unavailable":true}}`)
	t.Cleanup(func() {
		do(t, f.c, "PUT", f.cluster+"/_cluster/settings", "", "", strings.NewReader(`{"persistent":{"cluster.remote.`+alias+`.seeds":null,"cluster.remote.`+alias+`.skip_unavailable":null}}`),
			map[string]string{"Content-Type": "application/json"})
	})
	var info struct {
		Nodes map[string]struct {
			TransportAddress string `json:"transport_address"`
		} `json:"nodes"`
	}
	r := do(t, f.c, "GET", f.cluster+"/_nodes/_local?filter_path=nodes.*.transport_address", "", "", nil, nil)
	if err := json.Unmarshal([]byte(r.Body), &info); err != nil || len(info.Nodes) != 1 {
		t.Fatalf("control: the node's transport address: %v %s", err, r.Body)
	}
	var port string
	for _, n := range info.Nodes {
		port = n.TransportAddress[strings.LastIndex(n.TransportAddress, ":")+1:]
	}
	if r := do(t, f.c, "GET", f.cluster+"/_cluster/settings?include_defaults=true", "", "", nil, nil); !strings.Contains(r.Body, seed) || !strings.Contains(r.Body, `"`+port+`"`) {
		t.Fatalf("control: the cluster's settings show neither the seed nor the transport port %s: %.600s", port, r.Body)
	}
	for _, q := range []string{
		"", "?include_defaults=true", "?include_defaults=true&flat_settings=true", "?include_defaults=true&filter_path=**.port",
		"?flat_settings=true&filter_path=persistent.cluster%5C.remote%5C.*", "?include_defaults=true&filter_path=defaults.transport,defaults.network,defaults.discovery",
		"?include_defaults=true&pretty",
	} {
		r := f.asUser("GET", "/_cluster/settings"+q, "")
		if r.Status != 200 || strings.Contains(r.Body, seed) || strings.Contains(r.Body, `"`+port+`"`) {
			t.Errorf("GET /_cluster/settings%s: the remote seed or the transport port: %d %.600s", q, r.Status, r.Body)
		}
	}
	// The rest is the node's own answer.
	for _, q := range []string{"?include_defaults=true&filter_path=defaults.cluster.name", "?flat_settings=true&filter_path=persistent.cluster%5C.remote%5C.*%5C.skip_unavailable"} {
		got, want := f.asUser("GET", "/_cluster/settings"+q, ""), f.asAdmin("GET", "/_cluster/settings"+q, "")
		if got.Status != 200 || strings.TrimSpace(got.Body) != strings.TrimSpace(want.Body) || len(got.Body) < 10 {
			t.Errorf("GET /_cluster/settings%s: %d %s, the node: %s", q, got.Status, got.Body, want.Body)
		}
	}
	if r := f.asUser("GET", "/_cluster/settings?filter_path=transient", ""); r.Status != 200 {
		t.Errorf("GET /_cluster/settings: %d %s", r.Status, r.Body)
	}
}

// Cancelling or rethrottling a task answers a task list grouped by node
// too, and a reroute the cluster state with its nodes: without the nodes'
// transport addresses either.
func TestTaskCancelAndRethrottleHideTransportAddresses(t *testing.T) {
	f := newOneRoleProxy(t, "taskadmin", "  cluster: [manage]\n  indices:\n    - names: ['e2e-taskaddr-*']\n      privileges: [all]\n")
	index := "e2e-taskaddr-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.cleanup(nil, index)
	for i := range 5 {
		f.setup("seed", "PUT", "/"+index+"/_doc/"+strconv.Itoa(i)+"?refresh=true", `{"a":1}`)
	}
	address := regexp.MustCompile(`"(transport_address|ip)"\s*:\s*"[^"]*:\d+"`)
	// A slow update by query: one document per batch, one batch per 100 s.
	start := f.asUser("POST", "/"+index+"/_update_by_query?wait_for_completion=false&requests_per_second=0.01&scroll_size=1", "")
	var task struct {
		Task string `json:"task"`
	}
	if err := json.Unmarshal([]byte(start.Body), &task); err != nil || task.Task == "" {
		t.Fatalf("update by query: %d %s", start.Status, start.Body)
	}
	t.Cleanup(func() { f.asAdmin("POST", "/_tasks/"+task.Task+"/_cancel", "") })
	// A reroute answers the cluster state, with its nodes.
	for _, q := range []string{"?dry_run=true", "?dry_run=true&metric=nodes", "?dry_run=true&filter_path=state.nodes.*.transport_address,acknowledged"} {
		r := f.asUser("POST", "/_cluster/reroute"+q, `{}`)
		if r.Status != 200 || !strings.Contains(r.Body, `"acknowledged":true`) || address.MatchString(r.Body) || strings.Contains(r.Body, "transport_address") {
			t.Errorf("POST /_cluster/reroute%s: want an answer without the node's transport address: %d %.600s", q, r.Status, r.Body)
		}
	}
	for _, path := range []string{
		"/_update_by_query/" + task.Task + "/_rethrottle?requests_per_second=0.02",
		"/_tasks/" + task.Task + "/_cancel",
	} {
		r := f.asUser("POST", path, "")
		if r.Status != 200 || !strings.Contains(r.Body, task.Task) || address.MatchString(r.Body) || strings.Contains(r.Body, "transport_address") {
			t.Errorf("POST %s: want the task without the node's transport address: %d %.600s", path, r.Status, r.Body)
		}
	}
}
