package audit

import (
	"reflect"
	"strings"
	"testing"
)

func TestEventFilter(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		on, off          []string
		err              string
	}{
		{
			name: "Elasticsearch default",
			on:   []string{AccessDenied, AccessGranted, AnonymousAccessDenied, AuthenticationFailed, ConnectionDenied, TamperedRequest, RunAsDenied, RunAsGranted, SecurityConfigChange},
			off:  []string{AuthenticationSuccess, RealmAuthenticationFailed, ConnectionGranted, SystemAccessGranted},
		},
		{
			// Checklist G77.
			name: "_all minus access_granted", include: []string{"_all"}, exclude: []string{"access_granted"},
			on:  []string{AuthenticationSuccess, AccessDenied, ConnectionGranted, SecurityConfigChange},
			off: []string{AccessGranted},
		},
		{
			name: "explicit list, case and spaces", include: []string{" Authentication_Success ", "access_denied"},
			on:  []string{AuthenticationSuccess, AccessDenied},
			off: []string{AccessGranted, SecurityConfigChange},
		},
		{
			name: "empty include records nothing", include: []string{},
			off: []string{AccessDenied, SecurityConfigChange},
		},
		{
			// As in Elasticsearch, excluding config changes is possible; only
			// ignore policies cannot drop them.
			name: "exclude security_config_change", exclude: []string{"security_config_change"},
			on: []string{AccessDenied}, off: []string{SecurityConfigChange},
		},
		{name: "unknown include", include: []string{"access_granted", "nope"}, err: "invalid event name specified [nope]"},
		{name: "unknown exclude", exclude: []string{"x"}, err: "events.exclude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewEventFilter(tt.include, tt.exclude)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tt.on {
				if !f.Enabled(n) {
					t.Errorf("%s should be enabled", n)
				}
			}
			for _, n := range tt.off {
				if f.Enabled(n) {
					t.Errorf("%s should be disabled", n)
				}
			}
		})
	}
}

func TestEventFilterEventsOrder(t *testing.T) {
	f, err := NewEventFilter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{AnonymousAccessDenied, AuthenticationFailed, AccessGranted, AccessDenied, TamperedRequest, ConnectionDenied, RunAsGranted, RunAsDenied, SecurityConfigChange}
	if got := f.Events(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Events() = %v, want %v", got, want)
	}
}

func TestConfigChangeLevel(t *testing.T) {
	if l := PutUserEvent(UserChange{Name: "u"}).level(); l != SecurityConfigChange {
		t.Fatalf("level = %q", l)
	}
	if l := testEvent(1).level(); l != AccessGranted {
		t.Fatalf("level = %q", l)
	}
}
