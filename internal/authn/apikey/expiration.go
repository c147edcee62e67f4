package apikey

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeUnits are Elasticsearch's time units (TimeValue), longest suffix
// first so that "ms" is not read as "m".
var timeUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"nanos", time.Nanosecond}, {"micros", time.Microsecond}, {"ms", time.Millisecond},
	{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

// ParseExpiration reads an API key's expiration ("1d", "12h", "30m"…,
// Elasticsearch's time units). The duration must be positive.
func ParseExpiration(s string) (time.Duration, error) {
	for _, u := range timeUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 || n > int64(100*365*24*time.Hour/u.unit) {
			break
		}
		return time.Duration(n) * u.unit, nil
	}
	return 0, fmt.Errorf("failed to parse setting [expiration] with value [%s] as a time value: a positive number followed by one of d, h, m, s, ms, micros, nanos is required", s)
}
