package dls

import (
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// renderWith renders src against params plus the user, like a role
// template.
func renderWith(t *testing.T, src string, params string, u User) (string, error) {
	t.Helper()
	tmpl, err := compileTemplate(src)
	if err != nil {
		return "", err
	}
	root := &esbody.Object{}
	if params != "" {
		for n, v := range mustObject(t, params).All() {
			root.Set(n, v)
		}
	}
	model, err := u.model()
	if err != nil {
		return "", err
	}
	root.Set("_user", model)
	return tmpl.render(root)
}

var testUser = User{
	Username: "alice",
	FullName: "Alice Liddell",
	Email:    "alice@example.com",
	Roles:    []string{"acme_reader", "kibana_user"},
	Metadata: map[string]any{
		"tenant": "acme",
		"level":  float64(3),
		"ratio":  1.5,
		"groups": []any{"g1", "g2"},
		"nested": map[string]any{"dept": "sales", "codes": []any{float64(7), true}},
		"empty":  "",
		"off":    false,
		"none":   []any{},
	},
}

func TestRender(t *testing.T) {
	tests := []struct {
		name, src, params, want string
	}{
		{"username", `{{_user.username}}`, "", `alice`},
		{"full name and email", `{{_user.full_name}} <{{_user.email}}>`, "", `Alice Liddell <alice@example.com>`},
		{"metadata string", `{{_user.metadata.tenant}}`, "", `acme`},
		{"metadata number", `{{_user.metadata.level}}/{{_user.metadata.ratio}}`, "", `3/1.5`},
		{"nested metadata", `{{_user.metadata.nested.dept}}`, "", `sales`},
		{"missing renders nothing", `[{{_user.metadata.nope}}]`, "", `[]`},
		{"array size and index", `{{_user.roles.size}} {{_user.roles.1}}`, "", `2 kibana_user`},
		{"toJson array", `{{#toJson}}_user.roles{{/toJson}}`, "", `["acme_reader","kibana_user"]`},
		{"toJson object", `{{#toJson}}_user.metadata.nested{{/toJson}}`, "", `{"codes":[7,true],"dept":"sales"}`},
		{"toJson scalar", `{{#toJson}}_user.username{{/toJson}}`, "", `alice`},
		{"toJson missing", `[{{#toJson}}_user.metadata.nope{{/toJson}}]`, "", `[]`},
		{"toJson case-insensitive", `{{#tojson}}_user.metadata.groups{{/tojson}}`, "", `["g1","g2"]`},
		{"join", `{{#join}}_user.metadata.groups{{/join}}`, "", `g1,g2`},
		{"join delimiter", `{{#join delimiter=' OR '}}_user.roles{{/join delimiter=' OR '}}`, "", `acme_reader OR kibana_user`},
		{"join of a non-array renders the name", `{{#join}}_user.username{{/join}}`, "", `_user.username`},
		{"section over array", `{{#_user.roles}}[{{.}}]{{/_user.roles}}`, "", `[acme_reader][kibana_user]`},
		{"section over object", `{{#_user.metadata.nested}}{{dept}}{{/_user.metadata.nested}}`, "", `sales`},
		{"outer scope from section", `{{#_user.metadata.nested}}{{_user.username}}{{/_user.metadata.nested}}`, "", `alice`},
		{"falsy sections", `{{#_user.metadata.empty}}a{{/_user.metadata.empty}}{{#_user.metadata.off}}b{{/_user.metadata.off}}{{#_user.metadata.none}}c{{/_user.metadata.none}}`, "", ``},
		{"inverted", `{{^_user.metadata.nope}}x{{/_user.metadata.nope}}{{^_user.metadata.tenant}}y{{/_user.metadata.tenant}}`, "", `x`},
		{"zero is truthy", `{{#z}}yes{{/z}}`, `{"z":0}`, `yes`},
		{"params", `{{field}}:{{_user.username}}`, `{"field":"owner"}`, `owner:alice`},
		{"user wins over a _user param", `{{_user.username}}`, `{"_user":{"username":"mallory"}}`, `alice`},
		{"comment", `a{{! ignored }}b`, "", `ab`},
		{"url", `{{#url}}{{_user.full_name}}/~*{{/url}}`, "", `Alice+Liddell%2F%7E*`},
		{"blank in tag name", `{{ _user.username }}`, "", `alice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderWith(t, tt.src, tt.params, testUser)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got != tt.want {
				t.Fatalf("render = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRenderRefusals(t *testing.T) {
	tests := []struct{ name, src string }{
		{"triple mustache", `{{{_user.username}}}`},
		{"ampersand", `{{&_user.username}}`},
		{"ampersand after a blank", `{{ &_user.username}}`},
		{"triple after a blank", `{{ {_user.username}}}`},
		{"partial", `{{> other}}`},
		{"set delimiter", `{{=<% %>=}}`},
		{"inheritance", `{{<parent}}{{/parent}}`},
		{"unclosed tag", `{"a":"{{_user.username"}`},
		{"unclosed section", `{{#_user.roles}}x`},
		{"mismatched close", `{{#a}}x{{/b}}`},
		{"stray close", `x{{/a}}`},
		{"empty tag", `{{}}`},
		{"toJson with a tag inside", `{{#toJson}}{{_user.roles}}{{/toJson}}`},
		{"toJson with blanks", `{{#toJson}} _user.roles {{/toJson}}`},
		{"toJson empty", `{{#toJson}}{{/toJson}}`},
		{"value of an array", `{{_user.roles}}`},
		{"value of an object", `{{_user.metadata}}`},
		{"index out of range", `{{_user.roles.5}}`},
		{"join of objects", `{{#join}}l{{/join}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderWith(t, tt.src, `{"l":[{"a":1}]}`, testUser)
			if !errors.Is(err, errTemplate) {
				t.Fatalf("render error = %v, want errTemplate", err)
			}
		})
	}
}

// hostile are metadata values that try to break out of a JSON string.
var hostile = []string{
	`"}},{"match_all":{}},{"term":{"x":"`,
	`acme"}}]}},"should":[{"match_all":{}}],"x":{"y":"`,
	`\"}}`,
	`\`,
	`{{_user.username}}`,
	"line\nbreak\r\tand\x00nul\x1f",
	"\u2028\u2029</script>",
	"invalid\xff\xfeutf8",
	`'}},{"match_all":{}}`,
	`*`,
}

// TestRenderInjection renders templates that put user values in every
// position a role author can, with hostile values, and checks that the
// result is still one term query on the intended field whose value is the
// user's string exactly (or, for invalid UTF-8, with U+FFFD).
func TestRenderInjection(t *testing.T) {
	templates := []struct {
		name, src string
		value     func(esbody.Value) esbody.Value // extracts the user value
	}{
		{"value tag", `{"term":{"owner":"{{_user.metadata.v}}"}}`, termValue},
		{"value tag in long form", `{"term":{"owner":{"value":"x-{{_user.metadata.v}}"}}}`, nil},
		{"join", `{"term":{"owner":"{{#join}}_user.metadata.l{{/join}}"}}`, termValue},
		{"toJson scalar", `{"term":{"owner":"{{#toJson}}_user.metadata.v{{/toJson}}"}}`, termValue},
		{"toJson array", `{"terms":{"owner":{{#toJson}}_user.metadata.l{{/toJson}}}}`, nil},
		{"section", `{"terms":{"owner":[{{#_user.metadata.l}}"{{.}}"{{/_user.metadata.l}}]}}`, nil},
		{"username", `{"term":{"owner":"{{_user.username}}"}}`, termValue},
		{"url", `{"term":{"owner":"{{#url}}{{_user.metadata.v}}{{/url}}"}}`, nil},
	}
	for _, h := range hostile {
		u := User{Username: h, Metadata: map[string]any{"v": h, "l": []any{h}}}
		for _, tt := range templates {
			t.Run(tt.name, func(t *testing.T) {
				out, err := renderWith(t, tt.src, "", u)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				q, err := parseRenderedQuery(out)
				if err != nil {
					t.Fatalf("rendered %q: %v", out, err)
				}
				o := q.(*esbody.Object)
				if o.Len() != 1 || (!o.Has("term") && !o.Has("terms")) {
					t.Fatalf("rendered query changed shape: %s", out)
				}
				inner, _ := o.At(0).Value.(*esbody.Object)
				if inner.Len() != 1 || !inner.Has("owner") {
					t.Fatalf("rendered query reaches another field: %s", out)
				}
				if tt.value != nil {
					want := string([]rune(h)) // each invalid byte becomes U+FFFD
					if got := tt.value(q); got != esbody.String(want) {
						t.Fatalf("user value = %v, want %q (rendered %s)", got, want, out)
					}
				}
			})
		}
	}
}

func termValue(q esbody.Value) esbody.Value {
	v, _ := esbody.Lookup(q, "term", "owner")
	return v
}

func TestUserModelTypes(t *testing.T) {
	u := User{Metadata: map[string]any{
		"i": 7, "u": uint8(8), "f32": float32(0.5), "big": 1e21, "ss": []string{"a"},
		"ms": map[string]string{"k": "v"}, "n": nil,
	}}
	got, err := renderWith(t, `{{#toJson}}_user.metadata{{/toJson}}`, "", u)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"big":1e+21,"f32":0.5,"i":7,"ms":{"k":"v"},"n":null,"ss":["a"],"u":8}`
	if got != want {
		t.Fatalf("metadata = %s, want %s", got, want)
	}
	if _, err := (User{Metadata: map[string]any{"c": make(chan int)}}).model(); err == nil {
		t.Fatal("a channel in metadata was accepted")
	}
	deep := map[string]any{}
	cur := deep
	for i := 0; i < maxMetadataDepth+2; i++ {
		next := map[string]any{}
		cur["x"] = next
		cur = next
	}
	if _, err := (User{Metadata: deep}).model(); err == nil {
		t.Fatal("metadata deeper than the bound was accepted")
	}
}

func TestRenderOutputBound(t *testing.T) {
	big := make([]any, 2000)
	for i := range big {
		big[i] = strings.Repeat("x", 100)
	}
	u := User{Metadata: map[string]any{"l": big}}
	src := `{{#_user.metadata.l}}{{#_user.metadata.l}}{{.}}{{/_user.metadata.l}}{{/_user.metadata.l}}`
	if _, err := renderWith(t, src, "", u); !errors.Is(err, errTemplate) {
		t.Fatalf("render of a huge expansion: %v, want errTemplate", err)
	}
}
