package flsquery

import (
	"encoding/base64"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// moreLikeThisQuery rewrites more_like_this. Its fields default to every
// field, so they are always made explicit. "like" and "unlike" may only
// hold text: a document (by id, or an artificial one analysed per field)
// is a lookup of stored fields the package cannot check.
func (r *rewriter) moreLikeThisQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "fields", "like", "unlike", "like_text", "max_query_terms", "min_term_freq",
		"min_doc_freq", "max_doc_freq", "min_word_length", "max_word_length", "stop_words", "analyzer",
		"minimum_should_match", "boost_terms", "include", "fail_on_unsupported_field", "boost", "_name"); err != nil {
		return nil, err
	}
	for _, name := range []string{"like", "unlike"} {
		v, ok := o.Get(name)
		if !ok {
			continue
		}
		items, isArray := esbody.AsArray(v)
		if !isArray {
			items = esbody.Array{v}
		}
		for _, item := range items {
			if _, isText := item.(esbody.String); !isText {
				return nil, refuse(member(path, name), "more_like_this with documents")
			}
		}
	}
	if !o.Has("fields") {
		o.Set("fields", r.allFields())
		if !o.Has("fail_on_unsupported_field") {
			o.Set("fail_on_unsupported_field", esbody.Bool(false))
		}
		return single(qtype, o), nil
	}
	if err := r.fieldsOrAll(path, o); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// percolateQuery rewrites percolate with inline documents; percolating a
// stored document (index/id) is a lookup and is refused.
func (r *rewriter) percolateQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if o.Has("index") || o.Has("id") {
		return nil, refuse(path, "percolate of a stored document")
	}
	if err := checkKeys(path, qtype, o, "field", "document", "documents", "name", "document_type",
		"boost", "_name"); err != nil {
		return nil, err
	}
	if err := r.literalMember(path, o, "field"); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// wrapperQuery decodes a wrapper query (base64 of a query) and forwards
// the rewritten query in its place, so the cluster never decodes anything
// the package did not read. A wrapper whose content is not a JSON query
// (the cluster also accepts YAML, CBOR and SMILE) is refused.
func (r *rewriter) wrapperQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "query"); err != nil {
		return nil, err
	}
	v, ok := o.Get("query")
	if !ok {
		return nil, malformed(path, "[wrapper] requires [query]")
	}
	encoded, err := str(member(path, "query"), v)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(encoded); err != nil {
			return nil, refuse(path, "wrapper query that is not base64")
		}
	}
	inner, err := esbody.ParseObject(raw)
	if err != nil {
		return nil, refuse(path, "wrapper query that is not a JSON query")
	}
	if r.wrappers >= maxWrapperDepth {
		return nil, refuse(path, "wrapper queries nested this deeply")
	}
	r.wrappers++
	defer func() { r.wrappers-- }()
	return r.query(member(path, "query"), inner)
}
