package fls

// Policy gives the view of each index a response may mention.
//
// View returns known=false for an index the policy does not know: the
// filters then treat the index as fully hidden (metadata fields only) and
// report it through Filter.OnUnknownIndex. For a known index, a nil *View
// means no field-level security.
type Policy interface {
	View(index string) (view *View, known bool)
}

// Views is a Policy over a fixed set of indices; an index that is not a key
// is unknown.
type Views map[string]*View

// View implements Policy.
func (vs Views) View(index string) (*View, bool) {
	v, ok := vs[index]
	return v, ok
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(index string) (*View, bool)

// View implements Policy.
func (f PolicyFunc) View(index string) (*View, bool) { return f(index) }
