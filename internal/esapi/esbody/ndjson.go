package esbody

import (
	"bytes"
	"fmt"
)

// ndLine is one line of an NDJSON body, split the way Elasticsearch splits
// _bulk and _msearch bodies.
type ndLine struct {
	num   int    // 1-based line number
	start int    // byte offset of the line within the body
	text  []byte // the line without its terminating '\n'
}

// splitLines cuts data at every '\n' and nothing else: Elasticsearch's
// BulkRequestParser and MultiSearchRequest use the JSON stream separator
// '\n' only. A '\r' before it stays in the line, where JSON treats it as
// whitespace, so CRLF bodies parse the same on both sides.
//
// Elasticsearch refuses a body whose last line is not terminated ("The bulk
// request must be terminated by a newline [\n]"), even when that last piece
// is only whitespace; so do we, with the same message. api is "bulk" or
// "msearch".
func splitLines(data []byte, api string) ([]ndLine, *Error) {
	lines := make([]ndLine, 0, bytes.Count(data, []byte{'\n'}))
	start := 0
	for num := 1; start < len(data); num++ {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			e := newError(400, TypeIllegalArgument,
				fmt.Sprintf(`The %s request must be terminated by a newline [\n] (line [%d] at byte offset %d is not)`, api, num, start))
			e.Line, e.Offset = num, int64(start)
			return nil, e
		}
		lines = append(lines, ndLine{num: num, start: start, text: data[start : start+i]})
		start += i + 1
	}
	return lines, nil
}

// isBlank reports whether a line holds no JSON token at all, only JSON
// whitespace. Jackson returns no token for such a line, which is what makes
// Elasticsearch skip a blank bulk action line.
func isBlank(line []byte) bool {
	return len(bytes.Trim(line, " \t\r\n")) == 0
}

// parseLineObject parses one NDJSON line as a strict JSON object with p
// (shared by all lines of a body) and anchors any error at the line.
func parseLineObject(p *parser, l ndLine) (*Object, *Error) {
	o, err := p.parseObject(l.text)
	if err != nil {
		return nil, atLine(err, l.num, l.start)
	}
	return o, nil
}
