package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestAPIKeyQueryBucketExplosion: a manage_own_api_key user makes one key
// with many metadata leaves and nests terms aggregations on "metadata"
// (each bucket holds the key again, so the buckets multiply by the
// leaves at every level); the proxy answers Elasticsearch's 400
// too_many_buckets_exception instead of building them.
func TestAPIKeyQueryBucketExplosion(t *testing.T) {
	kt := newAPIKeyTest(t, "own:\n  cluster: [manage_own_api_key]\n")
	alice := &authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	var meta []string
	for i := range 30 {
		meta = append(meta, fmt.Sprintf(`"k%d":"v%d"`, i, i))
	}
	if code, out := kt.serve(alice, "POST", "/_security/api_key", `{"name":"wide","metadata":{`+strings.Join(meta, ",")+`}}`); code != 200 {
		t.Fatalf("create: %d %s", code, out)
	}
	agg := `{"terms":{"field":"metadata","size":1000}}`
	for range 7 {
		agg = `{"terms":{"field":"metadata","size":1000},"aggs":{"a":` + agg + `}}`
	}
	code, out := kt.serve(alice, "POST", "/_security/_query/api_key", `{"size":0,"aggs":{"a":`+agg+`}}`)
	if code != 400 || !strings.Contains(out, `"type":"too_many_buckets_exception"`) {
		t.Fatalf("nested terms over 30 leaves, 8 deep: %d %.300s", code, out)
	}
	code, out = kt.serve(alice, "POST", "/_security/_query/api_key", `{"size":0,"aggs":{"a":{"terms":{"field":"metadata","size":1000}}}}`)
	if code != 200 || strings.Count(out, `"doc_count":1`) != 30 {
		t.Fatalf("one level: %d %.300s", code, out)
	}
}
