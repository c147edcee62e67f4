// Package filterpath applies Elasticsearch's filter_path response
// parameter to a JSON answer as it streams.
//
// The proxy needs it where it must read the cluster's whole answer (to
// filter fields hidden by field-level security, or to attribute hits to
// their index): it takes filter_path off the forwarded request, filters
// the complete answer, and only then cuts it down as the client asked.
// Cutting can only remove what the security filters let through.
//
// The semantics are those of the cluster's Jackson-based filtering
// (FilterPathBasedFilter), checked against OpenSearch 2.19 and
// Elasticsearch 7.17 by the end-to-end differential test:
//
//   - filter_path is a comma-separated list of paths (blank entries
//     ignored, each trimmed; a path ending with a dot is refused, since
//     OpenSearch and Elasticsearch read it differently); "a.b" names
//     member b of member a, "\." is a dot inside a name; a segment
//     may hold "*" wildcards; "**" matches one or more segments ("a.**.b"
//     selects a.x.b and a.x.y.b, not a.b); a leading "-" makes a path an
//     exclusion (an empty one is refused, as the cluster does).
//   - Arrays are transparent: their elements are matched against the
//     path of the array.
//   - With inclusions, a value whose path matches one is kept whole; an
//     object or array on the way to one is kept only if something inside
//     it is; a scalar on the way is dropped.
//   - With exclusions, a value whose path matches one is dropped; an
//     object or array on the way to one is kept only if something inside
//     it is left; a scalar on the way is kept.
//   - With both, exclusions apply first, then inclusions.
//   - The top-level value is always written ({} when nothing is left).
package filterpath

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// maxPaths bounds the paths of one filter_path, and maxSegments the
// segments of one path: the matcher's work per member name grows with
// both. maxValue bounds the value: the cluster reads no request line
// longer than 4096 bytes (http.max_initial_line_length), so a longer
// filter_path never reached it; the proxy, which takes filter_path off
// the forwarded request, refuses it too, and with it the work of
// matching a long list of long wildcards against every member name.
const (
	maxPaths    = 64
	maxSegments = 64
	maxValue    = 4096
)

// Filter is a compiled filter_path. It is immutable and safe for
// concurrent use.
type Filter struct {
	include, exclude *side
}

// path is one filter_path entry split into segments.
type path []string

// Compile parses a filter_path value. It returns nil (no filtering) when
// the value holds no path, and an error for a value it cannot apply as
// the cluster would.
func Compile(value string) (*Filter, error) {
	if len(value) > maxValue {
		return nil, fmt.Errorf("filter_path is longer than %d bytes", maxValue)
	}
	var include, exclude []path
	for _, entry := range strings.Split(value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		excluded := strings.HasPrefix(entry, "-")
		if excluded {
			// The cluster trims the path after the "-" too, and refuses
			// an exclusion of nothing.
			if entry = strings.TrimSpace(entry[1:]); entry == "" {
				return nil, errors.New("filter_path has an empty exclusion")
			}
		}
		p, err := splitPath(entry)
		if err != nil {
			return nil, fmt.Errorf("filter_path [%s]: %w", entry, err)
		}
		if excluded {
			exclude = append(exclude, p)
		} else {
			include = append(include, p)
		}
	}
	if len(include)+len(exclude) > maxPaths {
		return nil, fmt.Errorf("filter_path has more than %d paths", maxPaths)
	}
	if len(include) == 0 && len(exclude) == 0 {
		return nil, nil
	}
	f := &Filter{}
	if len(include) > 0 {
		f.include = newSide(include)
	}
	if len(exclude) > 0 {
		f.exclude = newSide(exclude)
	}
	return f, nil
}

// splitPath splits a path at its dots; "\." is a dot inside a segment.
// Any other backslash is refused: the cluster's reading of it is not
// known to the proxy.
func splitPath(s string) (path, error) {
	var p path
	var seg strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			if i+1 >= len(s) || s[i+1] != '.' {
				return nil, errors.New(`a backslash may only escape a dot`)
			}
			seg.WriteByte('.')
			i++
		case c == '.':
			p = append(p, seg.String())
			seg.Reset()
		default:
			seg.WriteByte(c)
		}
	}
	p = append(p, seg.String())
	if len(p) > 1 && p[len(p)-1] == "" {
		// OpenSearch 2.19 drops empty segments at the end ("a." is a),
		// Elasticsearch 7.17 keeps them ("a." is a member "" of a).
		return nil, errors.New("a path ending with a dot is read differently by the clusters")
	}
	if len(p) > maxSegments {
		return nil, fmt.Errorf("more than %d segments", maxSegments)
	}
	return p, nil
}

// Apply copies the JSON document in src to dst, keeping what the filter
// selects. A nil Filter copies everything.
func (f *Filter) Apply(dst io.Writer, src io.Reader) error {
	dec := jsontext.NewDecoder(src, jsontext.AllowDuplicateNames(true))
	enc := jsontext.NewEncoder(dst)
	c := &copier{dec: dec, enc: enc}
	root := sel{}
	if f != nil {
		root = sel{inc: f.start(f.include), exc: f.start(f.exclude)}
	}
	if err := c.value(root, true); err != nil {
		return fmt.Errorf("filter_path: %w", err)
	}
	// One value, as the cluster answers: anything after it is an error,
	// not something to drop silently.
	if _, err := dec.ReadToken(); err != io.EOF {
		return fmt.Errorf("filter_path: data after the answer's value (%v)", err)
	}
	return nil
}

// start is the matcher state at the top-level value for a side: every
// path at its first segment, or nil (no constraint) without paths.
func (f *Filter) start(s *side) *state {
	if s == nil {
		return nil
	}
	st := &state{side: s}
	for i := range s.paths {
		st.pos = append(st.pos, position{path: i})
	}
	return st
}
