package filterpath

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// firstWrites records how much of the input had been read when the output
// reached each size.
type firstWrites struct {
	in       *countingReader
	written  int
	readAtMB int // input read when 1 MiB of output was written (-1: never)
}

func (w *firstWrites) Write(p []byte) (int, error) {
	w.written += len(p)
	if w.readAtMB < 0 && w.written >= 1<<20 {
		w.readAtMB = w.in.n
	}
	return len(p), nil
}

// TestApplyStreams: a value that a path selects whole (filter_path=hits
// on a large search answer) is copied as it is read, never held whole:
// the answer's first megabyte leaves before the last is read.
func TestApplyStreams(t *testing.T) {
	var doc strings.Builder
	doc.WriteString(`{"took":1,"hits":{"total":1,"hits":[`)
	for i := 0; doc.Len() < 16<<20; i++ {
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `{"_id":"%d","_source":{"text":"%s"}}`, i, strings.Repeat("x", 1000))
	}
	doc.WriteString(`]}}`)
	for _, filter := range []string{"hits", "*", "hits.hits", "-took", "hits.hits._source"} {
		f, err := Compile(filter)
		if err != nil {
			t.Fatal(err)
		}
		in := &countingReader{r: strings.NewReader(doc.String())}
		out := &firstWrites{in: in, readAtMB: -1}
		if err := f.Apply(out, in); err != nil {
			t.Fatal(err)
		}
		if out.readAtMB < 0 || out.readAtMB > 4<<20 {
			t.Errorf("filter_path=%s: %d bytes of a %d-byte answer read before the first MiB was written", filter, out.readAtMB, doc.Len())
		}
	}
}
