package esbody

import (
	"testing"
)

func TestAnyMember(t *testing.T) {
	isTrueExplain := func(name string, v Value) bool {
		b, ok := v.(Bool)
		return name == "explain" && ok && bool(b)
	}
	for _, tc := range []struct {
		body     string
		maxDepth int
		want     bool
	}{
		{`{"explain":true}`, 10, true},
		{`{"explain":false}`, 10, false},
		{`{"a":[{"b":{"explain":true}}]}`, 10, true},
		{`{"a":[1,"explain",{"explain":false}]}`, 10, false},
		{`[{"explain":true}]`, 10, true},
		{`{"a":{"b":{"c":{}}}}`, 2, true}, // too deep: cautious
		{`{"a":{"b":{"c":{}}}}`, 3, false},
		{`"explain"`, 10, false},
	} {
		v, err := ParseJSON([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := AnyMember(v, tc.maxDepth, isTrueExplain); got != tc.want {
			t.Errorf("AnyMember(%s, %d) = %v, want %v", tc.body, tc.maxDepth, got, tc.want)
		}
	}
	if AnyMember((*Object)(nil), 1, func(string, Value) bool { return true }) {
		t.Error("a nil object has no member")
	}
}
