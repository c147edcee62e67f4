package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Names resolved for a listing are sent as patterns matching exactly them,
// with every other alias those patterns would match excluded.
func TestExactAliasPatterns(t *testing.T) {
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "i1"}, {Name: "logs-a"}}, []authz.Alias{
		{Name: "logs-a-view", Indices: []string{"i1"}}, {Name: "logs-a-view-secret", Indices: []string{"i1"}},
		{Name: "other", Indices: []string{"i1"}},
	}, nil)
	got := exactAliasPatterns(md, []string{"logs-a-view"})
	want := []string{"logs-a-view*", "-logs-a-view-secret"}
	if !slices.Equal(got, want) {
		t.Fatalf("exactAliasPatterns = %v, want %v", got, want)
	}
	// An index whose name the pattern matches is not an alias: no exclusion needed.
	if got := exactAliasPatterns(md, []string{"logs-a"}); !slices.Contains(got, "logs-a*") || !slices.Contains(got, "-logs-a-view") || slices.Contains(got, "-logs-a") {
		t.Fatalf("exactAliasPatterns(logs-a) = %v", got)
	}
}

func TestNamesExplicitAlias(t *testing.T) {
	for exprs, want := range map[string]bool{"": false, "_all": false, "a*": false, "*,-b": false, "a": true, "a*,b": true} {
		var list []string
		if exprs != "" {
			list = strings.Split(exprs, ",")
		}
		if got := namesExplicitAlias(list); got != want {
			t.Errorf("namesExplicitAlias(%q) = %v, want %v", exprs, got, want)
		}
	}
}
