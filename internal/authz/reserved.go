package authz

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// reservedRolesYAML defines the built-in roles in roles.yml syntax, so they
// go through exactly the same validation as operators' roles.
//
//go:embed reserved_roles.yml
var reservedRolesYAML []byte

// reservedRoles parses the built-in roles once. They are part of the
// program: a problem in them is a bug (covered by tests), hence the panic.
var reservedRoles = sync.OnceValue(func() map[string]*Role {
	fp := &fileParser{file: "reserved_roles.yml", reserved: true, budget: aliasBudget}
	roles := fp.parseFile(reservedRolesYAML)
	fp.file = "service_accounts.yml"
	roles = append(roles, fp.parseFile(serviceAccountsYAML)...)
	if len(fp.probs) > 0 {
		msgs := make([]string, len(fp.probs))
		for i, p := range fp.probs {
			msgs[i] = p.String()
		}
		panic(fmt.Sprintf("authz: invalid built-in roles:\n%s", strings.Join(msgs, "\n")))
	}
	out := make(map[string]*Role, len(roles)+1)
	for _, r := range roles {
		out[r.name] = r
	}
	kibana := *out["kibana_system"] // elastic/kibana is kibana_system under the account's name
	kibana.name = ServiceAccountKibana
	out[kibana.name] = &kibana
	return out
})

// serviceAccountsYAML holds the service accounts' role descriptors.
//
//go:embed service_accounts.yml
var serviceAccountsYAML []byte

// ServiceAccountKibana is the service account Kibana connects with.
const ServiceAccountKibana = "elastic/kibana"

// ServiceAccounts returns Elasticsearch's service accounts
// ("namespace/service"), sorted. Each has one built-in role of the same
// name.
func ServiceAccounts() []string {
	return []string{"elastic/enterprise-search-server", "elastic/fleet-server", ServiceAccountKibana}
}

// IsServiceAccount reports whether account is one of ServiceAccounts.
func IsServiceAccount(account string) bool { return slices.Contains(ServiceAccounts(), account) }

// IsReservedRoleName reports whether name is a built-in role, which roles.yml
// cannot define.
func IsReservedRoleName(name string) bool {
	_, ok := reservedRoles()[name]
	return ok
}

// ReservedRoleNames returns the built-in role names, sorted.
func ReservedRoleNames() []string {
	names := make([]string, 0, len(reservedRoles()))
	for name := range reservedRoles() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// ReservedRoleDescriptors returns the built-in roles' descriptors as JSON,
// as GET /_security/role lists them (service accounts' roles are not
// roles there and are left out).
func ReservedRoleDescriptors() map[string]json.RawMessage {
	var doc map[string]any
	if err := yaml.Unmarshal(reservedRolesYAML, &doc); err != nil {
		return nil // covered by reservedRoles, which panics on a bad file
	}
	out := make(map[string]json.RawMessage, len(doc))
	for name, d := range doc {
		if raw, err := json.Marshal(d); err == nil {
			out[name] = raw
		}
	}
	return out
}

// ValidateRoleDescriptor reports the problems of one role descriptor (JSON)
// under name, as the role API must refuse it: an unknown privilege, an
// unknown field, a built-in role's name.
func ValidateRoleDescriptor(name string, descriptor json.RawMessage) diag.Problems {
	doc, err := json.Marshal(map[string]json.RawMessage{name: descriptor})
	if err != nil {
		var ps diag.Problems
		ps.Errorf("role", 0, "the role descriptor is not JSON: %v", err)
		return ps
	}
	_, ps := ParseRoles("role", doc)
	return ps
}
