package fls

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"testing"
)

// TestSpecialBytes checks the word test against the byte table: every
// byte value in every position, among plain bytes or copies of itself, and
// the first special byte it finds.
func TestSpecialBytes(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			for _, fill := range []int{'a', ' ', '~', '!', '#', '[', 0, 0x1f, '"', '\\', 0x80, 0xff, -1} {
				var b [8]byte
				for i := range b {
					if fill < 0 {
						b[i] = byte(c)
					} else {
						b[i] = byte(fill)
					}
				}
				b[pos] = byte(c)
				first := 8
				for i, x := range b {
					if !plainString[x] {
						first = i
						break
					}
				}
				m := specialBytes(binary.LittleEndian.Uint64(b[:]))
				got := 8
				if m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != first {
					t.Fatalf("%q: first special byte at %d, word test says %d", b, first, got)
				}
			}
		}
	}
}

// zeroReader returns nothing, forever, without an error.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// failingWriter fails every write.
type failingWriter struct{ calls int }

func (w *failingWriter) Write([]byte) (int, error) {
	w.calls++
	return 0, errTest
}

func TestLexerAndWriterFailures(t *testing.T) {
	f := &Filter{Policy: Views{}}
	if err := f.Search(io.Discard, zeroReader{}); err == nil {
		t.Error("a reader that never progresses was accepted")
	}
	// A client that went away stops the filtering early.
	w := &failingWriter{}
	err := f.Search(w, newSearchResponseReader(200000))
	if !errors.Is(err, errTest) {
		t.Errorf("write error not reported: %v", err)
	}
	if w.calls != 1 {
		t.Errorf("%d writes after the first failure", w.calls-1)
	}
}

func TestScanStringEscapes(t *testing.T) {
	tests := []struct {
		in   string
		want scanStatus
	}{
		{`"plain"`, scanOK},
		{`"a\"b\\c\/d\b\f\n\r\t"`, scanOK},
		{`"\u00e9\u00E9"`, scanOK},
		{`"\ud83d\ude00"`, scanOK},
		{`"\ud83d"`, scanInvalid},
		{`"\ude00"`, scanInvalid},
		{`"\ud83d\u0041"`, scanInvalid},
		{`"\ud83dx"`, scanInvalid},
		{`"\x"`, scanInvalid},
		{`"\u00g0"`, scanInvalid},
		{"\"a\tb\"", scanInvalid},
		{"\"\xc3\xa9\"", scanOK},
		{"\"\xc3\"", scanInvalid},
		{"\"\xed\xa0\x80\"", scanInvalid},
		{`"\u00e`, scanMore},
		{`"\ud83d\ud`, scanMore},
		{"\"\xc3", scanMore},
		{`"abc`, scanMore},
	}
	for _, tt := range tests {
		if _, got := scanString([]byte(tt.in)); got != tt.want {
			t.Errorf("scanString(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSmallExports(t *testing.T) {
	for name, want := range map[string]bool{"_id": true, "_source": true, "_field_names": false, "_ignored": false, "id": false} {
		if IsMetadataField(name) != want {
			t.Errorf("IsMetadataField(%q) != %v", name, want)
		}
	}
	for k, want := range map[FieldKind]string{KindUnmapped: "unmapped", KindObject: "object", KindNested: "nested",
		KindLeaf: "leaf", KindMultiField: "multi-field", KindAlias: "alias", KindRuntime: "runtime"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
	v := NewView(nil, nil)
	p := PolicyFunc(func(index string) (*View, bool) { return v, index == "a" })
	if got, ok := p.View("a"); !ok || got != v {
		t.Error("PolicyFunc does not pass the view through")
	}
	if _, ok := p.View("b"); ok {
		t.Error("PolicyFunc knows b")
	}
}
