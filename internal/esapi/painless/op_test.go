package painless

import (
	"errors"
	"slices"
	"testing"
)

// TestOpValues: the literal values plain assignments give ctx.op, and an
// error for every other way a script could set it.
func TestOpValues(t *testing.T) {
	ok := []struct {
		src  string
		want []string
	}{
		{"ctx._source.counter += params.count", nil},
		{"ctx._source.n = ctx._source.n + 1; ctx._source.tags.add(params.tag)", nil},
		{"if (ctx._source.n > 10) { ctx.op = 'noop' } else { ctx._source.n++ }", []string{"noop"}},
		{`ctx.op = "none";`, []string{"none"}},
		{"ctx['op'] = 'noop'", []string{"noop"}},
		{"ctx . op = 'index' ;", []string{"index"}},
		{"ctx.op = 'delete'", []string{"delete"}},
		{"if (ctx.op == 'index') { ctx._source.x = 1 }", nil},
		{"// ctx.op = params.op\nctx._source.x = 1 /* ctx.op = x */", nil},
		{"ctx._source.avg = ctx._source.sum / ctx._source.n", nil},
		{"ctx._source.half = (ctx._source.n) / 2; ctx._source.q = 10 / 3; ctx._source.r = x / y", nil},
		{"ctx._source.msg = 'it\\'s ctx.op = params.op'", nil},
		{"ctx._source['o'] = 2; ctx._source.opt = 'ops'", nil},
		// A parenthesized target is the same target for Painless (its
		// walker drops the parentheses): the assignment is read through
		// them.
		{"(ctx.op) = 'delete'", []string{"delete"}},
		{"((ctx['op'])) = \"delete\";", []string{"delete"}},
		{"( ctx . op ) = 'noop'", []string{"noop"}},
		{"if (ctx._source.k == ctx.op) ctx._source.x = 1", nil},
		{"if ((ctx.op) == 'index') { ctx._source.x = 1 }", nil},
	}
	for _, tt := range ok {
		got, err := OpValues(tt.src)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("OpValues(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
		}
	}
	dynamic := []string{
		"ctx.op = params.op",
		"ctx.op = 'del' + 'ete'",
		"ctx['op'] = 'de' + 'lete'",
		"def o = 'delete'; ctx.op = o",
		"ctx.op = c ? 'noop' : 'delete'",
		"ctx.op = 'noop'.replace('noop', 'delete')",
		"ctx.op += ''",
		"ctx.put('op', 'delete')",
		"ctx.putAll(params.m)",
		"ctx.replace('op', 'delete')",
		"ctx.compute('op', (k, v) -> 'delete')",
		"def c = ctx; c.op = 'delete'",
		"Map m = ctx; m['op'] = 'delete'",
		"void f(Map m) { m.op = 'delete' } f(ctx)",
		"[ctx].forEach(x -> x.op = 'delete')",
		"ctx[params.k] = 'delete'",
		"String k = 'op'; ctx[k] = 'delete'",
		"ctx?.op = 'delete'",
		"ctx.entrySet().stream().forEach(e -> e.setValue('delete'))",
		"params['ctx'].op = 'delete'",
		"getCtx().op = 'delete'",
		"metadata().op = 'delete'",
		"ctx.op = x = 'delete'",
		"(ctx.op) = params.op",
		"((ctx.op)) += 'x'",
		"(ctx.op)++",
		"(ctx['op']) = 'de' + 'lete'",
		"ctx",
		// Over-restriction: any name ctx is read as the context.
		"ctx._source.ctx = 1",
		"ctx._source.kind = 'op'",
	}
	for _, src := range dynamic {
		if got, err := OpValues(src); !errors.Is(err, ErrDynamicOp) {
			t.Errorf("OpValues(%q) = %q, %v; want ErrDynamicOp", src, got, err)
		}
	}
	unreadable := []string{
		// A regular expression literal: the quotes in it are not strings
		// for Painless (were they read as a division, 'delete' would look
		// like the end of a string and a name).
		"def r = /'/; ctx.op = 'delete'; def s = /'/;",
		"return /'/; ctx.op='delete'; // '\n",
		"if (x =~ /a'b/) { ctx.op = 'delete' }",
		"ctx._source.x = 'unterminated",
		"/* unterminated ctx.op = 'noop'",
		"ctx.op = 'del\\u0065te'",
		"ctx.op = 'noop' // no line end",
		"ctx._source.x = 1café",
		"ctx._source.x = 1abc / 'x'",
		"ctx._source.x = true / 'x'",
	}
	for _, src := range unreadable {
		if got, err := OpValues(src); !errors.Is(err, ErrUnreadable) && !errors.Is(err, ErrDynamicOp) {
			t.Errorf("OpValues(%q) = %q, %v; want an error", src, got, err)
		}
	}
}
