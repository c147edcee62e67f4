package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sealedLines returns n sealed records (with their newlines) of a fresh
// chain, as a closed FileLog writes them.
func sealedLines(t *testing.T, n int) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.json")
	l := openReal(t, path, nil)
	appendN(t, l, 0, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := lines(readAll(t, path))
	for i := range out {
		out[i] += "\n"
	}
	return out
}

func nuls(n int) string { return strings.Repeat("\x00", n) }

// At startup a trailing NUL run (a crashed preallocated file) is trimmed
// before the chain is recovered; a NUL before the last record is not
// touched, and verify still reports it.
func TestStartupTrimsNULTail(t *testing.T) {
	recs := sealedLines(t, 3)
	all := strings.Join(recs, "")
	torn := recs[2][:len(recs[2])/2]
	tests := []struct {
		name      string
		content   string
		wantAfter string // the file after opening
		wantOK    bool   // the chain verifies after one more append
	}{
		{"NUL tail", all + nuls(70000), all, true},
		{"torn record then NULs", recs[0] + recs[1] + torn + nuls(5000), recs[0] + recs[1], true},
		{"only NULs", nuls(4096), "", true},
		// A power loss can leave zero blocks inside the last, never
		// acknowledged batch: it is cut back to its last complete record.
		{"gap in the last batch", recs[0] + recs[1][:10] + nuls(100) + recs[2] + nuls(300), recs[0], true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			l := openReal(t, path, nil)
			if got := string(readAll(t, path)); got != tc.wantAfter {
				t.Fatalf("after opening the file is %q…, want %q…", head(got), head(tc.wantAfter))
			}
			appendN(t, l, 10, 1)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(path)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() != tc.wantOK {
				t.Fatalf("verify OK=%v, want %v: %+v", rep.OK(), tc.wantOK, rep.Break)
			}
		})
	}
}

func head(s string) string { return s[:min(len(s), 40)] }

// Verify treats a trailing NUL run as the end of the file (a running
// proxy's active file has one) and anything else with NULs as broken.
func TestVerifyNULTail(t *testing.T) {
	recs := sealedLines(t, 3)
	all := strings.Join(recs, "")
	tests := []struct {
		name      string
		content   string
		wantBreak int // line; 0: the chain holds
		records   int
	}{
		{"NUL tail", all + nuls(300000), 0, 3},
		{"only NULs", nuls(10), 0, 0},
		{"incomplete record then NULs", all + `{"type":"audit","times` + nuls(10), 4, 3},
		{"NUL in the middle", recs[0] + nuls(8) + recs[1] + recs[2], 2, 1},
		{"NUL line", all + nuls(8) + "\n", 4, 3},
		{"NUL inside a record", recs[0] + recs[1][:20] + "\x00" + recs[1][21:] + recs[2], 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBytes(nil, []byte(tc.content))
			switch {
			case tc.wantBreak == 0 && !rep.OK():
				t.Fatalf("verify broke: %s", rep.Break)
			case tc.wantBreak != 0 && (rep.OK() || rep.Break.Line != tc.wantBreak):
				t.Fatalf("verify break %+v, want line %d", rep.Break, tc.wantBreak)
			case rep.Records != tc.records:
				t.Fatalf("%d records verified, want %d", rep.Records, tc.records)
			}
		})
	}
}

// A tailer reading the active file from disk (no watermark) stops at the
// preallocated zeros and, once a record overwrites them, reads it: bytes
// read as zeros must not be kept in place of the record.
func TestTailerStopsAtNULTail(t *testing.T) {
	recs := sealedLines(t, 3)
	path := filepath.Join(t.TempDir(), "audit.json")
	if err := os.WriteFile(path, []byte(recs[0]+recs[1]+nuls(70000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tl := newTailer(path, nil, Cursor{})
	defer tl.close()
	got, err := tl.read(100, 1<<20)
	if err != nil || len(got) != 2 || got[1].seq != 2 {
		t.Fatalf("read %d records (%v), want 2", len(got), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(recs[2]), int64(len(recs[0])+len(recs[1]))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err = tl.read(100, 1<<20)
	if err != nil || len(got) != 1 || string(got[0].data)+"\n" != recs[2] {
		t.Fatalf("after the overwrite read %d records (%v), want record 3", len(got), err)
	}
}

// An active file holding nothing but preallocated space has no first
// record yet: the tailer waits instead of failing.
func TestTailerWaitsOnAllNULFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	if err := os.WriteFile(path, []byte(nuls(70000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tl := newTailer(path, nil, Cursor{})
	defer tl.close()
	if got, err := tl.read(100, 1<<20); err != nil || len(got) != 0 {
		t.Fatalf("read %d records, err %v; want none and no error", len(got), err)
	}
}

// A copy of a running log's active file (what kill -9 leaves: records,
// then the preallocated zeros) reopens where the chain stopped.
func TestRestartFromLiveFile(t *testing.T) {
	live := filepath.Join(t.TempDir(), "audit.json")
	preallocated := func(o *FileLogOptions) { o.PreallocateBytes = MinPreallocateBytes }
	l := openReal(t, live, preallocated)
	appendN(t, l, 0, 5)
	data, err := os.ReadFile(live)
	if err != nil {
		t.Fatal(err)
	}
	if !isNULRun(data[len(data)-1:]) {
		t.Fatal("the live file has no preallocated tail: nothing to test")
	}
	crashed := filepath.Join(t.TempDir(), "audit.json")
	if err := os.WriteFile(crashed, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := openReal(t, crashed, preallocated)
	if wm := r.Watermark(); wm.Seq != 5 || wm.FileSeq != 1 {
		t.Fatalf("recovered watermark %+v, want seq 5 in file 1", wm)
	}
	appendN(t, r, 5, 2)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(crashed)
	if err != nil || !rep.OK() || rep.Records != 7 {
		t.Fatalf("verify after the restart: %+v %v", rep, err)
	}
}

// Only the last batch can be torn: a gap further from the end than one
// batch is not cut (recovery and verify report it), a gap inside it is,
// back to the last newline before it.
func TestEndBeforeTornBatch(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	far := strings.Repeat(line, 10) + nuls(5) + strings.Repeat(line, maxTornBatch/len(line)+10)
	tests := []struct {
		name    string
		content string
		want    int64
	}{
		{"no gap", line + line, int64(2 * len(line))},
		{"gap after two records", line + line + "{\"partial" + nuls(7) + line, int64(2 * len(line))},
		{"gap at the batch start", line + nuls(20) + line, int64(len(line))},
		{"gap before any newline", "{\"partial" + nuls(3) + line, 0},
		{"gap further back than a batch", far, int64(len(far))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := endBeforeTornBatch(strings.NewReader(tc.content), int64(len(tc.content)))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("end %d, want %d", got, tc.want)
			}
		})
	}
}
