package cursor

import (
	"fmt"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// allIDs is the id that means "every cursor" to clear_scroll and to
// OpenSearch's PIT deletion.
const allIDs = "_all"

// Cursor is an id found in a request: the token the client sent, the
// cluster id it stands for, and its binding.
type Cursor struct {
	// Kind is the id's kind.
	Kind Kind
	// Token is the id as the client sent it.
	Token string
	// UpstreamID is the cluster's id, now in the request in its place.
	UpstreamID string
	// Binding is what the token was bound to; the caller checks the
	// restrictions (Binding.Check) against a fresh decision on
	// Binding.Indices before forwarding.
	Binding Binding
}

// Resolve unwraps a token of the given kind and checks that owner created
// it: ErrTampered or ErrNotOwner otherwise. It does not check the
// restrictions (see Binding.Check).
func (bd *Binder) Resolve(owner Owner, kind Kind, token string) (Cursor, error) {
	cs, err := bd.resolveAll(owner, kind, []string{token})
	if err != nil {
		return Cursor{}, err
	}
	return cs[0], nil
}

// resolveAll unwraps every token before checking any owner, so that a
// request mixing a forged id and another user's id is reported (and
// audited) as tampering.
func (bd *Binder) resolveAll(owner Owner, kind Kind, tokens []string) ([]Cursor, error) {
	out := make([]Cursor, 0, len(tokens))
	for _, t := range tokens {
		up, b, err := bd.Unwrap(kind, t)
		if err != nil {
			return nil, err
		}
		out = append(out, Cursor{Kind: kind, Token: t, UpstreamID: up, Binding: b})
	}
	for _, c := range out {
		if !c.Binding.SameOwner(owner) {
			return nil, fmt.Errorf("cursor: %s id of another owner: %w", kind, ErrNotOwner)
		}
	}
	return out, nil
}

// upstreamIDs returns the cluster ids of cs, in order.
func upstreamIDs(cs []Cursor) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.UpstreamID
	}
	return ids
}

// splitIDList splits a comma-separated list of ids the way the cluster
// does (Java's String.split(",")): trailing empty elements are dropped,
// others are kept, and an empty id is refused here since no cursor has it.
func splitIDList(what, list string) ([]string, error) {
	ids := strings.Split(list, ",")
	for len(ids) > 0 && ids[len(ids)-1] == "" {
		ids = ids[:len(ids)-1]
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: empty list of %s ids", ErrMalformed, what)
	}
	for _, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("%w: empty id in the list of %s ids %q", ErrMalformed, what, list)
		}
	}
	return ids, nil
}

// isAll reports whether a list of ids is the "_all" marker alone.
func isAll(ids []string) bool { return len(ids) == 1 && ids[0] == allIDs }

// hasAll reports whether "_all" is among several ids, which the cluster
// reads as an unparsable id; refused as ambiguous.
func hasAll(ids []string) bool {
	for _, id := range ids {
		if id == allIDs {
			return len(ids) > 1
		}
	}
	return false
}

// unknownMember is the cluster's refusal of a body member it does not
// read, or of a known one with a value of the wrong type.
func unknownMember(name string, v esbody.Value) error {
	return fmt.Errorf("%w: Unknown parameter [%s] in request body or parameter is of the wrong type[%s]", ErrMalformed, name, tokenName(v))
}

// tokenName names a JSON value the way Jackson's token types do in the
// cluster's messages.
func tokenName(v esbody.Value) string {
	switch v.Kind() {
	case esbody.KindNull:
		return "VALUE_NULL"
	case esbody.KindBool:
		return "VALUE_BOOLEAN"
	case esbody.KindNumber:
		return "VALUE_NUMBER"
	case esbody.KindString:
		return "VALUE_STRING"
	case esbody.KindArray:
		return "START_ARRAY"
	}
	return "START_OBJECT"
}

// stringOrArray reads a member that holds one id or an array of ids, as
// clear_scroll's scroll_id and OpenSearch's pit_id do. It reports whether
// the value was an array, to write the ids back in the same shape.
func stringOrArray(name string, v esbody.Value) (ids []string, array bool, err error) {
	switch v := v.(type) {
	case esbody.String:
		return []string{string(v)}, false, nil
	case esbody.Array:
		ids = make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(esbody.String)
			if !ok {
				return nil, false, fmt.Errorf("%w: %s array element should only contain %s, found %s", ErrMalformed, name, name, e.Kind())
			}
			ids = append(ids, string(s))
		}
		return ids, true, nil
	}
	return nil, false, fmt.Errorf("%w: %s element should only contain %s, found %s", ErrMalformed, name, name, v.Kind())
}

// idsValue is the inverse of stringOrArray.
func idsValue(ids []string, array bool) esbody.Value {
	if !array && len(ids) == 1 {
		return esbody.String(ids[0])
	}
	a := make(esbody.Array, len(ids))
	for i, id := range ids {
		a[i] = esbody.String(id)
	}
	return a
}
