package cursor

import (
	"errors"
	"testing"
	"time"
)

func TestParseKeepAlive(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1m", time.Minute, true},
		{"5M", 5 * time.Minute, true},
		{"30s", 30 * time.Second, true},
		{"100ms", 100 * time.Millisecond, true},
		{"7micros", 7 * time.Microsecond, true},
		{"9nanos", 9, true},
		{"2h", 2 * time.Hour, true},
		{"1d", 24 * time.Hour, true},
		{" 10 s ", 10 * time.Second, true},
		{"+3m", 3 * time.Minute, true},
		{"0", 0, true},
		{"000", 0, true},
		{"0s", 0, true},
		{"1.5m", 0, false},
		{"-1", 0, false},
		{"-5m", 0, false},
		{"10", 0, false},
		{"", 0, false},
		{"m", 0, false},
		{"1w", 0, false},
		{"1_000s", 0, false},
		{"106752d", 0, false},
		{"9223372036854775807nanos", 9223372036854775807, true},
	}
	for _, tt := range tests {
		got, err := ParseKeepAlive(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("ParseKeepAlive(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if !tt.ok && !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseKeepAlive(%q) = %v, %v; want ErrMalformed", tt.in, got, err)
		}
	}
}
