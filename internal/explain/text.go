package explain

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints rep for a human: the request, the subject, the
// classification, the decision (with the exact error body when refused),
// the DLS/FLS per index, the items and the notes.
func (rep *Report) WriteText(w io.Writer) error {
	p := &printer{w: w}
	p.line("request:    %s %s", rep.Method, rep.target())
	p.line("user:       %s", rep.User)
	p.line("roles:      %s", list(rep.Roles))
	p.line("roles from: %s", rep.RolesFrom)
	if len(rep.MissingRoles) > 0 {
		p.line("missing:    %s (not defined in the roles file; ignored)", list(rep.MissingRoles))
	}
	p.line("metadata:   %s", rep.Metadata)
	if c := rep.Classification; c != nil {
		p.line("action:     %s", c.Action)
		p.line("route:      %s (%s)", c.Route, c.Endpoint)
		p.line("indices:    %s (from %s)", list(c.Indices), c.IndicesFrom)
		if len(c.Targets) > 0 {
			p.line("targets:    %s", list(c.Targets))
		}
		body := c.Body
		if c.BodyIndices {
			body += ", may name indices"
		}
		p.line("body:       %s", body)
	}
	p.line("decision:   %s", strings.ToUpper(string(rep.Outcome)))
	if rep.Outcome == Deny {
		p.line("  HTTP %d %s", rep.Status, rep.Error)
	}
	if rep.Rewritten || rep.MatchNothing {
		fwd := list(rep.Indices)
		if rep.MatchNothing {
			fwd = "*,-* (matches nothing: an empty answer)"
		}
		p.line("  forwarded indices: %s", fwd)
	}
	p.access("  ", rep.Access)
	for _, it := range rep.Items {
		p.item(it)
	}
	for _, n := range rep.Notes {
		p.line("note: %s", n)
	}
	return p.err
}

func (rep *Report) target() string {
	if rep.Query == "" {
		return rep.Path
	}
	return rep.Path + "?" + rep.Query
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) access(indent string, access []IndexAccess) {
	for _, a := range access {
		p.line("%sindex %s:", indent, a.Index)
		if len(a.DLS) == 0 {
			p.line("%s  DLS: none (every document)", indent)
		}
		for _, q := range a.DLS {
			p.line("%s  DLS query: %s", indent, q.Written)
			if q.Rendered != nil {
				p.line("%s    rendered: %s", indent, q.Rendered)
			}
			if q.Error != "" {
				p.line("%s    unusable (the request is refused): %s", indent, q.Error)
			}
		}
		if len(a.FLS) == 0 {
			p.line("%s  FLS: none (every field)", indent)
		}
		for _, f := range a.FLS {
			p.line("%s  FLS grant: %s except: %s", indent, list(f.Grant), list(f.Except))
		}
	}
}

func (p *printer) item(it Item) {
	where := fmt.Sprintf("item %d", it.Position)
	if it.Line > 0 {
		where += fmt.Sprintf(" (line %d)", it.Line)
	}
	what := it.Action
	if it.Op != "" {
		what = it.Op + " " + what
	}
	if it.ID != "" {
		what += " id=" + it.ID
	}
	p.line("%s: %s on %s: %s", where, what, list(it.Indices), strings.ToUpper(string(it.Outcome)))
	if it.Outcome == Deny {
		p.line("    %d %s", it.Status, it.Reason)
	}
	if len(it.Forwarded) > 0 {
		p.line("    forwarded indices: %s", list(it.Forwarded))
	}
	p.access("    ", it.Access)
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}
