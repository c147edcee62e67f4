package fls

// pathNode is one segment of the _source paths met in a response, with
// the decision taken for it. Hits of one index share their structure, so
// the next member name is almost always the sibling after the previous
// one: a lookup compares one raw name, and the unescaped path is built
// once, when the node is created. Different spellings of one name ("a",
// "\u0061") get different nodes with the same path, hence the same
// decision.
type pathNode struct {
	// raw is the member name as received (quoted, escaped).
	raw string
	// path is the unescaped dotted path.
	path     string
	children []*pathNode
	// byName indexes children once there are many.
	byName map[string]int
	// decided and allowed cache SourceAllows(path).
	decided, allowed bool
	// under caches the whole-subtree decision.
	under subtreeKind
}

// subtreeKind is what can be said of all the paths under a node at once.
type subtreeKind uint8

const (
	subtreeUnknown subtreeKind = iota
	// subtreeVisible: the node's path and every path under it are visible.
	subtreeVisible
	// subtreeHidden: neither the node's path nor any path under it is.
	subtreeHidden
	// subtreeMixed: each path must be judged.
	subtreeMixed
)

// manyChildren is the child count past which a node indexes its children.
const manyChildren = 16

// child returns the child named raw. Past the run's budget of remembered
// decisions, the child is made for this use only. hint is the position
// after the previously matched sibling.
func (n *pathNode) child(r *run, raw []byte, hint *int) (*pathNode, error) {
	if h := *hint; h < len(n.children) && n.children[h].raw == string(raw) {
		*hint = h + 1
		return n.children[h], nil
	}
	if i, ok := n.find(raw); ok {
		*hint = i + 1
		return n.children[i], nil
	}
	name, err := appendUnquoted(r.name[:0], raw)
	if err != nil {
		return nil, err
	}
	r.name = name
	c := &pathNode{raw: string(raw), path: joinPath(n.path, string(name))}
	if r.cached >= maxCachedDecisions {
		return c, nil
	}
	r.cached++
	n.children = append(n.children, c)
	if n.byName != nil || len(n.children) > manyChildren {
		n.index()
	}
	*hint = len(n.children)
	return c, nil
}

// find looks a raw name up among the children.
func (n *pathNode) find(raw []byte) (int, bool) {
	if n.byName != nil {
		i, ok := n.byName[string(raw)]
		return i, ok
	}
	for i, c := range n.children {
		if c.raw == string(raw) {
			return i, true
		}
	}
	return 0, false
}

// index builds (or extends) the name index.
func (n *pathNode) index() {
	if n.byName == nil {
		n.byName = make(map[string]int, len(n.children))
	}
	for i := len(n.byName); i < len(n.children); i++ {
		n.byName[n.children[i].raw] = i
	}
}

// sourceAllows is View.SourceAllows of the node's path, remembered.
func (n *pathNode) sourceAllows(iv *indexView) bool {
	if !n.decided {
		n.allowed, n.decided = iv.view.SourceAllows(n.path), true
	}
	return n.allowed
}

// subtree returns the whole-subtree decision of the node (subtreeMixed
// when shortcuts are off).
func (n *pathNode) subtree(r *run, iv *indexView) subtreeKind {
	if r.f.noShortcuts {
		return subtreeMixed
	}
	if n.under == subtreeUnknown {
		allowed := n.sourceAllows(iv)
		switch {
		case allowed && iv.view.allVisibleUnder(n.path):
			n.under = subtreeVisible
		case !allowed && iv.view.noneVisibleUnder(n.path):
			n.under = subtreeHidden
		default:
			n.under = subtreeMixed
		}
	}
	return n.under
}

// sourceRoot returns the trie root of the _source paths of iv under a
// nested prefix.
func (r *run) sourceRoot(iv *indexView, prefix []byte) *pathNode {
	if len(prefix) == 0 {
		if iv.sourceTree == nil {
			iv.sourceTree = &pathNode{}
		}
		return iv.sourceTree
	}
	if root, ok := iv.nestedTrees[string(prefix)]; ok {
		return root
	}
	root := &pathNode{path: string(prefix)}
	if r.cached < maxCachedDecisions {
		r.cached++
		if iv.nestedTrees == nil {
			iv.nestedTrees = map[string]*pathNode{}
		}
		iv.nestedTrees[root.path] = root
	}
	return root
}
