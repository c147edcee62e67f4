package dls

import (
	"errors"
	"fmt"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// errStoredScript is returned for {"template":{"id":…}}: a stored script
// lives in the cluster, where the proxy cannot read or trust it.
var errStoredScript = errors.New("role query templates that use a stored script are not supported")

// compiledQuery is one role query prepared for use: a validated query, or
// a compiled template with its params. It is immutable once built and
// shared through the Cache.
type compiledQuery struct {
	plain  esbody.Value   // the query, when it is not a template
	tmpl   *template      // the template, otherwise
	params *esbody.Object // the template's params (may be nil)
	err    error          // why the query cannot be used
}

// compileRoleQuery reads a role query as authz keeps it: a JSON object, a
// JSON string holding one (both may be {"template":…}). Plain queries are
// validated here; templates are validated after each rendering.
func compileRoleQuery(raw []byte) *compiledQuery {
	v, err := esbody.ParseJSON(raw)
	if err != nil {
		return &compiledQuery{err: fmt.Errorf("role query is not valid JSON: %w", err)}
	}
	if s, ok := v.(esbody.String); ok {
		// Elasticsearch reads a string query as the query's source text.
		if v, err = esbody.ParseJSON([]byte(s)); err != nil {
			return &compiledQuery{err: fmt.Errorf("role query string is not valid JSON: %w", err)}
		}
	}
	o, ok := v.(*esbody.Object)
	if !ok {
		return &compiledQuery{err: fmt.Errorf("role query must be a JSON object, found a %s", v.Kind())}
	}
	if t, ok := o.Get("template"); ok {
		if o.Len() != 1 {
			return &compiledQuery{err: errors.New("a role query template must be the only member of the query")}
		}
		return compileTemplateQuery(t)
	}
	if err := validateRoleQuery(o); err != nil {
		return &compiledQuery{err: err}
	}
	return &compiledQuery{plain: o}
}

// compileTemplateQuery reads {"source":…, "params":…, "lang":…,
// "options":…} as Elasticsearch's Script.parse does for role templates,
// refusing stored scripts and any option that would change how values are
// escaped.
func compileTemplateQuery(t esbody.Value) *compiledQuery {
	o, ok := t.(*esbody.Object)
	if !ok {
		return &compiledQuery{err: errors.New("[template] must be an object")}
	}
	var cq compiledQuery
	var source esbody.Value
	for name, v := range o.All() {
		switch name {
		case "source":
			source = v
		case "id":
			return &compiledQuery{err: errStoredScript}
		case "params":
			p, ok := v.(*esbody.Object)
			if !ok {
				return &compiledQuery{err: errors.New("[template.params] must be an object")}
			}
			cq.params = p
		case "lang":
			if v != esbody.String("mustache") {
				return &compiledQuery{err: errors.New("[template.lang] must be mustache")}
			}
		case "options":
			if err := checkTemplateOptions(v); err != nil {
				return &compiledQuery{err: err}
			}
		default:
			return &compiledQuery{err: fmt.Errorf("[template.%s] is not supported", name)}
		}
	}
	var text string
	switch s := source.(type) {
	case esbody.String:
		text = string(s)
	case *esbody.Object:
		// Elasticsearch serialises an object source to JSON text first.
		b, err := esbody.Encode(s)
		if err != nil {
			return &compiledQuery{err: fmt.Errorf("[template.source]: %w", err)}
		}
		text = string(b)
	default:
		return &compiledQuery{err: errors.New("[template.source] must be a string or an object")}
	}
	tmpl, err := compileTemplate(text)
	if err != nil {
		return &compiledQuery{err: err}
	}
	cq.tmpl = tmpl
	return &cq
}

// checkTemplateOptions accepts only a JSON content type: any other one
// (text/plain, form encoding) would render user values unescaped or
// differently escaped.
func checkTemplateOptions(v esbody.Value) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return errors.New("[template.options] must be an object")
	}
	for name, ov := range o.All() {
		if name != "content_type" {
			return fmt.Errorf("[template.options.%s] is not supported", name)
		}
		switch ov {
		case esbody.String("application/json"), esbody.String("application/json; charset=UTF-8"),
			esbody.String("application/json;charset=utf-8"):
		default:
			return errors.New("[template.options.content_type] must be application/json")
		}
	}
	return nil
}

// render returns the query for u: the plain query, or the template
// rendered, parsed strictly and validated. cache, if not nil, keeps
// validated renderings by their text.
func (cq *compiledQuery) render(u *userModel, cache *Cache) (esbody.Value, error) {
	if cq.err != nil {
		return nil, cq.err
	}
	if cq.tmpl == nil {
		return cq.plain, nil
	}
	model, err := u.get()
	if err != nil {
		return nil, err
	}
	root := &esbody.Object{}
	for name, v := range cq.params.All() {
		root.Set(name, v)
	}
	root.Set("_user", model) // the user always wins over a param of the same name
	text, err := cq.tmpl.render(root)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		if v, ok := cache.rendered(text); ok {
			return v, nil
		}
	}
	q, err := parseRenderedQuery(text)
	if cache != nil && err == nil {
		cache.storeRendered(text, q)
	}
	return q, err
}

// parseRenderedQuery parses a rendered template strictly (duplicate names
// refused, as by Elasticsearch's parser) and validates it.
func parseRenderedQuery(text string) (esbody.Value, error) {
	v, err := esbody.ParseJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("rendered role query is not valid JSON: %w", err)
	}
	if err := validateRoleQuery(v); err != nil {
		return nil, err
	}
	return v, nil
}

// validateRoleQuery checks a role query: a single query object, with
// nothing Elasticsearch refuses in role queries (terms lookup, has_child,
// has_parent, percolate, indexed shapes, now in ranges) and nothing the
// proxy refuses under DLS (scripts, wrapper, unknown query types).
func validateRoleQuery(v esbody.Value) error {
	w := &walker{mode: roleMode}
	_, err := w.query(v, "query")
	return err
}

// userModel builds the _user object at most once per request, and only
// when a template needs it.
type userModel struct {
	user  User
	model *esbody.Object
	err   error
	built bool
}

func (m *userModel) get() (*esbody.Object, error) {
	if !m.built {
		m.model, m.err = m.user.model()
		m.built = true
	}
	return m.model, m.err
}
