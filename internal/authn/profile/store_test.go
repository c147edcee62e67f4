package profile

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"go.uber.org/zap"
)

func openStore(t *testing.T, path string) *FileStore {
	t.Helper()
	s, err := Open(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestActivate: one profile per user name and realm, with Elasticsearch's
// uid scheme; a new activation refreshes the user part (roles) and
// re-enables the profile, keeping labels and data.
func TestActivate(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "profiles.json"))
	a, err := s.Activate(User{Username: "alice", RealmName: "default_file", Roles: []string{"r1"}})
	if err != nil {
		t.Fatal(err)
	}
	// sha256("alice"), base64url without padding.
	if a.UID != "u_K9gGyX8OAK8aH8Myj6djqSaXI8jbj6xPk69x2xhtbpA_0" || !a.Enabled || a.SeqNo != 1 || a.PrimaryTerm != 1 {
		t.Fatalf("first activation: %+v", a)
	}
	if err := s.UpdateData(a.UID, nil, map[string]any{"kibana": map[string]any{"theme": "dark"}}, Version{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEnabled(a.UID, false); err != nil {
		t.Fatal(err)
	}
	again, err := s.Activate(User{Username: "alice", RealmName: "default_file", Roles: []string{"r2"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.UID != a.UID || !again.Enabled || !reflect.DeepEqual(again.User.Roles, []string{"r2"}) || again.Data["kibana"] == nil || again.SeqNo != 4 {
		t.Fatalf("second activation: %+v", again)
	}
	other, err := s.Activate(User{Username: "alice", RealmName: "oidc1"})
	if err != nil {
		t.Fatal(err)
	}
	if other.UID != "u_K9gGyX8OAK8aH8Myj6djqSaXI8jbj6xPk69x2xhtbpA_1" {
		t.Fatalf("alice of another realm: %s", other.UID)
	}
}

// TestUpdateData: objects merge key by key, other values are replaced;
// if_seq_no guards the change; an unknown uid is ErrNotFound.
func TestUpdateData(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "profiles.json"))
	p, _ := s.Activate(User{Username: "bob", RealmName: "r"})
	_ = s.UpdateData(p.UID, map[string]any{"kibana": map[string]any{"spaces": "a"}}, map[string]any{"kibana": map[string]any{"a": 1.0, "o": map[string]any{"x": 1.0}}}, Version{})
	_ = s.UpdateData(p.UID, nil, map[string]any{"kibana": map[string]any{"b": 2.0, "o": map[string]any{"y": 2.0}}}, Version{})
	got := s.Get([]string{p.UID})[0]
	want := map[string]any{"kibana": map[string]any{"a": 1.0, "b": 2.0, "o": map[string]any{"x": 1.0, "y": 2.0}}}
	if !reflect.DeepEqual(got.Data, want) || got.Labels["kibana"] == nil {
		t.Fatalf("merged: %+v", got)
	}
	stale := int64(1)
	if err := s.UpdateData(p.UID, nil, map[string]any{"kibana": "x"}, Version{SeqNo: &stale}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale if_seq_no: %v", err)
	}
	if err := s.UpdateData("u_nobody_0", nil, nil, Version{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown uid: %v", err)
	}
}

// TestSuggestAndReplicas: suggest finds enabled profiles by a word prefix
// of user name, full name or e-mail, hinted uids first; a second store on
// the same file (another replica) sees the first one's changes.
func TestSuggestAndReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.json")
	s := openStore(t, path)
	alice, _ := s.Activate(User{Username: "alice", RealmName: "r", FullName: "Alice Liddell", Email: "alice@example.com"})
	bob, _ := s.Activate(User{Username: "bob", RealmName: "r", FullName: "Robert Lid"})
	carol, _ := s.Activate(User{Username: "carol", RealmName: "r"})
	_ = s.SetEnabled(carol.UID, false)

	if n, got := s.Suggest("lid", 10, []string{bob.UID}); n != 2 || got[0].UID != bob.UID || got[1].UID != alice.UID {
		t.Fatalf("suggest lid: %d %+v", n, got)
	}
	if n, got := s.Suggest("", 1, nil); n != 2 || len(got) != 1 || got[0].UID != alice.UID {
		t.Fatalf("suggest all, size 1: %d %+v", n, got)
	}
	if n, _ := s.Suggest("carol", 10, nil); n != 0 {
		t.Fatalf("a disabled profile was suggested")
	}
	replica := openStore(t, path)
	if got := replica.Get([]string{alice.UID, "u_missing_0", bob.UID}); len(got) != 2 || got[0].UID != alice.UID {
		t.Fatalf("replica get: %+v", got)
	}
}

// TestActivateSeveralIssuers: in a realm trusting several OpenID
// providers, alice of another issuer is another user (another realm in
// Elasticsearch): she gets a profile of her own, never the first one's
// data.
func TestActivateSeveralIssuers(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "profiles.json"))
	a, err := s.Activate(User{Username: "alice", RealmName: "jwt1", Issuer: "https://a.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateData(a.UID, nil, map[string]any{"secret": "a's"}, Version{}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Activate(User{Username: "alice", RealmName: "jwt1", Issuer: "https://b.example"})
	if err != nil {
		t.Fatal(err)
	}
	if b.UID == a.UID || b.Data["secret"] != nil {
		t.Fatalf("alice of another issuer got %s: %+v", b.UID, b.Data)
	}
	if again, err := s.Activate(User{Username: "alice", RealmName: "jwt1", Issuer: "https://a.example"}); err != nil || again.UID != a.UID {
		t.Fatalf("alice of the first issuer again: %s %v", again.UID, err)
	}
}
