package authz

import (
	"slices"
	"strings"
)

// Deciding whether one set of names is contained in another, the way
// Elasticsearch's Operations.subsetOf does for has_privileges, with
// wildcard patterns (action patterns and index patterns alike). A set is a
// union of terms, each term the names matching one of its include
// patterns and none of its exclude patterns ("manage" is "all" minus the
// security actions; a group without allow_restricted_indices is its
// patterns minus the restricted indices).
//
// The check runs the patterns' automata side by side over an alphabet made
// of every literal character in any pattern plus one symbol standing for
// all other characters (they behave identically in every pattern), and
// looks for a reachable state where the first set accepts and the second
// does not. The number of states is bounded: past the bound the answer is
// "undecided", which callers treat as "not a subset" (fail closed).

// globTerm is the set of names matching one of include and none of exclude.
type globTerm struct {
	include, exclude []wildcard
}

// globSet is a union of terms. The empty globSet is the empty set.
type globSet []globTerm

// maxGlobStates bounds the states one subset check explores.
const maxGlobStates = 4000

// maxCheckStates bounds the states all the subset checks of one
// has_privileges request explore together: the checked patterns come from
// the caller, and a pattern such as "*a?????????????????" needs
// exponentially many states.
const maxCheckStates = 8000

// globBudget is the number of states a request's checks may still explore.
type globBudget struct{ states int }

func newGlobBudget() *globBudget { return &globBudget{states: maxCheckStates} }

// otherSymbol stands for every character no pattern names literally.
const otherSymbol rune = -1

// newGlobTerm compiles wildcard patterns into a term.
func newGlobTerm(include, exclude []string) globTerm {
	var t globTerm
	for _, p := range include {
		t.include = append(t.include, compileWildcard(p))
	}
	for _, p := range exclude {
		t.exclude = append(t.exclude, compileWildcard(p))
	}
	return t
}

// globSubset reports whether every name in a is also in b. decided is
// false when the check gave up (too many states, or the budget is spent);
// subset is then false.
func globSubset(a, b globSet, budget *globBudget) (subset, decided bool) {
	m := newGlobMachine(a, b)
	start := m.initial()
	seen := map[string]bool{string(start): true}
	queue := [][]byte{start}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if m.inA(st) && !m.inB(st) {
			return false, true
		}
		if !m.aAlive(st) {
			continue // no longer name from here is in a
		}
		for _, sym := range m.alphabet {
			next := m.step(st, sym)
			if seen[string(next)] {
				continue
			}
			if len(seen) >= maxGlobStates || budget.states <= 0 {
				return false, false
			}
			budget.states--
			seen[string(next)] = true
			queue = append(queue, next)
		}
	}
	return true, true
}

// globMachine runs every pattern of both sets in parallel. A state holds,
// for each pattern, one byte per automaton position (1 = active); pattern i
// owns bytes offset[i] .. offset[i]+len(toks)+1.
type globMachine struct {
	a, b     globSet
	pats     []wildcard
	offset   []int
	size     int
	alphabet []rune
	// index maps each pattern (by address in its term) to its number.
	index map[*wildcard]int
}

func newGlobMachine(a, b globSet) *globMachine {
	m := &globMachine{a: a, b: b, index: map[*wildcard]int{}}
	lits := map[rune]bool{}
	for _, set := range []globSet{a, b} {
		for ti := range set {
			for _, list := range [][]wildcard{set[ti].include, set[ti].exclude} {
				for wi := range list {
					w := &list[wi]
					m.index[w] = len(m.pats)
					m.pats = append(m.pats, *w)
					m.offset = append(m.offset, m.size)
					m.size += len(w.toks) + 1
					for _, t := range w.toks {
						if t.kind == wLit {
							lits[t.r] = true
						}
					}
				}
			}
		}
	}
	for r := range lits {
		m.alphabet = append(m.alphabet, r)
	}
	slices.Sort(m.alphabet)
	m.alphabet = append(m.alphabet, otherSymbol)
	return m
}

func (m *globMachine) initial() []byte {
	st := make([]byte, m.size)
	for i, w := range m.pats {
		pos := st[m.offset[i] : m.offset[i]+len(w.toks)+1]
		pos[0] = 1
		closeStars(w, pos)
	}
	return st
}

// closeStars adds the positions reachable by letting stars match nothing.
func closeStars(w wildcard, pos []byte) {
	for i, t := range w.toks {
		if pos[i] == 1 && t.kind == wStar {
			pos[i+1] = 1
		}
	}
}

func (m *globMachine) step(st []byte, sym rune) []byte {
	next := make([]byte, m.size)
	for i, w := range m.pats {
		cur := st[m.offset[i] : m.offset[i]+len(w.toks)+1]
		out := next[m.offset[i] : m.offset[i]+len(w.toks)+1]
		for p, t := range w.toks {
			if cur[p] == 0 {
				continue
			}
			switch {
			case t.kind == wStar:
				out[p] = 1
			case t.kind == wOne, t.r == sym && sym != otherSymbol:
				out[p+1] = 1
			}
		}
		closeStars(w, out)
	}
	return next
}

func (m *globMachine) accepts(st []byte, w *wildcard) bool {
	i := m.index[w]
	return st[m.offset[i]+len(w.toks)] == 1
}

func (m *globMachine) alive(st []byte, w *wildcard) bool {
	i := m.index[w]
	return slices.Contains(st[m.offset[i]:m.offset[i]+len(w.toks)+1], 1)
}

func (m *globMachine) inSet(st []byte, set globSet) bool {
	for ti := range set {
		t := &set[ti]
		if m.anyAccepts(st, t.include) && !m.anyAccepts(st, t.exclude) {
			return true
		}
	}
	return false
}

func (m *globMachine) anyAccepts(st []byte, ws []wildcard) bool {
	for wi := range ws {
		if m.accepts(st, &ws[wi]) {
			return true
		}
	}
	return false
}

func (m *globMachine) inA(st []byte) bool { return m.inSet(st, m.a) }
func (m *globMachine) inB(st []byte) bool { return m.inSet(st, m.b) }

// aAlive reports whether some include pattern of a can still match a
// longer name.
func (m *globMachine) aAlive(st []byte) bool {
	for ti := range m.a {
		for wi := range m.a[ti].include {
			if m.alive(st, &m.a[ti].include[wi]) {
				return true
			}
		}
	}
	return false
}

// restrictedGlobs are the restricted index patterns as wildcard patterns
// (exact names and literal prefixes followed by '*', escaped).
func restrictedGlobs() []string {
	out := make([]string, len(restrictedIndexPatterns))
	for i, p := range restrictedIndexPatterns {
		stem, prefix := strings.CutSuffix(p, "*")
		out[i] = escapeWildcard(stem)
		if prefix {
			out[i] += "*"
		}
	}
	return out
}

// escapeWildcard makes every character of s literal in a wildcard pattern.
func escapeWildcard(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '*' || r == '?' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
