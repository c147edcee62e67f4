package secquery

import (
	"cmp"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Range queries and the date values of the security query APIs: epoch
// milliseconds, ISO 8601 dates (Elasticsearch's default
// strict_date_optional_time||epoch_millis), and date math on "now" or on a
// date followed by "||" ("now-7d/d").

func (p queryParser) parseRange(body any) (matcher, error) {
	obj, ok := body.(map[string]any)
	if !ok || len(obj) == 0 {
		return nil, badRequest("parsing_exception", "[range] query malformed, expected an object")
	}
	var m matcher
	for name, v := range obj {
		if name == "boost" || name == "_name" {
			continue
		}
		if m != nil {
			return nil, badRequest("parsing_exception", "[range] query doesn't support multiple fields")
		}
		f, err := p.schema.resolveField(name)
		if err != nil {
			return nil, err
		}
		opts, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest("parsing_exception", "[range] query malformed, expected an object for [%s]", name)
		}
		if m, err = p.rangeOn(f, opts); err != nil {
			return nil, err
		}
	}
	if m == nil {
		return nil, badRequest("parsing_exception", "[range] query requires a field")
	}
	return m, nil
}

// bound is one end of a range: the value and whether it is included.
type bound struct {
	value     any
	inclusive bool
}

func (p queryParser) rangeOn(f field, opts map[string]any) (matcher, error) {
	if err := checkOptions("range", opts, "gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "format", "time_zone", "relation"); err != nil {
		return nil, err
	}
	if opts["relation"] != nil {
		return nil, badRequest("illegal_argument_exception", "range query with relation is not supported for %s query", p.schema.Noun)
	}
	if format, ok := opts["format"].(string); ok && format != "strict_date_optional_time||epoch_millis" && format != "epoch_millis" && format != "strict_date_optional_time" {
		return nil, badRequest("illegal_argument_exception", "range query format [%s] is not supported by the security proxy", format)
	}
	loc := time.UTC
	if tz, ok := opts["time_zone"].(string); ok {
		l, err := parseTimeZone(tz)
		if err != nil {
			return nil, err
		}
		loc = l
	}
	var lower, upper *bound
	inclLower, inclUpper := true, true
	if v, ok := opts["include_lower"].(bool); ok {
		inclLower = v
	}
	if v, ok := opts["include_upper"].(bool); ok {
		inclUpper = v
	}
	if v := opts["from"]; v != nil {
		lower = &bound{v, inclLower}
	}
	if v := opts["to"]; v != nil {
		upper = &bound{v, inclUpper}
	}
	if v := opts["gt"]; v != nil {
		lower = &bound{v, false}
	}
	if v := opts["gte"]; v != nil {
		lower = &bound{v, true}
	}
	if v := opts["lt"]; v != nil {
		upper = &bound{v, false}
	}
	if v := opts["lte"]; v != nil {
		upper = &bound{v, true}
	}
	cmp, err := p.rangeCompare(f, loc)
	if err != nil {
		return nil, err
	}
	var lo, hi func(any) bool
	if lower != nil {
		// Rounding in date math rounds up for a bound that excludes its
		// value from below (gt), down otherwise (Elasticsearch's rules).
		c, err := cmp(lower.value, !lower.inclusive)
		if err != nil {
			return nil, err
		}
		incl := lower.inclusive
		lo = func(v any) bool { r := c(v); return r > 0 || incl && r == 0 }
	}
	if upper != nil {
		c, err := cmp(upper.value, upper.inclusive)
		if err != nil {
			return nil, err
		}
		incl := upper.inclusive
		hi = func(v any) bool { r := c(v); return r < 0 || incl && r == 0 }
	}
	return anyValue(f, func(v any) bool { return (lo == nil || lo(v)) && (hi == nil || hi(v)) }), nil
}

// rangeCompare returns, for a bound value, a function comparing a field
// value with it (-1, 0, 1).
func (p queryParser) rangeCompare(f field, loc *time.Location) (func(bound any, roundUp bool) (func(any) int, error), error) {
	switch f.kind {
	case Date:
		return func(b any, roundUp bool) (func(any) int, error) {
			ms, err := p.parseDateIn(b, roundUp, loc)
			if err != nil {
				return nil, err
			}
			return func(v any) int { return cmp.Compare(v.(int64), ms) }, nil
		}, nil
	case Keyword:
		return func(b any, _ bool) (func(any) int, error) {
			s := leafString(b)
			return func(v any) int { return strings.Compare(v.(string), s) }, nil
		}, nil
	default:
		return nil, badRequest("illegal_argument_exception", "range query on [%s] is not supported by the security proxy", f.name)
	}
}

// parseDate reads a date value in UTC (see parseDateIn).
func (p queryParser) parseDate(v any, roundUp bool) (int64, error) {
	return p.parseDateIn(v, roundUp, time.UTC)
}

// dateMath is one date math operation: +1d, -2h, /d.
var dateMath = regexp.MustCompile(`^(?:([+-])(\d+)|/)([yMwdhHms])`)

// parseDateIn reads epoch milliseconds (a number or a string of digits),
// an ISO 8601 date, or date math ("now-1d/d", "2024-01-01||+1M") into epoch
// milliseconds. Dates without a zone are in loc.
func (p queryParser) parseDateIn(v any, roundUp bool, loc *time.Location) (int64, error) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case float64:
		return int64(v), nil
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, badRequest("parse_exception", "failed to parse date field [%v]", v)
	}
	anchor, ops := s, ""
	if strings.HasPrefix(s, "now") {
		anchor, ops = "now", s[len("now"):]
	} else if i := strings.Index(s, "||"); i >= 0 {
		anchor, ops = s[:i], s[i+2:]
	}
	var t time.Time
	if anchor == "now" {
		t = p.now.In(loc)
	} else {
		parsed, err := parseDateAnchor(anchor, loc)
		if err != nil {
			return 0, err
		}
		t = parsed
	}
	for ops != "" {
		m := dateMath.FindStringSubmatch(ops)
		if m == nil {
			return 0, badRequest("parse_exception", "failed to parse date field [%s]: unsupported date math [%s]", s, ops)
		}
		ops = ops[len(m[0]):]
		if m[1] == "" {
			t = roundDate(t, m[3], roundUp)
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			return 0, badRequest("parse_exception", "failed to parse date field [%s]", s)
		}
		if m[1] == "-" {
			n = -n
		}
		t = addDate(t, m[3], n)
	}
	return t.UnixMilli(), nil
}

func parseDateAnchor(s string, loc *time.Location) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).In(loc), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest("parse_exception", "failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]", s)
}

func addDate(t time.Time, unit string, n int) time.Time {
	switch unit {
	case "y":
		return t.AddDate(n, 0, 0)
	case "M":
		return t.AddDate(0, n, 0)
	case "w":
		return t.AddDate(0, 0, 7*n)
	case "d":
		return t.AddDate(0, 0, n)
	case "h", "H":
		return t.Add(time.Duration(n) * time.Hour)
	case "m":
		return t.Add(time.Duration(n) * time.Minute)
	default:
		return t.Add(time.Duration(n) * time.Second)
	}
}

// roundDate rounds t down to the unit, or up to the last millisecond of
// the unit (Elasticsearch's rounding for gt and lte).
func roundDate(t time.Time, unit string, up bool) time.Time {
	var start time.Time
	switch unit {
	case "y":
		start = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, t.Location())
	case "M":
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	case "w":
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
		start = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) // weeks start on Monday
	case "d":
		start = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	case "h", "H":
		start = t.Truncate(time.Hour)
	case "m":
		start = t.Truncate(time.Minute)
	default:
		start = t.Truncate(time.Second)
	}
	if !up {
		return start
	}
	return addDate(start, unit, 1).Add(-time.Millisecond)
}

func parseTimeZone(tz string) (*time.Location, error) {
	if t, err := time.Parse("-07:00", tz); err == nil {
		_, off := t.Zone()
		return time.FixedZone(tz, off), nil
	}
	if l, err := time.LoadLocation(tz); err == nil {
		return l, nil
	}
	return nil, badRequest("illegal_argument_exception", "time_zone [%s] is not supported", tz)
}
