package filterpath

import "github.com/portcullis-proxy/portcullis/internal/authz"

// position is one path of a filter and the index of the segment the next
// member name must match.
type position struct{ path, seg int }

// side is the paths of one side of a filter (inclusions or exclusions),
// with what the matcher needs to keep its states small.
type side struct {
	paths []path
	// base[i] numbers the positions of paths[i]: base[i]+seg is unique
	// across the side, for the sets of positions (seen).
	base []int
	// positions counts the positions of the side.
	positions int
}

func newSide(paths []path) *side {
	s := &side{paths: paths, base: make([]int, len(paths))}
	for i, p := range paths {
		s.base[i] = s.positions
		s.positions += len(p) + 1
	}
	return s
}

// state is where the paths of one side stand at a value: the positions
// that reach it, each once. A nil *state means the side sets no
// constraint on the value: every path of it matched an ancestor whole (or
// the side has no path).
type state struct {
	side *side
	pos  []position
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
//
// As the cluster's FilterPathBasedFilter: a segment matches one member
// name; "**" matches one name and stays, so it stands for one or more
// segments ("a.**.b" does not select a.b); a path that has matched its
// last segment selects the member whole.
//
// The work is linear in the positions of s: each position yields at most
// two (a "**" stays and moves on), and a position reached twice is kept
// once, so a state never holds more positions than the side has.
func (s *state) member(name string) (verdict, *state) {
	var next []position
	var seen []uint64
	add := func(p position) bool {
		if len(s.side.paths[p.path]) == p.seg {
			return true // the path has matched its last segment
		}
		bit := s.side.base[p.path] + p.seg
		if seen == nil {
			seen = make([]uint64, (s.side.positions+63)/64)
		}
		if seen[bit/64]&(1<<(bit%64)) == 0 {
			seen[bit/64] |= 1 << (bit % 64)
			next = append(next, p)
		}
		return false
	}
	for _, p := range s.pos {
		seg := s.side.paths[p.path][p.seg]
		if seg == "**" {
			if add(position{p.path, p.seg + 1}) {
				return whole, nil
			}
			add(p)
			continue
		}
		if authz.SimpleMatch(seg, name) && add(position{p.path, p.seg + 1}) {
			return whole, nil
		}
	}
	if len(next) == 0 {
		return noMatch, nil
	}
	return partial, &state{side: s.side, pos: next}
}
