package dls

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The subset of mustache that role templates may use, compiled once per
// template text (see Cache). It follows Elasticsearch's lang-mustache
// (mustache.java with CustomMustacheFactory) except where that would let a
// user value escape its JSON string; those constructs are refused when the
// template is compiled, so a role that relies on them fails closed:
//
//   - {{{name}}} and {{&name}} (unescaped output) are refused: with them a
//     quote in the user's metadata would end the JSON string.
//   - partials ({{>x}}), set delimiters ({{=<% %>=}}) and template
//     inheritance ({{<x}}, {{$x}}) are refused; roles do not need them and
//     they change how the rest of the template parses.
//   - the body of {{#toJson}}, {{#join}} must be a variable name alone,
//     without surrounding blanks (Elasticsearch reads " a " as the name
//     " a ", which resolves to nothing).
//
// Mustache's standalone-line whitespace rules are not reproduced: role
// templates are JSON, where whitespace between tokens has no meaning.

type nodeKind uint8

const (
	nodeText     nodeKind = iota + 1
	nodeValue             // {{name}}
	nodeSection           // {{#name}}…{{/name}}
	nodeInverted          // {{^name}}…{{/name}}
	nodeToJSON            // {{#toJson}}name{{/toJson}}
	nodeJoin              // {{#join}}name{{/join}}, {{#join delimiter='x'}}…
	nodeURL               // {{#url}}…{{/url}}
)

// node is one piece of a compiled template.
type node struct {
	kind     nodeKind
	text     string // literal text, or the variable name
	delim    string // join delimiter
	children []node
}

// template is a compiled mustache template.
type template struct {
	nodes []node
}

// joinWithDelimiter is Elasticsearch's CustomJoinerCode pattern.
var joinWithDelimiter = regexp.MustCompile(`^join delimiter='(.*)'$`)

// errTemplate marks template syntax errors.
var errTemplate = errors.New("invalid role template")

// openSection is a section being parsed.
type openSection struct {
	tag   string // the tag text, matched by the closing tag
	node  node
	outer []node
}

// compileTemplate parses a mustache template.
func compileTemplate(src string) (*template, error) {
	var (
		nodes []node
		stack []openSection
		rest  = src
	)
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			nodes = appendText(nodes, rest)
			break
		}
		nodes = appendText(nodes, rest[:i])
		rest = rest[i+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return nil, fmt.Errorf("%w: unclosed tag at offset %d", errTemplate, len(src)-len(rest)-2)
		}
		// Blanks before a sigil are dropped, so "{{ &x}}" is refused like
		// "{{&x}}" rather than read as a variable called "&x".
		tag := strings.TrimLeft(rest[:end], " \t\r\n")
		rest = rest[end+2:]
		if tag == "" {
			return nil, fmt.Errorf("%w: empty tag", errTemplate)
		}
		switch sigil, name := tag[0], strings.TrimSpace(tag[1:]); sigil {
		case '!': // comment
		case '{', '&':
			return nil, fmt.Errorf("%w: unescaped output {{%s}} is not allowed in role templates", errTemplate, tag)
		case '>', '<', '$', '=':
			return nil, fmt.Errorf("%w: {{%s}} (partials, inheritance, delimiters) is not supported in role templates", errTemplate, tag)
		case '#', '^':
			if name == "" {
				return nil, fmt.Errorf("%w: section without a name", errTemplate)
			}
			stack = append(stack, openSection{tag: name, node: newSection(sigil, name), outer: nodes})
			nodes = nil
		case '/':
			if len(stack) == 0 || stack[len(stack)-1].tag != name {
				return nil, fmt.Errorf("%w: closing tag {{/%s}} does not match an open section", errTemplate, name)
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n, err := finishSection(top.node, nodes)
			if err != nil {
				return nil, err
			}
			nodes = append(top.outer, n)
		default:
			name = strings.TrimSpace(tag)
			if name == "" {
				return nil, fmt.Errorf("%w: empty tag", errTemplate)
			}
			nodes = append(nodes, node{kind: nodeValue, text: name})
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("%w: section {{#%s}} is not closed", errTemplate, stack[len(stack)-1].tag)
	}
	return &template{nodes: nodes}, nil
}

func appendText(nodes []node, s string) []node {
	if s == "" {
		return nodes
	}
	return append(nodes, node{kind: nodeText, text: s})
}

// newSection classifies a section tag: Elasticsearch's functions (toJson,
// join, url; matched case-insensitively as CustomMustacheFactory does) or
// an ordinary section.
func newSection(sigil byte, name string) node {
	if sigil == '^' {
		return node{kind: nodeInverted, text: name}
	}
	switch {
	case strings.EqualFold(name, "toJson"):
		return node{kind: nodeToJSON}
	case strings.EqualFold(name, "join"):
		return node{kind: nodeJoin, delim: ","}
	case strings.EqualFold(name, "url"):
		return node{kind: nodeURL}
	}
	if m := joinWithDelimiter.FindStringSubmatch(name); m != nil {
		return node{kind: nodeJoin, delim: m[1]}
	}
	return node{kind: nodeSection, text: name}
}

// finishSection attaches a section's body. The functions toJson and join
// take a variable name as their only content.
func finishSection(n node, body []node) (node, error) {
	switch n.kind {
	case nodeToJSON, nodeJoin:
		if len(body) != 1 || body[0].kind != nodeText {
			return n, fmt.Errorf("%w: mustache function must contain one and only one identifier", errTemplate)
		}
		name := body[0].text
		if name != strings.TrimSpace(name) || strings.ContainsAny(name, " \t\r\n") {
			return n, fmt.Errorf("%w: mustache function identifier %q must not contain blanks", errTemplate, name)
		}
		n.text = name
	default:
		n.children = body
	}
	return n, nil
}
