package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Verbs: the key under which a security_config_change event nests its object.
const (
	VerbPut        = "put"
	VerbDelete     = "delete"
	VerbChange     = "change"
	VerbCreate     = "create"
	VerbInvalidate = "invalidate"
)

// ConfigChange is the nested object of a security_config_change event:
// exactly one of the keys put, delete, change, create or invalidate, holding
// a JSON object such as {"user":{"name":"jacknich",…}}. Use the constructors
// below; they produce Elasticsearch's shapes.
type ConfigChange struct {
	// Verb is VerbPut, VerbDelete, VerbChange, VerbCreate or VerbInvalidate.
	Verb string
	// Object is the JSON object written under Verb.
	Object json.RawMessage
}

// UserChange describes a user as written by put_user. Passwords never
// appear: only whether one was set.
type UserChange struct {
	Name        string         `json:"name"`                // username
	Enabled     bool           `json:"enabled"`             // enabled flag
	Roles       []string       `json:"roles"`               // role names
	FullName    string         `json:"full_name,omitempty"` // optional
	Email       string         `json:"email,omitempty"`     // optional
	HasPassword bool           `json:"has_password"`        // a password or hash was given
	Metadata    map[string]any `json:"metadata,omitempty"`  // optional
}

// RoleMappingChange describes a role mapping as written by put_role_mapping.
type RoleMappingChange struct {
	Name          string          `json:"name"`                     // mapping name
	Roles         []string        `json:"roles,omitempty"`          // granted roles
	RoleTemplates json.RawMessage `json:"role_templates,omitempty"` // as JSON
	Rules         json.RawMessage `json:"rules"`                    // as JSON
	Enabled       bool            `json:"enabled"`                  // enabled flag
	Metadata      map[string]any  `json:"metadata,omitempty"`       // optional
}

// APIKeyChange describes an API key as written by create_apikey.
type APIKeyChange struct {
	ID              string            `json:"id"`                 // key id
	Name            string            `json:"name"`               // key name
	Type            string            `json:"type"`               // "rest" (default) or "cross_cluster"
	Expiration      *string           `json:"expiration"`         // e.g. "1d"; nil is null
	RoleDescriptors []json.RawMessage `json:"role_descriptors"`   // each as JSON
	Metadata        map[string]any    `json:"metadata,omitempty"` // optional
}

// InvalidateAPIKeysChange describes an invalidate_apikeys request.
type InvalidateAPIKeysChange struct {
	IDs                      []string `json:"ids,omitempty"`               // key ids
	Name                     string   `json:"name,omitempty"`              // key name
	OwnedByAuthenticatedUser bool     `json:"owned_by_authenticated_user"` // "owner": true
	UserName                 string   `json:"-"`                           // written as user.name
	RealmName                string   `json:"-"`                           // written as user.realm
}

// FileChange describes a security file the proxy reloaded (Elasticsearch has
// no such event: file-based changes are invisible to its audit trail). Kind
// is the file's role: "users", "users_roles", "roles", "role_mapping", ….
//
// The lists hold entry names only, never their definitions: for "users" the
// user names (modified: the password hash changed), for "users_roles" the
// user names whose set of roles changed (added: a user who had no role
// before), for "roles" and "role_mapping" the role and mapping names.
type FileChange struct {
	Kind           string   `json:"-"`                         // the key under "change"
	Path           string   `json:"path"`                      // file path
	SHA256         string   `json:"sha256,omitempty"`          // of the new content, hex
	PreviousSHA256 string   `json:"previous_sha256,omitempty"` // of the replaced content, hex
	Added          []string `json:"added,omitempty"`           // entries added
	Removed        []string `json:"removed,omitempty"`         // entries removed
	Modified       []string `json:"modified,omitempty"`        // entries changed
	// Unparsable says the new content could not be read or parsed, so its
	// entries were not compared (the stores keep their previous state).
	Unparsable bool `json:"unparsable,omitempty"`
}

// ReloadFileAction is the event.action of FileReloadEvent.
const ReloadFileAction = "reload_file"

type named struct {
	Name string `json:"name"`
}

// PutUserEvent is the put_user event of PUT /_security/user/<name>.
func PutUserEvent(u UserChange) *Event {
	if u.Roles == nil {
		u.Roles = []string{}
	}
	return configEvent("put_user", VerbPut, map1("user", u))
}

// DeleteUserEvent is the delete_user event.
func DeleteUserEvent(name string) *Event {
	return configEvent("delete_user", VerbDelete, map1("user", named{name}))
}

// ChangePasswordEvent is the change_password event; the password itself is
// never recorded.
func ChangePasswordEvent(user string) *Event {
	return configEvent("change_password", VerbChange, map1("password", map1("user", named{user})))
}

// SetEnabledEvent is the change_enable_user or change_disable_user event.
func SetEnabledEvent(user string, enabled bool) *Event {
	if enabled {
		return configEvent("change_enable_user", VerbChange, map1("enable", map1("user", named{user})))
	}
	return configEvent("change_disable_user", VerbChange, map1("disable", map1("user", named{user})))
}

// PutRoleEvent is the put_role event; descriptor is the role descriptor as
// JSON (without its name).
func PutRoleEvent(name string, descriptor json.RawMessage) *Event {
	return configEvent("put_role", VerbPut, map1("role", struct {
		Name           string          `json:"name"`
		RoleDescriptor json.RawMessage `json:"role_descriptor"`
	}{name, orEmptyObject(descriptor)}))
}

// DeleteRoleEvent is the delete_role event.
func DeleteRoleEvent(name string) *Event {
	return configEvent("delete_role", VerbDelete, map1("role", named{name}))
}

// PutRoleMappingEvent is the put_role_mapping event.
func PutRoleMappingEvent(m RoleMappingChange) *Event {
	if m.Rules == nil {
		m.Rules = json.RawMessage("{}")
	}
	return configEvent("put_role_mapping", VerbPut, map1("role_mapping", m))
}

// DeleteRoleMappingEvent is the delete_role_mapping event.
func DeleteRoleMappingEvent(name string) *Event {
	return configEvent("delete_role_mapping", VerbDelete, map1("role_mapping", named{name}))
}

// CreateAPIKeyEvent is the create_apikey event (credentials are never part
// of it).
func CreateAPIKeyEvent(k APIKeyChange, grant *APIKeyGrant) *Event {
	if k.RoleDescriptors == nil {
		k.RoleDescriptors = []json.RawMessage{}
	}
	if k.Type == "" {
		k.Type = "rest"
	}
	obj := map1("apikey", k)
	if grant != nil {
		obj["grant"] = grant
	}
	return configEvent("create_apikey", VerbCreate, obj)
}

// APIKeyGrant describes the credentials of a grant API key request, as
// Elasticsearch writes them next to the key in create_apikey: which kind,
// and whose, never the secret.
type APIKeyGrant struct {
	Type           string           `json:"type"`                       // "password" or "access_token"
	User           *APIKeyGrantUser `json:"user,omitempty"`             // the password grant's user
	HasAccessToken bool             `json:"has_access_token,omitempty"` // an access_token grant
}

// APIKeyGrantUser is the user named by a password grant.
type APIKeyGrantUser struct {
	Name        string `json:"name"`
	HasPassword bool   `json:"has_password"`
}

// UpdateAPIKeysChange describes an update of API keys: what it replaces
// (a nil field is kept as it was).
type UpdateAPIKeysChange struct {
	IDs             []string
	RoleDescriptors []json.RawMessage // each as JSON
	Metadata        map[string]any
	Expiration      *string // e.g. "1d"
}

// UpdateAPIKeysEvent is the change_apikey event of the update API (one
// key), or with bulk the change_apikeys event of the bulk update API.
func UpdateAPIKeysEvent(c UpdateAPIKeysChange, bulk bool) *Event {
	obj := map[string]any{"type": "rest"}
	if c.RoleDescriptors != nil {
		obj["role_descriptors"] = c.RoleDescriptors
	}
	if c.Metadata != nil {
		obj["metadata"] = c.Metadata
	}
	if c.Expiration != nil {
		obj["expiration"] = *c.Expiration
	}
	if bulk || len(c.IDs) != 1 {
		obj["ids"] = c.IDs
		return configEvent("change_apikeys", VerbChange, map1("apikeys", obj))
	}
	obj["id"] = c.IDs[0]
	return configEvent("change_apikey", VerbChange, map1("apikey", obj))
}

// InvalidateAPIKeysEvent is the invalidate_apikeys event.
func InvalidateAPIKeysEvent(c InvalidateAPIKeysChange) *Event {
	type user struct {
		Name  string `json:"name,omitempty"`
		Realm string `json:"realm,omitempty"`
	}
	obj := struct {
		InvalidateAPIKeysChange
		User *user `json:"user,omitempty"`
	}{InvalidateAPIKeysChange: c}
	if c.UserName != "" || c.RealmName != "" {
		obj.User = &user{c.UserName, c.RealmName}
	}
	return configEvent("invalidate_apikeys", VerbInvalidate, map1("apikeys", obj))
}

// ServiceTokenEvent is the create_service_token (create true) or
// delete_service_token event.
func ServiceTokenEvent(create bool, namespace, service, name string) *Event {
	tok := map1("service_token", struct {
		Namespace string `json:"namespace"`
		Service   string `json:"service"`
		Name      string `json:"name"`
	}{namespace, service, name})
	if create {
		return configEvent("create_service_token", VerbCreate, tok)
	}
	return configEvent("delete_service_token", VerbDelete, tok)
}

// FileReloadEvent records that the proxy applied a new version of a security
// file: event.action "reload_file", origin.type "local_node", and
// {"change":{"<kind>":{"path":…,"sha256":…,"previous_sha256":…,
// "added":[…],"removed":[…],"modified":[…]}}} where the lists name the
// users, roles or mappings that changed.
func FileReloadEvent(c FileChange) *Event {
	kind := c.Kind
	if kind == "" {
		kind = "file"
	}
	ev := configEvent(ReloadFileAction, VerbChange, map1(kind, c))
	ev.OriginType = OriginLocalNode
	return ev
}

// map1 is a one-key object; encoding/json writes map keys sorted, which for
// one key is the key itself.
func map1(key string, v any) map[string]any { return map[string]any{key: v} }

func orEmptyObject(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// configEvent builds a security_config_change event. Marshalling can only
// fail on caller-supplied raw JSON or metadata; the object then records the
// failure rather than losing the event.
func configEvent(action, verb string, obj any) *Event {
	raw, err := marshalNoEscape(obj)
	if err != nil {
		raw, _ = marshalNoEscape(map1("error", fmt.Sprintf("unserializable %s change: %v", action, err)))
	}
	return &Event{
		EventType:   TypeSecurityConfigChange,
		EventAction: action,
		Change:      &ConfigChange{Verb: verb, Object: raw},
	}
}

// marshalNoEscape is json.Marshal without HTML escaping and without the
// trailing newline.
func marshalNoEscape(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// PutPrivilegesEvent is the put_privileges event: per application, the
// privileges written with their actions (as Elasticsearch nests them).
func PutPrivilegesEvent(apps map[string]map[string]json.RawMessage) *Event {
	return configEvent("put_privileges", VerbPut, map1("privileges", apps))
}

// DeletePrivilegesEvent is the delete_privileges event.
func DeletePrivilegesEvent(application string, names []string) *Event {
	return configEvent("delete_privileges", VerbDelete, map1("privileges", struct {
		Application string   `json:"application"`
		Privileges  []string `json:"privileges"`
	}{application, names}))
}

// ActivateUserProfileEvent is the activate_user_profile event: the grant
// whose credentials activated a profile (never the secret).
func ActivateUserProfileEvent(grant *APIKeyGrant) *Event {
	return configEvent("activate_user_profile", VerbPut, map1("grant", grant))
}

// UpdateUserProfileDataEvent is the update_user_profile_data event.
func UpdateUserProfileDataEvent(uid string, labels, data map[string]any) *Event {
	if labels == nil {
		labels = map[string]any{}
	}
	if data == nil {
		data = map[string]any{}
	}
	return configEvent("update_user_profile_data", VerbPut, struct {
		UID    string         `json:"uid"`
		Labels map[string]any `json:"labels"`
		Data   map[string]any `json:"data"`
	}{uid, labels, data})
}

// SetUserProfileEnabledEvent is the change_enable_user_profile or
// change_disable_user_profile event.
func SetUserProfileEnabledEvent(uid string, enabled bool) *Event {
	if enabled {
		return configEvent("change_enable_user_profile", VerbChange, map1("enable", map1("uid", uid)))
	}
	return configEvent("change_disable_user_profile", VerbChange, map1("disable", map1("uid", uid)))
}
