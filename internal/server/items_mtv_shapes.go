package server

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// The value shapes an _mtermvectors body may use (see mtvParameterKeys).

func stringMember(o *esbody.Object, name string) string {
	v, _ := o.Get(name)
	s, _ := v.(esbody.String)
	return string(s)
}

// idTextOf reads an id as the cluster does: a string, or an integer
// literal taken as its text.
func idTextOf(v esbody.Value) (string, bool) {
	switch t := v.(type) {
	case esbody.String:
		return string(t), t != ""
	case esbody.Number:
		return string(t), t.IsInteger()
	}
	return "", false
}

func isIDText(v esbody.Value) bool { _, ok := idTextOf(v); return ok }

// isIndexName accepts one explicit name: not empty, no list.
func isIndexName(v esbody.Value) bool {
	s, ok := v.(esbody.String)
	return ok && s != "" && !strings.Contains(string(s), ",")
}

func isString(v esbody.Value) bool { _, ok := v.(esbody.String); return ok }
func isNumber(v esbody.Value) bool { _, ok := v.(esbody.Number); return ok }
func isObject(v esbody.Value) bool { _, ok := v.(*esbody.Object); return ok }

// isFlag accepts a boolean or its text, as the cluster's lenient parser.
func isFlag(v esbody.Value) bool {
	switch t := v.(type) {
	case esbody.Bool:
		return true
	case esbody.String:
		return t == "true" || t == "false"
	}
	return false
}

func isScalar(v esbody.Value) bool {
	switch v.(type) {
	case esbody.Bool, esbody.Number, esbody.String:
		return true
	}
	return false
}

func isStringOrStrings(v esbody.Value) bool {
	if isString(v) {
		return true
	}
	arr, ok := v.(esbody.Array)
	if !ok {
		return false
	}
	for _, e := range arr {
		if !isString(e) {
			return false
		}
	}
	return true
}

func isObjectOf(member mtvValueCheck) mtvValueCheck {
	return func(v esbody.Value) bool {
		o, ok := v.(*esbody.Object)
		if !ok {
			return false
		}
		for _, e := range o.All() {
			if !member(e) {
				return false
			}
		}
		return true
	}
}
