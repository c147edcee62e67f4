package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// suggest rewrites a suggest section: {text, name: {text|prefix|regex,
// term|phrase|completion: {...}}}. Suggesters read a field's indexed terms
// directly, so a hidden field is neutralised (the cluster then answers
// "no mapping found", as for a missing field). Phrase collate runs a
// templated query the package cannot read and is refused, and so are
// completion contexts, which the mapping may fill from any field (a
// context "path"), so filtering on them could test a hidden field's
// values.
func (r *rewriter) suggest(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	for name, sv := range o.All() {
		if name == "text" {
			continue
		}
		if err := r.suggestion(member(path, name), sv); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// suggestion rewrites one named suggestion in place.
func (r *rewriter) suggestion(path string, v esbody.Value) error {
	o, err := object(path, v)
	if err != nil {
		return err
	}
	kinds := 0
	for name, kv := range o.All() {
		p := member(path, name)
		switch name {
		case "text", "prefix", "regex":
			continue
		case "term", "phrase", "completion":
			kinds++
			if err := r.suggester(p, name, kv); err != nil {
				return err
			}
		default:
			return refuse(p, "suggester ["+name+"]")
		}
	}
	if kinds != 1 {
		return malformed(path, "a suggestion has exactly one suggester")
	}
	return nil
}

// suggesterOptions lists each suggester's options besides field.
func suggesterOptions(kind string) []string {
	common := []string{"field", "analyzer", "size", "shard_size", "text", "prefix", "regex"}
	switch kind {
	case "term":
		return append(common, "sort", "suggest_mode", "max_edits", "prefix_length", "min_word_length",
			"max_inspections", "min_doc_freq", "max_term_freq", "accuracy", "string_distance", "lowercase_terms")
	case "phrase":
		return append(common, "gram_size", "real_word_error_likelihood", "confidence", "max_errors", "separator",
			"highlight", "collate", "smoothing", "direct_generator", "force_unigrams", "token_limit")
	}
	return append(common, "skip_duplicates", "fuzzy", "contexts")
}

// suggester rewrites a term, phrase or completion suggester body.
func (r *rewriter) suggester(path, kind string, v esbody.Value) error {
	o, err := object(path, v)
	if err != nil {
		return err
	}
	if o.Has("collate") {
		return refuse(member(path, "collate"), "phrase suggester [collate]")
	}
	if o.Has("contexts") {
		return refuse(member(path, "contexts"), "completion suggester [contexts]")
	}
	if err := checkKeys(path, kind, o, suggesterOptions(kind)...); err != nil {
		return err
	}
	if err := r.literalMember(path, o, "field"); err != nil {
		return err
	}
	return rewriteMember(path, o, "direct_generator", func(p string, gv esbody.Value) (esbody.Value, error) {
		return eachOrOne(p, gv, func(gp string, g esbody.Value) (esbody.Value, error) {
			gen, err := object(gp, g)
			if err != nil {
				return nil, err
			}
			if err := checkKeys(gp, "direct_generator", gen, "field", "size", "suggest_mode", "max_edits",
				"prefix_length", "min_word_length", "max_inspections", "min_doc_freq", "max_term_freq", "pre_filter",
				"post_filter", "accuracy", "sort", "string_distance"); err != nil {
				return nil, err
			}
			if err := r.literalMember(gp, gen, "field"); err != nil {
				return nil, err
			}
			return gen, nil
		})
	})
}
