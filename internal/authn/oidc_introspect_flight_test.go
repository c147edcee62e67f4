package authn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// blockingIntrospection is an introspection endpoint as an http.RoundTripper
// (so that it runs inside a synctest bubble): every call is counted and
// held until release is closed (or its request's context ends); "good-N" tokens are active for user N.
type blockingIntrospection struct {
	calls   atomic.Int32
	release chan struct{}
}

func (b *blockingIntrospection) RoundTrip(r *http.Request) (*http.Response, error) {
	b.calls.Add(1)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	select {
	case <-b.release:
	case <-r.Context().Done(): // as a real transport does
		return nil, r.Context().Err()
	}
	body := `{"active":false}`
	if user, ok := strings.CutPrefix(r.PostForm.Get("token"), "good-"); ok {
		body = fmt.Sprintf(`{"active":true,"sub":"%s","exp":%d,"email":"%s@example.com"}`, user, time.Now().Add(time.Hour).Unix(), user)
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func newBlockingIntrospector(t *testing.T, rt http.RoundTripper) *IntrospectionAuthenticator {
	t.Helper()
	claims, err := NewClaimMapping(ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewIntrospectionAuthenticator(IntrospectionOptions{
		Endpoint: "http://idp.invalid/introspect", ClientID: "portcullis", ClientSecret: "s",
		Claims: claims, RoleMapper: fixedRoles{"logs_reader"}, HTTPClient: &http.Client{Transport: rt},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func bearerRequest(ctx context.Context, token string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// Concurrent requests with one fresh token make one endpoint call and each
// gets its own principal; another token (active or not) gets its own call
// and its own answer.
func TestIntrospectionConcurrentRequestsShareOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ep := &blockingIntrospection{release: make(chan struct{})}
		a := newBlockingIntrospector(t, ep)
		tokens := []string{"good-alice", "good-bob", "junk"}
		var mu sync.Mutex
		principals := map[string][]*Principal{}
		var refused int
		var wg sync.WaitGroup
		for i := range 15 {
			token := tokens[i%3]
			wg.Go(func() {
				p, err := a.Authenticate(bearerRequest(context.Background(), token))
				mu.Lock()
				defer mu.Unlock()
				var ae *AuthError
				switch {
				case token == "junk" && errors.As(err, &ae):
					refused++
				case token != "junk" && err == nil:
					principals[token] = append(principals[token], p)
				default:
					t.Errorf("token %s: %+v, %v", token, p, err)
				}
			})
		}
		synctest.Wait() // every request is calling the endpoint or waiting for a call
		if n := ep.calls.Load(); n != 3 {
			t.Errorf("%d endpoint calls in progress, want 3 (one per distinct token)", n)
		}
		close(ep.release)
		wg.Wait()
		if refused != 5 || len(principals["good-alice"]) != 5 || len(principals["good-bob"]) != 5 {
			t.Fatalf("refused %d, alice %d, bob %d; want 5 each", refused, len(principals["good-alice"]), len(principals["good-bob"]))
		}
		for token, ps := range principals {
			want := strings.TrimPrefix(token, "good-") + "@example.com"
			for i, p := range ps {
				if p.Username != want || len(p.Roles) != 1 {
					t.Errorf("token %s: principal %+v, want user %s with one role", token, p, want)
				}
				for _, q := range ps[:i] {
					if p == q {
						t.Errorf("token %s: two requests share one *Principal", token)
					}
				}
			}
		}
		// Answers are cached: the same tokens again make no call.
		for _, token := range tokens {
			_, _ = a.Authenticate(bearerRequest(context.Background(), token))
		}
		if n := ep.calls.Load(); n != 3 {
			t.Errorf("%d endpoint calls after cached requests, want 3", n)
		}
	})
}

// The request that starts the call hanging up fails neither the call nor
// the requests waiting for it; a waiter that hangs up gets an error at once.
func TestIntrospectionSharedCallSurvivesCallerCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ep := &blockingIntrospection{release: make(chan struct{})}
		a := newBlockingIntrospector(t, ep)
		firstCtx, cancelFirst := context.WithCancel(context.Background())
		waiterCtx, cancelWaiter := context.WithCancel(context.Background())
		type result struct {
			p   *Principal
			err error
		}
		first, waiter, patient := make(chan result, 1), make(chan result, 1), make(chan result, 1)
		go func() { p, err := a.Authenticate(bearerRequest(firstCtx, "good-alice")); first <- result{p, err} }()
		synctest.Wait()
		go func() { p, err := a.Authenticate(bearerRequest(waiterCtx, "good-alice")); waiter <- result{p, err} }()
		go func() {
			p, err := a.Authenticate(bearerRequest(context.Background(), "good-alice"))
			patient <- result{p, err}
		}()
		synctest.Wait()
		cancelFirst()
		cancelWaiter()
		synctest.Wait()
		select {
		case r := <-waiter:
			if r.err == nil {
				t.Errorf("a waiter that hung up got %+v, want an error", r.p)
			}
		default:
			t.Error("a waiter that hung up is still waiting for the call")
		}
		close(ep.release)
		for name, ch := range map[string]chan result{"first": first, "patient": patient} {
			r := <-ch
			if r.err != nil || r.p.Username != "alice@example.com" {
				t.Errorf("%s request: %+v, %v; want alice", name, r.p, r.err)
			}
		}
		if n := ep.calls.Load(); n != 1 {
			t.Errorf("%d endpoint calls, want 1", n)
		}
	})
}
