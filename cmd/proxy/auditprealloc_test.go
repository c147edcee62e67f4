package main

import "testing"

// audit.preallocate_bytes: 0 must reach the audit package as "disabled"
// (negative), not as "default" (0).
func TestAuditPreallocation(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		in   *int64
		want int64
	}{
		{"unset: the audit default", nil, 0},
		{"0 disables", n(0), -1},
		{"explicit chunk", n(1 << 20), 1 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := auditPreallocation(tc.in); got != tc.want {
				t.Fatalf("auditPreallocation = %d, want %d", got, tc.want)
			}
		})
	}
}
