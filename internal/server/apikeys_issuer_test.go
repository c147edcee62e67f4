package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
)

// TestAPIKeyOwnersOfSeveralIssuers: a bearer realm trusting two OpenID
// providers is, in Elasticsearch, two realms (one issuer each): the same
// user name from the second issuer is another user. With manage_own_api_key
// that user saw, invalidated and updated (taking them over with their own
// roles and attributes) the keys of the first issuer's user of that name.
func TestAPIKeyOwnersOfSeveralIssuers(t *testing.T) {
	kt := newAPIKeyTest(t, "own:\n  cluster: [manage_own_api_key]\n")
	serve, store := kt.serve, kt.store
	atA := &authn.Principal{Username: "alice", Realm: "jwt1", RealmType: "jwt", Issuer: "https://a.example", Roles: []string{"own"},
		Metadata: map[string]any{"jwt_claim_iss": "https://a.example", "jwt_claim_dept": "finance"}}
	atB := &authn.Principal{Username: "alice", Realm: "jwt1", RealmType: "jwt", Issuer: "https://b.example", Roles: []string{"own"},
		Metadata: map[string]any{"jwt_claim_iss": "https://b.example", "jwt_claim_dept": "partner"}}
	code, body := serve(atA, "POST", "/_security/api_key", `{"name":"a-key"}`)
	var created struct{ ID string }
	if code != 200 || json.Unmarshal([]byte(body), &created) != nil || created.ID == "" {
		t.Fatalf("creating: %d %s", code, body)
	}
	// A key made before owners carried their issuer: its owner snapshot
	// names it.
	legacy, err := apikey.New("legacy-key", &authn.Principal{Username: "alice", Realm: "jwt1", RealmType: "jwt", Roles: []string{"own"},
		Metadata: map[string]any{"jwt_claim_iss": "https://a.example"}}, nil, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Create(legacy.Key); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{created.ID, legacy.Key.ID} {
		if code, body := serve(atB, "GET", "/_security/api_key?owner=true", ""); code != 200 || strings.Contains(body, id) {
			t.Fatalf("the other issuer's alice lists %s: %d %s", id, code, body)
		}
		if code, body := serve(atB, "GET", "/_security/api_key?id="+id, ""); strings.Contains(body, id) {
			t.Fatalf("the other issuer's alice gets %s: %d %s", id, code, body)
		}
		if code, body := serve(atB, "PUT", "/_security/api_key/"+id, `{"metadata":{"x":1}}`); code != 404 {
			t.Fatalf("the other issuer's alice updates %s: %d %s", id, code, body)
		}
		if code, body := serve(atB, "DELETE", "/_security/api_key", `{"ids":["`+id+`"]}`); code != 200 || strings.Contains(body, id) {
			t.Fatalf("the other issuer's alice invalidates %s: %d %s", id, code, body)
		}
		k := store.Find(apikey.Filter{IDs: []string{id}})
		if len(k) != 1 || k[0].Invalidated || k[0].OwnerMetadata["jwt_claim_dept"] == "partner" || k[0].Metadata != nil {
			t.Fatalf("key %s after the other issuer's attempts: %+v", id, k)
		}
		// Its own user still manages it.
		if code, body := serve(atA, "GET", "/_security/api_key?owner=true", ""); code != 200 || !strings.Contains(body, id) {
			t.Fatalf("alice of the key's issuer does not list %s: %d %s", id, code, body)
		}
		if code, body := serve(atA, "PUT", "/_security/api_key/"+id, `{"metadata":{"x":1}}`); code != 200 {
			t.Fatalf("alice of the key's issuer updates %s: %d %s", id, code, body)
		}
	}
}
