package audit

import (
	"testing"
	"time"
)

// TestAppendTimestampMatchesLayout compares the hand-written formatter with
// the time package's rendering of TimestampLayout, across zones (negative,
// half-hour, quarter-hour and historic offsets) and edge instants.
func TestAppendTimestampMatchesLayout(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("minus", -(3*3600 + 30*60)), time.FixedZone("plus", 5*3600+45*60),
		time.FixedZone("lmt", 4*3600+1*60+15)}
	for _, name := range []string{"Europe/Amsterdam", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"} {
		if loc, err := time.LoadLocation(name); err == nil {
			zones = append(zones, loc)
		}
	}
	instants := []time.Time{
		time.Date(2020, 12, 30, 22, 30, 6, 949_000_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 999_999_999, time.UTC),
		time.Date(1937, 6, 1, 0, 0, 0, 1_000_000, time.UTC), // Amsterdam's +00:19:32
		time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Now(),
	}
	for i := range 2000 {
		instants = append(instants, time.Unix(int64(i)*7_919_993_911, int64(i)*104_729_017%1_000_000_000))
	}
	for _, loc := range zones {
		for _, at := range instants {
			at = at.In(loc)
			want := at.AppendFormat(nil, TimestampLayout)
			if got := appendTimestamp([]byte("x"), at); string(got) != "x"+string(want) {
				t.Fatalf("%v in %v: got %q, want %q", at, loc, got[1:], want)
			}
		}
	}
}

func BenchmarkAppendTimestamp(b *testing.B) {
	buf, now := make([]byte, 0, 64), time.Now()
	b.Run("layout", func(b *testing.B) {
		for b.Loop() {
			buf = now.AppendFormat(buf[:0], TimestampLayout)
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			buf = appendTimestamp(buf[:0], now)
		}
	})
}
