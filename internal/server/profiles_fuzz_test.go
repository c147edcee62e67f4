package server

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzSelectProfileData: the data parameter of the profile APIs (caller
// input) never panics, never invents data (every value it returns is in
// the profile at the same path), never changes the profile it reads, and
// "*" returns everything.
func FuzzSelectProfileData(f *testing.F) {
	f.Add(`{"kibana":{"userSettings":{"darkMode":"dark"}},"other":1}`, "kibana.*")
	f.Add(`{"a":{"b":{"c":[1,{"d":2}]}}}`, "a.b,*.b.c,a.*.c")
	f.Add(`{"a":1}`, ",,.,*.*.*")
	f.Fuzz(func(t *testing.T, raw, filter string) {
		var data map[string]any
		if json.Unmarshal([]byte(raw), &data) != nil {
			return
		}
		var before map[string]any
		_ = json.Unmarshal([]byte(raw), &before)
		got := selectData(data, filter)
		if !reflect.DeepEqual(data, before) {
			t.Fatalf("selecting %q changed the profile's data", filter)
		}
		assertSubset(t, got, data, filter)
		if all := selectData(data, "*"); !reflect.DeepEqual(all, data) {
			t.Fatalf(`"*" did not return everything: %v vs %v`, all, data)
		}
	})
}

// assertSubset fails when got holds a key src lacks, or a leaf that
// differs from src's.
func assertSubset(t *testing.T, got, src map[string]any, filter string) {
	t.Helper()
	for k, v := range got {
		sv, ok := src[k]
		if !ok {
			t.Fatalf("filter %q invented key %q", filter, k)
		}
		if gm, ok := v.(map[string]any); ok {
			if sm, ok := sv.(map[string]any); ok {
				assertSubset(t, gm, sm, filter)
				continue
			}
		}
		if !reflect.DeepEqual(v, sv) {
			t.Fatalf("filter %q changed %q: %v vs %v", filter, k, v, sv)
		}
	}
}
