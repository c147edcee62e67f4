package esbody

import (
	"fmt"
	"iter"
	"strconv"
)

// Kind identifies the JSON type of a Value.
type Kind uint8

// The JSON kinds.
const (
	KindNull Kind = iota + 1
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// String returns the JSON name of the kind ("object", "string", …).
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "invalid"
}

// Value is one parsed JSON value. Its dynamic type is one of Null, Bool,
// Number, String, Array or *Object; the set is closed. A nil Value means
// "absent" (for example the source of a bulk delete).
//
// The tree keeps what later rewriting needs to stay faithful to the client's
// document: object members keep their order, and numbers keep their exact
// text, so re-encoding never changes precision.
type Value interface {
	// Kind reports the JSON type.
	Kind() Kind
	sealed()
}

// Null is the JSON null.
type Null struct{}

// Bool is a JSON true or false.
type Bool bool

// Number is a JSON number, kept as its literal text (valid RFC 8259 number
// grammar), so that 1.0, 1e2 and 12345678901234567890 survive a round trip
// exactly as the client wrote them.
type Number string

// String is a JSON string, unescaped (always valid UTF-8).
type String string

// Array is a JSON array.
type Array []Value

// Member is one name/value pair of an Object.
type Member struct {
	Name  string
	Value Value
}

// Object is a JSON object with ordered, unique member names. The zero value
// is an empty object. Methods that only read accept a nil *Object and treat it
// as empty.
type Object struct {
	members []Member
}

// Kind implements Value.
func (Null) Kind() Kind { return KindNull }

// Kind implements Value.
func (Bool) Kind() Kind { return KindBool }

// Kind implements Value.
func (Number) Kind() Kind { return KindNumber }

// Kind implements Value.
func (String) Kind() Kind { return KindString }

// Kind implements Value.
func (Array) Kind() Kind { return KindArray }

// Kind implements Value.
func (*Object) Kind() Kind { return KindObject }

func (Null) sealed()    {}
func (Bool) sealed()    {}
func (Number) sealed()  {}
func (String) sealed()  {}
func (Array) sealed()   {}
func (*Object) sealed() {}

// NewObject returns an object holding the given members in order. It fails
// if a name repeats, because Elasticsearch rejects duplicate names and the
// proxy must never produce a document the cluster reads differently.
func NewObject(members ...Member) (*Object, error) {
	o := &Object{members: make([]Member, 0, len(members))}
	for _, m := range members {
		if o.Has(m.Name) {
			return nil, fmt.Errorf("esbody: duplicate member name %q", m.Name)
		}
		if m.Value == nil {
			return nil, fmt.Errorf("esbody: member %q has no value", m.Name)
		}
		o.members = append(o.members, m)
	}
	return o, nil
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// At returns the i-th member in document order.
func (o *Object) At(i int) Member { return o.members[i] }

// All iterates over the members in document order.
func (o *Object) All() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if o == nil {
			return
		}
		for _, m := range o.members {
			if !yield(m.Name, m.Value) {
				return
			}
		}
	}
}

// Names returns the member names in document order.
func (o *Object) Names() []string {
	names := make([]string, 0, o.Len())
	for name := range o.All() {
		names = append(names, name)
	}
	return names
}

func (o *Object) index(name string) int {
	if o == nil {
		return -1
	}
	for i, m := range o.members {
		if m.Name == name {
			return i
		}
	}
	return -1
}

// Get returns the value of the member called name.
func (o *Object) Get(name string) (Value, bool) {
	if i := o.index(name); i >= 0 {
		return o.members[i].Value, true
	}
	return nil, false
}

// Has reports whether a member called name exists.
func (o *Object) Has(name string) bool { return o.index(name) >= 0 }

// Set replaces the value of the member called name, keeping its position, or
// appends a new member. A nil v deletes the member.
func (o *Object) Set(name string, v Value) {
	if v == nil {
		o.Delete(name)
		return
	}
	if i := o.index(name); i >= 0 {
		o.members[i].Value = v
		return
	}
	o.members = append(o.members, Member{Name: name, Value: v})
}

// Delete removes the member called name and reports whether it existed.
func (o *Object) Delete(name string) bool {
	i := o.index(name)
	if i < 0 {
		return false
	}
	o.members = append(o.members[:i], o.members[i+1:]...)
	return true
}

// Clone returns a deep copy of o.
func (o *Object) Clone() *Object {
	if o == nil {
		return nil
	}
	c := &Object{members: make([]Member, len(o.members))}
	for i, m := range o.members {
		c.members[i] = Member{Name: m.Name, Value: Clone(m.Value)}
	}
	return c
}

// Clone returns a deep copy of v, so a rewrite of the copy never alters the
// document another caller is still reading.
func Clone(v Value) Value {
	switch v := v.(type) {
	case Array:
		c := make(Array, len(v))
		for i, e := range v {
			c[i] = Clone(e)
		}
		return c
	case *Object:
		return v.Clone()
	}
	return v
}

// Equal reports whether a and b are the same JSON value: same kinds, same
// member order and names, and numbers with the same literal text.
func Equal(a, b Value) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case Array:
		b, ok := b.(Array)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !Equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case *Object:
		b, ok := b.(*Object)
		if !ok || a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			ma, mb := a.At(i), b.At(i)
			if ma.Name != mb.Name || !Equal(ma.Value, mb.Value) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// Lookup follows a path of member names through nested objects, e.g.
// Lookup(doc, "query", "bool").
func Lookup(v Value, path ...string) (Value, bool) {
	for _, name := range path {
		o, ok := v.(*Object)
		if !ok {
			return nil, false
		}
		if v, ok = o.Get(name); !ok {
			return nil, false
		}
	}
	return v, v != nil
}

// AsObject returns v as an object.
func AsObject(v Value) (*Object, bool) {
	o, ok := v.(*Object)
	return o, ok && o != nil
}

// AsString returns v as a string.
func AsString(v Value) (string, bool) {
	s, ok := v.(String)
	return string(s), ok
}

// AsArray returns v as an array.
func AsArray(v Value) (Array, bool) {
	a, ok := v.(Array)
	return a, ok
}

// AsBool returns v as a boolean.
func AsBool(v Value) (bool, bool) {
	b, ok := v.(Bool)
	return bool(b), ok
}

// IsNull reports whether v is the JSON null.
func IsNull(v Value) bool {
	_, ok := v.(Null)
	return ok
}

// Int64 returns the number as an int64; it fails for fractions, exponents and
// values out of range rather than rounding, because a rounded size or offset
// is a different request.
func (n Number) Int64() (int64, error) {
	return strconv.ParseInt(string(n), 10, 64)
}

// Float64 returns the number as a float64.
func (n Number) Float64() (float64, error) {
	return strconv.ParseFloat(string(n), 64)
}

// IsInteger reports whether the literal is an integer (no fraction or
// exponent), whatever its magnitude.
func (n Number) IsInteger() bool {
	if n == "" || n == "-" {
		return false
	}
	for i, c := range []byte(n) {
		if c == '-' && i == 0 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IntNumber returns the Number for i.
func IntNumber(i int64) Number { return Number(strconv.FormatInt(i, 10)) }
