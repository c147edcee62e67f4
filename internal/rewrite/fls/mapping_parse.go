package fls

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// ParseMappings reads the body of GET /<indices>/_mapping (or of GET
// /<indices>, whose aliases and settings are ignored) into one Mapping per
// concrete index. Typeless mappings (Elasticsearch 7+, OpenSearch) are the
// norm; a mapping still wrapped in a type name (include_type_name) is
// unwrapped.
//
// Anything that does not read as a mapping is an error, never a partial
// mapping: a duplicate member, a path defined twice, a field definition
// that is not an object, an index without "mappings".
func ParseMappings(body []byte) (map[string]*Mapping, error) {
	dec := newStrictDecoder(body)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("fls: mapping response: %w", err)
	}
	out := map[string]*Mapping{}
	for dec.PeekKind() != '}' {
		index, err := readString(dec)
		if err != nil {
			return nil, fmt.Errorf("fls: mapping response: %w", err)
		}
		m, err := parseIndexEntry(dec)
		if err != nil {
			return nil, fmt.Errorf("fls: mapping of index %q: %w", index, err)
		}
		out[index] = m
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, fmt.Errorf("fls: mapping response: %w", err)
	}
	if err := endValue(dec); err != nil {
		return nil, fmt.Errorf("fls: mapping response: %w", err)
	}
	return out, nil
}

// parseMappingValue reads one index's "mappings" value on its own (the
// mapping filter uses it on the value it buffered).
func parseMappingValue(raw []byte) (*Mapping, error) {
	dec := newStrictDecoder(raw)
	m := newMapping()
	if err := parseMappingsObject(dec, m); err != nil {
		return nil, err
	}
	if err := endValue(dec); err != nil {
		return nil, err
	}
	return m, finishMapping(m)
}

func newStrictDecoder(b []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytes.NewReader(b))
}

// endValue checks that nothing but whitespace follows the value.
func endValue(dec *jsontext.Decoder) error {
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level value")
		}
		return err
	}
	return nil
}

// parseIndexEntry reads {"mappings": {...}, "aliases": ..., "settings": ...}.
func parseIndexEntry(dec *jsontext.Decoder) (*Mapping, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var m *Mapping
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return nil, err
		}
		if name != "mappings" {
			if err := dec.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		m = newMapping()
		if err := parseMappingsObject(dec, m); err != nil {
			return nil, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("no \"mappings\" member")
	}
	return m, finishMapping(m)
}

// mappingObjectParams are the object-valued members of a mapping that are
// settings, not fields; any other object-valued member is taken for a type
// wrapper (_doc, or a 6.x type name).
var mappingObjectParams = map[string]bool{
	"_meta": true, "_source": true, "_routing": true, "_field_names": true, "_all": true,
	"_size": true, "_data_stream_timestamp": true, "_parent": true, "_timestamp": true, "_ttl": true,
	"dynamic_templates": true,
}

// parseMappingsObject reads a "mappings" object into m.
func parseMappingsObject(dec *jsontext.Decoder, m *Mapping) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		switch {
		case name == "properties":
			err = parseProperties(dec, m, "")
		case name == "dynamic" && dec.PeekKind() != '{': // (an object: a 6.x type named so)
			m.dynamic, err = readDynamic(dec)
		case name == "runtime" || name == "derived":
			err = parseRuntimeSection(dec, m, "")
		case dec.PeekKind() == '{' && !mappingObjectParams[name]:
			err = parseMappingsObject(dec, m)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// parseProperties reads a properties object whose fields sit under prefix.
func parseProperties(dec *jsontext.Decoder, m *Mapping, prefix string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		if err := parseFieldDef(dec, m, joinPath(prefix, name), ""); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// parseFieldDef reads the definition of the field at path; parent is set
// for a multi-field.
func parseFieldDef(dec *jsontext.Decoder, m *Mapping, path, parent string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("field %q: %w", path, err)
	}
	f := &Field{Path: path, Parent: parent}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		if err := parseFieldParam(dec, m, f, name); err != nil {
			return fmt.Errorf("field %q: %s: %w", path, name, err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	f.Kind = kindOf(f)
	return m.add(f)
}

// parseFieldParam reads one parameter of a field definition.
func parseFieldParam(dec *jsontext.Decoder, m *Mapping, f *Field, name string) error {
	var err error
	switch name {
	case "type":
		f.Type, err = readString(dec)
	case "path":
		f.Target, err = readString(dec)
	case "properties":
		err = parseProperties(dec, m, f.Path)
	case "derived":
		// OpenSearch keeps a derived field with a dotted name ("user.dz")
		// in a "derived" section of its parent object's definition.
		err = parseRuntimeSection(dec, m, f.Path)
	case "fields":
		err = parseMultiFields(dec, m, f.Path)
	case "copy_to":
		f.CopyTo, err = readStrings(dec)
	case "enabled":
		var tok jsontext.Token
		if tok, err = dec.ReadToken(); err == nil {
			f.Disabled = tok.Kind() == 'f' || (tok.Kind() == '"' && tok.String() == "false")
		}
	case "dynamic":
		f.Dynamic, err = readDynamic(dec)
	default:
		err = dec.SkipValue()
	}
	return err
}

// readDynamic reads a dynamic setting: a boolean or a string, as the
// string the cluster shows ("true", "false", "strict", "runtime").
func readDynamic(dec *jsontext.Decoder) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", err
	}
	switch tok.Kind() {
	case 't':
		return "true", nil
	case 'f':
		return "false", nil
	case '"':
		return tok.String(), nil
	}
	return "", fmt.Errorf("dynamic: unexpected %v", tok.Kind())
}

// parseMultiFields reads the "fields" of the field at parent.
func parseMultiFields(dec *jsontext.Decoder, m *Mapping, parent string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		if err := parseFieldDef(dec, m, parent+"."+name, parent); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// kindOf classifies a parsed definition.
func kindOf(f *Field) FieldKind {
	switch {
	case f.Parent != "":
		return KindMultiField
	case f.Type == "alias":
		return KindAlias
	case f.Type == "nested":
		return KindNested
	case f.Type == "" || f.Type == "object" || f.Type == "passthrough":
		return KindObject
	}
	return KindLeaf
}

// parseRuntimeSection reads "runtime" (Elasticsearch) or "derived"
// (OpenSearch): every name in it, and every sub-field of a composite, is a
// runtime field; a composite itself is an object of runtime fields. prefix
// is the path of the object whose definition holds the section (OpenSearch
// nests the derived fields of dotted names there), "" at the top level.
func parseRuntimeSection(dec *jsontext.Decoder, m *Mapping, prefix string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		if err := parseRuntimeDef(dec, m, joinPath(prefix, name)); err != nil {
			return fmt.Errorf("runtime field %q: %w", joinPath(prefix, name), err)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// parseRuntimeDef reads one runtime field definition at path.
func parseRuntimeDef(dec *jsontext.Decoder, m *Mapping, path string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	f := &Field{Path: path, Kind: KindRuntime}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		switch name {
		case "type":
			f.Type, err = readString(dec)
		case "fields", "properties":
			// A composite: only its sub-fields can be queried.
			f.Kind = KindObject
			err = parseRuntimeSubfields(dec, m, path)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	return m.addRuntime(f)
}

// parseRuntimeSubfields reads the sub-fields of a composite runtime field.
func parseRuntimeSubfields(dec *jsontext.Decoder, m *Mapping, parent string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return err
		}
		if dec.PeekKind() == '"' {
			// An OpenSearch derived field of type object lists the types
			// of its sub-fields by name: {"properties": {"k": "keyword"}}.
			typ, err := readString(dec)
			if err != nil {
				return err
			}
			if err := m.addRuntime(&Field{Path: parent + "." + name, Kind: KindRuntime, Type: typ}); err != nil {
				return err
			}
			continue
		}
		if err := parseRuntimeDef(dec, m, parent+"."+name); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// add registers a property; a path defined twice is an error.
func (m *Mapping) add(f *Field) error {
	if _, dup := m.fields[f.Path]; dup {
		return fmt.Errorf("path %q is defined twice", f.Path)
	}
	m.fields[f.Path] = f
	return nil
}

// addRuntime registers a runtime field.
func (m *Mapping) addRuntime(f *Field) error {
	if _, dup := m.runtime[f.Path]; dup {
		return fmt.Errorf("runtime path %q is defined twice", f.Path)
	}
	m.runtime[f.Path] = f
	return nil
}

// finishMapping adds what the definitions imply and builds the indexes.
func finishMapping(m *Mapping) error {
	if err := addPassthroughAliases(m); err != nil {
		return err
	}
	m.finish()
	return nil
}

// addPassthroughAliases makes the fields under a passthrough object
// (Elasticsearch 8.13+) reachable by their names relative to it, as
// Elasticsearch does, by registering them as aliases: the alias rule then
// requires both names to be visible.
func addPassthroughAliases(m *Mapping) error {
	var added []*Field
	for _, obj := range m.fields {
		if obj.Type != "passthrough" {
			continue
		}
		for _, f := range m.fields {
			rel, ok := strings.CutPrefix(f.Path, obj.Path+".")
			if !ok || !f.Kind.searchable() {
				continue
			}
			if _, taken := m.fields[rel]; !taken {
				added = append(added, &Field{Path: rel, Kind: KindAlias, Type: "alias", Target: f.Path})
			}
		}
	}
	for _, f := range added {
		// Two passthrough objects exposing the same name: Elasticsearch
		// picks by priority; failing closed, the name stays an alias of
		// the first and must also be visible through it.
		if _, taken := m.fields[f.Path]; !taken {
			m.fields[f.Path] = f
		}
	}
	return nil
}

// joinPath joins a prefix and a name with a dot.
func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// expectDelim reads one token and checks it is the given delimiter.
func expectDelim(dec *jsontext.Decoder, delim jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != delim {
		return fmt.Errorf("expected %v, found %v", delim, tok.Kind())
	}
	return nil
}

// readString reads a string token (a member name or a string value).
func readString(dec *jsontext.Decoder) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", err
	}
	if tok.Kind() != '"' {
		return "", fmt.Errorf("expected a string, found %v", tok.Kind())
	}
	return tok.String(), nil
}

// readStrings reads a string or an array of strings.
func readStrings(dec *jsontext.Decoder) ([]string, error) {
	if dec.PeekKind() != '[' {
		s, err := readString(dec)
		return []string{s}, err
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var out []string
	for dec.PeekKind() != ']' {
		s, err := readString(dec)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	_, err := dec.ReadToken()
	return out, err
}
