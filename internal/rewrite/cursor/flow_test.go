package cursor

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// issuer is what the server does with ids in responses: wrap them with
// the request's binding and record them for "_all".
type issuer struct {
	b        *Binder
	reg      Registry
	binding  Binding
	keep     time.Duration
	upstream map[string]string // token -> cluster id, for the test's checks
}

func (is *issuer) replace(kind Kind, id string) (string, error) {
	tok, err := is.b.Wrap(kind, id, is.binding)
	if err != nil {
		return "", err
	}
	if is.upstream == nil {
		is.upstream = map[string]string{}
	}
	is.upstream[tok] = id
	return tok, is.reg.Add(context.Background(), is.binding.Owner, Entry{Kind: kind, UpstreamID: id, Token: tok, KeepAlive: is.keep})
}

// tokenIn returns the only token the issuer handed out.
func (is *issuer) tokenIn(t *testing.T, out string) string {
	t.Helper()
	for tok := range is.upstream {
		if strings.Contains(out, tok) {
			return tok
		}
	}
	t.Fatalf("no token in %s", out)
	return ""
}

func TestScrollLifecycleAcrossOwners(t *testing.T) {
	b := newTestBinder(t, "k")
	reg, clock := newTestRegistry(RegistryLimits{})
	dls := []authz.IndexAccess{{Index: "cur-a", Queries: queries(`{"term":{"dept":"x"}}`)}}
	owner := OwnerOf(&authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"dept-x"}})
	is := &issuer{b: b, reg: reg, binding: NewBinding(owner, []string{"cur-a", "cur-b"}, dls, clock.Now()), keep: time.Minute}

	// First page: the cluster's scroll id never reaches the client.
	var page bytes.Buffer
	if err := RewriteIDs(&page, bytes.NewReader(fixture(t, "opensearch_scroll_first.json")), SearchFields(), is.replace); err != nil {
		t.Fatal(err)
	}
	tok := is.tokenIn(t, page.String())
	upstream := is.upstream[tok]
	if strings.Contains(page.String(), upstream) {
		t.Fatal("cluster scroll id in the client's response")
	}

	// Alice continues: the request now carries the cluster id, and her
	// restrictions are those of the first page.
	body := mustObject(t, `{"scroll":"1m","scroll_id":"`+tok+`"}`)
	target, err := b.RewriteScroll(owner, ScrollRequest{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if encode(t, body) != `{"scroll":"1m","scroll_id":"`+upstream+`"}` {
		t.Fatalf("forwarded body %s", encode(t, body))
	}
	if err := target.Cursor.Binding.Check(owner, FingerprintOf(dls)); err != nil {
		t.Fatalf("alice refused on her own scroll: %v", err)
	}
	if got := target.Cursor.Binding.Indices; len(got) != 2 || got[0] != "cur-a" {
		t.Fatalf("indices to re-authorize: %v", got)
	}

	// Bob cannot, and neither can alice after losing her DLS role.
	if _, err := b.RewriteScroll(bob, ScrollRequest{Body: mustObject(t, `{"scroll_id":"`+tok+`"}`)}); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("bob: %v", err)
	}
	if err := target.Cursor.Binding.Check(owner, FingerprintOf(nil)); !errors.Is(err, ErrRestrictionsChanged) {
		t.Fatalf("alice after a role change: %v", err)
	}

	// DELETE _search/scroll/_all: bob holds nothing, alice only her own.
	for _, tt := range []struct {
		who  Owner
		want []string
	}{{bob, nil}, {owner, []string{upstream}}} {
		clear, err := b.RewriteClearScroll(tt.who, ScrollRequest{PathID: "_all", Query: url.Values{}})
		if err != nil || !clear.All {
			t.Fatalf("clear _all: %+v, %v", clear, err)
		}
		held, _ := reg.List(context.Background(), tt.who, KindScroll)
		if len(held) != len(tt.want) || len(held) > 0 && held[0].UpstreamID != tt.want[0] {
			t.Fatalf("%s holds %+v, want %v", tt.who.Username, held, tt.want)
		}
		if len(held) > 0 {
			if got := encode(t, ClearScrollBody([]string{held[0].UpstreamID})); got != `{"scroll_id":["`+upstream+`"]}` {
				t.Fatalf("clear body %s", got)
			}
		}
	}
}

func TestDeletePITResponseMapsBackToTokens(t *testing.T) {
	b := newTestBinder(t, "k")
	reg, clock := newTestRegistry(RegistryLimits{})
	is := &issuer{b: b, reg: reg, binding: NewBinding(alice, []string{"cur-a"}, nil, clock.Now())}
	var created bytes.Buffer
	if err := RewriteIDs(&created, bytes.NewReader(fixture(t, "opensearch_create_pit.json")), CreatePITFields(), is.replace); err != nil {
		t.Fatal(err)
	}
	tok := is.tokenIn(t, created.String())
	target, err := b.RewriteDeletePIT(alice, mustObject(t, `{"pit_id":["`+tok+`"]}`))
	if err != nil {
		t.Fatal(err)
	}
	back := map[string]string{}
	for _, c := range target.Cursors {
		back[c.UpstreamID] = c.Token
	}
	var out bytes.Buffer
	err = RewriteIDs(&out, bytes.NewReader(fixture(t, "opensearch_delete_pit.json")), DeletePITFields(), func(_ Kind, id string) (string, error) {
		if tok, ok := back[id]; ok {
			return tok, nil
		}
		return "", errors.New("the cluster deleted a point in time the request did not name")
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != `{"pits":[{"successful":true,"pit_id":"`+tok+`"}]}` {
		t.Fatalf("delete response %s", out.String())
	}
}
