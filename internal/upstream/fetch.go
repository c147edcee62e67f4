package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Fetch sends the proxy's own GET request (not a client's) for path to a
// healthy node, with the configured upstream credentials. It is what the
// cluster metadata cache uses; it has the retry and ejection behaviour of
// forwarded requests.
func (p *Proxy) Fetch(ctx context.Context, path string) (*http.Response, error) {
	u, err := url.Parse(path)
	if err != nil || u.IsAbs() || u.Host != "" {
		return nil, fmt.Errorf("upstream fetch: invalid path %q", path)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, fmt.Errorf("upstream fetch: %w", err)
	}
	req.URL = u
	req.Header.Set("User-Agent", "portcullis-metadata")
	p.health.headers.injectCredentials(req)
	return p.rp.Transport.RoundTrip(req)
}
