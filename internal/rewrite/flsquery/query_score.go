package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// scoreFunctionNames are the members that define a function_score
// function.
func scoreFunctionNames() []string {
	return []string{"field_value_factor", "random_score", "gauss", "linear", "exp", "script_score", "weight"}
}

// functionScore rewrites function_score: its query, its functions and an
// inline function given beside them. Functions that read a field (the
// score oracle of field_value_factor, decay functions, seeded random
// scores) get the field checked like any other; script_score is refused.
func (r *rewriter) functionScore(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	allowed := append([]string{"query", "functions", "score_mode", "boost_mode", "max_boost", "min_score",
		"boost", "_name"}, scoreFunctionNames()...)
	if err := checkKeys(path, qtype, o, allowed...); err != nil {
		return nil, err
	}
	if err := rewriteMember(path, o, "query", r.query); err != nil {
		return nil, err
	}
	err = rewriteMember(path, o, "functions", func(p string, v esbody.Value) (esbody.Value, error) {
		fns, ok := esbody.AsArray(v)
		if !ok {
			return nil, malformed(p, "[functions] must be an array")
		}
		for i, fv := range fns {
			fp := element(p, i)
			fn, err := object(fp, fv)
			if err != nil {
				return nil, err
			}
			if err := checkKeys(fp, "function", fn, append([]string{"filter"}, scoreFunctionNames()...)...); err != nil {
				return nil, err
			}
			if err := rewriteMember(fp, fn, "filter", r.query); err != nil {
				return nil, err
			}
			if err := r.scoreFunction(fp, fn); err != nil {
				return nil, err
			}
		}
		return fns, nil
	})
	if err != nil {
		return nil, err
	}
	if err := r.scoreFunction(path, o); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// scoreFunction rewrites the function members of o.
func (r *rewriter) scoreFunction(path string, o *esbody.Object) error {
	if o.Has("script_score") {
		return refuse(member(path, "script_score"), "script")
	}
	for _, name := range []string{"field_value_factor", "random_score"} {
		v, ok := o.Get(name)
		if !ok {
			continue
		}
		p := member(path, name)
		fn, err := object(p, v)
		if err != nil {
			return err
		}
		allowed := []string{"field", "factor", "modifier", "missing"}
		if name == "random_score" {
			allowed = []string{"seed", "field"}
		}
		if err := checkKeys(p, name, fn, allowed...); err != nil {
			return err
		}
		if err := r.literalMember(p, fn, "field"); err != nil {
			return err
		}
	}
	for _, name := range []string{"gauss", "linear", "exp"} {
		if err := rewriteMember(path, o, name, r.decayFunction); err != nil {
			return err
		}
	}
	return nil
}

// decayFunction rewrites {field: {origin, scale, offset, decay},
// multi_value_mode}.
func (r *rewriter) decayFunction(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	fields := 0
	return rebuild(path, o, func(name string, v esbody.Value) (string, esbody.Value, error) {
		if name == "multi_value_mode" && isScalar(v) {
			return name, v, nil
		}
		fields++
		if fields > 1 {
			return "", nil, malformed(path, "a decay function takes one field")
		}
		p := member(path, name)
		params, err := object(p, v)
		if err != nil {
			return "", nil, err
		}
		if err := checkKeys(p, "decay function", params, "origin", "scale", "offset", "decay"); err != nil {
			return "", nil, err
		}
		return r.literal(name), v, nil
	})
}
