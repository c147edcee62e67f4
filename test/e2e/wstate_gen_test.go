package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// wsReq is one generated write.
type wsReq struct {
	Method, Path, Body string
}

func (r wsReq) String() string {
	b := r.Body
	if len(b) > 400 {
		b = b[:400] + "…"
	}
	return r.Method + " " + r.Path + " " + strings.ReplaceAll(b, "\n", "⏎")
}

// wsGen generates writes over the fixture's names from a fixed seed.
type wsGen struct {
	f    *wsFixture
	r    *rand.Rand
	k    int      // a counter for fresh values
	home []string // the current user's own targets, named half of the time
}

func (g *wsGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *wsGen) chance(p float64) bool    { return g.r.Float64() < p }

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// target is an index expression a write may name: the user's index, the
// read-only, secret and DLS indices, aliases (filtered with a write
// index, over the secret index, over both with the secret one as write
// index), new names, lists and wildcards.
func (g *wsGen) target() string {
	f := g.f
	if len(g.home) > 0 && g.chance(0.5) {
		return g.pick(g.home...)
	}
	return g.pick(f.name("w"), f.name("w"), f.name("w"), f.name("r"), f.name("s"), f.name("d"), f.name("d"),
		f.name("fa"), f.name("sa"), f.name("mix"), f.name("new1"), f.name("new2"), f.name("w")+","+f.name("s"),
		f.prefix+"-*", f.name("w")+"*", f.name("sb"), f.name("dsb1"), f.name("dsa1"))
}

// idFor is an id for a write to target: mostly one of its own documents.
func (g *wsGen) idFor(target string) string {
	if g.chance(0.3) {
		return g.id()
	}
	switch target {
	case g.f.name("d"):
		return g.pick("d1", "d2", "d3", "d4", "d5", "d6", "x1")
	case g.f.name("w"), g.f.name("fa"):
		return g.pick("w1", "w2", "w3", "w4", "w5", "w6", "x1")
	}
	return g.id()
}

// id is an existing or a fresh document id.
func (g *wsGen) id() string {
	return g.pick("w1", "w2", "w3", "w4", "d1", "d2", "d3", "d4", "s1", "s2", "r1", "x1", "x2", "x3")
}

// doc is a document body; it never holds a canary.
func (g *wsGen) doc() map[string]any {
	g.k++
	d := map[string]any{"level": g.pick("public", "public", "private"), "note": fmt.Sprintf("gen%d", g.k), "n": g.k}
	if g.chance(0.2) {
		d["secret"] = fmt.Sprintf("gensecret%d", g.k)
	}
	if g.chance(0.15) {
		d[fmt.Sprintf("extra%d", g.k%3)] = "x"
	}
	if g.chance(0.1) {
		d["@timestamp"] = "2026-11-28T00:00:00Z"
	}
	return d
}

// script is a painless script a write may carry: harmless, deleting,
// copying the hidden field into a visible one, or moving the document to
// the secret index.
func (g *wsGen) script() map[string]any {
	src := g.pick("ctx._source.n = 7", "ctx.op = 'delete'", "ctx._source.note = ctx._source.secret",
		"ctx._index = '"+g.f.name("s")+"'", "ctx._source.level = 'public'", "ctx._routing = 'r9'")
	return map[string]any{"source": src, "lang": "painless"}
}

// docParams are the query parameters of a single-document write.
func (g *wsGen) docParams() string {
	var ps []string
	for _, p := range []struct {
		p  float64
		kv []string
	}{
		{0.6, []string{"refresh=true", "refresh=wait_for"}},
		{0.25, []string{"op_type=create", "op_type=index"}},
		{0.15, []string{"pipeline=" + g.f.name("pipe-redirect"), "pipeline=" + g.f.name("pipe-plain")}},
		{0.15, []string{"routing=r1"}},
		{0.1, []string{"version=99&version_type=external", "version=1&version_type=external_gte"}},
		{0.1, []string{"if_seq_no=0&if_primary_term=1"}},
		{0.1, []string{"wait_for_active_shards=1"}},
		{0.1, []string{"require_alias=true"}},
	} {
		if g.chance(p.p) {
			ps = append(ps, g.pick(p.kv...))
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return "?" + strings.Join(ps, "&")
}

// updateBody is the body of an update (alone or as a _bulk item).
func (g *wsGen) updateBody() map[string]any {
	switch g.r.IntN(8) {
	case 0:
		return map[string]any{"doc": g.doc()}
	case 1:
		return map[string]any{"doc": g.doc(), "doc_as_upsert": true}
	case 2:
		return map[string]any{"script": g.script()}
	case 3:
		return map[string]any{"script": g.script(), "upsert": g.doc()}
	case 4:
		return map[string]any{"scripted_upsert": true, "script": g.script(), "upsert": map[string]any{}}
	case 5:
		return map[string]any{"doc": map[string]any{"note": "same"}, "detect_noop": false}
	case 6:
		return map[string]any{"doc": map[string]any{"secret": "partial"}}
	default:
		return map[string]any{"doc": map[string]any{"level": "public"}, "_source": true}
	}
}

// bulk is a _bulk body of one to four items; pathIndex is the index of
// the request's path ("" for none).
func (g *wsGen) bulk(pathIndex string) string {
	var b strings.Builder
	for i := 0; i <= g.r.IntN(4); i++ {
		op := g.pick("index", "create", "update", "delete")
		meta := map[string]any{}
		if pathIndex == "" || g.chance(0.4) {
			meta["_index"] = g.target()
		}
		if op != "create" || g.chance(0.7) {
			if idx, ok := meta["_index"].(string); ok {
				meta["_id"] = g.idFor(idx)
			} else {
				meta["_id"] = g.idFor(pathIndex)
			}
		}
		if op == "index" || op == "create" {
			if g.chance(0.15) {
				meta["pipeline"] = g.pick(g.f.name("pipe-redirect"), g.f.name("pipe-plain"))
			}
			if g.chance(0.1) {
				meta["dynamic_templates"] = map[string]any{"note": "strings"}
			}
		}
		if g.chance(0.1) {
			meta["require_alias"] = true
		}
		if g.chance(0.15) {
			meta["routing"] = "r1"
		}
		if op != "create" && g.chance(0.1) {
			meta["if_seq_no"], meta["if_primary_term"] = 0, 1
		}
		if (op == "index" || op == "delete") && g.chance(0.1) {
			meta["version"], meta["version_type"] = 99, "external"
		}
		if op == "update" && g.chance(0.2) {
			meta["retry_on_conflict"] = 2
		}
		b.WriteString(js(map[string]any{op: meta}) + "\n")
		switch op {
		case "index", "create":
			b.WriteString(js(g.doc()) + "\n")
		case "update":
			b.WriteString(js(g.updateBody()) + "\n")
		}
	}
	return b.String()
}

// byQuery is the body and parameters of an _update_by_query or
// _delete_by_query.
func (g *wsGen) byQuery(update bool) (string, string) {
	var ps []string
	for _, p := range []struct {
		p  float64
		kv []string
	}{
		{0.3, []string{"q=level:private", "q=*", "q=secret:gen*"}},
		{0.2, []string{"slices=2", "slices=auto"}},
		{0.3, []string{"conflicts=proceed"}},
		{0.2, []string{"max_docs=1"}},
		{0.5, []string{"refresh=true"}},
	} {
		if g.chance(p.p) {
			ps = append(ps, g.pick(p.kv...))
		}
	}
	if update && g.chance(0.2) {
		ps = append(ps, "pipeline="+g.pick(g.f.name("pipe-redirect"), g.f.name("pipe-plain")))
	}
	body := map[string]any{}
	switch g.r.IntN(4) {
	case 0:
		body["query"] = map[string]any{"term": map[string]any{"level": "private"}}
	case 1:
		body["query"] = map[string]any{"ids": map[string]any{"values": []string{g.id(), g.id()}}}
	case 2:
		body["query"] = map[string]any{"match_all": map[string]any{}}
	}
	if update && g.chance(0.4) {
		body["script"] = g.script()
	}
	if g.chance(0.2) {
		body["max_docs"] = 1
	}
	q := ""
	if len(ps) > 0 {
		q = "?" + strings.Join(ps, "&")
	}
	return q, js(body)
}

// reindex is a _reindex body.
func (g *wsGen) reindex() string {
	src := map[string]any{"index": g.pick(g.target(), g.f.name("w"), g.f.name("s"), g.f.name("d"))}
	if g.chance(0.2) {
		src["query"] = map[string]any{"term": map[string]any{"level": "private"}}
	}
	if g.chance(0.1) {
		src["remote"] = map[string]any{"host": g.f.node}
	}
	dest := map[string]any{"index": g.pick(g.f.name("new1"), g.f.name("w"), g.f.name("s"), g.f.name("d"), g.f.name("fa"), g.f.name("mix"))}
	if g.chance(0.3) {
		dest["op_type"] = g.pick("create", "index")
	}
	if g.chance(0.15) {
		dest["pipeline"] = g.f.name("pipe-redirect")
	}
	body := map[string]any{"source": src, "dest": dest}
	if g.chance(0.25) {
		body["script"] = g.script()
	}
	if g.chance(0.2) {
		body["conflicts"] = "proceed"
	}
	return js(body)
}

// alias is one action of POST _aliases.
func (g *wsGen) aliasAction() map[string]any {
	f := g.f
	idx := g.pick(f.name("w"), f.name("s"), f.name("d"), f.name("r"), f.prefix+"-*")
	al := g.pick(f.name("wal1"), f.name("fa"), f.name("sa"), f.name("mix"), f.name("ral"))
	switch g.r.IntN(4) {
	case 0:
		a := map[string]any{"index": idx, "alias": al}
		if g.chance(0.4) {
			a["is_write_index"] = true
		}
		if g.chance(0.3) {
			a["filter"] = map[string]any{"term": map[string]any{"level": "private"}}
		}
		return map[string]any{"add": a}
	case 1:
		return map[string]any{"remove": map[string]any{"index": idx, "alias": al}}
	case 2:
		return map[string]any{"remove_index": map[string]any{"index": idx}}
	default:
		return map[string]any{"add": map[string]any{"indices": []string{f.name("w"), idx}, "aliases": []string{al}}}
	}
}

// mapping is a PUT _mapping body: field aliases, copy_to and runtime or
// derived fields reading the hidden field, dynamic templates.
func (g *wsGen) mapping() string {
	switch g.r.IntN(6) {
	case 0:
		return `{"properties":{"visalias":{"type":"alias","path":"secret"}}}`
	case 1:
		return `{"properties":{"visc":{"type":"keyword"},"secret":{"type":"keyword","copy_to":["visc"]}}}`
	case 2:
		return `{"runtime":{"visrt":{"type":"keyword","script":{"source":"emit(params._source['secret'])"}}}}`
	case 3:
		return `{"derived":{"visrt":{"type":"keyword","script":{"source":"emit(params._source['secret'])"}}}}`
	case 4:
		return `{"dynamic_templates":[{"strings":{"match_mapping_type":"string","mapping":{"type":"keyword","copy_to":"visc"}}}]}`
	default:
		return `{"properties":{"note":{"type":"text","fields":{"visk":{"type":"keyword"}}}}}`
	}
}

// settings is a PUT _settings body.
func (g *wsGen) settings() string {
	return g.pick(
		`{"index.default_pipeline":"`+g.f.name("pipe-redirect")+`"}`,
		`{"index":{"final_pipeline":"`+g.f.name("pipe-redirect")+`"}}`,
		`{"index.number_of_replicas":0}`,
		`{"index.blocks.write":true}`,
		`{"index.blocks.write":false}`,
		`{"index.mapping.total_fields.limit":2000}`,
	)
}

// request generates one write.
func (g *wsGen) request() wsReq {
	f := g.f
	t := g.target()
	switch g.r.IntN(22) {
	case 0, 1:
		return wsReq{g.pick("PUT", "POST"), "/" + t + "/_doc/" + g.idFor(t) + g.docParams(), js(g.doc())}
	case 2:
		return wsReq{"POST", "/" + t + "/_doc" + g.docParams(), js(g.doc())}
	case 3:
		return wsReq{"PUT", "/" + t + "/_create/" + g.idFor(t) + g.docParams(), js(g.doc())}
	case 4, 5:
		return wsReq{"POST", "/" + t + "/_update/" + g.idFor(t) + g.pick("", "?refresh=true", "?retry_on_conflict=1", "?_source=true", "?if_seq_no=0&if_primary_term=1"), js(g.updateBody())}
	case 6:
		return wsReq{"DELETE", "/" + t + "/_doc/" + g.idFor(t) + g.pick("", "?refresh=true", "?routing=r1", "?version=99&version_type=external", "?if_seq_no=0&if_primary_term=1"), ""}
	case 7, 8, 9:
		if g.chance(0.5) {
			return wsReq{"POST", "/_bulk" + g.pick("", "?refresh=true", "?pipeline="+f.name("pipe-redirect"), "?require_alias=true", "?routing=r1"), g.bulk("")}
		}
		return wsReq{"POST", "/" + t + "/_bulk" + g.pick("", "?refresh=true", "?pipeline="+f.name("pipe-plain")), g.bulk(t)}
	case 10:
		q, b := g.byQuery(true)
		return wsReq{"POST", "/" + t + "/_update_by_query" + q, b}
	case 11:
		q, b := g.byQuery(false)
		return wsReq{"POST", "/" + t + "/_delete_by_query" + q, b}
	case 12:
		return wsReq{"POST", "/_reindex" + g.pick("", "?refresh=true", "?slices=2"), g.reindex()}
	case 13:
		src := g.pick(f.name("sb"), f.name("w"), f.name("s"))
		return wsReq{"POST", "/" + src + "/" + g.pick("_clone", "_split", "_shrink") + "/" + g.pick(f.name("new1"), f.name("new2"), f.name("wal1")), g.pick(`{}`, `{"settings":{"index.number_of_shards":1}}`, `{"aliases":{"`+f.name("fa")+`":{}}}`)}
	case 14:
		al := g.pick(f.name("fa"), f.name("mix"), f.name("sa"), f.name("dsb1"), f.name("dsa1"))
		return wsReq{"POST", "/" + al + "/_rollover" + g.pick("", "/"+f.name("new1")), g.pick(`{}`, `{"conditions":{"max_docs":1}}`, `{"aliases":{"`+f.name("ral")+`":{}}}`)}
	case 15:
		var acts []any
		for i := 0; i <= g.r.IntN(2); i++ {
			acts = append(acts, g.aliasAction())
		}
		return wsReq{"POST", "/_aliases", js(map[string]any{"actions": acts})}
	case 16:
		return wsReq{"PUT", "/" + t + "/_settings", g.settings()}
	case 17:
		return wsReq{"PUT", "/" + t + "/_mapping", g.mapping()}
	case 18:
		body := map[string]any{}
		if g.chance(0.4) {
			body["aliases"] = map[string]any{g.pick(f.name("fa"), f.name("sa"), f.name("new1")+"-al", f.name("mix")): map[string]any{}}
		}
		if g.chance(0.3) {
			body["settings"] = map[string]any{"index.default_pipeline": f.name("pipe-redirect")}
		}
		return wsReq{"PUT", "/" + g.pick(f.name("new1"), f.name("new2"), f.name("w"), f.name("dsa1")), js(body)}
	case 19:
		switch g.r.IntN(6) {
		case 0:
			return wsReq{"PUT", "/_ingest/pipeline/" + g.pick(f.name("pipe-user"), f.name("pipe-plain")), `{"processors":[{"set":{"field":"_index","value":"` + f.name("s") + `"}}]}`}
		case 1:
			return wsReq{"PUT", "/_scripts/" + f.name("scr"), `{"script":{"lang":"painless","source":"ctx._index = '` + f.name("s") + `'"}}`}
		case 2:
			return wsReq{"PUT", "/_index_template/" + f.name("tu"), `{"index_patterns":["` + f.name("new") + `*"],"priority":500,"template":{"aliases":{"` + f.name("fa") + `":{}},"settings":{"index.default_pipeline":"` + f.name("pipe-redirect") + `"}}}`}
		case 3:
			return wsReq{"PUT", "/_template/" + f.name("tl"), `{"index_patterns":["` + f.name("new") + `*"],"order":50,"aliases":{"` + f.name("sa") + `":{}}}`}
		case 4:
			return wsReq{"PUT", "/_component_template/" + f.name("ct"), `{"template":{"settings":{"index.final_pipeline":"` + f.name("pipe-redirect") + `"}}}`}
		default:
			return wsReq{"DELETE", "/_ingest/pipeline/" + f.name("pipe-plain"), ""}
		}
	case 20:
		return wsReq{g.pick("DELETE", "POST", "POST"), "/" + t + g.pick("", "/_close", "/_open"), ""}
	default:
		if g.chance(0.5) {
			return wsReq{"PUT", "/_data_stream/" + g.pick(f.name("dsa2"), f.name("dsb2")), ""}
		}
		return wsReq{g.pick("DELETE", "POST"), "/_data_stream/" + g.pick(f.name("dsa1"), f.name("dsb1")), ""}
	}
}
