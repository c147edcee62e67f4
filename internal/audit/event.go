package audit

import "time"

// Layers: values of the event.type field. Elasticsearch emits authentication
// outcomes seen before any action is known at the REST layer, decisions about
// an action (access_granted/denied, run_as_*) at the transport layer, IP
// filter decisions as ip_filter, and security configuration changes as
// security_config_change.
const (
	// TypeRest is a REST-layer event: it carries url.path, url.query and
	// request.method.
	TypeRest = "rest"
	// TypeTransport is an action-level event: it carries action,
	// request.name and indices.
	TypeTransport = "transport"
	// TypeIPFilter is a connection_granted/connection_denied event.
	TypeIPFilter = "ip_filter"
	// TypeSecurityConfigChange is a security configuration change; its
	// event.action names the change (put_user, delete_role, …).
	TypeSecurityConfigChange = "security_config_change"
)

// Event actions (event.action values) and, at the same time, the event names
// accepted by the include/exclude settings.
const (
	AuthenticationSuccess     = "authentication_success"
	AuthenticationFailed      = "authentication_failed"
	RealmAuthenticationFailed = "realm_authentication_failed"
	AnonymousAccessDenied     = "anonymous_access_denied"
	AccessGranted             = "access_granted"
	AccessDenied              = "access_denied"
	SystemAccessGranted       = "system_access_granted"
	TamperedRequest           = "tampered_request"
	RunAsGranted              = "run_as_granted"
	RunAsDenied               = "run_as_denied"
	ConnectionGranted         = "connection_granted"
	ConnectionDenied          = "connection_denied"
	// SecurityConfigChange is the include/exclude name covering every event
	// of type security_config_change, whatever its event.action.
	SecurityConfigChange = "security_config_change"
)

// Origin types (origin.type values).
const (
	// OriginRest is a request received on the HTTP layer: for the proxy,
	// every client request.
	OriginRest = "rest"
	// OriginLocalNode is an event the proxy generated itself (file reloads).
	OriginLocalNode = "local_node"
)

// Authentication types (authentication.type values).
const (
	AuthRealm     = "REALM"
	AuthAPIKey    = "API_KEY"
	AuthToken     = "TOKEN"
	AuthAnonymous = "ANONYMOUS"
	AuthInternal  = "INTERNAL"
)

// APIKeyRealm is the realm Elasticsearch names in the realm field of API key
// authentications.
const APIKeyRealm = "_es_api_key"

// Event is one audit record. Each field maps to one key of Elasticsearch's
// audit layout (named in its comment); empty strings and nil slices are
// omitted from the record, as Elasticsearch omits absent values. A non-nil
// empty slice is written as [] (service accounts have "user.roles":[]).
//
// The server fills what the request gave it; Trail.Record adds the
// timestamp (if Time is zero) and node.id.
type Event struct {
	// Time is the timestamp field; zero means "now" when recorded.
	Time time.Time

	ClusterName string // cluster.name
	ClusterUUID string // cluster.uuid
	NodeName    string // node.name
	NodeID      string // node.id (set by Trail from Config.NodeID when empty)
	HostName    string // host.name
	HostIP      string // host.ip

	EventType   string // event.type: TypeRest, TypeTransport, …
	EventAction string // event.action: AccessGranted, …, or a config change action

	AuthenticationType string   // authentication.type: AuthRealm, AuthAPIKey, …
	UserName           string   // user.name: the effective user (run_as target, API key owner)
	UserRunByName      string   // user.run_by.name: the impersonator under run_as
	UserRunAsName      string   // user.run_as.name: the target, on run_as_* events
	UserRealm          string   // user.realm
	UserRealmDomain    string   // user.realm_domain
	UserRunByRealm     string   // user.run_by.realm
	UserRunByDomain    string   // user.run_by.realm_domain
	UserRunAsRealm     string   // user.run_as.realm
	UserRunAsDomain    string   // user.run_as.realm_domain
	UserRoles          []string // user.roles
	APIKeyID           string   // apikey.id
	APIKeyName         string   // apikey.name
	TokenName          string   // authentication.token.name (service account tokens)
	TokenType          string   // authentication.token.type

	OriginType    string // origin.type: OriginRest, …
	OriginAddress string // origin.address: ip:port of the client connection
	Realm         string // realm: the realm that (failed to) authenticate

	URLPath       string // url.path (percent-encoded, as received)
	URLQuery      string // url.query (percent-encoded, without '?')
	RequestMethod string // request.method
	RequestBody   string // request.body: kept only with emit_request_body, redacted
	RequestID     string // request.id: shared by every event of one request

	Action      string   // action: the action name, e.g. indices:data/read/search
	RequestName string   // request.name, e.g. SearchRequest
	Indices     []string // indices

	OpaqueID      string // opaque_id: the X-Opaque-Id header
	TraceID       string // trace.id: the trace id of the traceparent header
	XForwardedFor string // x_forwarded_for: the X-Forwarded-For header, verbatim

	TransportProfile string // transport.profile (ip_filter events, ".http" for the proxy)
	Rule             string // rule (ip_filter events), e.g. "deny _all"

	// Change is the nested object of a security_config_change event.
	Change *ConfigChange
}

// level is the include/exclude name that governs the event.
func (e *Event) level() string {
	if e.EventType == TypeSecurityConfigChange {
		return SecurityConfigChange
	}
	return e.EventAction
}
