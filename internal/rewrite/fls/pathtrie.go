package fls

// pathNode is one segment of the _source paths met in a response, with
// the decision taken for it. Hits of one index share their structure, so
// the next member name is almost always the sibling after the previous
// one: lookups compare one name instead of hashing a whole path.
type pathNode struct {
	name     string
	children []*pathNode
	// byName indexes children once there are many.
	byName map[string]int
	// decided and allowed cache SourceAllows of the node's path.
	decided, allowed bool
}

// manyChildren is the child count past which a node indexes its children.
const manyChildren = 16

// child returns the child named name, creating it within the run's
// budget (nil past it: the caller decides without caching). hint is the
// position after the previously matched sibling.
func (n *pathNode) child(r *run, name []byte, hint *int) *pathNode {
	if n == nil {
		return nil
	}
	if h := *hint; h < len(n.children) && n.children[h].name == string(name) {
		*hint = h + 1
		return n.children[h]
	}
	if i, ok := n.find(name); ok {
		*hint = i + 1
		return n.children[i]
	}
	if r.cached >= maxCachedDecisions {
		return nil
	}
	r.cached++
	c := &pathNode{name: string(name)}
	n.children = append(n.children, c)
	if n.byName != nil || len(n.children) > manyChildren {
		n.index()
	}
	*hint = len(n.children)
	return c
}

// find looks a name up among the children.
func (n *pathNode) find(name []byte) (int, bool) {
	if n.byName != nil {
		i, ok := n.byName[string(name)]
		return i, ok
	}
	for i, c := range n.children {
		if c.name == string(name) {
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
		n.byName[n.children[i].name] = i
	}
}

// sourceAllows is View.SourceAllows on r.path, cached in node (nil: no
// cache).
func (r *run) sourceAllowsAt(iv *indexView, node *pathNode) bool {
	if node == nil {
		return iv.view.SourceAllows(string(r.path))
	}
	if !node.decided {
		node.allowed, node.decided = iv.view.SourceAllows(string(r.path)), true
	}
	return node.allowed
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
	if iv.nestedTrees == nil {
		iv.nestedTrees = map[string]*pathNode{}
	}
	root, ok := iv.nestedTrees[string(prefix)]
	if !ok {
		if r.cached >= maxCachedDecisions {
			return nil
		}
		r.cached++
		root = &pathNode{}
		iv.nestedTrees[string(prefix)] = root
	}
	return root
}
