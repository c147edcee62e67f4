package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// maxCachedLimits bounds the compiled role descriptors kept in memory.
const maxCachedLimits = 4096

// limitCache compiles each API key's role descriptors once per version:
// an entry is used only while the key's descriptors are the bytes it was
// compiled from, so an update of the key (here or on another replica)
// takes effect with the store's next read.
type limitCache struct {
	mu     sync.Mutex
	limits map[string]cachedLimit
}

type cachedLimit struct {
	descriptors []byte
	limit       *authz.Limit
}

func newLimitCache() *limitCache { return &limitCache{limits: map[string]cachedLimit{}} }

// get returns the key's limit (nil: the owner's privileges, no more).
func (c *limitCache) get(k *authn.APIKeyRef) (*authz.Limit, error) {
	c.mu.Lock()
	e, ok := c.limits[k.ID]
	c.mu.Unlock()
	if ok && bytes.Equal(e.descriptors, k.RoleDescriptors) {
		return e.limit, nil
	}
	l, ps := authz.ParseLimit(k.ID, "role_descriptors of API key "+k.ID, k.RoleDescriptors)
	if ps.HasErrors() {
		return nil, errors.New(ps[0].String())
	}
	c.mu.Lock()
	if len(c.limits) >= maxCachedLimits {
		clear(c.limits)
	}
	c.limits[k.ID] = cachedLimit{descriptors: bytes.Clone(k.RoleDescriptors), limit: l}
	c.mu.Unlock()
	return l, nil
}

// withAPIKeyLimit attaches an API key's own role descriptors to a request
// that authenticated with the key, so that every decision is also limited
// by them. Descriptors that no longer compile refuse the request.
func withAPIKeyLimit(c *limitCache, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if p := st.Principal; p != nil && p.APIKey != nil {
			if isAPIKeyAction(st.Action) {
				// Elasticsearch gives a key created by a key no privileges;
				// the proxy refuses key management by keys altogether,
				// here, so that the refusal is the request's only record.
				st.Decision = "deny"
				eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for API key id [%s] of user [%s]: API keys cannot manage API keys", st.Action, p.APIKey.ID, p.Username)).Write(w)
				return
			}
			l, err := c.get(p.APIKey)
			if err != nil {
				st.Decision = "deny"
				st.Log().Error("API key role descriptors invalid", zap.String("api_key", p.APIKey.ID), zap.Error(err))
				eserr.Security(http.StatusForbidden, "action ["+st.Action+"] is unauthorized for API key id ["+p.APIKey.ID+"] of user ["+p.Username+"]: the key's role descriptors are invalid").Write(w)
				return
			}
			st.limit = l
		}
		next.ServeHTTP(w, r)
	})
}
