package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium with its own profile.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium (flags of the infra recipes, §2) and closes it
// when the test ends.
func newBrowser(t *testing.T, e env) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(e.chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.IgnoreCertErrors, // the HTTPS proxy's self-signed certificate
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // start it now: failures are clearer here
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// do runs steps with a timeout.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v (at %s)\npage: %s", what, err, b.location(), b.bodyText())
	}
}

// open navigates to url and returns the page's text once loaded.
func (b *browser) open(url string) string {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
	return b.bodyText()
}

func (b *browser) bodyText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		return "<no body: " + err.Error() + ">"
	}
	return s
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "<unknown>"
	}
	return loc
}

// onDexLogin reports whether the page is Dex's login form.
func (b *browser) onDexLogin() bool {
	return strings.Contains(b.location(), "/dex/auth/local/login")
}

// dexLogin fills Dex's login form (the page must be on it) and waits for
// the page it leads to.
func (b *browser) dexLogin(user string) string {
	b.t.Helper()
	b.do("Dex login form",
		chromedp.WaitVisible(chromedp.CSS(`input[name=login]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), dexPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
	)
	b.waitAway("/dex/")
	return b.bodyText()
}

// waitAway waits until the location no longer contains part.
func (b *browser) waitAway(part string) {
	b.t.Helper()
	if !eventually(20*time.Second, func() bool { return !strings.Contains(b.location(), part) }) {
		b.t.Fatalf("browser still at %s", b.location())
	}
	b.do("page load", chromedp.WaitReady(chromedp.CSS("body")))
}

// cookie returns the browser's cookie named name for url (nil if none).
func (b *browser) cookie(url, name string) *network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		b.t.Fatalf("reading cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// eval runs JavaScript in the page and returns its string result.
func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %q: %v", js, err)
	}
	return s
}
