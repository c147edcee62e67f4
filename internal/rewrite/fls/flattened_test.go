package fls

import (
	"testing"
)

// flattenedRoles are roles over an index with a flattened field.
const flattenedRoles = `
flat_except_key:
  indices:
    - names: ['flat-*']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['flat.secret']
flat_all:
  indices:
    - names: ['flat-*']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['other']
flat_key_only:
  indices:
    - names: ['flat-*']
      privileges: [read]
      field_security:
        grant: ['pub', 'flat', 'flat.ok']
`

// flattenedMapping has OpenSearch's flat_object and Elasticsearch's
// flattened types.
const flattenedMapping = `{"flat-1":{"mappings":{"properties":{
  "pub":{"type":"keyword"},
  "other":{"type":"keyword"},
  "flat":{"type":"flat_object"},
  "esflat":{"type":"flattened"}}}}}`

func flattenedView(t *testing.T, role string) *View {
	t.Helper()
	ms, err := ParseMappings([]byte(flattenedMapping))
	if err != nil {
		t.Fatal(err)
	}
	return NewView(fieldAccessFrom(t, flattenedRoles, "flat-1", role), ms["flat-1"])
}

// TestFlattenedFieldNeedsEveryKey: a flattened field indexes the values of
// all its keys under its own name, and OpenSearch answers a fields-API
// request for the field or any key with the whole object. Unless the roles
// grant every key, neither the field nor its keys may be named in queries,
// aggregations, sorts or fetched fields; _source keeps its keys one by one.
func TestFlattenedFieldNeedsEveryKey(t *testing.T) {
	tests := []struct {
		role                  string
		visible, hidden       []string
		sourceOK, sourceNotOK []string
	}{
		{
			role:        "flat_except_key",
			visible:     []string{"pub", "other"},
			hidden:      []string{"flat", "flat.ok", "flat.secret", "flat."},
			sourceOK:    []string{"flat.ok", "pub", "esflat.x"},
			sourceNotOK: []string{"flat.secret", "flat.secret.deeper"},
		},
		{
			role:     "flat_all",
			visible:  []string{"flat", "flat.ok", "flat.secret", "esflat", "esflat.k"},
			hidden:   []string{"other"},
			sourceOK: []string{"flat.ok", "flat.secret"},
		},
		{
			role:        "flat_key_only",
			visible:     []string{"pub"},
			hidden:      []string{"flat", "flat.ok", "flat.secret", "esflat"},
			sourceOK:    []string{"flat.ok", "pub"},
			sourceNotOK: []string{"flat.secret", "esflat.ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			v := flattenedView(t, tt.role)
			for _, f := range tt.visible {
				if !v.Visible(f) {
					t.Errorf("Visible(%q) = false, want true", f)
				}
			}
			for _, f := range tt.hidden {
				if v.Visible(f) {
					t.Errorf("Visible(%q) = true, want false", f)
				}
			}
			for _, f := range tt.sourceOK {
				if !v.SourceAllows(f) {
					t.Errorf("SourceAllows(%q) = false, want true", f)
				}
			}
			for _, f := range tt.sourceNotOK {
				if v.SourceAllows(f) {
					t.Errorf("SourceAllows(%q) = true, want false", f)
				}
			}
			if got := v.Expand("*"); tt.role == "flat_except_key" && (contains(got, "flat") || !contains(got, "esflat")) {
				t.Errorf("Expand(*) = %v: a partly hidden flattened field must not be expanded to", got)
			}
		})
	}
}

// TestFlattenedFieldsResponse: OpenSearch 2.19 answers "fields":["flat.ok"]
// with the whole object of flat, hidden keys included.
func TestFlattenedFieldsResponse(t *testing.T) {
	v := flattenedView(t, "flat_except_key")
	f := &Filter{Policy: Views{"flat-1": v}}
	body := `{"hits":{"hits":[{"_index":"flat-1","_id":"1","_source":{"pub":"p","flat":{"ok":"fine","secret":"CANARY-FLAT-1"}},` +
		`"fields":{"flat.ok":["{secret=CANARY-FLAT-2, ok=fine}"],"flat":["{secret=CANARY-FLAT-3, ok=fine}"],"flat.":["{secret=CANARY-FLAT-4, ok=fine}"],"pub":["p"]}}]}}`
	out := apply(t, f, KindSearch, []byte(body))
	assertNoCanary(t, out, "CANARY-FLAT")
	assertContains(t, out, `"ok":"fine"`, `"pub":["p"]`)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
