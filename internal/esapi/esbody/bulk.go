package esbody

import (
	"bytes"
	"fmt"
)

// BulkItem is one operation of a _bulk body.
//
// Meta and Source are the parsed lines; the other fields are a typed view of
// Meta. EncodeBulk writes Action, Meta and Source, and checks that the typed
// view still matches Meta, so change documents through SetIndex or by
// editing Meta and calling Refresh.
type BulkItem struct {
	// Line is the 1-based line of the action/metadata line.
	Line int
	// SourceLine is the 1-based line of the document line (0 for delete).
	SourceLine int
	// Action is the action name as written: index, create, update or delete.
	Action string
	// Op is the effective operation: Action, except that an index action
	// with "op_type":"create" is a create (Elasticsearch treats it as one, and
	// create and index need different privileges).
	Op string
	// Index is the explicit "_index"; "" means the index from the URL.
	Index string
	// ID is "_id" ("" = none, the cluster generates one).
	ID string
	// Routing is "routing" ("" = none).
	Routing string
	// Pipeline is the ingest "pipeline" ("" = none). Pipelines can change
	// the target index of a document, so authorization must consider it.
	Pipeline string
	// RequireAlias is "require_alias".
	RequireAlias bool
	// RequireDataStream is "require_data_stream".
	RequireDataStream bool
	// Meta is the metadata object: the value of the action key.
	Meta *Object
	// Source is the document line (for update: the update request body).
	// It is nil for delete, which has no document line.
	Source *Object
}

// isBulkAction reports whether s is one of the only actions Elasticsearch 9
// accepts. Elasticsearch 7 and 8 accepted others with a deprecation warning
// and then silently swallowed the next line as their source; refusing
// unknown actions keeps the proxy from guessing which line is which.
func isBulkAction(s string) bool {
	switch s {
	case "create", "delete", "index", "update":
		return true
	}
	return false
}

// ParseBulk parses a _bulk body as Elasticsearch's BulkRequestParser would,
// or refuses it.
//
// Line rules mirrored from BulkRequestParser (8.x/9.x):
//   - lines end at '\n' only; a '\r' before it is JSON whitespace;
//   - the body must end with '\n' ("The bulk request must be terminated by a
//     newline [\n]");
//   - an action line with no JSON token (empty or whitespace only) is
//     skipped, and line numbers keep counting;
//   - delete has no document line; index, create and update have exactly
//     one, which is the very next line, blank or not.
//
// Refused where Elasticsearch is lenient or version-dependent: unknown
// actions; action objects with more than one key or with data after the
// closing brace (ignored with a deprecation warning by 8.x); an action with
// no document line at the end of the body (silently dropped by the cluster);
// unknown metadata fields (also refused by the cluster), "_type" (refused by
// 8.x, accepted by 7.x); empty or comma-containing "_index"; empty "_id";
// non-object documents; comments and anything else ParseJSON refuses.
func ParseBulk(data []byte) ([]BulkItem, error) {
	items, err := parseBulk(data)
	if err != nil {
		return nil, err
	}
	return items, nil
}

func parseBulk(data []byte) ([]BulkItem, *Error) {
	lines, err := splitLines(data, "bulk")
	if err != nil {
		return nil, err
	}
	var items []BulkItem
	a := bulkAssembler{p: &parser{cumulative: true}} // every item is kept
	for _, l := range lines {
		it, done, err := a.feed(l)
		if err != nil {
			return nil, err
		}
		if done {
			items = append(items, it)
		}
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	return items, nil
}

func parseBulkAction(p *parser, l ndLine) (BulkItem, *Error) {
	fail := func(format string, args ...any) *Error {
		e := newError(400, TypeIllegalArgument, fmt.Sprintf(format, args...))
		e.Line, e.Offset = l.num, int64(l.start)
		return e
	}
	o, err := parseLineObject(p, l)
	if err != nil {
		return BulkItem{}, err
	}
	switch o.Len() {
	case 0:
		return BulkItem{}, fail("Malformed action/metadata line [%d], expected FIELD_NAME but found [END_OBJECT]", l.num)
	case 1:
	default:
		return BulkItem{}, fail("Malformed action/metadata line [%d], expected END_OBJECT but found [FIELD_NAME]", l.num)
	}
	action, v := o.At(0).Name, o.At(0).Value
	if !isBulkAction(action) {
		return BulkItem{}, fail("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", l.num, action)
	}
	meta, ok := v.(*Object)
	if !ok {
		return BulkItem{}, fail("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT but found [%s]", l.num, jacksonToken(v))
	}
	it := BulkItem{Line: l.num, Action: action, Meta: meta}
	if msg := it.readMeta(l.num); msg != "" {
		return BulkItem{}, fail("%s", msg)
	}
	return it, nil
}

// readMeta fills the typed view from Meta. It returns "" or the refusal
// message, which names the line like Elasticsearch's messages do.
func (it *BulkItem) readMeta(line int) string {
	it.Op, it.Index, it.ID, it.Routing, it.Pipeline = it.Action, "", "", "", ""
	it.RequireAlias, it.RequireDataStream = false, false
	versioned := false
	for name, v := range it.Meta.All() {
		if _, null := v.(Null); null && isBulkMetaField(name) {
			// Elasticsearch skips null-valued metadata: the default applies.
			continue
		}
		switch v.(type) {
		case Array:
			return fmt.Sprintf("Malformed action/metadata line [%d], expected a simple value for field [%s] but found [START_ARRAY]", line, name)
		case *Object:
			if name != "_source" && name != "dynamic_templates" {
				return fmt.Sprintf("Malformed action/metadata line [%d], expected a simple value for field [%s] but found [START_OBJECT]", line, name)
			}
		}
		ok := true
		switch name {
		case "_index":
			it.Index, ok = indexText(v)
		case "_id":
			it.ID, ok = idText(v)
			ok = ok && it.ID != ""
		case "routing":
			it.Routing, ok = idText(v)
		case "op_type":
			s, _ := v.(String)
			switch {
			case it.Action != "index":
				return fmt.Sprintf("Action/metadata line [%d]: [op_type] is only meaningful on an index action", line)
			case s == "create":
				it.Op = "create"
			case s == "index":
			default:
				ok = false
			}
		case "version", "version_type":
			versioned = true
			if name == "version" {
				ok = integerText(v)
			} else {
				_, ok = v.(String)
			}
		case "if_seq_no", "if_primary_term", "retry_on_conflict":
			ok = integerText(v)
		case "pipeline":
			var s String
			s, ok = v.(String)
			it.Pipeline = string(s)
		case "require_alias":
			it.RequireAlias, ok = boolText(v)
		case "require_data_stream":
			it.RequireDataStream, ok = boolText(v)
		case "list_executed_pipelines":
			_, ok = boolText(v)
		case "_source":
			switch v.(type) {
			case Bool, String, *Object:
			default:
				ok = false
			}
		case "dynamic_templates":
			o, isObj := v.(*Object)
			ok = isObj
			for _, t := range o.All() {
				if _, s := t.(String); !s {
					ok = false
				}
			}
			if ok && o.Len() > 0 && it.Action != "index" && it.Action != "create" {
				return fmt.Sprintf("%s request in line [%d] does not accept dynamic_templates", upperFirst(it.Action), line)
			}
		default:
			// Includes "_type": Elasticsearch 8+ refuses it with this
			// message; 7.x accepted it, but it never selects the index.
			return fmt.Sprintf("Action/metadata line [%d] contains an unknown parameter [%s]", line, name)
		}
		if !ok {
			return fmt.Sprintf("Action/metadata line [%d]: unsupported value for [%s]: %s", line, name, jacksonToken(v))
		}
	}
	if it.Action == "update" {
		if versioned {
			return fmt.Sprintf("Action/metadata line [%d]: Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead", line)
		}
		if it.RequireDataStream {
			return fmt.Sprintf("Action/metadata line [%d]: Update requests do not support the `require_data_stream` flag, as data streams do not support update operations", line)
		}
	}
	return ""
}

func isBulkMetaField(name string) bool {
	switch name {
	case "_index", "_id", "routing", "op_type", "version", "version_type", "if_seq_no", "if_primary_term",
		"retry_on_conflict", "pipeline", "require_alias", "require_data_stream", "list_executed_pipelines",
		"_source", "dynamic_templates":
		return true
	}
	return false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// SetIndex retargets the item: it sets "_index" in Meta (or removes it when
// name is "", so the URL's index applies) and updates Index.
func (it *BulkItem) SetIndex(name string) {
	if it.Meta == nil {
		it.Meta = &Object{}
	}
	if name == "" {
		it.Meta.Delete("_index")
	} else {
		it.Meta.Set("_index", String(name))
	}
	it.Index = name
}

// Refresh recomputes the typed fields after Meta was edited by hand, and
// fails if Meta is no longer valid metadata for the action.
func (it *BulkItem) Refresh() error {
	if it.Meta == nil {
		it.Meta = &Object{}
	}
	if msg := it.readMeta(it.Line); msg != "" {
		return newError(400, TypeIllegalArgument, msg)
	}
	return nil
}

// EncodeBulk serializes items as a _bulk body: for each item the action line
// {"<Action>":<Meta>} and, except for delete, the document line, each ended
// by '\n'. Items may have been dropped, reordered or rewritten.
//
// The output is canonical compact JSON that ParseBulk parses back to the
// same items, so the cluster runs exactly the operations the proxy
// authorized. EncodeBulk fails if an item's typed fields disagree with its
// Meta (a sign that a caller changed one and not the other), if a delete has
// a Source or another action lacks one, or if Encode fails.
func EncodeBulk(items []BulkItem) ([]byte, error) {
	var buf bytes.Buffer
	for i := range items {
		it := &items[i]
		if !isBulkAction(it.Action) {
			return nil, fmt.Errorf("esbody: bulk item %d: unknown action %q", i, it.Action)
		}
		meta := it.Meta
		if meta == nil {
			meta = &Object{}
		}
		check := BulkItem{Action: it.Action, Meta: meta}
		if msg := check.readMeta(it.Line); msg != "" {
			return nil, fmt.Errorf("esbody: bulk item %d: %s", i, msg)
		}
		if check.Op != it.Op || check.Index != it.Index || check.ID != it.ID || check.Routing != it.Routing ||
			check.Pipeline != it.Pipeline || check.RequireAlias != it.RequireAlias || check.RequireDataStream != it.RequireDataStream {
			return nil, fmt.Errorf("esbody: bulk item %d: typed fields disagree with Meta; use SetIndex or Refresh", i)
		}
		switch {
		case it.Action == "delete" && it.Source != nil:
			return nil, fmt.Errorf("esbody: bulk item %d: delete has no document line", i)
		case it.Action != "delete" && it.Source == nil:
			return nil, fmt.Errorf("esbody: bulk item %d: %s needs a document line", i, it.Action)
		}
		line, err := Encode(&Object{members: []Member{{Name: it.Action, Value: meta}}})
		if err != nil {
			return nil, fmt.Errorf("esbody: bulk item %d: %w", i, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
		if it.Source != nil {
			src, err := Encode(it.Source)
			if err != nil {
				return nil, fmt.Errorf("esbody: bulk item %d: %w", i, err)
			}
			buf.Write(src)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes(), nil
}
