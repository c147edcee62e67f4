package authz

import "fmt"

// maxRoleNameLength is Elasticsearch's limit (Validation.MAX_NAME_LENGTH).
const maxRoleNameLength = 507

// ValidateRoleName applies Elasticsearch's rule for role names: 1 to 507
// printable Basic Latin characters, no leading or trailing whitespace.
func ValidateRoleName(name string) error {
	ok := len(name) >= 1 && len(name) <= maxRoleNameLength && name[0] != ' ' && name[len(name)-1] != ' '
	for i := 0; ok && i < len(name); i++ {
		ok = name[i] >= 0x20 && name[i] <= 0x7e
	}
	if ok {
		return nil
	}
	return fmt.Errorf("invalid role name [%q]. Role names must be at least 1 and no more than %d characters. "+
		"They can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in "+
		"the Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.", name, maxRoleNameLength)
}
