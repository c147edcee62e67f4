package audit

import "time"

// appendTimestamp appends t in TimestampLayout. It is what
// t.AppendFormat(b, TimestampLayout) produces, digit by digit: the layout
// is fixed, and the general formatter, which interprets the layout on
// every call, was the costliest part of encoding a record.
func appendTimestamp(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	_, offset := t.Zone()
	if year < 0 || year > 9999 || offset%60 != 0 {
		// Outside four digits, or an offset in seconds (historic local
		// mean times): the general formatter's rendering stays the rule.
		return t.AppendFormat(b, TimestampLayout)
	}
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, ',')
	b = appendDigits(b, t.Nanosecond()/int(time.Millisecond), 3)
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = append(b, sign)
	b = appendDigits(b, offset/3600, 2)
	return appendDigits(b, offset%3600/60, 2)
}

// appendDigits appends the non-negative v zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var buf [4]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}
