package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// roleTemplate is one entry of a mapping's role_templates.
//
// Only a minimal mustache subset is implemented (no dependency), enough for
// Elasticsearch's documented role templates:
//
//	{{var}}                   the value, JSON-string-escaped (Elasticsearch's
//	                          default mustache content type is JSON)
//	{{{var}}} / {{&var}}      the value, unescaped
//	{{#tojson}}var{{/tojson}} the value as JSON (toJson also accepted)
//	{{#join}}var{{/join}}     a list joined with ","
//	{{! comment}}             ignored
//
// var is username, dn, groups, realm.name or metadata.<key> (a whole
// metadata key such as metadata.oidc(email), or a dotted path into nested
// metadata). Lists render as [a, b] (Java's toString) outside tojson/join;
// a missing value renders as "" (tojson: null). Other sections, inverted
// sections, partials and delimiter changes are refused at load time.
type roleTemplate struct {
	source string
	format string // "string" or "json"
	parts  []tplPart
}

type tplPart struct {
	text string // literal text when op == 0
	op   byte   // 0 text, 'v' escaped var, 'u' unescaped var, 'j' tojson, 'J' join
	name string
}

func parseRoleTemplate(n *yaml.Node) (roleTemplate, error) {
	if n.Kind != yaml.MappingNode {
		return roleTemplate{}, errors.New("each role template must be an object {template: {source: ...}, format: string|json}")
	}
	t := roleTemplate{format: "string"}
	haveSource := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		switch k.Value {
		case "format":
			if v.Value != "string" && v.Value != "json" {
				return t, fmt.Errorf("format must be string or json, not %q", v.Value)
			}
			t.format = v.Value
		case "template":
			switch v.Kind {
			case yaml.ScalarNode: // a JSON-encoded script object or plain source
				var obj struct {
					Source string `json:"source"`
				}
				if json.Unmarshal([]byte(v.Value), &obj) == nil && obj.Source != "" {
					t.source = obj.Source
				} else {
					t.source = v.Value
				}
				haveSource = true
			case yaml.MappingNode:
				for j := 0; j+1 < len(v.Content); j += 2 {
					switch v.Content[j].Value {
					case "source":
						t.source, haveSource = v.Content[j+1].Value, true
					case "lang":
						if l := v.Content[j+1].Value; l != "mustache" {
							return t, fmt.Errorf("template lang %q is not supported (only mustache)", l)
						}
					case "id", "params", "options":
						return t, fmt.Errorf("template %s is not supported", v.Content[j].Value)
					default:
						return t, fmt.Errorf("unknown template field %q", v.Content[j].Value)
					}
				}
			default:
				return t, errors.New("template must be an object with source")
			}
		default:
			return t, fmt.Errorf("unknown role template field %q", k.Value)
		}
	}
	if !haveSource {
		return t, errors.New("template.source is required")
	}
	parts, err := parseMustache(t.source)
	if err != nil {
		return t, err
	}
	t.parts = parts
	return t, nil
}

func parseMustache(src string) ([]tplPart, error) {
	var parts []tplPart
	s := src
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				parts = append(parts, tplPart{text: s})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, tplPart{text: s[:i]})
		}
		s = s[i+2:]
		if strings.HasPrefix(s, "{") { // {{{var}}}
			j := strings.Index(s, "}}}")
			if j < 0 {
				return nil, errors.New("unterminated {{{")
			}
			parts = append(parts, tplPart{op: 'u', name: strings.TrimSpace(s[1:j])})
			s = s[j+3:]
			continue
		}
		j := strings.Index(s, "}}")
		if j < 0 {
			return nil, errors.New("unterminated {{")
		}
		tag := strings.TrimSpace(s[:j])
		s = s[j+2:]
		switch {
		case tag == "":
			return nil, errors.New("empty {{}} tag")
		case tag[0] == '!':
			continue
		case tag[0] == '&':
			parts = append(parts, tplPart{op: 'u', name: strings.TrimSpace(tag[1:])})
		case tag[0] == '#':
			fn := strings.TrimSpace(tag[1:])
			var op byte
			switch strings.ToLower(fn) {
			case "tojson":
				op = 'j'
			case "join":
				op = 'J'
			default:
				return nil, fmt.Errorf("mustache section {{#%s}} is not supported (only tojson and join)", fn)
			}
			end := strings.Index(s, "{{/")
			if end < 0 {
				return nil, fmt.Errorf("{{#%s}} is not closed", fn)
			}
			name := strings.TrimSpace(s[:end])
			rest := s[end+3:]
			k := strings.Index(rest, "}}")
			if k < 0 || strings.TrimSpace(rest[:k]) != fn {
				return nil, fmt.Errorf("{{#%s}} is not closed by {{/%s}}", fn, fn)
			}
			if strings.Contains(name, "{{") || name == "" {
				return nil, fmt.Errorf("{{#%s}} must contain a single variable name", fn)
			}
			parts = append(parts, tplPart{op: op, name: name})
			s = rest[k+2:]
		case strings.ContainsAny(tag[:1], "^/>=<"):
			return nil, fmt.Errorf("mustache tag {{%s}} is not supported", tag)
		default:
			parts = append(parts, tplPart{op: 'v', name: tag})
		}
	}
}

func (u *userModel) templateValue(name string) any {
	switch name {
	case "username", "dn", "groups", "realm.name":
		return u.field(name)
	case "metadata":
		return u.metadata
	case "realm":
		return map[string]any{"name": u.realm}
	}
	if strings.HasPrefix(name, "metadata.") {
		return u.field(name)
	}
	return nil
}

func (t roleTemplate) renderString(u *userModel) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.op {
		case 0:
			b.WriteString(p.text)
		case 'v':
			b.WriteString(jsonEscape(plainString(u.templateValue(p.name))))
		case 'u':
			b.WriteString(plainString(u.templateValue(p.name)))
		case 'j':
			out, err := json.Marshal(u.templateValue(p.name))
			if err != nil {
				out = []byte("null")
			}
			b.Write(out)
		case 'J':
			v := u.templateValue(p.name)
			if l, ok := v.([]any); ok {
				s := make([]string, len(l))
				for i, e := range l {
					s[i] = plainString(e)
				}
				b.WriteString(strings.Join(s, ","))
			} else {
				b.WriteString(plainString(v))
			}
		}
	}
	return b.String()
}

// render returns the role names the template yields for u: for format
// string, the output is one role name; for json, a JSON string or array of
// strings. Empty or unparsable output yields no role.
func (t roleTemplate) render(u *userModel) []string {
	out := t.renderString(u)
	if t.format == "string" {
		if out == "" {
			return nil
		}
		return []string{out}
	}
	var one string
	if json.Unmarshal([]byte(out), &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var many []string
	if json.Unmarshal([]byte(out), &many) == nil {
		return many
	}
	return nil
}

func plainString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []any:
		s := make([]string, len(t))
		for i, e := range t {
			s[i] = plainString(e)
		}
		return "[" + strings.Join(s, ", ") + "]"
	case []string:
		return "[" + strings.Join(t, ", ") + "]"
	case map[string]any:
		out, _ := json.Marshal(t)
		return string(out)
	}
	return fmt.Sprint(v)
}

func jsonEscape(s string) string {
	out, _ := json.Marshal(s)
	q := string(out)
	return q[1 : len(q)-1]
}
