package esbody

import (
	"fmt"
	"strings"
	"testing"
)

// bulkSummary renders the security-relevant view of items compactly.
func bulkSummary(items []BulkItem) string {
	var parts []string
	for _, it := range items {
		s := fmt.Sprintf("%d:%s", it.Line, it.Op)
		if it.Index != "" {
			s += " idx=" + it.Index
		}
		if it.ID != "" {
			s += " id=" + it.ID
		}
		if it.Routing != "" {
			s += " r=" + it.Routing
		}
		if it.Pipeline != "" {
			s += " p=" + it.Pipeline
		}
		if it.RequireAlias {
			s += " alias"
		}
		if it.Source != nil {
			src, _ := Encode(it.Source)
			s += fmt.Sprintf(" src@%d=%s", it.SourceLine, src)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

func TestParseBulk(t *testing.T) {
	tests := parseBulkCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseBulk([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseBulk: %v", err)
			}
			if got := bulkSummary(items); got != tt.want {
				t.Fatalf("items:\n got %s\nwant %s", got, tt.want)
			}
			// Re-encoding yields a body that parses to the same operations.
			out, err := EncodeBulk(items)
			if err != nil {
				t.Fatalf("EncodeBulk: %v", err)
			}
			again, err := ParseBulk(out)
			if err != nil {
				t.Fatalf("re-parse of %q: %v", out, err)
			}
			if len(again) != len(items) {
				t.Fatalf("re-parse gave %d items, want %d", len(again), len(items))
			}
			for i := range items {
				a, b := items[i], again[i]
				if a.Op != b.Op || a.Index != b.Index || a.ID != b.ID || a.Routing != b.Routing ||
					!Equal(a.Meta, b.Meta) || !Equal(nilObject(a.Source), nilObject(b.Source)) {
					t.Fatalf("item %d changed by re-encoding: %+v vs %+v", i, a, b)
				}
			}
		})
	}
}

// nilObject turns a nil *Object into a nil Value so Equal compares absence.
func nilObject(o *Object) Value {
	if o == nil {
		return nil
	}
	return o
}

func TestParseBulkRefuses(t *testing.T) {
	tests := parseBulkRefusals()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBulk([]byte(tt.in))
			e := wantErr(t, err, 400, tt.typ, tt.reason)
			if e.Line != tt.line {
				t.Errorf("Line = %d, want %d (%s)", e.Line, tt.line, e.Reason)
			}
			if e.Offset < 0 || e.Offset > int64(len(tt.in)) {
				t.Errorf("Offset = %d, outside the body", e.Offset)
			}
		})
	}
}

func TestBulkRewrite(t *testing.T) {
	items, err := ParseBulk([]byte("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"x\":1}\n{\"delete\":{\"_id\":\"2\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	items[0].SetIndex("b")
	items[1].SetIndex("c")
	out, err := EncodeBulk(items)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"index\":{\"_index\":\"b\",\"_id\":\"1\"}}\n{\"x\":1}\n{\"delete\":{\"_id\":\"2\",\"_index\":\"c\"}}\n"
	if string(out) != want {
		t.Fatalf("EncodeBulk = %q, want %q", out, want)
	}
	// Dropping an item keeps the pairing of the others.
	out, err = EncodeBulk(items[1:])
	if err != nil || string(out) != "{\"delete\":{\"_id\":\"2\",\"_index\":\"c\"}}\n" {
		t.Fatalf("EncodeBulk(items[1:]) = %q, %v", out, err)
	}

	// A typed field changed without Meta is caught instead of silently
	// sending the old index.
	bad := items[0]
	bad.Index = "elsewhere"
	if _, err := EncodeBulk([]BulkItem{bad}); err == nil {
		t.Fatal("EncodeBulk accepted an Index that disagrees with Meta")
	}
	// Refresh after a hand edit of Meta.
	edit := items[0]
	edit.Meta = edit.Meta.Clone()
	edit.Meta.Set("op_type", String("create"))
	if err := edit.Refresh(); err != nil || edit.Op != "create" {
		t.Fatalf("Refresh: %v, Op=%s", err, edit.Op)
	}
	if _, err := EncodeBulk([]BulkItem{edit}); err != nil {
		t.Fatalf("EncodeBulk after Refresh: %v", err)
	}
	for _, it := range []BulkItem{
		{Action: "upsert", Op: "upsert", Source: &Object{}},
		{Action: "delete", Op: "delete", Source: &Object{}},
		{Action: "index", Op: "index"},
	} {
		if _, err := EncodeBulk([]BulkItem{it}); err == nil {
			t.Fatalf("EncodeBulk accepted %+v", it)
		}
	}
}

// parseBulkCase is an accepted _bulk body and its summary.
type parseBulkCase struct {
	name, in, want string
}

// parseBulkCases are shared with the streaming parser's parity test.
func parseBulkCases() []parseBulkCase {
	return []parseBulkCase{
		{"index with default index", "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n", `1:index id=1 src@2={"a":1}`},
		{"create explicit index", "{\"create\":{\"_index\":\"hr-payroll\",\"_id\":\"planted-w03\"}}\n{\"tenant\":\"zz\"}\n",
			`1:create idx=hr-payroll id=planted-w03 src@2={"tenant":"zz"}`},
		{"delete has no source line (WRITE-009)",
			"{\"delete\":{\"_id\":\"sb-nonexistent\"}}\n{\"index\":{\"_index\":\"hr-payroll\",\"_id\":\"planted-w09\"}}\n{\"m\":\"x\"}\n",
			`1:delete id=sb-nonexistent | 2:index idx=hr-payroll id=planted-w09 src@3={"m":"x"}`},
		{"blank action line skipped (WRITE-007)",
			"{\"index\":{\"_id\":\"ok\"}}\n{\"a\":1}\n\n{\"index\":{\"_index\":\"logs-globex-2024\",\"_id\":\"w07\"}}\n{\"b\":2}\n",
			`1:index id=ok src@2={"a":1} | 4:index idx=logs-globex-2024 id=w07 src@5={"b":2}`},
		{"whitespace-only action lines skipped", " \t\r\n\r\n{\"delete\":{\"_id\":\"1\"}}\n", `3:delete id=1`},
		{"crlf line endings", "{\"index\":{\"_id\":\"1\"}}\r\n{\"a\":1}\r\n", `1:index id=1 src@2={"a":1}`},
		{"op_type create makes a create", "{\"index\":{\"op_type\":\"create\"}}\n{}\n", `1:create src@2={}`},
		{"op_type index stays index", "{\"index\":{\"op_type\":\"index\"}}\n{}\n", `1:index src@2={}`},
		{"update", "{\"update\":{\"_id\":\"1\",\"retry_on_conflict\":3,\"_source\":true}}\n{\"doc\":{\"a\":1}}\n",
			`1:update id=1 src@2={"doc":{"a":1}}`},
		{"numeric id and routing", "{\"delete\":{\"_id\":42,\"routing\":7}}\n", `1:delete id=42 r=7`},
		{"null metadata means default", "{\"index\":{\"_index\":null,\"_id\":null}}\n{}\n", `1:index src@2={}`},
		{"pipeline and require_alias", "{\"index\":{\"pipeline\":\"p1\",\"require_alias\":\"true\"}}\n{}\n", `1:index p=p1 alias src@2={}`},
		{"all known metadata", "{\"index\":{\"_index\":\"i\",\"_id\":\"1\",\"routing\":\"r\",\"version\":3,\"version_type\":\"external\",\"if_seq_no\":1,\"if_primary_term\":\"2\",\"pipeline\":\"p\",\"require_alias\":false,\"require_data_stream\":false,\"list_executed_pipelines\":true,\"dynamic_templates\":{\"a\":\"b\"}}}\n{}\n",
			`1:index idx=i id=1 r=r p=p src@2={}`},
		{"empty body", "", ``},
		{"only newlines", "\n\n\n", ``},
		{"escaped action name", "{\"d\\u0065lete\":{\"_id\":\"1\"}}\n", `1:delete id=1`},
	}
}

// parseBulkRefusal is a refused _bulk body and how it is refused.
type parseBulkRefusal struct {
	name, in string
	typ      string
	reason   string
	line     int
}

// parseBulkRefusals are shared with the streaming parser's parity test.
func parseBulkRefusals() []parseBulkRefusal {
	return []parseBulkRefusal{
		{"not newline terminated", "{\"delete\":{\"_id\":\"1\"}}", TypeIllegalArgument, `The bulk request must be terminated by a newline [\n]`, 1},
		{"trailing whitespace without newline", "{\"delete\":{\"_id\":\"1\"}}\n  ", TypeIllegalArgument, "terminated by a newline", 2},
		{"unknown action", "{\"upsert\":{}}\n{}\n", TypeIllegalArgument, "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [upsert]", 1},
		{"unknown metadata field", "{\"index\":{\"_idx\":\"x\"}}\n{}\n", TypeIllegalArgument, "Action/metadata line [1] contains an unknown parameter [_idx]", 1},
		{"_type refused (8.x)", "{\"index\":{\"_type\":\"_doc\"}}\n{}\n", TypeIllegalArgument, "contains an unknown parameter [_type]", 1},
		{"unknown field even when null", "{\"index\":{\"bogus\":null}}\n{}\n", TypeIllegalArgument, "unknown parameter [bogus]", 1},
		{"two actions in one line", "{\"index\":{},\"delete\":{\"_id\":\"1\"}}\n{}\n", TypeIllegalArgument, "expected END_OBJECT but found [FIELD_NAME]", 1},
		{"data after the action", "{\"index\":{}} {\"x\":1}\n{}\n", TypeParse, "unexpected content after the end of the JSON value", 1},
		{"unclosed action (8.x accepts)", "{\"index\":{\"_index\":\"a\"}\n{}\n", TypeParse, "Unexpected end-of-input", 1},
		{"empty action object", "{}\n", TypeIllegalArgument, "expected FIELD_NAME but found [END_OBJECT]", 1},
		{"action not an object", "[\"index\"]\n", TypeParse, "expected a JSON object", 1},
		{"action value not an object", "{\"index\":\"x\"}\n{}\n", TypeIllegalArgument, "expected START_OBJECT or END_OBJECT but found [VALUE_STRING]", 1},
		{"array metadata", "{\"index\":{\"_index\":[\"a\",\"b\"]}}\n{}\n", TypeIllegalArgument, "expected a simple value for field [_index] but found [START_ARRAY]", 1},
		{"object metadata", "{\"index\":{\"routing\":{}}}\n{}\n", TypeIllegalArgument, "expected a simple value for field [routing] but found [START_OBJECT]", 1},
		{"duplicate metadata", "{\"index\":{\"_index\":\"a\",\"_index\":\"b\"}}\n{}\n", TypeParse, "Duplicate field '_index'", 1},
		{"duplicate in source", "{\"index\":{}}\n{\"a\":1,\"a\":2}\n", TypeParse, "line [2]: [1:8] Duplicate field 'a'", 2},
		{"empty index", "{\"index\":{\"_index\":\"\"}}\n{}\n", TypeIllegalArgument, "unsupported value for [_index]", 1},
		{"comma in index", "{\"index\":{\"_index\":\"logs-a,hr-payroll\"}}\n{}\n", TypeIllegalArgument, "unsupported value for [_index]", 1},
		{"numeric index", "{\"index\":{\"_index\":5}}\n{}\n", TypeIllegalArgument, "unsupported value for [_index]: VALUE_NUMBER", 1},
		{"empty id", "{\"index\":{\"_id\":\"\"}}\n{}\n", TypeIllegalArgument, "unsupported value for [_id]", 1},
		{"fractional id", "{\"index\":{\"_id\":1.5}}\n{}\n", TypeIllegalArgument, "unsupported value for [_id]", 1},
		{"bad op_type", "{\"index\":{\"op_type\":\"CREATE\"}}\n{}\n", TypeIllegalArgument, "unsupported value for [op_type]", 1},
		{"op_type on delete", "{\"delete\":{\"_id\":\"1\",\"op_type\":\"create\"}}\n", TypeIllegalArgument, "[op_type] is only meaningful on an index action", 1},
		{"bad require_alias", "{\"index\":{\"require_alias\":\"yes\"}}\n{}\n", TypeIllegalArgument, "unsupported value for [require_alias]", 1},
		{"_source array", "{\"update\":{\"_id\":\"1\",\"_source\":[\"a\"]}}\n{}\n", TypeIllegalArgument, "expected a simple value for field [_source] but found [START_ARRAY]", 1},
		{"dynamic_templates on delete", "{\"delete\":{\"_id\":\"1\",\"dynamic_templates\":{\"a\":\"b\"}}}\n", TypeIllegalArgument, "Delete request in line [1] does not accept dynamic_templates", 1},
		{"update with version", "{\"update\":{\"_id\":\"1\",\"version\":2}}\n{}\n", TypeIllegalArgument, "Update requests do not support versioning", 1},
		{"missing source at end", "{\"delete\":{\"_id\":\"1\"}}\n{\"index\":{}}\n", TypeIllegalArgument, "Action/metadata line [2] has no document line", 2},
		{"blank source line", "{\"index\":{}}\n\n", TypeParse, "line [2]: [1:1] the body contains no JSON value", 2},
		{"scalar source", "{\"index\":{}}\n\"doc\"\n", TypeParse, "expected a JSON object", 2},
		{"comment as action", "// note\n{\"delete\":{\"_id\":\"1\"}}\n", TypeParse, "invalid character '/'", 1},
		{"comment in source", "{\"index\":{}}\n{\"a\":1 /* x */}\n", TypeParse, "invalid character '/'", 2},
		{"bom on a later line", "{\"delete\":{\"_id\":\"1\"}}\n\xEF\xBB\xBF{\"delete\":{\"_id\":\"2\"}}\n", TypeParse, "invalid character", 2},
		{"carriage return as separator", "{\"index\":{}}\r{\"a\":1}\r\n{}\n", TypeParse, "unexpected content after the end of the JSON value", 1},
	}
}
