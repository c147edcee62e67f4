package fls

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// searchObject filters a search response object at the next token: the
// body of _search, an item of _msearch's responses, the "response" of an
// async search.
func (r *run) searchObject(lex *lexer, ref nameRef) error {
	if lex.peek() != '{' {
		return errors.New("a search response is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		return r.searchMember(lex, ref, name)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// searchMember filters one top-level member of a search response.
func (r *run) searchMember(lex *lexer, ref nameRef, name []byte) error {
	switch string(name) {
	case "hits":
		return r.hitsSection(lex, ref, hitContext{})
	case "aggregations":
		return r.aggregations(lex, ref)
	case "suggest":
		return r.suggestions(lex, ref, false)
	case "responses":
		return r.searchResponses(lex, ref)
	case "response":
		if lex.peek() != '{' {
			return r.copyMember(lex, ref)
		}
		return r.searchObject(lex, ref)
	}
	return r.topLevelMember(lex, ref, name)
}

// searchResponses filters _msearch's responses: each item is a search
// response or an error.
func (r *run) searchResponses(lex *lexer, ref nameRef) error {
	if lex.peek() != '[' {
		return errors.New("responses is not an array")
	}
	r.w.openArray(ref, false)
	err := r.eachElement(lex, func() error { return r.searchObject(lex, noName) })
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// topLevelMember writes a member that needs no filtering, through the
// TopLevel transformation when one is set for its name.
func (r *run) topLevelMember(lex *lexer, ref nameRef, name []byte) error {
	fn := r.f.TopLevel[string(name)]
	if fn == nil || lex.peek() != '"' {
		return r.copyMember(lex, ref)
	}
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	var value []byte
	if value, err = appendUnquoted(nil, raw); err != nil {
		return err
	}
	out, err := fn(string(value))
	if err != nil {
		return fmt.Errorf("transforming %s: %w", name, err)
	}
	quoted, err := jsontext.AppendQuote(nil, out)
	if err != nil {
		return fmt.Errorf("transforming %s: %w", name, err)
	}
	r.w.member(ref, quoted)
	return nil
}

// aggregations walks an aggregation tree; every array under a "hits" key
// is a top_hits result, whose hits are filtered (they may be nested
// documents, under a nested aggregation). Everything else is copied.
func (r *run) aggregations(lex *lexer, ref nameRef) error {
	switch lex.peek() {
	case '{':
		r.w.openObject(ref, false)
		err := r.eachMember(lex, func(ref nameRef, name []byte) error {
			if string(name) == "hits" && lex.peek() == '[' {
				return r.hitArray(lex, ref, hitContext{mayBeNested: true})
			}
			return r.aggregations(lex, ref)
		})
		if err != nil {
			return err
		}
		r.w.close()
		return nil
	case '[':
		r.w.openArray(ref, false)
		if err := r.eachElement(lex, func() error { return r.aggregations(lex, noName) }); err != nil {
			return err
		}
		r.w.close()
		return nil
	}
	if ref.start < 0 {
		return r.copyElement(lex)
	}
	return r.copyMember(lex, ref)
}

// suggestions walks the suggest section: the options of a completion
// suggester are documents (_index, _id, _source), filtered as hits;
// everything else is copied.
func (r *run) suggestions(lex *lexer, ref nameRef, options bool) error {
	switch lex.peek() {
	case '{':
		if options {
			return r.hitObject(lex, ref, hitContext{})
		}
		r.w.openObject(ref, false)
		err := r.eachMember(lex, func(ref nameRef, name []byte) error {
			return r.suggestions(lex, ref, string(name) == "options")
		})
		if err != nil {
			return err
		}
		r.w.close()
		return nil
	case '[':
		r.w.openArray(ref, false)
		if err := r.eachElement(lex, func() error { return r.suggestions(lex, noName, options) }); err != nil {
			return err
		}
		r.w.close()
		return nil
	}
	if ref.start < 0 {
		return r.copyElement(lex)
	}
	return r.copyMember(lex, ref)
}
