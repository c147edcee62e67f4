package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// intervalsQuery rewrites {"intervals": {field: {rule, boost, _name}}}.
// Rules may search another field through use_field; filters may nest
// rules or a script (refused).
func (r *rewriter) intervalsQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if o.Len() != 1 {
		return nil, malformed(path, "[intervals] takes exactly one field")
	}
	out, err := rebuild(path, o, func(name string, v esbody.Value) (string, esbody.Value, error) {
		p := member(path, name)
		spec, err := object(p, v)
		if err != nil {
			return "", nil, err
		}
		rules := 0
		for ruleName, rv := range spec.All() {
			if ruleName == "boost" || ruleName == "_name" {
				continue
			}
			rules++
			if err := r.intervalRule(member(p, ruleName), ruleName, rv); err != nil {
				return "", nil, err
			}
		}
		if rules != 1 {
			return "", nil, malformed(p, "[intervals] takes exactly one rule")
		}
		return r.literal(name), spec, nil
	})
	if err != nil {
		return nil, err
	}
	return single(qtype, out), nil
}

// intervalRuleOptions lists each rule's options.
func intervalRuleOptions(rule string) ([]string, bool) {
	switch rule {
	case "match":
		return []string{"query", "max_gaps", "ordered", "analyzer", "filter", "use_field"}, true
	case "prefix":
		return []string{"prefix", "analyzer", "use_field"}, true
	case "wildcard", "regexp":
		return []string{"pattern", "analyzer", "use_field"}, true
	case "fuzzy":
		return []string{"term", "prefix_length", "transpositions", "fuzziness", "analyzer", "use_field"}, true
	case "range":
		return []string{"gt", "gte", "lt", "lte", "analyzer", "use_field"}, true
	case "all_of":
		return []string{"intervals", "max_gaps", "ordered", "filter"}, true
	case "any_of":
		return []string{"intervals", "filter"}, true
	}
	return nil, false
}

// intervalRule rewrites one rule body in place.
func (r *rewriter) intervalRule(path, rule string, v esbody.Value) error {
	opts, ok := intervalRuleOptions(rule)
	if !ok {
		return refuse(path, "intervals rule ["+rule+"]")
	}
	o, err := object(path, v)
	if err != nil {
		return err
	}
	if err := checkKeys(path, rule, o, opts...); err != nil {
		return err
	}
	if err := r.literalMember(path, o, "use_field"); err != nil {
		return err
	}
	if iv, ok := o.Get("intervals"); ok {
		list, ok := esbody.AsArray(iv)
		if !ok {
			return malformed(member(path, "intervals"), "expected an array of rules")
		}
		for i, e := range list {
			if err := r.intervalRuleObject(element(member(path, "intervals"), i), e); err != nil {
				return err
			}
		}
	}
	if fv, ok := o.Get("filter"); ok {
		return r.intervalFilter(member(path, "filter"), fv)
	}
	return nil
}

// intervalRuleObject rewrites {rule: body}.
func (r *rewriter) intervalRuleObject(path string, v esbody.Value) error {
	o, err := object(path, v)
	if err != nil {
		return err
	}
	if o.Len() != 1 {
		return malformed(path, "an intervals rule has exactly one type")
	}
	m := o.At(0)
	return r.intervalRule(member(path, m.Name), m.Name, m.Value)
}

// intervalFilter rewrites a rule filter: relations to other rules, or a
// script, which is refused.
func (r *rewriter) intervalFilter(path string, v esbody.Value) error {
	o, err := object(path, v)
	if err != nil {
		return err
	}
	for name, fv := range o.All() {
		p := member(path, name)
		switch name {
		case "after", "before", "contained_by", "containing", "not_contained_by", "not_containing",
			"not_overlapping", "overlapping":
			if err := r.intervalRuleObject(p, fv); err != nil {
				return err
			}
		case "script":
			return refuse(p, "script")
		default:
			return refuse(p, "intervals filter ["+name+"]")
		}
	}
	return nil
}
