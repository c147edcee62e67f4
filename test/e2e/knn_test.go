package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKNNQueryDLS: a k-NN query picks its k nearest neighbours before the
// cluster applies the filters around it, so a DLS filter wrapped around the
// query would let hidden documents take places among the k: the user sees
// fewer hits near a hidden vector (a count of hidden neighbours of any
// point they choose). The proxy puts the role's filter inside the knn
// query's own filter, where OpenSearch excludes hidden documents before the
// search, as Elasticsearch's own DLS does. The hidden documents hold a
// canary and lie nearest to the probe vector.
func TestKNNQueryDLS(t *testing.T) {
	backendLacks(t, "k-NN plugin")
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	index := fmt.Sprintf("e2e-knn-%d", time.Now().UnixNano())
	o.Users += "acme:" + su.Password + "\nnovec:" + su.Password + "\n"
	o.UsersRoles += "r_acme:acme\nr_novec:novec\n"
	o.Roles = "r_acme:\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n" +
		"r_novec:\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read]\n      field_security: {grant: [tenant, note]}\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	mapping := `{"settings":{"index":{"knn":true,"number_of_shards":1,"number_of_replicas":0}},"mappings":{"properties":{` +
		`"v":{"type":"knn_vector","dimension":2,"method":{"name":"hnsw","engine":"lucene","space_type":"l2"}},` +
		`"tenant":{"type":"keyword"},"note":{"type":"keyword"}}}}`
	if r := do(t, c, "PUT", p.URL+"/"+index, su.Name, su.Password, strings.NewReader(mapping), hj); r.Status != 200 {
		if strings.Contains(r.Body, "knn_vector") && os.Getenv("E2E_REQUIRED") != "1" {
			t.Skipf("this OpenSearch node has no k-NN plugin (scripts/opensearch.sh adds it): %s", r.Body)
		}
		t.Fatalf("creating the k-NN index: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+index, su.Name, su.Password, nil, nil) })
	// globex (hidden) at 1..3, nearest to the probe [1,1]; acme at 4..6.
	for i := 1; i <= 6; i++ {
		tenant, note := "acme", fmt.Sprintf("visible-%d", i)
		if i <= 3 {
			tenant, note = "globex", fmt.Sprintf("CANARY-KNN-HIDDEN-%d", i)
		}
		doc := fmt.Sprintf(`{"v":[%d,%d],"tenant":%q,"note":%q}`, i, i, tenant, note)
		if r := do(t, c, "PUT", fmt.Sprintf("%s/%s/_doc/%d?refresh=true", p.URL, index, i), su.Name, su.Password, strings.NewReader(doc), hj); r.Status >= 300 {
			t.Fatalf("seeding %d: %d %s", i, r.Status, r.Body)
		}
	}
	probes := map[string]string{
		"knn query":               `{"query":{"knn":{"v":{"vector":[1,1],"k":3}}}}`,
		"knn query with a filter": `{"query":{"knn":{"v":{"vector":[1,1],"k":3,"filter":{"exists":{"field":"note"}}}}}}`,
		"knn query inside a bool": `{"query":{"bool":{"must":[{"knn":{"v":{"vector":[1,1],"k":3}}}],"filter":[{"exists":{"field":"tenant"}}]}}}`,
		"knn query, count":        `{"size":0,"track_total_hits":true,"query":{"knn":{"v":{"vector":[1,1],"k":3}}}}`,
	}
	for name, body := range probes {
		r := do(t, c, "POST", p.URL+"/"+index+"/_search", "acme", su.Password, strings.NewReader(body), hj)
		if r.Status != 200 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
			continue
		}
		if strings.Contains(r.Body, "CANARY-KNN-HIDDEN") || strings.Contains(r.Body, "globex") {
			t.Errorf("%s: a hidden document leaked: %s", name, r.Body)
		}
		// All three nearest visible documents, as if the hidden ones did
		// not exist: no gap shows where the hidden vectors lie.
		if total := knnTotal(t, r.Body); total != 3 {
			t.Errorf("%s: %d hits, want the 3 visible nearest (fewer reveal hidden neighbours): %s", name, total, r.Body)
		}
		if ids := knnIDs(t, r.Body); !strings.Contains(body, `"size":0`) && !slices.Equal(ids, []string{"4", "5", "6"}) {
			t.Errorf("%s: hits %v, want [4 5 6]", name, ids)
		}
	}
	// A vector field hidden by FLS cannot rank documents: the nearest
	// hidden vectors would come first and spell out where they lie.
	for name, body := range probes {
		r := do(t, c, "POST", p.URL+"/"+index+"/_search", "novec", su.Password, strings.NewReader(body), hj)
		t.Logf("%s by a user without the vector field: %d %.160s", name, r.Status, r.Body)
		if r.Status == 200 && slices.Equal(knnIDs(t, r.Body), []string{"1", "2", "3"}) {
			t.Errorf("%s by a user without the vector field: ranked by it: %s", name, r.Body)
		}
		if strings.Contains(r.Body, `"v":[`) {
			t.Errorf("%s by a user without the vector field: the vector leaked: %s", name, r.Body)
		}
	}
	// Control: the superuser's probe finds the hidden neighbours first, so
	// the probes above are real.
	r := do(t, c, "POST", p.URL+"/"+index+"/_search", su.Name, su.Password, strings.NewReader(probes["knn query"]), hj)
	if ids := knnIDs(t, r.Body); r.Status != 200 || !slices.Equal(ids, []string{"1", "2", "3"}) {
		t.Fatalf("control: the superuser's nearest 3 should be the hidden 1, 2, 3: %d %s", r.Status, r.Body)
	}
}

func knnTotal(t *testing.T, body string) int {
	t.Helper()
	var sr struct {
		Hits struct {
			Total struct{ Value int } `json:"total"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(body), &sr); err != nil {
		t.Fatalf("search response: %v: %s", err, body)
	}
	return sr.Hits.Total.Value
}

func knnIDs(t *testing.T, body string) []string {
	t.Helper()
	var sr struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(body), &sr); err != nil {
		t.Fatalf("search response: %v: %s", err, body)
	}
	ids := make([]string, 0, len(sr.Hits.Hits))
	for _, h := range sr.Hits.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}
