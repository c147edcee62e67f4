package esbody

import (
	"strings"
	"testing"
)

func TestObjectEditing(t *testing.T) {
	o := mustParse(t, `{"query":{"match":{"a":"b"}},"size":10,"aggs":{}}`).(*Object)
	if got := strings.Join(o.Names(), ","); got != "query,size,aggs" {
		t.Fatalf("Names = %s", got)
	}
	// Wrapping the query in a bool filter keeps its position.
	q, _ := o.Get("query")
	o.Set("query", mustObject(t, Member{"bool", mustObject(t,
		Member{"must", q}, Member{"filter", mustParse(t, `[{"term":{"tenant":"acme"}}]`)})}))
	o.Set("track_total_hits", Bool(true))
	if !o.Delete("aggs") || o.Delete("aggs") {
		t.Fatal("Delete did not report existence")
	}
	o.Set("size", nil) // nil deletes
	got, err := Encode(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"query":{"bool":{"must":{"match":{"a":"b"}},"filter":[{"term":{"tenant":"acme"}}]}},"track_total_hits":true}`
	if string(got) != want {
		t.Fatalf("Encode = %s\nwant %s", got, want)
	}
	if v, ok := Lookup(o, "query", "bool", "must", "match", "a"); !ok || v != String("b") {
		t.Fatalf("Lookup = %v, %v", v, ok)
	}
	if _, ok := Lookup(o, "query", "nope"); ok {
		t.Fatal("Lookup found a missing member")
	}
	if _, ok := Lookup(o, "track_total_hits", "x"); ok {
		t.Fatal("Lookup walked into a scalar")
	}

	// Clone is deep: editing the copy leaves the original alone.
	c := o.Clone()
	inner, _ := Lookup(c, "query", "bool")
	inner.(*Object).Set("must_not", Array{})
	if Equal(o, c) {
		t.Fatal("Clone shares nested objects")
	}
	var nilObj *Object
	if nilObj.Len() != 0 || nilObj.Has("a") || nilObj.Clone() != nil || len(nilObj.Names()) != 0 {
		t.Fatal("nil *Object is not an empty object")
	}
	for range nilObj.All() {
		t.Fatal("nil *Object yields members")
	}
}

func TestNewObject(t *testing.T) {
	if _, err := NewObject(Member{"a", Null{}}, Member{"a", Null{}}); err == nil {
		t.Fatal("NewObject accepted a duplicate name")
	}
	if _, err := NewObject(Member{"a", nil}); err == nil {
		t.Fatal("NewObject accepted a nil value")
	}
}

func TestEncodeRefuses(t *testing.T) {
	deep := Value(Array{})
	for range MaxDepth {
		deep = Array{deep}
	}
	for _, v := range []Value{
		Number("1e"), Number("NaN"), Number(""), Number("01"), Number("1 "), Number("[1]"),
		String("\xff"), Array{nil}, (*Object)(nil), nil, deep,
		&Object{members: []Member{{Name: "\xff", Value: Null{}}}},
	} {
		if out, err := Encode(v); err == nil {
			t.Errorf("Encode(%#v) = %s, want error", v, out)
		}
	}
}

func TestAccessors(t *testing.T) {
	if s, ok := AsString(String("x")); !ok || s != "x" {
		t.Fatal("AsString")
	}
	if b, ok := AsBool(Bool(true)); !ok || !b {
		t.Fatal("AsBool")
	}
	if a, ok := AsArray(Array{Null{}}); !ok || len(a) != 1 || !IsNull(a[0]) {
		t.Fatal("AsArray/IsNull")
	}
	if _, ok := AsObject((*Object)(nil)); ok {
		t.Fatal("AsObject accepted a nil object")
	}
	tests := []struct {
		n       Number
		integer bool
		i       int64
		iErr    bool
	}{
		{"42", true, 42, false},
		{"-7", true, -7, false},
		{"1.0", false, 0, true},
		{"1e3", false, 0, true},
		{"99999999999999999999", true, 0, true},
		{"-", false, 0, true},
	}
	for _, tt := range tests {
		if tt.n.IsInteger() != tt.integer {
			t.Errorf("%s.IsInteger() = %v", tt.n, !tt.integer)
		}
		i, err := tt.n.Int64()
		if (err != nil) != tt.iErr || (err == nil && i != tt.i) {
			t.Errorf("%s.Int64() = %d, %v", tt.n, i, err)
		}
	}
	if f, err := Number("1.5e2").Float64(); err != nil || f != 150 {
		t.Fatal("Float64")
	}
	if IntNumber(-12) != "-12" {
		t.Fatal("IntNumber")
	}
	for k, name := range map[Kind]string{KindNull: "null", KindBool: "boolean", KindNumber: "number", KindString: "string", KindArray: "array", KindObject: "object", 0: "invalid"} {
		if k.String() != name {
			t.Errorf("Kind(%d).String() = %s", k, k.String())
		}
	}
}
