package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMarshalGolden(t *testing.T) {
	plus2 := time.FixedZone("", 2*3600)
	ts := time.Date(2020, 12, 30, 22, 30, 6, 949e6, plus2)
	tests := []struct {
		name string
		ev   *Event
		want string
	}{
		{
			// §15's example line, field for field.
			name: "access_denied transport (§15 example)",
			ev: &Event{
				Time: ts, NodeID: "0RMNyghkQYCc_gVd1G6tZQ",
				EventType: TypeTransport, EventAction: AccessDenied, AuthenticationType: AuthRealm,
				UserName: "user1", UserRealm: "default_native", UserRoles: []string{"test_role"},
				OriginType: OriginRest, OriginAddress: "[::1]:52434", RequestID: "yKOgWn2CRQCKYgZRz3phJw",
				Action: "indices:admin/auto_create", RequestName: "CreateIndexRequest",
				Indices: []string{"<index-{now/d+1d}>"},
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"0RMNyghkQYCc_gVd1G6tZQ","event.type":"transport","event.action":"access_denied","authentication.type":"REALM","user.name":"user1","user.realm":"default_native","user.roles":["test_role"],"origin.type":"rest","origin.address":"[::1]:52434","request.id":"yKOgWn2CRQCKYgZRz3phJw","action":"indices:admin/auto_create","request.name":"CreateIndexRequest","indices":["<index-{now/d+1d}>"]}`,
		},
		{
			// A REST-layer failure: url/method instead of action/indices (checklist A2).
			name: "authentication_failed rest",
			ev: &Event{
				Time: ts, NodeID: "0RMNyghkQYCc_gVd1G6tZQ",
				EventType: TypeRest, EventAction: AuthenticationFailed, UserName: "elastic",
				OriginType: OriginRest, OriginAddress: "[::1]:51504",
				URLPath: "/_security/user/elastic", URLQuery: "pretty", RequestMethod: "GET",
				RequestID: "ErCn5bY8QbOfAdmszuq9sQ",
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"0RMNyghkQYCc_gVd1G6tZQ","event.type":"rest","event.action":"authentication_failed","user.name":"elastic","origin.type":"rest","origin.address":"[::1]:51504","url.path":"/_security/user/elastic","url.query":"pretty","request.method":"GET","request.id":"ErCn5bY8QbOfAdmszuq9sQ"}`,
		},
		{
			// Checklist G74: realm, authentication.type, url.path, request.method.
			name: "authentication_success rest",
			ev: &Event{
				Time: ts, NodeID: "n1", EventType: TypeRest, EventAction: AuthenticationSuccess,
				AuthenticationType: AuthRealm, UserName: "elastic", UserRealm: "reserved",
				OriginType: OriginRest, OriginAddress: "[::1]:52078", Realm: "reserved",
				URLPath: "/twitter/_search", RequestMethod: "POST", RequestID: "id1",
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"rest","event.action":"authentication_success","authentication.type":"REALM","user.name":"elastic","user.realm":"reserved","origin.type":"rest","origin.address":"[::1]:52078","realm":"reserved","url.path":"/twitter/_search","request.method":"POST","request.id":"id1"}`,
		},
		{
			// Checklist B18: under run_as, user.name is the target and run_by the caller.
			name: "access_granted under run_as",
			ev: &Event{
				Time: ts, NodeID: "n1", EventType: TypeTransport, EventAction: AccessGranted,
				AuthenticationType: AuthRealm, UserName: "bob", UserRunByName: "alice",
				UserRealm: "default_file", UserRunByRealm: "default_file", UserRoles: []string{"r1", "r2"},
				OriginType: OriginRest, OriginAddress: "10.0.0.1:4000", RequestID: "id2",
				Action: "indices:data/read/search", RequestName: "SearchRequest", Indices: []string{"logs-1", "logs-2"},
				OpaqueID: "my-opaque", TraceID: "0af7651916cd43dd8448eb211c80319c", XForwardedFor: "203.0.113.9, 10.0.0.1",
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"transport","event.action":"access_granted","authentication.type":"REALM","user.name":"bob","user.run_by.name":"alice","user.realm":"default_file","user.run_by.realm":"default_file","user.roles":["r1","r2"],"origin.type":"rest","origin.address":"10.0.0.1:4000","request.id":"id2","action":"indices:data/read/search","request.name":"SearchRequest","indices":["logs-1","logs-2"],"opaque_id":"my-opaque","trace.id":"0af7651916cd43dd8448eb211c80319c","x_forwarded_for":"203.0.113.9, 10.0.0.1"}`,
		},
		{
			// Checklist B16/G81.
			name: "run_as_granted",
			ev: &Event{
				Time: ts, NodeID: "n1", EventType: TypeTransport, EventAction: RunAsGranted,
				UserName: "alice", UserRunAsName: "bob", UserRealm: "default_file", UserRunAsRealm: "default_file",
				UserRoles: []string{"impersonator"}, OriginType: OriginRest, OriginAddress: "10.0.0.1:4000",
				RequestID: "id3", Action: "indices:data/read/search", RequestName: "SearchRequest", Indices: []string{"x"},
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"transport","event.action":"run_as_granted","user.name":"alice","user.run_as.name":"bob","user.realm":"default_file","user.run_as.realm":"default_file","user.roles":["impersonator"],"origin.type":"rest","origin.address":"10.0.0.1:4000","request.id":"id3","action":"indices:data/read/search","request.name":"SearchRequest","indices":["x"]}`,
		},
		{
			// Checklist A13/G82: API key, and A15: service account roles [].
			name: "access_granted with API key",
			ev: &Event{
				Time: ts, NodeID: "n1", EventType: TypeTransport, EventAction: AccessGranted,
				AuthenticationType: AuthAPIKey, UserName: "owner", UserRealm: "default_file", UserRoles: []string{},
				APIKeyID: "VuaCfGcBCdbkQm-e5aOx", APIKeyName: "my-key", OriginType: OriginRest,
				OriginAddress: "1.2.3.4:5", RequestID: "id4", Action: "cluster:monitor/main", RequestName: "MainRequest",
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"transport","event.action":"access_granted","authentication.type":"API_KEY","user.name":"owner","user.realm":"default_file","user.roles":[],"apikey.id":"VuaCfGcBCdbkQm-e5aOx","apikey.name":"my-key","origin.type":"rest","origin.address":"1.2.3.4:5","request.id":"id4","action":"cluster:monitor/main","request.name":"MainRequest"}`,
		},
		{
			// Checklist H84.
			name: "connection_denied",
			ev: &Event{
				Time: ts, NodeID: "n1", EventType: TypeIPFilter, EventAction: ConnectionDenied,
				OriginType: OriginRest, OriginAddress: "192.168.1.5:3333", TransportProfile: ".http", Rule: "deny _all",
			},
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"ip_filter","event.action":"connection_denied","origin.type":"rest","origin.address":"192.168.1.5:3333","transport.profile":".http","rule":"deny _all"}`,
		},
		{
			// Checklist G80: put_user (Elasticsearch's documented shape).
			name: "security_config_change put_user",
			ev: func() *Event {
				e := PutUserEvent(UserChange{
					Name: "user1", Enabled: false, Roles: []string{"admin", "read_only"},
					FullName: "Jack Sparrow", Email: "jack@blackpearl.com", HasPassword: true,
					Metadata: map[string]any{"cunning": 10},
				})
				e.Time, e.NodeID, e.RequestID = ts, "0RMNyghkQYCc_gVd1G6tZQ", "VIiSvhp4Riim_tpkQCVSQA"
				return e
			}(),
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"0RMNyghkQYCc_gVd1G6tZQ","event.type":"security_config_change","event.action":"put_user","request.id":"VIiSvhp4Riim_tpkQCVSQA","put":{"user":{"name":"user1","enabled":false,"roles":["admin","read_only"],"full_name":"Jack Sparrow","email":"jack@blackpearl.com","has_password":true,"metadata":{"cunning":10}}}}`,
		},
		{
			name: "security_config_change delete_role",
			ev: func() *Event {
				e := DeleteRoleEvent("my_admin_role")
				e.Time, e.NodeID, e.RequestID = ts, "n1", "id5"
				return e
			}(),
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"security_config_change","event.action":"delete_role","request.id":"id5","delete":{"role":{"name":"my_admin_role"}}}`,
		},
		{
			name: "security_config_change change_password",
			ev: func() *Event {
				e := ChangePasswordEvent("user1")
				e.Time, e.NodeID, e.RequestID = ts, "n1", "id6"
				return e
			}(),
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"security_config_change","event.action":"change_password","request.id":"id6","change":{"password":{"user":{"name":"user1"}}}}`,
		},
		{
			name: "security_config_change put_role with pretty descriptor",
			ev: func() *Event {
				e := PutRoleEvent("r", json.RawMessage("{\n  \"cluster\": [\"monitor\"],\n  \"indices\": [{\"names\": [\"<a>\"], \"privileges\": [\"read\"]}]\n}"))
				e.Time, e.NodeID, e.RequestID = ts, "n1", "id7"
				return e
			}(),
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"security_config_change","event.action":"put_role","request.id":"id7","put":{"role":{"name":"r","role_descriptor":{"cluster":["monitor"],"indices":[{"names":["<a>"],"privileges":["read"]}]}}}}`,
		},
		{
			name: "security_config_change invalidate_apikeys",
			ev: func() *Event {
				e := InvalidateAPIKeysEvent(InvalidateAPIKeysChange{IDs: []string{"k1"}, UserName: "u", RealmName: "file"})
				e.Time, e.NodeID, e.RequestID = ts, "n1", "id8"
				return e
			}(),
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"security_config_change","event.action":"invalidate_apikeys","request.id":"id8","invalidate":{"apikeys":{"ids":["k1"],"owned_by_authenticated_user":false,"user":{"name":"u","realm":"file"}}}}`,
		},
		{
			name: "file reload (proxy-specific)",
			ev: func() *Event {
				e := FileReloadEvent(FileChange{Kind: "roles", Path: "/etc/portcullis/roles.yml", SHA256: "ab", PreviousSHA256: "cd", Added: []string{"new"}, Modified: []string{"r1"}})
				e.Time, e.NodeID = ts, "n1"
				return e
			}(),
			want: `{"type":"audit","timestamp":"2020-12-30T22:30:06,949+0200","node.id":"n1","event.type":"security_config_change","event.action":"reload_file","origin.type":"local_node","change":{"roles":{"path":"/etc/portcullis/roles.yml","sha256":"ab","previous_sha256":"cd","added":["new"],"modified":["r1"]}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Marshal(tt.ev))
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not valid JSON")
			}
		})
	}
}

func TestMarshalEscaping(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`plain`, `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nbreak\r\t", `"line\nbreak\r\t"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"é✓", `"é✓"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"sep\u2028x", `"sep\u2028x"`},
		{"sep\u2029x", `"sep\u2029x"`},
		// NEL is a line break for readers that split on Unicode line
		// boundaries (Python's str.splitlines): one record would read as
		// two broken lines, hiding the event from such a collector.
		{"nel\u0085{x", `"nel\u0085{x"`},
	}
	for _, tt := range tests {
		got := string(appendJSONString(nil, tt.in))
		if got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("%s: %v", got, err)
		}
	}
}

func TestMarshalOneLineAndOrder(t *testing.T) {
	ev := testEvent(1)
	ev.RequestBody = "{\n \"query\": 1\n}"
	got := string(Marshal(ev))
	if strings.ContainsAny(got, "\n\r") {
		t.Fatalf("record spans lines: %s", got)
	}
	if !strings.HasPrefix(got, `{"type":"audit","timestamp":"2026-11-27T10:51:09,964+0000",`) {
		t.Fatalf("prefix: %s", got)
	}
	keys := []string{`"node.id"`, `"event.type"`, `"event.action"`, `"authentication.type"`, `"user.name"`, `"user.realm"`, `"user.roles"`, `"origin.type"`, `"origin.address"`, `"request.body"`, `"request.id"`, `"action"`, `"request.name"`, `"indices"`}
	last := -1
	for _, k := range keys {
		i := strings.Index(got, k+":")
		if i <= last {
			t.Fatalf("key %s out of order in %s", k, got)
		}
		last = i
	}
	ts, err := ParseTimestamp("2020-12-30T22:30:06,949+0200")
	if err != nil || ts.UnixMilli() != time.Date(2020, 12, 30, 20, 30, 6, 949e6, time.UTC).UnixMilli() {
		t.Fatalf("ParseTimestamp = %v, %v", ts, err)
	}
}

// TestMarshalChangeLineBreaks: user-supplied strings inside a
// security_config_change object (a full name, an API key's name) cannot
// break the record's line for readers that split on Unicode line
// boundaries.
func TestMarshalChangeLineBreaks(t *testing.T) {
	ev := testEvent(1)
	ev.EventType, ev.EventAction = TypeSecurityConfigChange, "put_user"
	ev.Change = &ConfigChange{Verb: VerbPut, Object: json.RawMessage("{\"user\":{\"name\":\"u\",\"full_name\":\"a\u0085b\u2028c\u2029d\"}}")}
	got := string(Marshal(ev))
	if strings.ContainsAny(got, "\n\r\u0085\u2028\u2029") || !strings.Contains(got, `"full_name":"a\u0085b\u2028c\u2029d"`) {
		t.Fatalf("record: %s", got)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
}
