package dls

import (
	"errors"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// undecided marks an expected ErrUnsupported.
const undecided = "undecided"

func TestMatches(t *testing.T) {
	doc := `{
		"tenant":"acme","title":"Quarterly Report","code":"ABC","n":42,"f":1.5,"ns":"42","ok":true,
		"tags":["red","blue"],"user":{"name":"bob","age":30},"a.b":"flat","deep":{"x.y":{"z":"dz"}},
		"people":[{"name":"ann"},{"name":"cid"}],"empty":"","none":null,"when":"2024-03-01T10:00:00Z",
		"day":"2024-03-01","ms":1709287200000,"long":"` + longString + `","obj":{}
	}`
	tests := []struct {
		name, query string
		want        string // "true", "false" or undecided
	}{
		{"match_all", `{"match_all":{}}`, "true"},
		{"match_none", `{"match_none":{}}`, "false"},
		{"term equal", `{"term":{"tenant":"acme"}}`, "true"},
		{"term long form", `{"term":{"tenant":{"value":"acme","boost":2}}}`, "true"},
		{"term different", `{"term":{"tenant":"globex"}}`, "false"},
		{"term missing field", `{"term":{"nope":"acme"}}`, "false"},
		{"term equal but analysable", `{"term":{"code":"ABC"}}`, undecided},
		{"term one word of a text", `{"term":{"title":"report"}}`, undecided},
		{"term on .keyword", `{"term":{"title.keyword":"Quarterly Report"}}`, "true"},
		{"term on .keyword differs", `{"term":{"title.keyword":"quarterly report"}}`, "false"},
		{"term on .keyword too long", `{"term":{"long.keyword":"` + longString + `"}}`, undecided},
		{"term on another sub-field", `{"term":{"title.raw":"Quarterly Report"}}`, undecided},
		{"term array element", `{"term":{"tags":"blue"}}`, "true"},
		{"term number", `{"term":{"n":42}}`, "true"},
		{"term number written differently", `{"term":{"n":42.0}}`, "true"},
		{"term number as string", `{"term":{"n":"42"}}`, "true"},
		{"term string number vs number", `{"term":{"ns":42}}`, "true"},
		{"term number spelled otherwise", `{"term":{"n":"42.0"}}`, undecided},
		{"term number differs", `{"term":{"f":1.25}}`, "false"},
		{"term bool", `{"term":{"ok":true}}`, "true"},
		{"term bool string", `{"term":{"ok":"true"}}`, "true"},
		{"term bool differs", `{"term":{"ok":false}}`, "false"},
		{"term nested object path", `{"term":{"user.name":"bob"}}`, "true"},
		{"term flat dotted key", `{"term":{"a.b":"flat"}}`, "true"},
		{"term mixed dotted path", `{"term":{"deep.x.y.z":"dz"}}`, "true"},
		{"term through array of objects", `{"term":{"people.name":"cid"}}`, undecided},
		{"term through array of objects, no match", `{"term":{"people.name":"zed"}}`, "false"},
		{"term null value", `{"term":{"none":"x"}}`, "false"},
		{"term _id", `{"term":{"_id":"doc-1"}}`, "true"},
		{"case-insensitive term", `{"term":{"tenant":{"value":"ACME","case_insensitive":true}}}`, undecided},
		{"terms any", `{"terms":{"tenant":["globex","acme"]}}`, "true"},
		{"terms none", `{"terms":{"tenant":["globex","initech"]}}`, "false"},
		{"terms empty", `{"terms":{"tenant":[]}}`, "false"},
		{"terms lookup", `{"terms":{"tenant":{"index":"i","id":"1","path":"p"}}}`, undecided},
		{"match exact", `{"match":{"title":"Quarterly Report"}}`, "true"},
		{"match long form", `{"match":{"title":{"query":"Quarterly Report","operator":"and"}}}`, "true"},
		{"match one word", `{"match":{"title":"report"}}`, undecided},
		{"match no shared word", `{"match":{"title":"annual budget"}}`, "false"},
		{"match same stem", `{"match":{"title":"reporting"}}`, undecided},
		{"term same stem", `{"term":{"title":"quarter"}}`, undecided},
		{"match with fuzziness", `{"match":{"tenant":{"query":"acmr","fuzziness":"AUTO"}}}`, undecided},
		{"match number", `{"match":{"n":42}}`, "true"},
		{"range number", `{"range":{"n":{"gte":40,"lt":43}}}`, "true"},
		{"range number out", `{"range":{"n":{"gt":42}}}`, "false"},
		{"range number inclusive", `{"range":{"n":{"lte":42}}}`, "true"},
		{"range legacy", `{"range":{"n":{"from":42,"to":50,"include_lower":false}}}`, "false"},
		{"range numeric string", `{"range":{"ns":{"gte":"41"}}}`, "true"},
		{"range date", `{"range":{"when":{"gte":"2024-03-01","lt":"2024-03-02T00:00:00+00:00"}}}`, "true"},
		{"range date with zone", `{"range":{"when":{"gt":"2024-03-01T11:00:00+02:00"}}}`, "true"},
		{"range date out", `{"range":{"when":{"gt":"2024-03-01T10:00:00.001Z"}}}`, "false"},
		{"range date vs epoch millis", `{"range":{"day":{"gte":1709251200000,"lte":1709251200000}}}`, "true"},
		{"range epoch doc vs date", `{"range":{"ms":{"gte":"2024-03-01T10:00:00Z","lte":"2024-03-01T10:00:00Z"}}}`, "true"},
		{"range missing", `{"range":{"nope":{"gte":1}}}`, "false"},
		{"range now", `{"range":{"when":{"gte":"now-1d"}}}`, undecided},
		{"range date math", `{"range":{"when":{"gte":"2024-01-01||+1M"}}}`, undecided},
		{"range time zone", `{"range":{"when":{"gte":"2024-01-01","time_zone":"Europe/Paris"}}}`, undecided},
		{"range strings", `{"range":{"tenant":{"gte":"a"}}}`, undecided},
		{"range with the default format", `{"range":{"when":{"gte":"2024-03-01","format":"strict_date_optional_time||epoch_millis"}}}`, "true"},
		{"range with another format", `{"range":{"when":{"gte":"01/03/2024","format":"dd/MM/yyyy"}}}`, undecided},
		{"range utc time zone", `{"range":{"when":{"gte":"2024-03-01","time_zone":"UTC"}}}`, "true"},
		{"range huge number", `{"range":{"n":{"gte":1e999999}}}`, undecided},
		{"term huge number", `{"term":{"n":1e999999}}`, undecided},
		{"range invalid date", `{"range":{"when":{"gte":"2024-02-30"}}}`, undecided},
		{"range on a boolean", `{"range":{"ok":{"gte":1}}}`, "false"},
		{"range on an object", `{"range":{"user":{"gte":1}}}`, undecided},
		{"range include flags", `{"range":{"n":{"from":40,"to":42,"include_upper":false}}}`, "false"},
		{"term number spelled loosely", `{"term":{"n":"042"}}`, undecided},
		{"term object value", `{"term":{"tenant":{"value":{"a":1}}}}`, undecided},
		{"term two fields", `{"term":{"tenant":"acme","n":42}}`, undecided},
		{"match analyzer", `{"match":{"title":{"query":"Quarterly Report","analyzer":"keyword"}}}`, undecided},
		{"match analyzer differs", `{"match":{"title":{"query":"annual","analyzer":"keyword"}}}`, undecided},
		{"match unknown option", `{"match":{"title":{"query":"x","sneaky":1}}}`, undecided},
		{"exists on .keyword", `{"exists":{"field":"tenant.keyword"}}`, "true"},
		{"exists on a multi-field", `{"exists":{"field":"tenant.raw"}}`, undecided},
		{"exists", `{"exists":{"field":"tenant"}}`, "true"},
		{"exists missing", `{"exists":{"field":"nope"}}`, "false"},
		{"exists null", `{"exists":{"field":"none"}}`, "false"},
		{"exists empty string", `{"exists":{"field":"empty"}}`, undecided},
		{"exists object", `{"exists":{"field":"user"}}`, "true"},
		{"exists empty object", `{"exists":{"field":"obj"}}`, "false"},
		{"ids", `{"ids":{"values":["x","doc-1"]}}`, "true"},
		{"ids other", `{"ids":{"values":["x"]}}`, "false"},
		{"constant_score", `{"constant_score":{"filter":{"term":{"tenant":"acme"}},"boost":1}}`, "true"},
		{"bool must", `{"bool":{"must":[{"term":{"tenant":"acme"}},{"range":{"n":{"gte":1}}}]}}`, "true"},
		{"bool filter false", `{"bool":{"filter":{"term":{"tenant":"globex"}}}}`, "false"},
		{"bool must_not", `{"bool":{"must_not":{"term":{"tenant":"globex"}}}}`, "true"},
		{"bool must_not hit", `{"bool":{"must_not":[{"term":{"tenant":"acme"}}]}}`, "false"},
		{"bool must_not undecidable", `{"bool":{"must_not":{"term":{"title":"report"}}}}`, undecided},
		{"bool must_not decided false beats unknown must", `{"bool":{"must":{"term":{"title":"report"}},"must_not":{"term":{"tenant":"acme"}}}}`, "false"},
		{"bool should default 1", `{"bool":{"should":[{"term":{"tenant":"globex"}},{"term":{"tenant":"acme"}}]}}`, "true"},
		{"bool should none", `{"bool":{"should":[{"term":{"tenant":"globex"}}]}}`, "false"},
		{"bool should ignored with must", `{"bool":{"must":{"match_all":{}},"should":[{"term":{"tenant":"globex"}}]}}`, "true"},
		{"bool should msm 2", `{"bool":{"should":[{"term":{"tenant":"acme"}},{"term":{"n":1}}],"minimum_should_match":2}}`, "false"},
		{"bool should msm 50%", `{"bool":{"should":[{"term":{"tenant":"acme"}},{"term":{"n":1}}],"minimum_should_match":"50%"}}`, "true"},
		{"bool should msm -1", `{"bool":{"should":[{"term":{"tenant":"acme"}},{"term":{"n":1}}],"minimum_should_match":-1}}`, "true"},
		{"bool should msm with unknown", `{"bool":{"should":[{"term":{"tenant":"acme"}},{"term":{"title":"report"}}],"minimum_should_match":2}}`, undecided},
		{"bool should msm combination", `{"bool":{"should":[{"term":{"tenant":"acme"}}],"minimum_should_match":"2<50%"}}`, undecided},
		{"bool empty", `{"bool":{}}`, "true"},
		{"unsupported type", `{"prefix":{"tenant":"ac"}}`, undecided},
		{"unsupported nested", `{"bool":{"should":[{"match_all":{}},{"wildcard":{"tenant":"a*"}}]}}`, undecided},
		{"metadata field", `{"term":{"_index":"logs"}}`, undecided},
		{"malformed", `{"term":{"a":1},"match_all":{}}`, undecided},
	}
	d := mustObject(t, doc)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Matches(mustParse(t, tt.query), "doc-1", d)
			switch tt.want {
			case undecided:
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("Matches = %v, %v; want ErrUnsupported", got, err)
				}
			default:
				if err != nil || (got != (tt.want == "true")) {
					t.Fatalf("Matches = %v, %v; want %s", got, err, tt.want)
				}
			}
		})
	}
}

var longString = func() string {
	b := make([]byte, 300)
	for i := range b {
		b[i] = 'x'
	}
	return string(b)
}()

func TestMatchesWithoutID(t *testing.T) {
	d := mustObject(t, `{"tenant":"acme"}`)
	for _, q := range []string{`{"ids":{"values":["1"]}}`, `{"term":{"_id":"1"}}`} {
		if _, err := Matches(mustParse(t, q), "", d); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s on a document without id: %v", q, err)
		}
	}
	if ok, err := Matches(mustParse(t, `{"ids":{"values":[]}}`), "", d); ok || err != nil {
		t.Errorf("empty ids: %v %v", ok, err)
	}
}

func TestMatchesAny(t *testing.T) {
	d := mustObject(t, `{"tenant":"acme","title":"Report"}`)
	q := func(s string) []string { return []string{s} }
	tests := []struct {
		name    string
		queries []string
		want    string
	}{
		{"one matches", append(q(`{"term":{"tenant":"globex"}}`), `{"term":{"tenant":"acme"}}`), "true"},
		{"a sure match beats an unsupported query", append(q(`{"prefix":{"a":"b"}}`), `{"term":{"tenant":"acme"}}`), "true"},
		{"none", append(q(`{"term":{"tenant":"globex"}}`), `{"term":{"tenant":"initech"}}`), "false"},
		{"unsupported and no match", append(q(`{"prefix":{"a":"b"}}`), `{"term":{"tenant":"initech"}}`), undecided},
		{"undecidable and no match", append(q(`{"term":{"title":"report"}}`), `{"term":{"tenant":"initech"}}`), undecided},
		{"no queries", nil, "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var qs []esbody.Value
			for _, s := range tt.queries {
				qs = append(qs, mustParse(t, s))
			}
			got, err := MatchesAny(qs, "1", d)
			if tt.want == undecided {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("MatchesAny = %v, %v", got, err)
				}
				return
			}
			if err != nil || got != (tt.want == "true") {
				t.Fatalf("MatchesAny = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
