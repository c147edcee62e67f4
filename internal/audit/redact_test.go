package audit

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestRedactBody(t *testing.T) {
	tests := []struct {
		name, path, body, want string
	}{
		{"put user password and hash", "/_security/user/jacknich",
			`{"password" : "l0ng-r4nd0m-p@ssw0rd", "password_hash":"$2a$10$x", "roles" : [ "admin", "other_role1" ], "full_name" : "Jack Nicholson", "metadata":{"intelligence":7}}`,
			`{"password":"::es_redacted::","password_hash":"::es_redacted::","roles":["admin","other_role1"],"full_name":"Jack Nicholson","metadata":{"intelligence":7}}`},
		{"change password", "/_security/user/u/_password", `{"password":"new"}`, `{"password":"::es_redacted::"}`},
		// A JSON decoder matches field names case-insensitively with Unicode
		// folding: every spelling it would take for a password is one.
		{"folded spellings of password", "/_security/user/zed",
			"{\"pa\u017f\u017fword\":\"Hunter2\",\"PASSWORD_HASH\":\"h\",\"Password\":\"x\",\"roles\":[]}",
			"{\"pa\u017f\u017fword\":\"::es_redacted::\",\"PASSWORD_HASH\":\"::es_redacted::\",\"Password\":\"::es_redacted::\",\"roles\":[]}"},
		{"oauth2 token: password grant", "/_security/oauth2/token",
			`{"grant_type":"password","username":"test_admin","password":"x-pack-test-password"}`,
			`{"grant_type":"password","username":"test_admin","password":"::es_redacted::"}`},
		{"oauth2 token: refresh", "/_security/oauth2/token",
			`{"grant_type":"refresh_token","refresh_token":"vLBPvmAB6KvwvJZr27cS"}`,
			`{"grant_type":"refresh_token","refresh_token":"::es_redacted::"}`},
		{"grant api key", "/_security/api_key/grant",
			`{"grant_type":"access_token","access_token":"abc","api_key":{"name":"k"}}`,
			`{"grant_type":"access_token","access_token":"::es_redacted::","api_key":"::es_redacted::"}`},
		{"nested secret anywhere, objects replaced whole", "/_snapshot/repo",
			`{"type":"s3","settings":{"bucket":"b","secret_key":{"nested":[1,2]},"access_key":"AK","client":{"Session_Token":"t"}}}`,
			`{"type":"s3","settings":{"bucket":"b","secret_key":"::es_redacted::","access_key":"::es_redacted::","client":{"Session_Token":"::es_redacted::"}}}`},
		{"arrays of objects", "/x/_doc", `[{"user":"a","passwd":"p"},{"apiKey":"k"}]`,
			`[{"user":"a","passwd":"::es_redacted::"},{"apiKey":"::es_redacted::"}]`},
		{"tokenizer settings are not secrets", "/idx",
			`{"settings":{"analysis":{"tokenizer":{"t":{"type":"ngram","token_chars":["letter"],"max_token_length":5}}}}}`,
			`{"settings":{"analysis":{"tokenizer":{"t":{"type":"ngram","token_chars":["letter"],"max_token_length":5}}}}}`},
		{"SAML response", "/_security/saml/authenticate", `{"content":"PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46","ids":["4fee3b046395c4e751011e97f8900b5273d56685"]}`,
			`{"content":"::es_redacted::","ids":"::es_redacted::"}`},
		{"OIDC redirect carries the code", "/_security/oidc/authenticate", `{"redirect_uri":"https://x/cb?code=abc","state":"s","nonce":"n","realm":"oidc1"}`,
			`{"redirect_uri":"::es_redacted::","state":"::es_redacted::","nonce":"::es_redacted::","realm":"oidc1"}`},
		{"ndjson keeps one document per line", "/_bulk",
			"{\"index\":{\"_index\":\"i\"}}\n{\"user\":\"a\",\"password\":\"p\"}\n",
			"{\"index\":{\"_index\":\"i\"}}\n{\"user\":\"a\",\"password\":\"::es_redacted::\"}\n"},
		{"numbers, bools, null and escapes kept", "/i/_doc/1", `{"n":1.50e3,"b":true,"z":null,"s":"a\"<b>\u00e9"}`,
			`{"n":1.50e3,"b":true,"z":null,"s":"a\"<b>é"}`},
		{"not JSON but mentions a password", "/_security/user/x", "password=hunter2", Redacted},
		{"not JSON, harmless", "/_sql", "SELECT 1", "SELECT 1"},
		{"truncated JSON with a secret", "/_security/user/x", `{"password":"hun`, Redacted},
		{"empty", "/", "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactBody(tt.path, tt.body)
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if strings.HasPrefix(strings.TrimSpace(tt.body), "{") && got != Redacted {
				for _, doc := range strings.Split(strings.TrimSpace(got), "\n") {
					if !json.Valid([]byte(doc)) {
						t.Fatalf("result is not valid JSON: %s", doc)
					}
				}
			}
		})
	}
}

// Checklist G75: with emit_request_body, request.body is a JSON-escaped
// string and _security/user passwords are filtered.
func TestTrailEmitRequestBody(t *testing.T) {
	for _, emit := range []bool{false, true} {
		ff := &fakeFile{}
		l := openFake(t, ff, nil)
		tr, err := NewWithLog(Config{EmitRequestBody: emit, Include: []string{"_all"}}, l, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ev := &Event{EventType: TypeRest, EventAction: AuthenticationSuccess, URLPath: "/_security/user/bob",
			RequestMethod: "PUT", RequestBody: `{"password":"s3cr3t","roles":["r"]}`}
		if err := tr.Record(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		rec := string(ff.durable())
		if strings.Contains(rec, "s3cr3t") {
			t.Fatalf("password leaked: %s", rec)
		}
		has := strings.Contains(rec, `"request.body":"{\"password\":\"::es_redacted::\",\"roles\":[\"r\"]}"`)
		if has != emit {
			t.Fatalf("emit=%v, record: %s", emit, rec)
		}
		if ev.RequestBody != `{"password":"s3cr3t","roles":["r"]}` {
			t.Fatal("Record modified the caller's event")
		}
	}
}

// TestRedactQuery: a body sent in the `source` parameter, and parameters
// named like credentials, never reach url.query in clear text; other
// queries are kept byte for byte.
func TestRedactQuery(t *testing.T) {
	src := `source=%7B%22password%22%3A%22TopSecretPw-456%22%2C%22roles%22%3A%5B%22r%22%5D%7D`
	tests := []struct{ name, path, query, want string }{
		{"empty", "/", "", ""},
		{"plain", "/idx/_search", "q=user:bob&size=10;pretty", "q=user:bob&size=10;pretty"},
		{"source without secrets is kept as sent", "/idx/_search",
			"source=%7B%20%22query%22%20%3A%20%7B%7D%7D&source_content_type=application/json",
			"source=%7B%20%22query%22%20%3A%20%7B%7D%7D&source_content_type=application/json"},
		{"source with a password", "/_security/user/bob", src + "&source_content_type=application/json",
			"source=" + url.QueryEscape(`{"password":"::es_redacted::","roles":["r"]}`) + "&source_content_type=application/json"},
		{"percent-encoded name", "/_security/user/bob", "sour%63e=%7B%22password_hash%22%3A%22h4sh%22%7D",
			"sour%63e=" + url.QueryEscape(`{"password_hash":"::es_redacted::"}`)},
		{"leading = is skipped as Elasticsearch does", "/_security/user/bob", "=" + src,
			"=source=" + url.QueryEscape(`{"password":"::es_redacted::","roles":["r"]}`)},
		{"source that is not JSON", "/_security/user/bob", "source=password%3Dhunter2", "source=" + url.QueryEscape(Redacted)},
		{"source with a bad escape", "/_security/user/bob", "source=%7B%22password%22%ZZ", "source=" + url.QueryEscape(Redacted)},
		{"credential-named parameters", "/idx/_search", "api_key=abc&access_token=def&size=1",
			"api_key=" + url.QueryEscape(Redacted) + "&access_token=" + url.QueryEscape(Redacted) + "&size=1"},
		{"undecodable name mentioning a secret", "/", "password%ZZ=x&a=b", Redacted + "&a=b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactQuery(tc.path, tc.query)
			if got != tc.want {
				t.Fatalf("RedactQuery(%q)\n got %s\nwant %s", tc.query, got, tc.want)
			}
			for _, s := range []string{"TopSecretPw", "hunter2", "h4sh", "abc", "def"} {
				if strings.Contains(got, s) && !strings.Contains(tc.want, s) {
					t.Fatalf("%q left in %s", s, got)
				}
			}
		})
	}
}

// TestTrailRedactsQuery: Record redacts url.query of every event, whether
// or not request bodies are emitted.
func TestTrailRedactsQuery(t *testing.T) {
	ff := &fakeFile{}
	l := openFake(t, ff, nil)
	tr, err := NewWithLog(Config{Include: []string{"_all"}}, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := `source=%7B%22password%22%3A%22s3cr3t%22%7D&source_content_type=application/json`
	ev := &Event{EventType: TypeRest, EventAction: AuthenticationFailed, URLPath: "/_security/user/bob",
		RequestMethod: "PUT", URLQuery: q}
	if err := tr.Record(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if rec := string(ff.durable()); strings.Contains(rec, "s3cr3t") || !strings.Contains(rec, `"url.query":"source=`) {
		t.Fatalf("url.query not redacted: %s", rec)
	}
	if ev.URLQuery != q {
		t.Fatal("Record modified the caller's event")
	}
}
