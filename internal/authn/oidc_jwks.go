package authn

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// refetchThrottle is the HTTP transport the bearer authenticator gives
// go-oidc. go-oidc refetches an issuer's JWKS whenever a token fails to
// verify against the cached keys (unknown kid or bad signature), so a flood
// of forged tokens naming a trusted issuer would become a flood of JWKS
// requests to the provider. This transport answers a GET for a URL fetched
// less than minInterval ago with the remembered outcome instead: the
// response, or the failure (an error status, a refused connection), so a
// provider that is already failing is not sent one request per forged
// token either. Verification itself stays entirely in go-oidc.
type refetchThrottle struct {
	next        http.RoundTripper
	minInterval time.Duration

	mu      sync.Mutex
	entries map[string]*throttled
}

type throttled struct {
	at     time.Time
	status int
	header http.Header
	body   []byte
	// err is the transport error of a fetch that got no response.
	err error
}

const maxThrottledBody = 1 << 20 // a JWKS or discovery document is far smaller

func newRefetchThrottle(next http.RoundTripper, minInterval time.Duration) *refetchThrottle {
	if next == nil {
		next = http.DefaultTransport
	}
	return &refetchThrottle{next: next, minInterval: minInterval, entries: map[string]*throttled{}}
}

// RoundTrip implements http.RoundTripper.
func (t *refetchThrottle) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet || t.minInterval <= 0 {
		return t.next.RoundTrip(r)
	}
	key := r.URL.String()
	t.mu.Lock()
	e := t.entries[key]
	t.mu.Unlock()
	if e != nil && time.Since(e.at) < t.minInterval {
		if e.err != nil {
			return nil, fmt.Errorf("%w (the last fetch of %s failed less than %s ago; not retried yet)", e.err, r.URL.Redacted(), t.minInterval)
		}
		return &http.Response{
			Status: http.StatusText(e.status), StatusCode: e.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: e.header.Clone(), Body: io.NopCloser(bytes.NewReader(e.body)),
			ContentLength: int64(len(e.body)), Request: r,
		}, nil
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		// A fetch the caller gave up on says nothing about the provider.
		if r.Context().Err() == nil {
			t.remember(key, &throttled{at: time.Now(), err: err})
		}
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxThrottledBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) <= maxThrottledBody {
		t.remember(key, &throttled{at: time.Now(), status: resp.StatusCode, header: resp.Header.Clone(), body: body})
	}
	return resp, nil
}

func (t *refetchThrottle) remember(key string, e *throttled) {
	t.mu.Lock()
	t.entries[key] = e
	t.mu.Unlock()
}

// ThrottledTransport wraps next so that a GET of a URL fetched less than
// minInterval ago is answered from memory, failures included (see
// refetchThrottle).
// Browser login uses it for the provider's discovery document and JWKS.
func ThrottledTransport(next http.RoundTripper, minInterval time.Duration) http.RoundTripper {
	return newRefetchThrottle(next, minInterval)
}
