package flsquery

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestRefusalShape checks that a refusal names the construct and its path
// and renders as an Elasticsearch error.
func TestRefusalShape(t *testing.T) {
	body, err := esbody.ParseObject([]byte(`{"query":{"bool":{"filter":[{"match_all":{}},{"script":{"script":"1"}}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Rewrite(body, oneIndex("i", aliceView()))
	var refusal *Refusal
	if !errors.As(err, &refusal) {
		t.Fatalf("got %v, want a *Refusal", err)
	}
	if !strings.Contains(refusal.Reason, "[query.bool.filter[1].script]") {
		t.Errorf("reason %q does not locate the construct", refusal.Reason)
	}
	var env struct {
		Error struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
		Status int `json:"status"`
	}
	if err := json.Unmarshal(refusal.ESError().Body(), &env); err != nil {
		t.Fatal(err)
	}
	if env.Status != 400 || env.Error.Type != "security_exception" || env.Error.Reason != refusal.Reason {
		t.Errorf("rendered as %+v", env)
	}
}
