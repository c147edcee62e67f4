package authz

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldSecurity reads field_security: {grant: [...], except: [...]}.
func (gp *groupParser) fieldSecurity(p pair) {
	n := p.val
	if n.Kind != yaml.MappingNode {
		gp.errorf(n, "expected START_OBJECT but got %s in \"field_security\".", tokenName(n))
		return
	}
	if len(n.Content) == 0 {
		gp.errorf(n, "\"field_security\" must not be empty.")
		return
	}
	var fs FieldSecurity
	var grant, except []Pattern
	var grantGiven, exceptGiven bool
	for _, e := range pairs(n, gp.errorf) {
		switch e.name {
		case "grant":
			grantGiven = true
			fs.Grant, grant = gp.fieldPatterns(e)
		case "except":
			exceptGiven = true
			fs.Except, except = gp.fieldPatterns(e)
		default:
			gp.errorf(e.key, "\"field_security\" only accepts options grant and except, but got: %s", e.name)
		}
	}
	if exceptGiven && !grantGiven {
		gp.errorf(n, "field_security requires grant if except is given")
		return
	}
	gp.checkExceptSubset(n, fs, grant, except)
	if fs.Grant == nil {
		fs.Grant = []string{}
	}
	gp.g.FieldSecurity = &fs
}

// fieldPatterns reads grant or except; null is refused as in Elasticsearch.
func (gp *groupParser) fieldPatterns(e pair) ([]string, []Pattern) {
	if isNull(e.val) {
		gp.errorf(e.val, "%s must not be null.", e.name)
		return nil, nil
	}
	vals, nodes := gp.rp.stringArray(e.name, e.val)
	pats := make([]Pattern, 0, len(vals))
	for i, v := range vals {
		pat, err := ParsePattern(v)
		if err != nil {
			gp.rp.errorf(nodes[i], "role [%s]: field_security: %v", gp.rp.name, err)
			continue
		}
		pats = append(pats, pat)
	}
	if vals == nil {
		vals = []string{}
	}
	return vals, pats
}

// checkExceptSubset refuses except patterns that are provably not inside the
// granted ones (Elasticsearch requires except ⊆ grant). A sample name each
// wildcard except-pattern matches must be granted; regular expressions are
// not checked here.
func (gp *groupParser) checkExceptSubset(n *yaml.Node, fs FieldSecurity, grant, except []Pattern) {
	for _, ex := range except {
		if ex.IsRegexp() {
			continue
		}
		sample := ex.wild.sample()
		if !anyPatternMatches(grant, sample) {
			gp.rp.errorf(n, "failed to parse indices privileges for role [%s] - Exceptions for field permissions must be a "+
				"subset of the granted fields but [%s] is not a subset of [%s]",
				gp.rp.name, strings.Join(fs.Except, ", "), strings.Join(fs.Grant, ", "))
			return
		}
	}
}

func anyPatternMatches(ps []Pattern, s string) bool {
	for _, p := range ps {
		if p.Matches(s) {
			return true
		}
	}
	return false
}
