package authz

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// javaFormat is a compiled java.time DateTimeFormatter pattern, the subset
// that makes sense in index names: years (u, y, Y), months (M, L), days (d,
// D), week of week-based year (w), day of week (E), am/pm (a), hours (H, k,
// h, K), minutes (m), seconds (s), fractions (S), quoted literals and any
// other non-letter character. Week fields follow ISO rules (weeks start on
// Monday, the first week has at least four days), as Elasticsearch's root
// locale does. Anything else is refused: the resolved name must be exactly
// the one Elasticsearch would compute, or the request fails.
type javaFormat struct {
	parts []javaPart
}

type javaPart struct {
	letter rune   // 0 for a literal
	count  int    // letters in the run
	text   string // the literal
}

// compileJavaFormat compiles a DateTimeFormatter pattern.
func compileJavaFormat(pattern string) (javaFormat, error) {
	if pattern == "" {
		return javaFormat{}, fmt.Errorf("empty date format")
	}
	var f javaFormat
	rs := []rune(pattern)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case c == '\'':
			lit, n, err := quotedLiteral(rs[i:])
			if err != nil {
				return javaFormat{}, err
			}
			f.parts = append(f.parts, javaPart{text: lit})
			i += n
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			n := 1
			for i+n < len(rs) && rs[i+n] == c {
				n++
			}
			if err := checkJavaLetter(c, n); err != nil {
				return javaFormat{}, err
			}
			f.parts = append(f.parts, javaPart{letter: c, count: n})
			i += n
		case c == '[' || c == ']' || c == '{' || c == '}' || c == '#':
			return javaFormat{}, fmt.Errorf("unsupported character [%c] in date format [%s]", c, pattern)
		default:
			f.parts = append(f.parts, javaPart{text: string(c)})
			i++
		}
	}
	return f, nil
}

// quotedLiteral reads 'text' (” is a quote) from the start of rs.
func quotedLiteral(rs []rune) (string, int, error) {
	if len(rs) > 1 && rs[1] == '\'' {
		return "'", 2, nil
	}
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if rs[i] != '\'' {
			b.WriteRune(rs[i])
			continue
		}
		if i+1 < len(rs) && rs[i+1] == '\'' {
			b.WriteRune('\'')
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("pattern ends with an incomplete string literal")
}

// checkJavaLetter accepts the supported letters with the counts java.time
// accepts for them.
func checkJavaLetter(c rune, n int) error {
	maxCount := map[rune]int{'u': 19, 'y': 19, 'Y': 19, 'M': 5, 'L': 5, 'd': 2, 'D': 3, 'w': 2, 'E': 5,
		'a': 1, 'H': 2, 'k': 2, 'h': 2, 'K': 2, 'm': 2, 's': 2, 'S': 9}
	limit, ok := maxCount[c]
	if !ok {
		return fmt.Errorf("unsupported pattern letter [%c] in date format", c)
	}
	if n > limit {
		return fmt.Errorf("too many pattern letters: %c", c)
	}
	return nil
}

var (
	shortMonths = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	shortDays   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
)

// format renders t (already in the wanted zone).
func (f javaFormat) format(t time.Time) string {
	var b strings.Builder
	for _, p := range f.parts {
		if p.letter == 0 {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(formatJavaField(t, p.letter, p.count))
	}
	return b.String()
}

func formatJavaField(t time.Time, c rune, n int) string {
	switch c {
	case 'u', 'y':
		return javaYear(t.Year(), n)
	case 'Y':
		y, _ := t.ISOWeek()
		return javaYear(y, n)
	case 'M', 'L':
		return javaMonth(t.Month(), n)
	case 'd':
		return pad(t.Day(), n)
	case 'D':
		return pad(t.YearDay(), n)
	case 'w':
		_, w := t.ISOWeek()
		return pad(w, n)
	case 'E':
		return javaWeekday(t.Weekday(), n)
	case 'a':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'H':
		return pad(t.Hour(), n)
	case 'k':
		return pad(cmp.Or(t.Hour(), 24), n)
	case 'h':
		return pad(cmp.Or(t.Hour()%12, 12), n)
	case 'K':
		return pad(t.Hour()%12, n)
	case 'm':
		return pad(t.Minute(), n)
	case 's':
		return pad(t.Second(), n)
	case 'S':
		return fmt.Sprintf("%09d", t.Nanosecond())[:n]
	}
	return ""
}

// javaYear: two letters print the last two digits; otherwise at least n
// digits, with a sign beyond four digits for n < 4 as java.time does for
// years outside 0..9999.
func javaYear(y, n int) string {
	if n == 2 {
		return pad(((y%100)+100)%100, 2)
	}
	s := pad(abs(y), n)
	switch {
	case y < 0:
		return "-" + s
	case n >= 4 && y > 9999:
		return "+" + s
	}
	return s
}

func javaMonth(m time.Month, n int) string {
	switch n {
	case 1, 2:
		return pad(int(m), n)
	case 3:
		return shortMonths[m-1]
	case 4:
		return m.String()
	}
	return m.String()[:1]
}

func javaWeekday(d time.Weekday, n int) string {
	switch {
	case n <= 3:
		return shortDays[d]
	case n == 4:
		return d.String()
	}
	return d.String()[:1]
}

func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
