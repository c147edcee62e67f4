package jsonfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// docsRefreshEvery is how often a read checks the file for other
// processes' changes.
const docsRefreshEvery = time.Second

// docs is one reading of a Docs file: name to document (compact JSON). It
// is never modified once published.
type docs map[string]json.RawMessage

// Docs is a file of named JSON documents, {"<key>": {"<name>": {…}, …}}:
// the roles of the role API, the role mappings of the role-mapping API.
// It is safe for concurrent use, and replicas may share the file.
type Docs struct {
	path, key string
	cache     *Cached[docs]
	write     sync.Mutex
}

// OpenDocs reads the file at path (missing: no document; unparsable: an
// error), whose documents are under key; onError receives later read
// failures (no document is then served until the file reads again).
func OpenDocs(path, key string, onError func(error)) (*Docs, error) {
	d := &Docs{path: path, key: key}
	cache, err := NewCached(path, d.read, time.Now, docs{}, onError)
	if err != nil {
		return nil, err
	}
	d.cache = cache
	return d, nil
}

// All returns every document as one JSON object of name to document,
// re-reading the file when another process changed it.
func (d *Docs) All() []byte {
	d.cache.Refresh(docsRefreshEvery)
	out, err := json.Marshal(d.cache.Load())
	if err != nil { // the values were valid JSON when read
		return []byte("{}")
	}
	return out
}

// Get returns the named documents (every one when names is empty).
func (d *Docs) Get(names []string) map[string]json.RawMessage {
	d.cache.Refresh(docsRefreshEvery)
	out := map[string]json.RawMessage{}
	for name, doc := range d.cache.Load() {
		if len(names) == 0 || slices.Contains(names, name) {
			out[name] = doc
		}
	}
	return out
}

// Put stores a document durably; created is false when it replaced one.
func (d *Docs) Put(name string, doc json.RawMessage) (created bool, err error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		return false, fmt.Errorf("%s: %s: %w", d.path, name, err)
	}
	err = d.update(func(all docs) error {
		_, existed := all[name]
		created = !existed
		all[name] = json.RawMessage(compact.Bytes())
		return nil
	})
	return created, err
}

// PutAll stores several documents durably with one write of the file (a
// bulk request of n documents would otherwise rewrite it n times); created
// holds the names that did not exist before. Either every document is
// stored or, on an error, none.
func (d *Docs) PutAll(all map[string]json.RawMessage) (created map[string]bool, err error) {
	compact := make(docs, len(all))
	for name, doc := range all {
		var b bytes.Buffer
		if err := json.Compact(&b, doc); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.path, name, err)
		}
		compact[name] = b.Bytes()
	}
	created = make(map[string]bool, len(all))
	err = d.update(func(cur docs) error {
		for name, doc := range compact {
			if _, existed := cur[name]; !existed {
				created[name] = true
			}
			cur[name] = doc
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// DeleteAll removes several documents durably with one write of the file;
// found holds the names that existed. Either every document is removed
// or, on an error, none.
func (d *Docs) DeleteAll(names []string) (found map[string]bool, err error) {
	found = make(map[string]bool, len(names))
	err = d.update(func(cur docs) error {
		for _, name := range names {
			if _, ok := cur[name]; ok {
				found[name] = true
				delete(cur, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// Generation changes whenever the documents do (this process's changes
// and, checked at most once a second, other processes'), so that what is
// derived from them can be rebuilt only then.
func (d *Docs) Generation() uint64 {
	d.cache.Refresh(docsRefreshEvery)
	return d.cache.Generation()
}

// Update changes one document durably under the file's lock, so that no
// concurrent change is lost between reading and writing it: change gets the
// current document (nil when there is none) and returns the new one (nil
// removes it); an error from change aborts the update and is returned as
// is.
func (d *Docs) Update(name string, change func(cur json.RawMessage) (json.RawMessage, error)) error {
	return d.update(func(all docs) error {
		next, err := change(all[name])
		if err != nil {
			return err
		}
		if next == nil {
			delete(all, name)
			return nil
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, next); err != nil {
			return fmt.Errorf("%s: %s: %w", d.path, name, err)
		}
		all[name] = json.RawMessage(compact.Bytes())
		return nil
	})
}

// Delete removes a document durably and reports whether it existed.
func (d *Docs) Delete(name string) (found bool, err error) {
	err = d.update(func(all docs) error {
		_, found = all[name]
		delete(all, name)
		return nil
	})
	return found, err
}

// update applies change to a copy of the file's current documents and
// writes it, unless change fails.
func (d *Docs) update(change func(docs) error) error {
	d.write.Lock()
	defer d.write.Unlock()
	unlock, err := Lock(d.path)
	if err != nil {
		return err
	}
	defer unlock()
	cur, _, err := d.read() // another process may have written since
	if err != nil {
		return err
	}
	next := maps.Clone(cur)
	if err := change(next); err != nil {
		return err
	}
	if err := Write(d.path, map[string]docs{d.key: next}); err != nil {
		return err
	}
	written, st, err := d.read()
	if err != nil {
		return err
	}
	d.cache.Store(written, st)
	return nil
}

func (d *Docs) read() (docs, Stamp, error) {
	var file map[string]docs
	st, _, err := Read(d.path, &file)
	if err != nil {
		return nil, st, err
	}
	for k := range file {
		if k != d.key {
			return nil, st, fmt.Errorf("%s: unknown key %q (want %q)", d.path, k, d.key)
		}
	}
	out := make(docs, len(file[d.key]))
	for name, doc := range file[d.key] { // the file is indented; callers see compact JSON
		var b bytes.Buffer
		if err := json.Compact(&b, doc); err != nil {
			return nil, st, fmt.Errorf("%s: %s: %w", d.path, name, err)
		}
		out[name] = b.Bytes()
	}
	return out, st, nil
}
