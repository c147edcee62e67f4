package authn

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for TTL and window tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordingObserver counts events.
type recordingObserver struct {
	mu      sync.Mutex
	hits    int
	misses  int
	failed  []string // realm/reason
	limited []string
}

func (o *recordingObserver) CacheHit(string) { o.mu.Lock(); o.hits++; o.mu.Unlock() }

func (o *recordingObserver) CacheMiss(string) { o.mu.Lock(); o.misses++; o.mu.Unlock() }

func (o *recordingObserver) LoginFailed(realm, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed = append(o.failed, realm+"/"+reason)
}

func (o *recordingObserver) RateLimited(by string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.limited = append(o.limited, by)
}

func (o *recordingObserver) counts() (hits, misses int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits, o.misses
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Known bcrypt hashes produced outside Go (see hashers_test.go), cost 4–5 to
// keep tests fast.
const (
	// htpasswd -nbB -C 5 alice 'correct horse'
	htpasswdAlice = "$2y$05$f5RyJLWAQbwahsYX3hMQFOzi1ZHvR/fdhK7ckZVKPXvOpu3RHIZIm"
	// python bcrypt.hashpw(b"s3cret-a", gensalt(4, b"2a"))
	pyBcrypt2a = "$2a$04$SfD7i1Yi1Rq0oPKCxiaoi.gJtM7yH/4lFh.NK1bAXXwiJFsmcjuum"
	// python bcrypt.hashpw(b"s3cret-b", gensalt(5, b"2b"))
	pyBcrypt2b = "$2b$05$s/THrlhggfJsET8RUjS/OuzoXnL8lnlw0tEocrkCIajklPq7tHbTO"
)
