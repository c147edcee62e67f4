package authn

import (
	"errors"
	"fmt"
)

// MaxNameLength is the longest user or role name Elasticsearch accepts
// (Validation.MAX_NAME_LENGTH: 1024 in current releases, 507 in older ones).
const MaxNameLength = 1024

// isReservedUsername reports the built-in users of Elasticsearch's reserved
// realm. Elasticsearch skips them in the users file while that realm is
// enabled; the proxy has no reserved realm, so they are only reported.
func isReservedUsername(name string) bool {
	switch name {
	case "elastic", "kibana", "kibana_system", "logstash_system",
		"beats_system", "apm_system", "remote_monitoring_user":
		return true
	}
	return false
}

var errNameSpaces = errors.New("leading or trailing spaces are not allowed")

// ValidateName applies Elasticsearch's rule for user and role names: 1 to
// MaxNameLength printable Basic Latin characters (space to '~'), without a
// leading or trailing space.
func ValidateName(name string) error {
	if len(name) < 1 || len(name) > MaxNameLength {
		return fmt.Errorf("must be 1 to %d characters long", MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < ' ' || name[i] > '~' {
			return errors.New("may only contain printable Basic Latin (ASCII) characters")
		}
	}
	if name[0] == ' ' || name[len(name)-1] == ' ' {
		return errNameSpaces
	}
	return nil
}
