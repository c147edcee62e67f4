package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestScriptMayDelete: the script forms of an update body, for a user who
// may not delete: only inline Painless whose ctx.op assignments are
// harmless literals goes through.
func TestScriptMayDelete(t *testing.T) {
	for _, tt := range []struct {
		script    string
		mayDelete bool
	}{
		{`"ctx._source.n += 1"`, false},
		{`{"source":"ctx._source.n += params.k","lang":"painless","params":{"k":1}}`, false},
		{`{"source":"if (ctx._source.n > 1) { ctx.op = 'noop' }"}`, false},
		{`{"source":"ctx.op = 'none'","options":{}}`, false},
		{`"ctx.op = 'delete'"`, true},
		{`{"source":"ctx['op'] = 'delete'"}`, true},
		{`{"source":"ctx.op = params.op","params":{"op":"delete"}}`, true},
		{`{"source":"ctx.op = 'DELETE'"}`, true},
		{`{"id":"stored-update"}`, true},
		{`{"source":"ctx.op = 'noop'","lang":"expression"}`, true},
		{`{"source":"ctx.op = 'noop'","lang":"mustache"}`, true},
		{`{"source":{"a":1}}`, true},
		{`{"inline":"ctx.op = 'delete'"}`, true},
		{`["ctx.op = 'noop'"]`, true},
	} {
		v, err := esbody.ParseJSON([]byte(tt.script))
		if err != nil {
			t.Fatalf("%s: %v", tt.script, err)
		}
		if why := scriptMayDelete(v); (why != "") != tt.mayDelete {
			t.Errorf("scriptMayDelete(%s) = %q, want may delete %v", tt.script, why, tt.mayDelete)
		}
	}
}
