package audit

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLog writes n records with the given key (rotating every ~rotate
// bytes when rotate > 0) and returns the files, oldest first.
func writeLog(t *testing.T, n int, key []byte, rotate int64, compress bool) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.json")
	l := openReal(t, path, func(o *FileLogOptions) {
		o.HMACKey = key
		if rotate > 0 {
			o.Rotate = RotateConfig{MaxBytes: rotate, Compress: compress}
		}
	})
	appendN(t, l, 0, n)
	if compress {
		waitFor(t, "compression", func() bool {
			fs := logFiles(t, path)
			for _, f := range fs[:len(fs)-1] {
				if !strings.HasSuffix(f, ".gz") {
					return false
				}
			}
			return true
		})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return logFiles(t, path)
}

// editLines rewrites a plain file line by line.
func editLines(t *testing.T, path string, edit func([]string) []string) {
	t.Helper()
	ls := lines(readAll(t, path))
	out := strings.Join(edit(ls), "\n") + "\n"
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name       string
		tamper     func(t *testing.T, files []string) []string
		wantFile   int // index in files of the break, -1: last given
		wantLine   int
		wantReason string
	}{
		{
			name:   "intact",
			tamper: func(t *testing.T, fs []string) []string { return fs },
		},
		{
			name: "modified line",
			tamper: func(t *testing.T, fs []string) []string {
				editLines(t, fs[0], func(ls []string) []string {
					ls[3] = strings.Replace(ls[3], `"user.name":"alice"`, `"user.name":"mallory"`, 1)
					return ls
				})
				return fs
			},
			wantLine: 4, wantReason: "record modified",
		},
		{
			name: "modified and re-hashed line (no HMAC key)",
			tamper: func(t *testing.T, fs []string) []string {
				editLines(t, fs[0], func(ls []string) []string {
					body := strings.Replace(ls[3], `"user.name":"alice"`, `"user.name":"mallory"`, 1)
					rec, _ := parseSealed([]byte(body))
					ls[3] = string(newHasher(nil).hexSum([]byte(string(rec.hashed)+hashKey), rec.hashed)) + `"}`
					return ls
				})
				return fs
			},
			wantLine: 5, wantReason: "chain.prev does not match",
		},
		{
			name: "deleted line",
			tamper: func(t *testing.T, fs []string) []string {
				editLines(t, fs[0], func(ls []string) []string { return append(ls[:5:5], ls[6:]...) })
				return fs
			},
			wantLine: 6, wantReason: "record 6 missing",
		},
		{
			name: "reordered pair",
			tamper: func(t *testing.T, fs []string) []string {
				editLines(t, fs[0], func(ls []string) []string { ls[2], ls[3] = ls[3], ls[2]; return ls })
				return fs
			},
			wantLine: 3, wantReason: "missing",
		},
		{
			name: "duplicated line",
			tamper: func(t *testing.T, fs []string) []string {
				editLines(t, fs[0], func(ls []string) []string { return append(ls[:3:3], ls[2:]...) })
				return fs
			},
			wantLine: 4, wantReason: "out of order or duplicated",
		},
		{
			name: "truncated file",
			tamper: func(t *testing.T, fs []string) []string {
				b := readAll(t, fs[0])
				os.WriteFile(fs[0], b[:len(b)-40], 0o600)
				return fs
			},
			wantLine: 10, wantReason: "incomplete record",
		},
		{
			name: "inserted foreign line",
			tamper: func(t *testing.T, fs []string) []string {
				editLines(t, fs[0], func(ls []string) []string {
					return append(ls[:2:2], append([]string{`{"type":"audit","timestamp":"2026-11-27T10:51:09,964+0000","event.action":"access_granted"}`}, ls[2:]...)...)
				})
				return fs
			},
			wantLine: 3, wantReason: "no chain fields",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := writeLog(t, 10, nil, 0, false)
			files = tt.tamper(t, files)
			rep, err := Verify(files...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantReason == "" {
				if !rep.OK() || rep.Records != 10 || rep.FirstSeq != 1 || rep.LastSeq != 10 {
					t.Fatalf("intact log: %+v %v", rep, rep.Break)
				}
				return
			}
			if rep.OK() {
				t.Fatalf("tampering not detected: %+v", rep)
			}
			b := rep.Break
			if b.File != files[0] || b.Line != tt.wantLine || !strings.Contains(b.Reason, tt.wantReason) {
				t.Fatalf("break = %s, want %s:%d: …%s…", b, files[0], tt.wantLine, tt.wantReason)
			}
			if rep.Records != tt.wantLine-1 {
				t.Fatalf("%d records verified before the break at line %d", rep.Records, tt.wantLine)
			}
		})
	}
}

func TestVerifyAcrossRotatedFiles(t *testing.T) {
	t.Run("missing rotated file", func(t *testing.T) {
		files := writeLog(t, 30, nil, 1500, true)
		if len(files) < 4 {
			t.Fatalf("files: %v", files)
		}
		given := append([]string{files[0]}, files[2:]...)
		rep, err := Verify(given...)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || rep.Break.File != files[2] || rep.Break.Line != 1 || !strings.Contains(rep.Break.Reason, "a rotated file is missing") {
			t.Fatalf("break = %v", rep.Break)
		}
	})
	t.Run("files out of order", func(t *testing.T) {
		files := writeLog(t, 30, nil, 1500, false)
		given := append([]string{files[1], files[0]}, files[2:]...)
		rep, _ := Verify(given...)
		if rep.OK() || rep.Break.File != files[0] || rep.Break.Line != 1 || !strings.Contains(rep.Break.Reason, "out of order") {
			t.Fatalf("break = %v", rep.Break)
		}
	})
	t.Run("only the newest files: anchored, OK", func(t *testing.T) {
		files := writeLog(t, 30, nil, 1500, true)
		rep, err := Verify(files[1:]...)
		if err != nil || !rep.OK() || rep.FirstSeq == 1 || rep.LastSeq != 30 {
			t.Fatalf("%+v %v %v", rep, rep.Break, err)
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		files := writeLog(t, 30, nil, 1500, true)
		b, _ := os.ReadFile(files[0])
		os.WriteFile(files[0], b[:len(b)/2], 0o600)
		rep, err := Verify(files...)
		if err != nil || rep.OK() || rep.Break.File != files[0] || !strings.Contains(rep.Break.Reason, "truncated") {
			t.Fatalf("%+v %v %v", rep, rep.Break, err)
		}
	})
	t.Run("gzip of a tampered file", func(t *testing.T) {
		files := writeLog(t, 30, nil, 1500, true)
		data := bytes.Replace(readAll(t, files[1]), []byte(`"alice"`), []byte(`"alicf"`), 1)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		os.WriteFile(files[1], buf.Bytes(), 0o600)
		rep, _ := Verify(files...)
		if rep.OK() || rep.Break.File != files[1] || rep.Break.Line != 1 || !strings.Contains(rep.Break.Reason, "modified") {
			t.Fatalf("break = %v", rep.Break)
		}
	})
	t.Run("unreadable file", func(t *testing.T) {
		files := writeLog(t, 3, nil, 0, false)
		if _, err := Verify(append(files, files[0]+".nope")...); err == nil {
			t.Fatal("no error for a missing file")
		}
	})
}

func TestVerifyHMAC(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	files := writeLog(t, 5, key, 0, false)
	if rep, err := VerifyWithKey(key, files...); err != nil || !rep.OK() || rep.Records != 5 {
		t.Fatalf("with key: %+v %v %v", rep, rep.Break, err)
	}
	rep, _ := Verify(files...)
	if rep.OK() || !strings.Contains(rep.Break.Reason, "HMAC") {
		t.Fatalf("without key: %v", rep.Break)
	}
	rep, _ = VerifyWithKey(bytes.Repeat([]byte("x"), 32), files...)
	if rep.OK() || !strings.Contains(rep.Break.Reason, "wrong HMAC key") {
		t.Fatalf("wrong key: %v", rep.Break)
	}
}

func TestParseSealedRejects(t *testing.T) {
	good := string(newHasherLine(t))
	tests := map[string]string{
		"no chain":          `{"type":"audit"}`,
		"short hash":        strings.Replace(good, good[len(good)-66:len(good)-2], "abc", 1),
		"uppercase hash":    good[:len(good)-66] + strings.ToUpper(good[len(good)-66:len(good)-2]) + `"}`,
		"seq zero":          strings.Replace(good, `"chain.seq":1,`, `"chain.seq":0,`, 1),
		"seq not a number":  strings.Replace(good, `"chain.seq":1,`, `"chain.seq":x,`, 1),
		"missing chain.seq": strings.Replace(good, `,"chain.seq":1`, ``, 1),
	}
	for name, line := range tests {
		if _, err := parseSealed([]byte(line)); err == nil {
			t.Errorf("%s: accepted %s", name, line)
		}
	}
	if _, err := parseSealed([]byte(good)); err != nil {
		t.Fatal(err)
	}
}

func newHasherLine(t *testing.T) []byte {
	t.Helper()
	b, _ := newHasher(nil).appendSealed(nil, appendEventFieldsAt(nil, testEvent(1), testEvent(1).Time), genesis())
	return bytes.TrimSuffix(b, []byte("\n"))
}
