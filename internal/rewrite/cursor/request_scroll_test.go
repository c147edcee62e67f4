package cursor

import (
	"slices"
	"testing"
	"time"
)

// scrollTokens are tokens of alice and bob for the request tests, with the
// cluster ids they stand for.
type scrollTokens struct {
	b                       *Binder
	a1, a2, bobs, pitOfA, x string
}

func newScrollTokens(t *testing.T) scrollTokens {
	b := newTestBinder(t, "k")
	return scrollTokens{
		b:      b,
		a1:     mustWrap(t, b, KindScroll, "UP-A1", bindingFor(alice, "idx-1")),
		a2:     mustWrap(t, b, KindScroll, "UP-A2", bindingFor(alice, "idx-2")),
		bobs:   mustWrap(t, b, KindScroll, "UP-B", bindingFor(bob, "idx-1")),
		pitOfA: mustWrap(t, b, KindPIT, "UP-PIT", bindingFor(alice, "idx-1")),
		x:      mustWrap(t, newTestBinder(t, "other-key"), KindScroll, "UP-X", bindingFor(alice)),
	}
}

func TestRewriteScroll(t *testing.T) {
	tk := newScrollTokens(t)
	tests := []struct {
		name      string
		pathID    string
		query     string
		body      string
		wantErr   error
		wantUp    string
		wantOther []string
		wantPath  string
		wantQuery string
		wantBody  string
		wantKeep  time.Duration
	}{
		{name: "body", body: `{"scroll":"1m","scroll_id":"` + tk.a1 + `"}`,
			wantUp: "UP-A1", wantBody: `{"scroll":"1m","scroll_id":"UP-A1"}`, wantKeep: time.Minute},
		{name: "path", pathID: tk.a1, query: "scroll=30s&rest_total_hits_as_int=true",
			wantUp: "UP-A1", wantPath: "UP-A1", wantQuery: "rest_total_hits_as_int=true&scroll=30s", wantKeep: 30 * time.Second},
		{name: "query", query: "scroll_id=" + tk.a1 + "&scroll=2m",
			wantUp: "UP-A1", wantQuery: "scroll=2m&scroll_id=UP-A1", wantKeep: 2 * time.Minute},
		{name: "body wins over path, both rewritten", pathID: tk.a1, body: `{"scroll_id":"` + tk.a2 + `"}`,
			wantUp: "UP-A2", wantOther: []string{"UP-A1"}, wantPath: "UP-A1", wantBody: `{"scroll_id":"UP-A2"}`},
		{name: "body scroll wins over query scroll", query: "scroll=5m", body: `{"scroll_id":"` + tk.a1 + `","scroll":"10s"}`,
			wantUp: "UP-A1", wantQuery: "scroll=5m", wantBody: `{"scroll_id":"UP-A1","scroll":"10s"}`, wantKeep: 10 * time.Second},
		{name: "body without id, path id", pathID: tk.a1, body: `{"scroll":"1m"}`,
			wantUp: "UP-A1", wantPath: "UP-A1", wantBody: `{"scroll":"1m"}`, wantKeep: time.Minute},
		{name: "no id anywhere", body: `{"scroll":"1m"}`, wantErr: ErrMalformed},
		{name: "no body, no id", query: "scroll=1m", wantErr: ErrMalformed},
		{name: "path and query both", pathID: tk.a1, query: "scroll_id=" + tk.a1, wantErr: ErrMalformed},
		{name: "query id twice", query: "scroll_id=" + tk.a1 + "&scroll_id=" + tk.a2, wantErr: ErrMalformed},
		{name: "empty query id", query: "scroll_id=", wantErr: ErrMalformed},
		{name: "unknown body member", body: `{"scroll_id":"` + tk.a1 + `","size":10}`, wantErr: ErrMalformed},
		{name: "number id", body: `{"scroll_id":1}`, wantErr: ErrMalformed},
		{name: "array id", body: `{"scroll_id":["` + tk.a1 + `"]}`, wantErr: ErrMalformed},
		{name: "empty body id", body: `{"scroll_id":""}`, wantErr: ErrMalformed},
		{name: "bad keep-alive", body: `{"scroll_id":"` + tk.a1 + `","scroll":"1.5m"}`, wantErr: ErrMalformed},
		{name: "cluster id", body: `{"scroll_id":"FGluY2x1ZGVfY29udGV4dF91dWlk"}`, wantErr: ErrTampered},
		{name: "token of another key", body: `{"scroll_id":"` + tk.x + `"}`, wantErr: ErrTampered},
		{name: "pit token as scroll id", body: `{"scroll_id":"` + tk.pitOfA + `"}`, wantErr: ErrTampered},
		{name: "another user's token", body: `{"scroll_id":"` + tk.bobs + `"}`, wantErr: ErrNotOwner},
		{name: "another user's token in the ignored path", pathID: tk.bobs, body: `{"scroll_id":"` + tk.a1 + `"}`, wantErr: ErrNotOwner},
		{name: "forged ignored path beats another user's body", pathID: "forged", body: `{"scroll_id":"` + tk.bobs + `"}`, wantErr: ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newScrollRequest(t, tt.pathID, tt.query, tt.body)
			q := r.Query
			got, err := tk.b.RewriteScroll(alice, r)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if got.Cursor.UpstreamID != tt.wantUp || got.Cursor.Kind != KindScroll || got.Cursor.Binding.Owner != alice {
				t.Errorf("cursor = %+v, want upstream %s", got.Cursor, tt.wantUp)
			}
			if ups := upstreamIDs(got.Others); !slices.Equal(ups, tt.wantOther) {
				t.Errorf("others = %v, want %v", ups, tt.wantOther)
			}
			if got.PathID != tt.wantPath {
				t.Errorf("path id = %q, want %q", got.PathID, tt.wantPath)
			}
			if q.Encode() != tt.wantQuery {
				t.Errorf("query = %q, want %q", q.Encode(), tt.wantQuery)
			}
			if r.Body != nil && encode(t, r.Body) != tt.wantBody {
				t.Errorf("body = %s, want %s", encode(t, r.Body), tt.wantBody)
			}
			if got.KeepAlive != tt.wantKeep {
				t.Errorf("keep-alive = %v, want %v", got.KeepAlive, tt.wantKeep)
			}
		})
	}
}

func TestRewriteClearScroll(t *testing.T) {
	tk := newScrollTokens(t)
	tests := []struct {
		name      string
		pathID    string
		query     string
		body      string
		wantErr   error
		wantAll   bool
		wantUps   []string
		wantOther []string
		wantPath  string
		wantQuery string
		wantBody  string
	}{
		{name: "body string", body: `{"scroll_id":"` + tk.a1 + `"}`, wantUps: []string{"UP-A1"}, wantBody: `{"scroll_id":"UP-A1"}`},
		{name: "body array", body: `{"scroll_id":["` + tk.a1 + `","` + tk.a2 + `"]}`,
			wantUps: []string{"UP-A1", "UP-A2"}, wantBody: `{"scroll_id":["UP-A1","UP-A2"]}`},
		{name: "body array of one stays an array", body: `{"scroll_id":["` + tk.a2 + `"]}`, wantUps: []string{"UP-A2"}, wantBody: `{"scroll_id":["UP-A2"]}`},
		{name: "path list", pathID: tk.a1 + "," + tk.a2, wantUps: []string{"UP-A1", "UP-A2"}, wantPath: "UP-A1,UP-A2"},
		{name: "path list with a trailing comma", pathID: tk.a1 + ",", wantUps: []string{"UP-A1"}, wantPath: "UP-A1"},
		{name: "query list", query: "scroll_id=" + tk.a2 + "," + tk.a1, wantUps: []string{"UP-A2", "UP-A1"}, wantQuery: "scroll_id=UP-A2%2CUP-A1"},
		{name: "body replaces path, path still checked", pathID: tk.a1, body: `{"scroll_id":"` + tk.a2 + `"}`,
			wantUps: []string{"UP-A2"}, wantOther: []string{"UP-A1"}, wantPath: "UP-A1", wantBody: `{"scroll_id":"UP-A2"}`},
		{name: "path _all", pathID: "_all", wantAll: true, wantPath: "_all"},
		{name: "body _all", body: `{"scroll_id":"_all"}`, wantAll: true, wantBody: `{"scroll_id":"_all"}`},
		{name: "body [_all]", body: `{"scroll_id":["_all"]}`, wantAll: true, wantBody: `{"scroll_id":["_all"]}`},
		{name: "path and body _all", pathID: "_all", body: `{"scroll_id":"_all"}`, wantAll: true, wantPath: "_all", wantBody: `{"scroll_id":"_all"}`},
		{name: "_all among ids", body: `{"scroll_id":["_all","` + tk.a1 + `"]}`, wantErr: ErrMalformed},
		{name: "_all in path, ids in body", pathID: "_all", body: `{"scroll_id":"` + tk.a1 + `"}`, wantErr: ErrMalformed},
		{name: "ids in path, _all in body", pathID: tk.a1, body: `{"scroll_id":"_all"}`, wantErr: ErrMalformed},
		{name: "empty body object", pathID: tk.a1, body: `{}`, wantErr: ErrMalformed},
		{name: "no ids at all", wantErr: ErrMalformed},
		{name: "empty element", pathID: tk.a1 + ",," + tk.a2, wantErr: ErrMalformed},
		{name: "leading comma", pathID: "," + tk.a1, wantErr: ErrMalformed},
		{name: "space before an id", pathID: tk.a1 + ", " + tk.a2, wantErr: ErrTampered},
		{name: "unknown member", body: `{"scroll_id":"` + tk.a1 + `","all":true}`, wantErr: ErrMalformed},
		{name: "number in array", body: `{"scroll_id":["` + tk.a1 + `",5]}`, wantErr: ErrMalformed},
		{name: "object id", body: `{"scroll_id":{}}`, wantErr: ErrMalformed},
		{name: "empty array", body: `{"scroll_id":[]}`, wantErr: ErrMalformed},
		{name: "empty string", body: `{"scroll_id":[""]}`, wantErr: ErrMalformed},
		{name: "another user's id among own", body: `{"scroll_id":["` + tk.a1 + `","` + tk.bobs + `"]}`, wantErr: ErrNotOwner},
		{name: "forged id among another user's", pathID: tk.bobs + ",forged", wantErr: ErrTampered},
		{name: "pit token", pathID: tk.pitOfA, wantErr: ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newScrollRequest(t, tt.pathID, tt.query, tt.body)
			q := r.Query
			got, err := tk.b.RewriteClearScroll(alice, r)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if got.All != tt.wantAll {
				t.Errorf("All = %v", got.All)
			}
			if ups := upstreamIDs(got.Cursors); !slices.Equal(ups, tt.wantUps) {
				t.Errorf("cursors = %v, want %v", ups, tt.wantUps)
			}
			if ups := upstreamIDs(got.Others); !slices.Equal(ups, tt.wantOther) {
				t.Errorf("others = %v, want %v", ups, tt.wantOther)
			}
			if got.PathIDs != tt.wantPath {
				t.Errorf("path = %q, want %q", got.PathIDs, tt.wantPath)
			}
			if q.Encode() != tt.wantQuery {
				t.Errorf("query = %q, want %q", q.Encode(), tt.wantQuery)
			}
			if r.Body != nil && encode(t, r.Body) != tt.wantBody {
				t.Errorf("body = %s, want %s", encode(t, r.Body), tt.wantBody)
			}
		})
	}
}

func TestClearScrollBody(t *testing.T) {
	if got := encode(t, ClearScrollBody([]string{"a", "b"})); got != `{"scroll_id":["a","b"]}` {
		t.Errorf("ClearScrollBody = %s", got)
	}
	if got := encode(t, ClearScrollBody([]string{"a"})); got != `{"scroll_id":["a"]}` {
		t.Errorf("ClearScrollBody of one id = %s", got)
	}
}
