package dls

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// rangeBounds is a parsed range query.
type rangeBounds struct {
	lower, upper       esbody.Value // nil: unbounded
	lowerIncl, upperIn bool
}

// evalRange evaluates a range query on numbers and dates.
func (m *matcher) evalRange(body esbody.Value) (truth, error) {
	field, v, err := fieldQuery("range", body)
	if err != nil {
		return 0, err
	}
	o, ok := v.(*esbody.Object)
	if !ok {
		return 0, unsupported("range must be an object")
	}
	rb, err := parseRange(o)
	if err != nil {
		return 0, err
	}
	fl, err := m.field(field)
	if err != nil {
		return 0, err
	}
	if fl.multiField {
		return isUnknown, nil
	}
	res := isFalse
	for _, fv := range fl.values {
		t, err := rb.contains(fv.v)
		if err != nil {
			return 0, err
		}
		if t == isTrue && fv.mayBeHidden {
			t = isUnknown
		}
		res = or(res, t)
	}
	return res, nil
}

// parseRange reads gt/gte/lt/lte and the legacy from/to/include_*.
func parseRange(o *esbody.Object) (rangeBounds, error) {
	rb := rangeBounds{lowerIncl: true, upperIn: true}
	for name, v := range o.All() {
		if esbody.IsNull(v) {
			continue
		}
		switch name {
		case "gt", "gte", "from":
			rb.lower, rb.lowerIncl = v, name != "gt"
		case "lt", "lte", "to":
			rb.upper, rb.upperIn = v, name != "lt"
		case "include_lower", "include_upper":
		case "boost", "_name":
		case "format":
			if !supportedDateFormat(v) {
				return rb, unsupported("range format %v", v)
			}
		case "time_zone":
			if v != esbody.String("UTC") && v != esbody.String("Z") && v != esbody.String("+00:00") {
				return rb, unsupported("range time_zone")
			}
		default:
			return rb, unsupported("range option [%s]", name)
		}
	}
	for name, v := range o.All() {
		b, ok := v.(esbody.Bool)
		switch {
		case name == "include_lower" && ok:
			rb.lowerIncl = bool(b)
		case name == "include_upper" && ok:
			rb.upperIn = bool(b)
		case name == "include_lower" || name == "include_upper":
			return rb, unsupported("range %s must be a boolean", name)
		}
	}
	return rb, nil
}

// supportedDateFormat accepts the formats whose parsing the proxy
// reproduces: the default strict_date_optional_time||epoch_millis and its
// parts.
func supportedDateFormat(v esbody.Value) bool {
	s, ok := v.(esbody.String)
	if !ok {
		return false
	}
	for _, f := range strings.Split(string(s), "||") {
		switch f {
		case "strict_date_optional_time", "date_optional_time", "epoch_millis":
		default:
			return false
		}
	}
	return true
}

// contains reports whether a document value lies in the range. Values are
// compared as numbers when both sides are numbers (or strings of digits),
// as instants when either side is an ISO-8601 date (numbers then being
// epoch milliseconds); anything else is unsupported.
func (rb rangeBounds) contains(doc esbody.Value) (truth, error) {
	if esbody.IsNull(doc) {
		return isFalse, nil
	}
	if _, ok := doc.(*esbody.Object); ok {
		return 0, unsupported("range on an object (range field) value")
	}
	if _, ok := doc.(esbody.Bool); ok {
		return isFalse, nil
	}
	d, err := ordinal(doc, rb.anyDate(doc))
	if err != nil {
		return 0, err
	}
	if rb.lower != nil {
		l, err := ordinal(rb.lower, rb.anyDate(doc))
		if err != nil {
			return 0, err
		}
		if c := d.Cmp(l); c < 0 || (c == 0 && !rb.lowerIncl) {
			return isFalse, nil
		}
	}
	if rb.upper != nil {
		u, err := ordinal(rb.upper, rb.anyDate(doc))
		if err != nil {
			return 0, err
		}
		if c := d.Cmp(u); c > 0 || (c == 0 && !rb.upperIn) {
			return isFalse, nil
		}
	}
	return isTrue, nil
}

// anyDate reports whether the document value or a bound is a date string.
func (rb rangeBounds) anyDate(doc esbody.Value) bool {
	return isDateString(doc) || isDateString(rb.lower) || isDateString(rb.upper)
}

// isDateString: a string that is not a plain number.
func isDateString(v esbody.Value) bool {
	s, ok := v.(esbody.String)
	if !ok {
		return false
	}
	return !isJSONNumber(string(s))
}

// ordinal converts a value to a comparable number: the number itself, or,
// in date mode, nanoseconds since the epoch (numbers are epoch millis).
func ordinal(v esbody.Value, dates bool) (*big.Rat, error) {
	var text string
	switch v := v.(type) {
	case esbody.Number:
		text = string(v)
	case esbody.String:
		text = string(v)
	default:
		return nil, unsupported("range bound must be a number or a string")
	}
	r, ok, huge := decimal(text)
	if huge {
		return nil, unsupported("number %.20s… is too large to compare", text)
	}
	if ok {
		if dates {
			return r.Mul(r, big.NewRat(int64(time.Millisecond), 1)), nil
		}
		return r, nil
	}
	if !dates {
		return nil, unsupported("range on %q", text)
	}
	t, err := parseISODate(text)
	if err != nil {
		return nil, err
	}
	ns := new(big.Int).Mul(big.NewInt(t.Unix()), big.NewInt(int64(time.Second)))
	ns.Add(ns, big.NewInt(int64(t.Nanosecond())))
	return new(big.Rat).SetInt(ns), nil
}

// isoDate is strict_date_optional_time: yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]][zone]]]].
var isoDate = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$`)

// parseISODate parses a strict_date_optional_time date (UTC when no zone
// is given, as Elasticsearch does). now and date math are unsupported.
func parseISODate(s string) (time.Time, error) {
	if strings.HasPrefix(s, "now") || strings.Contains(s, "||") {
		return time.Time{}, unsupported("date math %q", s)
	}
	m := isoDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, unsupported("date %q is not in strict_date_optional_time", s)
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	nanos := 0
	if m[7] != "" {
		frac := m[7] + strings.Repeat("0", 9-len(m[7]))
		nanos, _ = strconv.Atoi(frac)
	}
	loc, err := zone(m[8])
	if err != nil {
		return time.Time{}, err
	}
	year, month, day := num(1, 0), num(2, 1), num(3, 1)
	hour, minute, sec := num(4, 0), num(5, 0), num(6, 0)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, unsupported("date %q is out of range", s)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, loc), nil
}

func zone(z string) (*time.Location, error) {
	if z == "" || z == "Z" {
		return time.UTC, nil
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	h, _ := strconv.Atoi(digits[:2])
	mins := 0
	if len(digits) == 4 {
		mins, _ = strconv.Atoi(digits[2:])
	}
	if h > 18 || mins > 59 {
		return nil, unsupported("time zone %q", z)
	}
	return time.FixedZone(z, sign*(h*3600+mins*60)), nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
