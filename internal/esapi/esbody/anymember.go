package esbody

// AnyMember reports whether some member of an object anywhere in v (v
// itself, nested objects, array elements) satisfies match, given its name
// and value. A body nested deeper than maxDepth counts as a match: the
// callers ask "could this body do X?", and a body too deep to read to the
// end must get the cautious answer.
func AnyMember(v Value, maxDepth int, match func(name string, child Value) bool) bool {
	return anyMember(v, 0, maxDepth, match)
}

func anyMember(v Value, depth, maxDepth int, match func(string, Value) bool) bool {
	if depth > maxDepth {
		return true
	}
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return false
		}
		for name, child := range x.All() {
			if match(name, child) || anyMember(child, depth+1, maxDepth, match) {
				return true
			}
		}
	case Array:
		for _, child := range x {
			if anyMember(child, depth+1, maxDepth, match) {
				return true
			}
		}
	}
	return false
}
