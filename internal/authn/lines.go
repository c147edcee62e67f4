package authn

import (
	"strings"
	"unicode/utf8"
)

// splitLines splits like Java's Files.readAllLines, which Elasticsearch uses:
// "\n", "\r\n" and a lone "\r" all end a line, and a final terminator does
// not start an extra empty line.
func splitLines(data string) []string {
	var lines []string
	for len(data) > 0 {
		i := strings.IndexAny(data, "\r\n")
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return lines
}

// trimJava trims like Java's String.trim(): every character up to and
// including the space, control characters included.
func trimJava(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// firstInvalidUTF8Line returns the 1-based line holding invalid UTF-8, or 0.
// Elasticsearch reads these files as strict UTF-8 and drops the whole file
// when decoding fails; we do the same and say where.
func firstInvalidUTF8Line(data []byte) int {
	if utf8.Valid(data) {
		return 0
	}
	for n, line := range splitLines(string(data)) {
		if !utf8.ValidString(line) {
			return n + 1
		}
	}
	return 1
}

// isSkippable reports blank lines and comments. Elasticsearch only treats a
// '#' in the first column as a comment; we also accept indented comments,
// which can only load fewer entries than Elasticsearch, never more.
func isSkippable(trimmed string) bool {
	return trimmed == "" || trimmed[0] == '#'
}
