package filterpath

import "github.com/portcullis-proxy/portcullis/internal/authz"

// position is one path of a filter and the index of the segment the next
// member name must match.
type position struct{ path, seg int }

// state is where the paths of one side (inclusions or exclusions) stand at
// a value: the positions that reach it. A nil *state means the side sets
// no constraint on the value: every path of it matched an ancestor whole
// (or the side has no path).
type state struct {
	paths []path
	pos   []position
}

// verdict is what one side says of a member.
type verdict uint8

const (
	// noMatch: no path goes through the member.
	noMatch verdict = iota
	// partial: paths go on below the member.
	partial
	// whole: a path ends at the member, which it selects with all it
	// holds.
	whole
)

// member returns the verdict on the member called name of a value in
// state s, and the state of the member's value when partial.
func (s *state) member(name string) (verdict, *state) {
	var next []position
	for _, p := range s.pos {
		next = s.advance(next, p, name)
	}
	for _, p := range next {
		if s.complete(p) {
			return whole, nil
		}
	}
	if len(next) == 0 {
		return noMatch, nil
	}
	return partial, &state{paths: s.paths, pos: next}
}

// advance adds to out the positions p reaches through a member called name.
func (s *state) advance(out []position, p position, name string) []position {
	segs := s.paths[p.path]
	if p.seg >= len(segs) {
		return out
	}
	if segs[p.seg] == "**" {
		// "**" takes the name and stays, or matches no segment at all.
		out = addPosition(out, p)
		return s.advance(out, position{p.path, p.seg + 1}, name)
	}
	if authz.SimpleMatch(segs[p.seg], name) {
		out = addPosition(out, position{p.path, p.seg + 1})
	}
	return out
}

// complete reports whether p's path has matched: only "**" segments (which
// may match nothing) are left.
func (s *state) complete(p position) bool {
	for _, seg := range s.paths[p.path][p.seg:] {
		if seg != "**" {
			return false
		}
	}
	return true
}

func addPosition(out []position, p position) []position {
	for _, q := range out {
		if q == p {
			return out
		}
	}
	return append(out, p)
}
