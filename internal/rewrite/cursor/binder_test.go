package cursor

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWrapUnwrapRoundTrip(t *testing.T) {
	b := newTestBinder(t, "k")
	realScroll := strings.TrimSpace(`FGluY2x1ZGVfY29udGV4dF91dWlkDnF1ZXJ5VGhlbkZldGNoAxYzRURtYVpjMlE1LTdSa1lOOGpUMHBnAAAAAAAAAAMWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQ==`)
	manyIndices := make([]string, 500)
	for i := range manyIndices {
		manyIndices[i] = "logs-2024.01." + strings.Repeat("x", i%40)
	}
	tests := []struct {
		name     string
		kind     Kind
		upstream string
		binding  Binding
	}{
		{"scroll", KindScroll, realScroll, bindingFor(alice, "cur-a", "cur-b")},
		{"pit no indices", KindPIT, "69qFQQIFY3VyLWEW", bindingFor(bob)},
		{"async api key", KindAsync, "FmRldE8zREhaUnFxc1JfU2pjRU5sU2cbS0JQWGV0blRTV0c3eS03SnNJa3BYQTozMjU2", bindingFor(aliceKey1, "sales")},
		{"sql cursor with padding and colon", KindSQLCursor, "sDXF1ZXJ5==:BAFmBmF1dGhvcgFm+v///w8=", bindingFor(aliceOIDC, "library")},
		{"unicode owner and index", KindScroll, "id", bindingFor(Owner{Username: "zoë ✓", RealmType: "oidc", Realm: "réalm"}, "índice-ü")},
		{"many indices", KindPIT, realScroll, bindingFor(alice, manyIndices...)},
		{"zero creation time", KindScroll, "x", Binding{Owner: alice, Indices: []string{"a"}}},
		{"fingerprint set", KindScroll, "x", Binding{Owner: alice, Indices: []string{"a"}, Fingerprint: Fingerprint{1, 2, 3, 31: 9}, Created: time.Unix(-5, 999_999_999).UTC()}},
	}
	tokenShape := regexp.MustCompile(`^pc1[spac]_[A-Za-z0-9_-]+$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustWrap(t, b, tt.kind, tt.upstream, tt.binding)
			if !tokenShape.MatchString(tok) || tok[3] != tt.kind.code() {
				t.Fatalf("token %q is not URL-safe with the %s prefix", tok, tt.kind)
			}
			if len(tt.upstream) > 8 && strings.Contains(tok, tt.upstream) {
				t.Fatalf("token shows the cluster id in clear")
			}
			up, got, err := b.Unwrap(tt.kind, tok)
			if err != nil {
				t.Fatalf("Unwrap: %v", err)
			}
			if up != tt.upstream {
				t.Errorf("upstream = %q, want %q", up, tt.upstream)
			}
			if got.Owner != tt.binding.Owner || !slices.Equal(got.Indices, tt.binding.Indices) ||
				got.Fingerprint != tt.binding.Fingerprint || !got.Created.Equal(tt.binding.Created) {
				t.Errorf("binding = %+v, want %+v", got, tt.binding)
			}
			again := mustWrap(t, b, tt.kind, tt.upstream, tt.binding)
			if again == tok {
				t.Errorf("two wraps of the same id gave the same token: salts are not random")
			}
		})
	}
}

func TestBindingCheck(t *testing.T) {
	fp := Fingerprint{7}
	other := Fingerprint{8}
	bd := Binding{Owner: alice, Indices: []string{"a"}, Fingerprint: fp}
	keyBound := Binding{Owner: aliceKey1, Fingerprint: fp}
	tests := []struct {
		name    string
		binding Binding
		owner   Owner
		current Fingerprint
		want    error
	}{
		{"same owner, same restrictions", bd, alice, fp, nil},
		{"another user", bd, bob, fp, ErrNotOwner},
		{"same user, other realm type", bd, aliceOIDC, fp, ErrNotOwner},
		{"same user, same type, other realm name", bd, aliceOtherFR, fp, ErrNotOwner},
		{"same user through an API key", bd, aliceKey1, fp, ErrNotOwner},
		{"same API key", keyBound, aliceKey1, fp, nil},
		{"another API key of the same user", keyBound, aliceKey2, fp, ErrNotOwner},
		{"same user, restrictions changed", bd, alice, other, ErrRestrictionsChanged},
		{"another user and other restrictions: owner first", bd, bob, other, ErrNotOwner},
		{"field boundaries do not collide", Binding{Owner: Owner{Username: "ab", RealmType: "c"}}, Owner{Username: "a", RealmType: "bc"}, Fingerprint{}, ErrNotOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.binding.Check(tt.owner, tt.current)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestUnwrapRejectsEveryAlteredCharacter(t *testing.T) {
	b := newTestBinder(t, "k")
	tok := mustWrap(t, b, KindScroll, "upstream-scroll-id", bindingFor(alice, "idx"))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(tok); i++ {
		// Two replacements per position: the next alphabet character and
		// one that flips only the lowest bits of a base64 digit.
		for _, shift := range []int{1, 32} {
			j := (strings.IndexByte(alphabet, tok[i]) + shift) % len(alphabet)
			if j < 0 {
				j = 0
			}
			mutated := tok[:i] + string(alphabet[j]) + tok[i+1:]
			if mutated == tok {
				continue
			}
			if _, _, err := b.Unwrap(KindScroll, mutated); !errors.Is(err, ErrTampered) {
				t.Fatalf("position %d changed to %q: err = %v, want ErrTampered", i, alphabet[j], err)
			}
		}
	}
}

func TestUnwrapRejectsMalformedTokens(t *testing.T) {
	b := newTestBinder(t, "k")
	tok := mustWrap(t, b, KindPIT, "pit-upstream", bindingFor(alice))
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"prefix only", tok[:prefixLen]},
		{"cluster id", "69qFQQIFY3VyLWEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAA"},
		{"cluster id with padding", "FGluY2x1ZGVfY29udGV4dF91dWlk=="},
		{"_all", "_all"},
		{"appended character", tok + "A"},
		{"newline inside", tok[:20] + "\n" + tok[20:]},
		{"carriage return at end", tok + "\r"},
		{"padding added", tok + "="},
		{"space", " " + tok},
		{"other version", "pc2" + tok[3:]},
		{"separator changed", tok[:4] + "-" + tok[5:]},
		{"standard base64 characters", strings.NewReplacer("-", "+", "_", "/").Replace(tok[:prefixLen]) + strings.NewReplacer("-", "+", "_", "/").Replace(tok[prefixLen:]) + "+/"},
	}
	for n := prefixLen; n < len(tok); n += 3 {
		tests = append(tests, struct {
			name  string
			token string
		}{"truncated", tok[:n]})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := b.Unwrap(KindPIT, tt.token); !errors.Is(err, ErrTampered) {
				t.Fatalf("Unwrap(%q) = %v, want ErrTampered", tt.token, err)
			}
		})
	}
}

func TestUnwrapRejectsOversizedInput(t *testing.T) {
	b := newTestBinder(t, "k")
	huge := "pc1s_" + strings.Repeat("A", MaxTokenSize)
	if _, _, err := b.Unwrap(KindScroll, huge); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("oversized token: err = %v, want ErrTampered naming the size", err)
	}
	if _, err := b.Wrap(KindScroll, strings.Repeat("x", MaxTokenSize), bindingFor(alice)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Wrap of an oversized id: err = %v, want ErrTooLarge", err)
	}
	// The largest id that fits still round-trips.
	bd := bindingFor(alice, "i")
	fits := strings.Repeat("y", MaxTokenSize*3/4-200)
	tok := mustWrap(t, b, KindScroll, fits, bd)
	if len(tok) > MaxTokenSize {
		t.Fatalf("token of %d bytes exceeds MaxTokenSize", len(tok))
	}
	if up, _, err := b.Unwrap(KindScroll, tok); err != nil || up != fits {
		t.Fatalf("large token: err = %v", err)
	}
}

func TestTokenOfOneKindIsNotAnother(t *testing.T) {
	b := newTestBinder(t, "k")
	kinds := []Kind{KindScroll, KindPIT, KindAsync, KindSQLCursor}
	for _, made := range kinds {
		tok := mustWrap(t, b, made, "same-upstream-id", bindingFor(alice))
		for _, used := range kinds {
			_, _, err := b.Unwrap(used, tok)
			if made == used {
				if err != nil {
					t.Errorf("%s token refused as %s: %v", made, used, err)
				}
				continue
			}
			if !errors.Is(err, ErrTampered) {
				t.Errorf("%s token accepted as %s: err = %v", made, used, err)
			}
			// Changing the kind letter is caught by authentication.
			relabelled := tok[:3] + string(used.code()) + tok[4:]
			if _, _, err := b.Unwrap(used, relabelled); !errors.Is(err, ErrTampered) {
				t.Errorf("%s token relabelled %s: err = %v, want ErrTampered", made, used, err)
			}
		}
	}
}

func TestKeyRotationRejectsOldTokens(t *testing.T) {
	old := newTestBinder(t, "old")
	current := newTestBinder(t, "new")
	sameKey := newTestBinder(t, "old")
	tok := mustWrap(t, old, KindScroll, "sid", bindingFor(alice))
	if _, _, err := current.Unwrap(KindScroll, tok); !errors.Is(err, ErrTampered) {
		t.Fatalf("token of the old key: err = %v, want ErrTampered", err)
	}
	if up, _, err := sameKey.Unwrap(KindScroll, tok); err != nil || up != "sid" {
		t.Fatalf("another binder with the same key (another replica) refused the token: %v", err)
	}
}

func TestBinderRefusesBadInput(t *testing.T) {
	if _, err := NewBinder(make([]byte, MinKeySize-1)); err == nil {
		t.Error("NewBinder accepted a short key")
	}
	b := newTestBinder(t, "k")
	tests := []struct {
		name     string
		kind     Kind
		upstream string
		binding  Binding
	}{
		{"unknown kind", Kind(9), "x", bindingFor(alice)},
		{"zero kind", 0, "x", bindingFor(alice)},
		{"empty id", KindScroll, "", bindingFor(alice)},
		{"no owner", KindScroll, "x", Binding{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := b.Wrap(tt.kind, tt.upstream, tt.binding); err == nil {
				t.Fatalf("Wrap = %q, want an error", tok)
			}
		})
	}
	if _, _, err := b.Unwrap(Kind(9), "pc1s_AAAA"); err == nil {
		t.Error("Unwrap accepted an unknown kind")
	}
}

func TestKindString(t *testing.T) {
	want := map[Kind]string{KindScroll: "scroll", KindPIT: "pit", KindAsync: "async", KindSQLCursor: "sql_cursor", 0: "kind(0)", 7: "kind(7)"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), s)
		}
	}
}
