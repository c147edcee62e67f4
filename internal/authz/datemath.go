package authz

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date math index names (<static{date_math{format|time_zone}}static>), as
// IndexNameExpressionResolver.DateMathExpressionResolver and
// JavaDateMathParser resolve them. The resolved name is what gets
// authorized and forwarded, so the cluster never resolves the expression
// with a clock of its own.

// defaultDateMathFormat is Elasticsearch's default format for date math
// index names.
const defaultDateMathFormat = "uuuu.MM.dd"

// dateMathError is a malformed date math expression (Elasticsearch answers
// 400 parse_exception).
type dateMathError struct{ msg string }

func (e *dateMathError) Error() string { return e.msg }

func dateMathErrorf(format string, args ...any) error {
	return &dateMathError{msg: fmt.Sprintf(format, args...)}
}

// isDateMath reports whether expr is a date math expression.
func isDateMath(expr string) bool {
	return len(expr) >= 2 && expr[0] == '<' && expr[len(expr)-1] == '>'
}

// resolveDateMath resolves a date math expression at now; other
// expressions are returned unchanged.
func resolveDateMath(expr string, now time.Time) (string, error) {
	if !isDateMath(expr) {
		return expr, nil
	}
	text := []rune(expr[1 : len(expr)-1])
	inner := string(text)
	var before, holder strings.Builder
	escape, inFormat, inHolder := false, false, false
	for i, c := range text {
		escaped := escape
		escape = false
		if c == '\\' {
			if escaped {
				before.WriteRune(c)
			} else {
				escape = true
			}
			continue
		}
		if !inHolder {
			switch {
			case c == '{' && !escaped:
				inHolder = true
			case c == '}' && !escaped:
				return "", dateMathErrorf("invalid dynamic name expression [%s]. invalid character at position [%d]. "+
					"`{` and `}` are reserved characters and should be escaped when used as part of the index name using `\\` "+
					"(e.g. `\\{text\\}`)", inner, i+1)
			default:
				before.WriteRune(c)
			}
			continue
		}
		switch {
		case c == '{' && inFormat && escaped:
			holder.WriteRune(c)
		case c == '{' && !inFormat:
			inFormat = true
			holder.WriteRune(c)
		case c == '{':
			return "", dateMathErrorf("invalid dynamic name expression [%s]. invalid character in placeholder at position [%d]", inner, i+1)
		case c == '}' && inFormat && escaped:
			holder.WriteRune(c)
		case c == '}' && inFormat:
			inFormat = false
			holder.WriteRune(c)
		case c == '}':
			s, err := resolvePlaceholder(holder.String(), now)
			if err != nil {
				return "", err
			}
			before.WriteString(s)
			holder.Reset()
			inHolder = false
		default:
			holder.WriteRune(c)
		}
	}
	if inHolder {
		return "", dateMathErrorf("invalid dynamic name expression [%s]. date math placeholder is open ended", inner)
	}
	if before.Len() == 0 {
		return "", dateMathErrorf("nothing captured")
	}
	return before.String(), nil
}

// resolvePlaceholder resolves "math" or "math{format}" or
// "math{format|zone}".
func resolvePlaceholder(p string, now time.Time) (string, error) {
	math, pattern, zone := p, defaultDateMathFormat, "UTC"
	if i := strings.IndexByte(p, '{'); i >= 0 {
		if strings.LastIndexByte(p, '}') != len(p)-1 {
			return "", dateMathErrorf("invalid dynamic name expression [%s]. missing closing `}` for date math format", p)
		}
		if i == len(p)-2 {
			return "", dateMathErrorf("invalid dynamic name expression [%s]. missing date format", p)
		}
		math, pattern = p[:i], p[i+1:len(p)-1]
		if j := strings.IndexByte(pattern, '|'); j >= 0 {
			pattern, zone = pattern[:j], pattern[j+1:]
		}
	}
	loc, err := parseZone(zone)
	if err != nil {
		return "", err
	}
	f, err := compileJavaFormat(pattern)
	if err != nil {
		return "", dateMathErrorf("invalid date format [%s]: %v", pattern, err)
	}
	t, err := evalDateMath(math, now.In(loc))
	if err != nil {
		return "", err
	}
	return f.format(t), nil
}

// evalDateMath evaluates "now" followed by +N unit, -N unit and /unit
// operations (JavaDateMathParser.parseMath, rounding down). Anchors other
// than now ("2024.01.01||+1d") are refused.
func evalDateMath(expr string, now time.Time) (time.Time, error) {
	rest, ok := strings.CutPrefix(expr, "now")
	if !ok {
		return time.Time{}, dateMathErrorf("unsupported date math expression [%s]: only expressions starting with now are supported", expr)
	}
	t := now
	for i := 0; i < len(rest); {
		op := rest[i]
		i++
		if op != '/' && op != '+' && op != '-' {
			return time.Time{}, dateMathErrorf("operator not supported for date math [%s]", rest)
		}
		if i >= len(rest) {
			return time.Time{}, dateMathErrorf("truncated date math [%s]", rest)
		}
		num := 1
		if isDigit(rest[i]) {
			from := i
			for i < len(rest) && isDigit(rest[i]) {
				i++
			}
			if i >= len(rest) {
				return time.Time{}, dateMathErrorf("truncated date math [%s]", rest)
			}
			n, err := strconv.ParseInt(rest[from:i], 10, 32)
			if err != nil {
				return time.Time{}, dateMathErrorf("invalid number in date math [%s]", rest)
			}
			num = int(n)
		}
		if op == '/' && num != 1 {
			return time.Time{}, dateMathErrorf("rounding `/` can only be used on single unit types [%s]", rest)
		}
		unit := rest[i]
		i++
		var err error
		if op == '/' {
			t, err = roundDown(t, unit)
		} else {
			if op == '-' {
				num = -num
			}
			t, err = addUnits(t, unit, num)
		}
		if err != nil {
			return time.Time{}, dateMathErrorf("unit [%c] not supported for date math [%s]", unit, rest)
		}
	}
	return t, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

var errUnit = fmt.Errorf("unit not supported")

func roundDown(t time.Time, unit byte) (time.Time, error) {
	y, mo, d := t.Date()
	loc := t.Location()
	switch unit {
	case 'y':
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc), nil
	case 'M':
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc), nil
	case 'w':
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, mo, d-back, 0, 0, 0, 0, loc), nil
	case 'd':
		return time.Date(y, mo, d, 0, 0, 0, 0, loc), nil
	case 'h', 'H':
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, loc), nil
	case 'm':
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, loc), nil
	case 's':
		return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, loc), nil
	}
	return t, errUnit
}

// addUnits adds n units the java.time way: months and years keep the day
// of month when they can and otherwise clamp it to the month's last day.
func addUnits(t time.Time, unit byte, n int) (time.Time, error) {
	switch unit {
	case 'y':
		return addMonths(t, 12*n), nil
	case 'M':
		return addMonths(t, n), nil
	case 'w':
		return t.AddDate(0, 0, 7*n), nil
	case 'd':
		return t.AddDate(0, 0, n), nil
	case 'h', 'H':
		return t.Add(time.Duration(n) * time.Hour), nil
	case 'm':
		return t.Add(time.Duration(n) * time.Minute), nil
	case 's':
		return t.Add(time.Duration(n) * time.Second), nil
	}
	return t, errUnit
}

func addMonths(t time.Time, n int) time.Time {
	y, mo, d := t.Date()
	first := time.Date(y, mo, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()).AddDate(0, n, 0)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// parseZone reads a time zone as java.time's ZoneId.of does for the common
// forms: Z, UTC, GMT, UT, offsets (+1, +01, +01:00, +0100, +01:00:00), the
// same after UTC/GMT/UT, and region names (from the system's zone data).
func parseZone(s string) (*time.Location, error) {
	switch s {
	case "Z", "UTC", "GMT", "UT":
		return time.UTC, nil
	}
	for _, prefix := range []string{"UTC", "GMT", "UT"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && rest != "" && (rest[0] == '+' || rest[0] == '-') {
			return parseOffset(s, rest)
		}
	}
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return parseOffset(s, s)
	}
	if loc, err := time.LoadLocation(s); err == nil && s != "" && s != "Local" {
		return loc, nil
	}
	return nil, dateMathErrorf("unknown time zone [%s]", s)
}

func parseOffset(name, s string) (*time.Location, error) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(s[1:], ":", "")
	var h, m, sec int
	var err error
	switch len(digits) {
	case 1, 2:
		h, err = strconv.Atoi(digits)
	case 4:
		h, err = strconv.Atoi(digits[:2])
		if err == nil {
			m, err = strconv.Atoi(digits[2:])
		}
	case 6:
		h, err = strconv.Atoi(digits[:2])
		if err == nil {
			m, err = strconv.Atoi(digits[2:4])
		}
		if err == nil {
			sec, err = strconv.Atoi(digits[4:])
		}
	default:
		err = errUnit
	}
	if err != nil || h > 18 || m > 59 || sec > 59 || strings.ContainsAny(digits, "+-") {
		return nil, dateMathErrorf("invalid time zone offset [%s]", name)
	}
	return time.FixedZone(name, sign*(h*3600+m*60+sec)), nil
}

// ResolveDateMath resolves an index name written in date math
// ("<logs-{now/d}>") at now, as the cluster does; other names are
// returned unchanged.
func ResolveDateMath(name string, now time.Time) (string, error) {
	if !isDateMath(name) {
		return name, nil
	}
	return resolveDateMath(name, now)
}
