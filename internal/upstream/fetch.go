package upstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Fetch sends the proxy's own GET request (not a client's) for path to a
// healthy node, with the configured upstream credentials. It is what the
// cluster metadata cache uses; it has the retry and ejection behaviour of
// forwarded requests.
func (p *Proxy) Fetch(ctx context.Context, path string) (*http.Response, error) {
	return p.Send(ctx, http.MethodGet, path, nil)
}

// Send sends one of the proxy's own requests (metadata loads, mapping
// loads, document-visibility checks) to a healthy node, with the
// configured upstream credentials. A non-nil body is sent as JSON. The
// caller closes the response body.
func (p *Proxy) Send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	u, err := url.Parse(path)
	if err != nil || u.IsAbs() || u.Host != "" {
		return nil, fmt.Errorf("upstream %s: invalid path %q", method, path)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, nil)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", method, err)
	}
	req.URL = u
	if body != nil {
		req.Body = http.NoBody
		if len(body) > 0 {
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			req.Body, _ = req.GetBody()
		}
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "portcullis-internal")
	p.health.headers.injectCredentials(req)
	return p.rp.Transport.RoundTrip(req)
}
