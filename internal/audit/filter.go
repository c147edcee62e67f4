package audit

import (
	"fmt"
	"strings"
)

// allLevels returns the event names Elasticsearch's events.include/exclude
// settings accept ("_all" stands for all of them), in its order.
func allLevels() [13]string {
	return [...]string{
		AnonymousAccessDenied, AuthenticationFailed, RealmAuthenticationFailed,
		AccessGranted, AccessDenied, TamperedRequest, ConnectionGranted,
		ConnectionDenied, SystemAccessGranted, AuthenticationSuccess,
		RunAsGranted, RunAsDenied, SecurityConfigChange,
	}
}

// DefaultInclude is Elasticsearch's default for events.include: everything
// but authentication_success, realm_authentication_failed,
// connection_granted and system_access_granted.
func DefaultInclude() []string {
	return []string{
		AccessDenied, AccessGranted, AnonymousAccessDenied, AuthenticationFailed,
		ConnectionDenied, TamperedRequest, RunAsDenied, RunAsGranted, SecurityConfigChange,
	}
}

// EventFilter is the events.include/exclude setting: the set of event names
// that are recorded. It is immutable and safe for concurrent use.
type EventFilter struct {
	on map[string]bool
}

// NewEventFilter builds the filter like Elasticsearch's AuditLevel.parse:
// include (nil means DefaultInclude, "_all" means every event) minus
// exclude. Names are trimmed and case-insensitive; an unknown name is an
// error. An explicitly empty include records nothing.
func NewEventFilter(include, exclude []string) (*EventFilter, error) {
	if include == nil {
		include = DefaultInclude()
	}
	in, err := parseLevels(include)
	if err != nil {
		return nil, fmt.Errorf("events.include: %w", err)
	}
	out, err := parseLevels(exclude)
	if err != nil {
		return nil, fmt.Errorf("events.exclude: %w", err)
	}
	for l := range out {
		delete(in, l)
	}
	return &EventFilter{on: in}, nil
}

func parseLevels(names []string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, n := range names {
		l := strings.ToLower(strings.TrimSpace(n))
		if l == "_all" {
			for _, a := range allLevels() {
				set[a] = true
			}
			continue
		}
		known := false
		for _, a := range allLevels() {
			if a == l {
				known = true
				break
			}
		}
		if !known {
			return nil, fmt.Errorf("invalid event name specified [%s]", n)
		}
		set[l] = true
	}
	return set, nil
}

// Enabled reports whether events named level (an event.action, or
// SecurityConfigChange for every config change) are recorded.
func (f *EventFilter) Enabled(level string) bool { return f.on[level] }

// Events returns the enabled event names in Elasticsearch's order.
func (f *EventFilter) Events() []string {
	var out []string
	for _, a := range allLevels() {
		if f.on[a] {
			out = append(out, a)
		}
	}
	return out
}
