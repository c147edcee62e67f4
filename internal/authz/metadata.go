package authz

import (
	"slices"
	"sort"
	"strings"
)

// Metadata is an immutable snapshot of the cluster's index namespace: the
// concrete indices, aliases and data streams the cluster knows, with the
// flags index name resolution needs (hidden, closed, system). It is what
// wildcards expand against and what tells an alias from an index.
//
// Build it with NewMetadata from plain data; the upstream package fetches
// that data from the cluster. A nil *Metadata behaves as an empty cluster.
// Every method is safe for concurrent use.
type Metadata struct {
	// names lists every index abstraction, sorted by name.
	names []abstraction
	// byName maps a name to its position in names.
	byName map[string]int
	// indices, aliases and dataStreams hold the records, by name.
	indices     map[string]*ConcreteIndex
	aliases     map[string]*Alias
	dataStreams map[string]*DataStream
	// clusterPipelines: the cluster said it runs search pipelines;
	// defaultPipelines: some index names a default one.
	clusterPipelines, defaultPipelines bool
}

// ConcreteIndex describes one concrete index.
type ConcreteIndex struct {
	// Name is the index name.
	Name string
	// Hidden is the index.hidden setting.
	Hidden bool
	// Closed says the index is closed.
	Closed bool
	// System says the cluster flags the index as a system index. System
	// indices are restricted: only groups with allow_restricted_indices
	// reach them.
	System bool
	// DataStream is the data stream the index backs; empty when none.
	DataStream string
	// FailureStore says the index belongs to its data stream's failure
	// store (".fs-…"), not to its backing indices.
	FailureStore bool
	// Aliases are the aliases that point at the index, sorted.
	Aliases []string
	// SearchPipeline is the index's default search pipeline (OpenSearch's
	// index.search.default_pipeline); empty when it has none.
	SearchPipeline string
	// IngestPipeline says the index runs an ingest pipeline on every
	// document written to it (index.default_pipeline or
	// index.final_pipeline, other than "_none").
	IngestPipeline bool
}

// Alias describes one alias: of indices, or (data stream alias) of data
// streams.
type Alias struct {
	// Name is the alias name.
	Name string
	// Indices are the concrete indices the alias points at, sorted.
	Indices []string
	// DataStreams are the data streams the alias points at, sorted.
	DataStreams []string
	// WriteIndex is the index (or data stream) writes through the alias
	// go to; empty when the cluster would refuse writes or did not say.
	WriteIndex string
	// Hidden is the alias's is_hidden flag.
	Hidden bool
}

// DataStream describes one data stream.
type DataStream struct {
	// Name is the data stream name.
	Name string
	// Indices are the backing indices, oldest first (the last is the
	// write index).
	Indices []string
	// FailureIndices are the failure store's indices, oldest first.
	FailureIndices []string
	// Hidden is the data stream's hidden flag.
	Hidden bool
	// System says the data stream is a system data stream (restricted).
	System bool
}

// abstractionKind tells what a name in the metadata stands for.
type abstractionKind uint8

const (
	kindIndex abstractionKind = iota + 1
	kindAlias
	kindDataStream
)

// abstraction is one resolvable name with what resolution needs to know
// about it, precomputed.
type abstraction struct {
	name string
	kind abstractionKind
	// hidden, closed: visibility to wildcards.
	hidden, closed bool
	// restricted: only groups with allow_restricted_indices reach it.
	restricted bool
	// parent is, for a backing index, its data stream (whose name also
	// grants the index); nil otherwise.
	parent *abstraction
	// failureStore marks a failure-store index: never granted here.
	failureStore bool
	// targets are the concrete indices the name reaches (for an index,
	// itself), sorted.
	targets []string
	// pos is the abstraction's position in Metadata.names; targetPos the
	// positions of targets.
	pos       int
	targetPos []int
}

// NewMetadata builds a snapshot from plain data. The inputs are copied and
// cross-checked: an index lists the aliases that list it and vice versa,
// backing and failure-store indices know their data stream (indices named
// only by a data stream or an alias are added as open, non-hidden
// indices, backing ones as hidden). Names are unique in a real cluster;
// should the data disagree, a concrete index wins over a data stream, and
// a data stream over an alias, and the loser is dropped.
func NewMetadata(indices []ConcreteIndex, aliases []Alias, dataStreams []DataStream) *Metadata {
	m := &Metadata{
		indices:     make(map[string]*ConcreteIndex, len(indices)),
		aliases:     make(map[string]*Alias, len(aliases)),
		dataStreams: make(map[string]*DataStream, len(dataStreams)),
	}
	for _, ix := range indices {
		if ix.Name == "" || m.indices[ix.Name] != nil {
			continue
		}
		c := ix
		c.Aliases = nil
		m.indices[c.Name] = &c
		m.defaultPipelines = m.defaultPipelines || c.SearchPipeline != ""
	}
	m.addDataStreams(dataStreams)
	m.addAliases(indices, aliases)
	m.index()
	return m
}

func (m *Metadata) addDataStreams(dataStreams []DataStream) {
	for _, ds := range dataStreams {
		if ds.Name == "" || m.indices[ds.Name] != nil || m.dataStreams[ds.Name] != nil {
			continue
		}
		c := DataStream{Name: ds.Name, Hidden: ds.Hidden, System: ds.System,
			Indices: slices.Clone(ds.Indices), FailureIndices: slices.Clone(ds.FailureIndices)}
		m.dataStreams[c.Name] = &c
		for _, name := range c.Indices {
			ix := m.ensureIndex(name, true)
			ix.DataStream = c.Name
		}
		for _, name := range c.FailureIndices {
			ix := m.ensureIndex(name, true)
			ix.DataStream, ix.FailureStore = c.Name, true
		}
	}
}

// WithSearchPipelines returns a copy of m that says whether the cluster
// runs search pipelines (OpenSearch 2.9 and later). m is not changed.
func (m *Metadata) WithSearchPipelines(on bool) *Metadata {
	if m == nil {
		m = NewMetadata(nil, nil, nil)
	}
	c := *m
	c.clusterPipelines = on
	return &c
}

// SearchPipelines reports whether searches may run through a search
// pipeline the cluster applies after the proxy: the cluster said it runs
// them, or some index names a default one.
func (m *Metadata) SearchPipelines() bool {
	return m != nil && (m.clusterPipelines || m.defaultPipelines)
}

// ensureIndex returns the named index, adding it when missing.
func (m *Metadata) ensureIndex(name string, hidden bool) *ConcreteIndex {
	if ix := m.indices[name]; ix != nil {
		return ix
	}
	ix := &ConcreteIndex{Name: name, Hidden: hidden}
	m.indices[name] = ix
	return ix
}

// addAliases merges the aliases' member lists with the indices' alias
// lists.
func (m *Metadata) addAliases(indices []ConcreteIndex, aliases []Alias) {
	get := func(name string) *Alias {
		if name == "" || m.indices[name] != nil || m.dataStreams[name] != nil {
			return nil
		}
		a := m.aliases[name]
		if a == nil {
			a = &Alias{Name: name}
			m.aliases[name] = a
		}
		return a
	}
	for _, in := range aliases {
		a := get(in.Name)
		if a == nil {
			continue
		}
		a.Hidden = a.Hidden || in.Hidden
		if in.WriteIndex != "" {
			a.WriteIndex = in.WriteIndex
		}
		for _, name := range in.Indices {
			if name != "" && m.dataStreams[name] == nil {
				a.Indices = append(a.Indices, name)
				m.ensureIndex(name, false)
			}
		}
		for _, name := range in.DataStreams {
			if m.dataStreams[name] != nil {
				a.DataStreams = append(a.DataStreams, name)
			}
		}
	}
	for _, ix := range indices {
		for _, name := range ix.Aliases {
			if a := get(name); a != nil && m.indices[ix.Name] != nil {
				a.Indices = append(a.Indices, ix.Name)
			}
		}
	}
	for _, a := range m.aliases {
		a.Indices = sortedUnique(a.Indices)
		a.DataStreams = sortedUnique(a.DataStreams)
		for _, name := range a.Indices {
			ix := m.indices[name]
			ix.Aliases = append(ix.Aliases, a.Name)
		}
	}
	for _, ix := range m.indices {
		ix.Aliases = sortedUnique(ix.Aliases)
	}
}

// index builds the sorted abstraction list and the lookups.
func (m *Metadata) index() {
	m.names = make([]abstraction, 0, len(m.indices)+len(m.aliases)+len(m.dataStreams))
	for _, ds := range m.dataStreams {
		m.names = append(m.names, abstraction{name: ds.Name, kind: kindDataStream, hidden: ds.Hidden,
			restricted: ds.System || IsRestrictedIndex(ds.Name), targets: sortedUnique(slices.Clone(ds.Indices))})
	}
	for _, ix := range m.indices {
		m.names = append(m.names, abstraction{name: ix.Name, kind: kindIndex, hidden: ix.Hidden, closed: ix.Closed,
			restricted: ix.System || IsRestrictedIndex(ix.Name), failureStore: ix.FailureStore, targets: []string{ix.Name}})
	}
	for _, a := range m.aliases {
		m.names = append(m.names, abstraction{name: a.Name, kind: kindAlias, hidden: a.Hidden,
			restricted: IsRestrictedIndex(a.Name), targets: m.aliasTargets(a)})
	}
	sort.Slice(m.names, func(i, j int) bool { return m.names[i].name < m.names[j].name })
	m.byName = make(map[string]int, len(m.names))
	for i := range m.names {
		m.byName[m.names[i].name] = i
	}
	for i := range m.names {
		ab := &m.names[i]
		ab.pos = i
		ab.targetPos = make([]int, len(ab.targets))
		for j, t := range ab.targets {
			ab.targetPos[j] = m.byName[t]
		}
		switch ab.kind {
		case kindIndex:
			if ds := m.indices[ab.name].DataStream; ds != "" {
				ab.parent = &m.names[m.byName[ds]]
			}
		case kindAlias:
			// An alias reaching a restricted index is restricted itself:
			// its name must not open a way around allow_restricted_indices.
			for _, t := range ab.targets {
				if m.names[m.byName[t]].restricted {
					ab.restricted = true
				}
			}
		}
	}
}

// aliasTargets lists the concrete indices an alias reaches, through data
// streams too.
func (m *Metadata) aliasTargets(a *Alias) []string {
	out := slices.Clone(a.Indices)
	for _, ds := range a.DataStreams {
		out = append(out, m.dataStreams[ds].Indices...)
	}
	return sortedUnique(out)
}

// Has reports whether name is an index, alias or data stream of the
// cluster.
func (m *Metadata) Has(name string) bool { return m.lookup(name) != nil }

// lookup returns the abstraction with that name, or nil.
func (m *Metadata) lookup(name string) *abstraction {
	if m == nil {
		return nil
	}
	i, ok := m.byName[name]
	if !ok {
		return nil
	}
	return &m.names[i]
}

// withPrefix returns the abstractions whose names start with prefix, in
// name order.
func (m *Metadata) withPrefix(prefix string) []abstraction {
	if m == nil {
		return nil
	}
	lo := sort.Search(len(m.names), func(i int) bool { return m.names[i].name >= prefix })
	hi := lo
	for hi < len(m.names) && strings.HasPrefix(m.names[hi].name, prefix) {
		hi++
	}
	return m.names[lo:hi]
}

// Len returns how many names (indices, aliases, data streams) the snapshot
// holds.
func (m *Metadata) Len() int {
	if m == nil {
		return 0
	}
	return len(m.names)
}

// Names returns every index, alias and data stream name, sorted.
func (m *Metadata) Names() []string {
	if m == nil {
		return nil
	}
	out := make([]string, len(m.names))
	for i, ab := range m.names {
		out[i] = ab.name
	}
	return out
}

// Index returns the concrete index with that name.
func (m *Metadata) Index(name string) (ConcreteIndex, bool) {
	if m == nil || m.indices[name] == nil {
		return ConcreteIndex{}, false
	}
	ix := *m.indices[name]
	ix.Aliases = slices.Clone(ix.Aliases)
	return ix, true
}

// Alias returns the alias with that name.
func (m *Metadata) Alias(name string) (Alias, bool) {
	if m == nil || m.aliases[name] == nil {
		return Alias{}, false
	}
	a := *m.aliases[name]
	a.Indices, a.DataStreams = slices.Clone(a.Indices), slices.Clone(a.DataStreams)
	return a, true
}

// DataStream returns the data stream with that name.
func (m *Metadata) DataStream(name string) (DataStream, bool) {
	if m == nil || m.dataStreams[name] == nil {
		return DataStream{}, false
	}
	ds := *m.dataStreams[name]
	ds.Indices, ds.FailureIndices = slices.Clone(ds.Indices), slices.Clone(ds.FailureIndices)
	return ds, true
}

// ConcreteIndices returns the concrete indices a name reaches: an index
// itself, an alias's indices (through data streams too), a data stream's
// backing indices. Unknown names reach nothing.
func (m *Metadata) ConcreteIndices(name string) []string {
	if ab := m.lookup(name); ab != nil {
		return slices.Clone(ab.targets)
	}
	return nil
}

// WriteTarget returns the concrete index a document write (index, create,
// delete, update) to name goes to, as the cluster picks it: an index
// itself; a data stream's newest backing index; an alias's write index
// (the newest backing index when that is a data stream), or its only index
// when it has just one and names no write index. ok is false when the
// cluster would refuse the write (an alias over several indices without a
// write index) or the name is unknown.
func (m *Metadata) WriteTarget(name string) (index string, ok bool) {
	if m == nil {
		return "", false
	}
	if m.indices[name] != nil {
		return name, true
	}
	newest := func(ds *DataStream) (string, bool) {
		if ds == nil || len(ds.Indices) == 0 {
			return "", false
		}
		return ds.Indices[len(ds.Indices)-1], true
	}
	if ds := m.dataStreams[name]; ds != nil {
		return newest(ds)
	}
	a := m.aliases[name]
	switch {
	case a == nil:
		return "", false
	case a.WriteIndex != "" && m.dataStreams[a.WriteIndex] != nil:
		return newest(m.dataStreams[a.WriteIndex])
	case a.WriteIndex != "":
		return a.WriteIndex, m.indices[a.WriteIndex] != nil
	case len(a.Indices) == 1 && len(a.DataStreams) == 0:
		return a.Indices[0], true
	}
	return "", false
}

// IsRestricted reports whether a name is restricted: a restricted name by
// Elasticsearch's list, a system index or data stream, or an alias that
// reaches one.
func (m *Metadata) IsRestricted(name string) bool {
	if ab := m.lookup(name); ab != nil {
		return ab.restricted || IsRestrictedIndex(name)
	}
	return IsRestrictedIndex(name)
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
