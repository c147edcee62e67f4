package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The write-state differential (wstate_test.go) takes the node itself as
// its oracle: after every write a restricted user sends through the proxy,
// it reads the node's whole state directly (documents with their versions
// and sequence numbers, index mappings, settings and aliases, templates,
// pipelines, stored scripts, data streams) and checks that nothing the
// user may not write changed, whatever the proxy answered.

// wsFixture holds the names of one run and the node's address.
type wsFixture struct {
	t      *testing.T
	node   string
	c      *http.Client
	p      *proxy
	pass   string
	su     string
	prefix string // every index, alias, template, pipeline and script name of the run begins with it
	// canaries are the values no read view of the reader may hold: the
	// hidden field's values and the private documents' notes of the DLS
	// index, the secret index's documents.
	canaries []string
	ds       bool // the node has data streams (not the Elasticsearch 7.17 OSS node)
}

// name is the run's name of a fixture object ("w" -> "wsd123-w").
func (f *wsFixture) name(key string) string { return f.prefix + "-" + key }

// direct sends a request straight to the node.
func (f *wsFixture) direct(method, path, body string) result {
	f.t.Helper()
	if body == "" {
		return do(f.t, f.c, method, f.node+path, "", "", nil, nil)
	}
	ct := "application/json"
	if strings.HasSuffix(path, "_bulk") || strings.Contains(path, "_bulk?") {
		ct = "application/x-ndjson"
	}
	return do(f.t, f.c, method, f.node+path, "", "", strings.NewReader(body), map[string]string{"Content-Type": ct})
}

// must sends an administrator's request straight to the node and fails the
// test unless it succeeds.
func (f *wsFixture) must(what, method, path, body string) {
	f.t.Helper()
	if r := f.direct(method, path, body); r.Status >= 300 {
		f.t.Fatalf("%s: %s %s: %d %s", what, method, path, r.Status, r.Body)
	}
}

// wsDoc is one stored document as the node holds it.
type wsDoc struct {
	Version int64
	SeqNo   int64
	Term    int64
	Routing string
	Source  string // canonical JSON
	Level   string // the source's "level", "" when absent
}

// wsState is the node's state as far as the run's objects go.
type wsState struct {
	Docs    map[string]wsDoc  // "index/id"
	Indices map[string]string // "index#part" (mappings, settings, aliases, state) -> canonical JSON
	Global  map[string]string // "templates/name", "ingest/id", ... -> canonical JSON
	Names   map[string]bool   // the run's indices that are not hidden, by the cluster's index list
}

func canonical(v any) string {
	b, err := json.Marshal(v) // maps are written in key order
	if err != nil {
		return fmt.Sprintf("unmarshalable: %v", err)
	}
	return string(b)
}

// snapshot reads the node's state directly, after a refresh of the run's
// indices.
func (f *wsFixture) snapshot() *wsState {
	f.t.Helper()
	pat := f.prefix + "*,.ds-" + f.prefix + "*"
	f.direct("POST", "/"+pat+"/_refresh?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true", "")
	s := &wsState{Docs: map[string]wsDoc{}, Indices: map[string]string{}, Global: map[string]string{}, Names: map[string]bool{}}
	r := f.direct("POST", "/"+pat+"/_search?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true",
		`{"size":10000,"version":true,"seq_no_primary_term":true,"query":{"match_all":{}}}`)
	var sr struct {
		Hits struct {
			Hits []struct {
				Index   string         `json:"_index"`
				ID      string         `json:"_id"`
				Version int64          `json:"_version"`
				SeqNo   int64          `json:"_seq_no"`
				Term    int64          `json:"_primary_term"`
				Routing string         `json:"_routing"`
				Source  map[string]any `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &sr) != nil {
		f.t.Fatalf("snapshot: documents: %d %s", r.Status, r.Body)
	}
	for _, h := range sr.Hits.Hits {
		lvl, _ := h.Source["level"].(string)
		s.Docs[h.Index+"/"+h.ID] = wsDoc{Version: h.Version, SeqNo: h.SeqNo, Term: h.Term, Routing: h.Routing, Source: canonical(h.Source), Level: lvl}
	}
	r = f.direct("GET", "/_cluster/state/metadata/"+pat+"?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true&filter_path=metadata.indices.*.mappings,metadata.indices.*.settings,metadata.indices.*.aliases,metadata.indices.*.state", "")
	var ir struct {
		Metadata struct {
			Indices map[string]any `json:"indices"`
		} `json:"metadata"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &ir) != nil {
		f.t.Fatalf("snapshot: index metadata: %d %s", r.Status, r.Body)
	}
	for name, v := range ir.Metadata.Indices {
		parts, _ := v.(map[string]any)
		for part, pv := range parts {
			s.Indices[name+"#"+part] = canonical(pv)
		}
	}
	r = f.direct("GET", "/_cluster/state/metadata?filter_path=metadata.templates,metadata.index_template,metadata.component_template,metadata.stored_scripts,metadata.ingest,metadata.data_stream,metadata.search_pipeline", "")
	var gr struct {
		Metadata map[string]any `json:"metadata"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &gr) != nil {
		f.t.Fatalf("snapshot: cluster metadata: %d %s", r.Status, r.Body)
	}
	all := map[string]string{}
	for section, v := range gr.Metadata {
		f.flatten(all, section, v)
	}
	// Only the run's own objects (or objects naming them): the node may
	// install templates of its own at any time, and every name the
	// generated writes use begins with the prefix.
	for k, v := range all {
		if strings.Contains(k, f.prefix) || strings.Contains(v, f.prefix) {
			s.Global[k] = v
		}
	}
	r = f.direct("GET", "/_cat/indices?h=index&expand_wildcards=open,closed", "")
	if r.Status != 200 {
		f.t.Fatalf("snapshot: index names: %d %s", r.Status, r.Body)
	}
	for _, n := range strings.Fields(r.Body) {
		if strings.Contains(n, f.prefix) {
			s.Names[n] = true
		}
	}
	return s
}

// flatten records each named object of a cluster metadata section on its
// own ("index_template/wsd1-t"), so a change names what changed.
func (f *wsFixture) flatten(into map[string]string, section string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		into[section] = canonical(v)
		return
	}
	// Sections that hold their objects one level down.
	for _, inner := range []string{"index_template", "component_template", "data_stream", "pipeline"} {
		if sub, ok := m[inner].(map[string]any); ok && len(m) == 1 {
			m = sub
			break
		}
	}
	if section == "ingest" || section == "search_pipeline" {
		if list, ok := m["pipeline"].([]any); ok {
			for _, p := range list {
				pm, _ := p.(map[string]any)
				into[section+"/"+fmt.Sprint(pm["id"])] = canonical(pm)
			}
			return
		}
	}
	for k, sub := range m {
		into[section+"/"+k] = canonical(sub)
	}
}

// wsChange is one difference between two states.
type wsChange struct {
	Kind   string // "doc", "index", "global", "name"
	Key    string // "index/id" for documents, the index, the global key, the index name
	Before string // "" when absent
	After  string // "" when absent
	Index  string // the document's index, or the index of an index change
	bDoc   *wsDoc
	aDoc   *wsDoc
}

func (c wsChange) String() string {
	short := func(s string) string {
		if len(s) > 300 {
			return s[:300] + "…"
		}
		return s
	}
	return fmt.Sprintf("%s %s: %s -> %s", c.Kind, c.Key, short(c.Before), short(c.After))
}

// diff lists what changed from a to b.
func diff(a, b *wsState) []wsChange {
	var out []wsChange
	keys := map[string]bool{}
	for k := range a.Docs {
		keys[k] = true
	}
	for k := range b.Docs {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		da, okA := a.Docs[k]
		db, okB := b.Docs[k]
		if okA && okB && da == db {
			continue
		}
		c := wsChange{Kind: "doc", Key: k, Index: k[:strings.LastIndex(k, "/")]}
		if okA {
			c.Before = fmt.Sprintf("v%d s%d %s", da.Version, da.SeqNo, da.Source)
			c.bDoc = &da
		}
		if okB {
			c.After = fmt.Sprintf("v%d s%d %s", db.Version, db.SeqNo, db.Source)
			c.aDoc = &db
		}
		out = append(out, c)
	}
	cmp := func(kind string, x, y map[string]string) {
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if x[k] != y[k] {
				c := wsChange{Kind: kind, Key: k, Before: x[k], After: y[k]}
				if kind == "index" {
					c.Index, _, _ = strings.Cut(k, "#")
				}
				out = append(out, c)
			}
		}
	}
	cmp("index", a.Indices, b.Indices)
	cmp("global", a.Global, b.Global)
	names := func(m map[string]bool) map[string]string {
		o := map[string]string{}
		for k := range m {
			o[k] = "exists"
		}
		return o
	}
	cmp("name", names(a.Names), names(b.Names))
	return out
}
