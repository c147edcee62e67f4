package cursor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultKeepAlive is how long the cluster keeps a search context that a
// request did not give a keep-alive for (search.default_keep_alive).
const DefaultKeepAlive = 5 * time.Minute

// timeUnits are Elasticsearch's time units, longest suffix first where one
// suffix ends another ("ms" before "s", "nanos" before "s").
func timeUnits() []struct {
	suffix string
	unit   time.Duration
} {
	return []struct {
		suffix string
		unit   time.Duration
	}{
		{"nanos", time.Nanosecond},
		{"micros", time.Microsecond},
		{"ms", time.Millisecond},
		{"s", time.Second},
		{"m", time.Minute},
		{"h", time.Hour},
		{"d", 24 * time.Hour},
	}
}

// ParseKeepAlive parses a keep-alive ("scroll", "keep_alive", "pit.keep_alive")
// the way Elasticsearch's TimeValue.parseTimeValue does: case-insensitive,
// surrounding blanks ignored, a whole number followed by nanos, micros, ms,
// s, m, h or d, or a bare "0". It refuses fractions (as Elasticsearch
// does), negative values ("-1" means no expiry to Elasticsearch, which no
// cursor needs), and values beyond time.Duration, with ErrMalformed.
func ParseKeepAlive(s string) (time.Duration, error) {
	norm := strings.ToLower(trimJava(s))
	if norm != "" && strings.Trim(norm, "0") == "" {
		return 0, nil
	}
	for _, u := range timeUnits() {
		num, ok := strings.CutSuffix(norm, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(trimJava(num), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: keep-alive %q is not a whole number of %s", ErrMalformed, s, u.suffix)
		}
		if n < 0 {
			return 0, fmt.Errorf("%w: negative keep-alive %q", ErrMalformed, s)
		}
		if n > math.MaxInt64/int64(u.unit) {
			return 0, fmt.Errorf("%w: keep-alive %q is too long", ErrMalformed, s)
		}
		return time.Duration(n) * u.unit, nil
	}
	return 0, fmt.Errorf("%w: keep-alive %q has no time unit", ErrMalformed, s)
}

// trimJava trims like Java's String.trim: every character up to U+0020.
func trimJava(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}
