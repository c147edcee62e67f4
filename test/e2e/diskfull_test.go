package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The audit file system really fails in these tests. As root (CI runs as
// root) the audit folder is a small tmpfs the test mounts and fills with a
// ballast file: the proxy's writes get ENOSPC, and deleting the ballast
// gives the space back. Where mounting is not permitted, the proxy's
// RLIMIT_FSIZE is lowered to the audit file's size with prlimit(2): its
// next append fails with EFBIG (the Go runtime ignores SIGXFSZ, so the
// write returns the error instead of killing the process), and raising the
// limit again is the space coming back. Either way the failure happens in
// the kernel under the real binary; nothing is simulated inside the proxy.
// E2E_AUDIT_FAULT=rlimit forces the second way.

// auditFS is the audit folder and the way to make it fail.
type auditFS struct {
	t       *testing.T
	Dir     string
	tmpfs   bool
	ballast string
	pid     int // the proxy, for the rlimit fallback
}

// newAuditFS prepares the folder the audit file will live in.
func newAuditFS(t *testing.T) *auditFS {
	t.Helper()
	fs := &auditFS{t: t, Dir: t.TempDir()}
	err := errors.New("E2E_AUDIT_FAULT=rlimit")
	if os.Getenv("E2E_AUDIT_FAULT") != "rlimit" {
		err = syscall.Mount("tmpfs", fs.Dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=1m,mode=0700")
	}
	if err == nil {
		fs.tmpfs = true
		fs.ballast = filepath.Join(fs.Dir, "ballast")
		// Registered before the proxy starts, so it runs after the proxy's
		// cleanup has killed it.
		t.Cleanup(func() {
			if err := syscall.Unmount(fs.Dir, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmounting %s: %v", fs.Dir, err)
			}
		})
		t.Logf("audit folder: a 1 MiB tmpfs at %s", fs.Dir)
		return fs
	}
	t.Logf("cannot mount a tmpfs (%v): using RLIMIT_FSIZE on the proxy instead", err)
	return fs
}

// attach names the proxy process whose limit the fallback changes.
func (fs *auditFS) attach(p *proxy) { fs.pid = p.cmd.Process.Pid }

// exhaust makes further writes to the audit file fail.
func (fs *auditFS) exhaust() {
	fs.t.Helper()
	if !fs.tmpfs {
		st, err := os.Stat(filepath.Join(fs.Dir, "audit.json"))
		if err != nil {
			fs.t.Fatal(err)
		}
		setFileSizeLimit(fs.t, fs.pid, uint64(st.Size()))
		return
	}
	f, err := os.OpenFile(fs.ballast, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		fs.t.Fatal(err)
	}
	defer f.Close()
	for chunk := 64 << 10; chunk > 0; chunk /= 2 {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					fs.t.Fatalf("filling the tmpfs: %v", err)
				}
				break
			}
		}
	}
}

// restore gives the space back.
func (fs *auditFS) restore() {
	fs.t.Helper()
	if !fs.tmpfs {
		setFileSizeLimit(fs.t, fs.pid, ^uint64(0)) // RLIM_INFINITY
		return
	}
	if err := os.Remove(fs.ballast); err != nil {
		fs.t.Fatal(err)
	}
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid (capped by
// its hard limit, which is left alone so that no privilege is needed).
func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	t.Helper()
	var old syscall.Rlimit
	prlimit(t, pid, nil, &old)
	prlimit(t, pid, &syscall.Rlimit{Cur: min(limit, old.Max), Max: old.Max}, nil)
}

// prlimit is prlimit(2) on RLIMIT_FSIZE (the syscall package has no
// wrapper for another process).
func prlimit(t *testing.T, pid int, set, old *syscall.Rlimit) {
	t.Helper()
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE,
		uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 0, 0)
	if errno != 0 {
		t.Fatalf("prlimit(%d, RLIMIT_FSIZE): %v", pid, errno)
	}
}

// metricValue reads one sample of the proxy's /metrics (0 when absent).
func (p *proxy) metricValue(t *testing.T, sample string) float64 {
	t.Helper()
	resp, err := http.Get(p.Metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("metric %s: %v", sample, err)
	}
	return v
}

// grantedIDs reads the request.id of every access_granted record of an
// audit file.
func grantedIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %v: %q", err, sc.Text())
		}
		if ev["event.action"] == "access_granted" {
			ids[fmt.Sprint(ev["request.id"])] = true
		}
	}
	return ids
}

// isAuditUnavailable says whether r is the proxy's fail-closed answer.
func isAuditUnavailable(r result) bool {
	var body struct {
		Error struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
		Status int `json:"status"`
	}
	return r.Status == http.StatusServiceUnavailable && json.Unmarshal([]byte(r.Body), &body) == nil &&
		body.Status == 503 && body.Error.Type == "security_exception" &&
		strings.Contains(body.Error.Reason, "audit trail cannot be written")
}

// TestAuditDiskFull: when the audit file system fails, every request is
// refused with 503 in Elasticsearch's error shape, refusals (401/403)
// included, and nothing reaches the cluster; every request that was
// forwarded has its record; once space returns the proxy serves again, and
// the chain verifies (issue #5's disk-full test).
func TestAuditDiskFull(t *testing.T) {
	fs := newAuditFS(t)
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "viewer:reader\n"
	o.AuditFile = filepath.Join(fs.Dir, "audit.json")
	p := startProxy(t, o)
	fs.attach(p)
	p.waitReady()
	c := p.client(nil)
	forwarded := map[string]bool{}
	get := func() result {
		r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil)
		if r.Status == 200 {
			forwarded[r.Header.Get("X-Request-Id")] = true
		}
		return r
	}
	if r := get(); r.Status != 200 {
		t.Fatalf("before the failure: %d %s", r.Status, r.Body)
	}

	fs.exhaust()
	// Records may still fit in the file's last page of the tmpfs: the
	// failure shows within a few requests.
	failedAt := -1
	for i := 0; i < 100 && failedAt < 0; i++ {
		if r := get(); isAuditUnavailable(r) {
			failedAt = i
		} else if r.Status != 200 {
			t.Fatalf("request %d while the disk fills: %d %s", i, r.Status, r.Body)
		}
	}
	if failedAt < 0 {
		t.Fatal("no 503 after 100 requests on a full file system")
	}
	before := up.Count()
	refusals := []struct {
		name             string
		method, path     string
		user, pass, body string
	}{
		{"granted", "GET", "/_cluster/health", u.Name, u.Password, ""},
		{"would be 403", "PUT", "/_cluster/settings", "reader", u.Password, "{}"},
		{"would be 401", "GET", "/", "mallory", "guess", ""},
		{"write", "PUT", "/idx/_doc/1", u.Name, u.Password, `{"f":1}`},
	}
	for _, tc := range refusals {
		var body io.Reader
		hdr := map[string]string{}
		if tc.body != "" {
			body, hdr["Content-Type"] = strings.NewReader(tc.body), "application/json"
		}
		r := do(t, c, tc.method, p.URL+tc.path, tc.user, tc.pass, body, hdr)
		if !isAuditUnavailable(r) || r.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s on a full disk: %d %s (want 503 security_exception)", tc.name, r.Status, r.Body)
		}
	}
	if n := up.Count() - before; n != 0 {
		t.Fatalf("%d requests reached the cluster while the audit log could not be written", n)
	}
	if v := p.metricValue(t, `portcullis_audit_append_failures_total{reason="io",site=""}`); v < float64(len(refusals)) {
		t.Fatalf("append failures metric %v, want at least %d", v, len(refusals))
	}

	fs.restore()
	if !eventually(10*time.Second, func() bool { return get().Status == 200 }) {
		t.Fatalf("the proxy did not recover once space returned\n%s", p.logs.String())
	}
	if r := get(); r.Status != 200 {
		t.Fatalf("after recovery: %d %s", r.Status, r.Body)
	}
	ids := grantedIDs(t, o.AuditFile)
	for id := range forwarded {
		if !ids[id] {
			t.Errorf("request %s was forwarded without its access_granted record", id)
		}
	}
	out, err := exec.Command(proxyBin, "audit", "verify", o.AuditFile).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK") {
		t.Fatalf("audit verify after the failure: %v\n%s", err, out)
	}
	t.Logf("disk full: first 503 after %d requests; %d forwarded requests, all audited", failedAt+1, len(forwarded))
}

// TestAuditDiskFullAllow: with on_failure: allow the operator chose
// availability: requests are forwarded while the audit log cannot be
// written, and each is counted in portcullis_audit_unaudited_total.
func TestAuditDiskFullAllow(t *testing.T) {
	fs := newAuditFS(t)
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	o.AuditFile = filepath.Join(fs.Dir, "audit.json")
	o.Audit = "  on_failure: allow\n"
	p := startProxy(t, o)
	fs.attach(p)
	p.waitReady()
	c := p.client(nil)
	fs.exhaust()
	const n = 40
	before := up.Count()
	for i := 0; i < n; i++ {
		if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); r.Status != 200 {
			t.Fatalf("request %d with on_failure: allow: %d %s", i, r.Status, r.Body)
		}
	}
	if got := up.Count() - before; got != n {
		t.Fatalf("%d of %d requests forwarded", got, n)
	}
	unaudited := p.metricValue(t, `portcullis_audit_unaudited_total{action="access_granted",site=""}`)
	records := grantedIDs(t, o.AuditFile)
	// Some records may have fit in the file's last tmpfs page; every other
	// forward is counted.
	if unaudited < 1 || int(unaudited)+len(records) < n {
		t.Fatalf("unaudited metric %v with %d records for %d forwards", unaudited, len(records), n)
	}
	fs.restore()
	if !eventually(10*time.Second, func() bool {
		r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil)
		return r.Status == 200 && grantedIDs(t, o.AuditFile)[r.Header.Get("X-Request-Id")]
	}) {
		t.Fatal("records are not written again once space returned")
	}
	t.Logf("on_failure allow: %d forwards, %v counted as unaudited", n, unaudited)
}
