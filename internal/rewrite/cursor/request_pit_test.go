package cursor

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRewriteSearchPIT(t *testing.T) {
	b := newTestBinder(t, "k")
	mine := mustWrap(t, b, KindPIT, "UP-PIT", bindingFor(alice, "idx"))
	bobs := mustWrap(t, b, KindPIT, "UP-PIT-B", bindingFor(bob, "idx"))
	scroll := mustWrap(t, b, KindScroll, "UP-S", bindingFor(alice, "idx"))
	tests := []struct {
		name     string
		body     string
		wantErr  error
		wantNil  bool
		wantBody string
		wantKeep time.Duration
	}{
		{name: "pit with keep-alive, member order kept",
			body:     `{"size":2,"pit":{"keep_alive":"1m","id":"` + mine + `"},"sort":[{"n":"asc"}]}`,
			wantBody: `{"size":2,"pit":{"keep_alive":"1m","id":"UP-PIT"},"sort":[{"n":"asc"}]}`, wantKeep: time.Minute},
		{name: "pit without keep-alive", body: `{"pit":{"id":"` + mine + `"}}`, wantBody: `{"pit":{"id":"UP-PIT"}}`},
		{name: "no pit", body: `{"query":{"match_all":{}},"id":"not a pit"}`, wantNil: true, wantBody: `{"query":{"match_all":{}},"id":"not a pit"}`},
		{name: "pit not an object", body: `{"pit":"` + mine + `"}`, wantErr: ErrMalformed},
		{name: "pit without id", body: `{"pit":{"keep_alive":"1m"}}`, wantErr: ErrMalformed},
		{name: "unknown pit member", body: `{"pit":{"id":"` + mine + `","foo":1}}`, wantErr: ErrMalformed},
		{name: "numeric id", body: `{"pit":{"id":1}}`, wantErr: ErrMalformed},
		{name: "numeric keep-alive", body: `{"pit":{"id":"` + mine + `","keep_alive":60}}`, wantErr: ErrMalformed},
		{name: "bad keep-alive", body: `{"pit":{"id":"` + mine + `","keep_alive":"soon"}}`, wantErr: ErrMalformed},
		{name: "cluster pit id", body: `{"pit":{"id":"69qFQQIFY3VyLWEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAA"}}`, wantErr: ErrTampered},
		{name: "scroll token as pit", body: `{"pit":{"id":"` + scroll + `"}}`, wantErr: ErrTampered},
		{name: "another user's pit", body: `{"pit":{"id":"` + bobs + `"}}`, wantErr: ErrNotOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := mustObject(t, tt.body)
			got, err := b.RewriteSearchPIT(alice, body)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if (got == nil) != tt.wantNil {
				t.Fatalf("result = %+v, want nil: %v", got, tt.wantNil)
			}
			if got != nil && (got.Cursor.UpstreamID != "UP-PIT" || got.KeepAlive != tt.wantKeep || got.Cursor.Binding.Indices[0] != "idx") {
				t.Errorf("result = %+v", got)
			}
			if s := encode(t, body); s != tt.wantBody {
				t.Errorf("body = %s, want %s", s, tt.wantBody)
			}
		})
	}
}

func TestRewriteClosePIT(t *testing.T) {
	b := newTestBinder(t, "k")
	mine := mustWrap(t, b, KindPIT, "UP-PIT", bindingFor(alice))
	bobs := mustWrap(t, b, KindPIT, "UP-PIT-B", bindingFor(bob))
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"id", `{"id":"` + mine + `"}`, nil},
		{"no body", ``, ErrMalformed},
		{"empty body", `{}`, ErrMalformed},
		{"empty id", `{"id":""}`, ErrMalformed},
		{"other member", `{"id":"` + mine + `","pit_id":"x"}`, ErrMalformed},
		{"id array", `{"id":["` + mine + `"]}`, ErrMalformed},
		{"cluster id", `{"id":"46ToAwMDaWR5BXV1aWQy"}`, ErrTampered},
		{"another user's", `{"id":"` + bobs + `"}`, ErrNotOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body = mustObjectOrNil(t, tt.body)
			got, err := b.RewriteClosePIT(alice, body)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.UpstreamID != "UP-PIT" || encode(t, body) != `{"id":"UP-PIT"}`) {
				t.Errorf("cursor %+v, body %s", got, encode(t, body))
			}
		})
	}
}

func TestRewriteDeletePIT(t *testing.T) {
	b := newTestBinder(t, "k")
	p1 := mustWrap(t, b, KindPIT, "UP-P1", bindingFor(alice))
	p2 := mustWrap(t, b, KindPIT, "UP-P2", bindingFor(alice))
	bobs := mustWrap(t, b, KindPIT, "UP-PB", bindingFor(bob))
	tests := []struct {
		name     string
		body     string
		wantErr  error
		wantAll  bool
		wantUps  []string
		wantBody string
	}{
		{name: "array", body: `{"pit_id":["` + p1 + `","` + p2 + `"]}`, wantUps: []string{"UP-P1", "UP-P2"}, wantBody: `{"pit_id":["UP-P1","UP-P2"]}`},
		{name: "string", body: `{"pit_id":"` + p1 + `"}`, wantUps: []string{"UP-P1"}, wantBody: `{"pit_id":"UP-P1"}`},
		{name: "_all in the body", body: `{"pit_id":["_all"]}`, wantAll: true, wantBody: `{"pit_id":["_all"]}`},
		{name: "_all string", body: `{"pit_id":"_all"}`, wantAll: true, wantBody: `{"pit_id":"_all"}`},
		{name: "_all among ids", body: `{"pit_id":["` + p1 + `","_all"]}`, wantErr: ErrMalformed},
		{name: "no body", wantErr: ErrMalformed},
		{name: "empty array", body: `{"pit_id":[]}`, wantErr: ErrMalformed},
		{name: "other member", body: `{"pit_id":["` + p1 + `"],"id":"x"}`, wantErr: ErrMalformed},
		{name: "Elasticsearch id member", body: `{"id":"` + p1 + `"}`, wantErr: ErrMalformed},
		{name: "number", body: `{"pit_id":[1]}`, wantErr: ErrMalformed},
		{name: "cluster id", body: `{"pit_id":["69qFQQEFY3VyLWIW"]}`, wantErr: ErrTampered},
		{name: "another user's", body: `{"pit_id":["` + p1 + `","` + bobs + `"]}`, wantErr: ErrNotOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := mustObjectOrNil(t, tt.body)
			got, err := b.RewriteDeletePIT(alice, body)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if got.All != tt.wantAll || !slices.Equal(upstreamIDs(got.Cursors), tt.wantUps) {
				t.Errorf("target = %+v", got)
			}
			if s := encode(t, body); s != tt.wantBody {
				t.Errorf("body = %s, want %s", s, tt.wantBody)
			}
		})
	}
	if got := encode(t, PITIDsBody([]string{"a"})); got != `{"pit_id":["a"]}` {
		t.Errorf("PITIDsBody = %s", got)
	}
}

func TestRewriteAsyncAndSQL(t *testing.T) {
	b := newTestBinder(t, "k")
	async := mustWrap(t, b, KindAsync, "UP-ASYNC", bindingFor(alice, "sales"))
	bobsAsync := mustWrap(t, b, KindAsync, "UP-ASYNC-B", bindingFor(bob))
	cur := mustWrap(t, b, KindSQLCursor, "UP-CURSOR", bindingFor(alice, "library"))
	t.Run("async path id", func(t *testing.T) {
		tests := []struct {
			id      string
			wantErr error
		}{
			{async, nil},
			{"", ErrMalformed},
			{bobsAsync, ErrNotOwner},
			{cur, ErrTampered},
			{"FmRldE8zREhaUnFxc1JfU2pjRU5sU2cbS0JQWGV0blRTV0c3eS03SnNJa3BYQTozMjU2", ErrTampered},
		}
		for _, tt := range tests {
			got, err := b.RewriteAsyncID(alice, tt.id)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("RewriteAsyncID(%.12q) err = %v, want %v", tt.id, err, tt.wantErr)
			}
			if err == nil && (got.UpstreamID != "UP-ASYNC" || got.Binding.Indices[0] != "sales") {
				t.Errorf("cursor = %+v", got)
			}
		}
	})
	t.Run("sql cursor", func(t *testing.T) {
		tests := []struct {
			name     string
			body     string
			wantErr  error
			wantUp   string
			wantBody string
		}{
			{name: "cursor", body: `{"cursor":"` + cur + `","columnar":false}`, wantUp: "UP-CURSOR", wantBody: `{"cursor":"UP-CURSOR","columnar":false}`},
			{name: "query without cursor", body: `{"query":"SELECT * FROM library"}`, wantBody: `{"query":"SELECT * FROM library"}`},
			{name: "empty cursor is no cursor", body: `{"query":"SELECT 1","cursor":""}`, wantBody: `{"query":"SELECT 1","cursor":""}`},
			{name: "number cursor", body: `{"cursor":5}`, wantErr: ErrMalformed},
			{name: "async token as cursor", body: `{"cursor":"` + async + `"}`, wantErr: ErrTampered},
			{name: "cluster cursor", body: `{"cursor":"sDXF1ZXJ5QW5kRmV0Y2gBAAAAAAAAAAEWWWdrRlVfSS1TbDYtcW9lc1FJNmlYdw==:BAFmBmF1"}`, wantErr: ErrTampered},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := mustObject(t, tt.body)
				got, err := b.RewriteSQLCursor(alice, body)
				if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					return
				}
				if (got == nil) != (tt.wantUp == "") || got != nil && got.UpstreamID != tt.wantUp {
					t.Errorf("cursor = %+v, want %q", got, tt.wantUp)
				}
				if s := encode(t, body); s != tt.wantBody {
					t.Errorf("body = %s, want %s", s, tt.wantBody)
				}
			})
		}
	})
	t.Run("sql close", func(t *testing.T) {
		body := mustObject(t, `{"cursor":"`+cur+`"}`)
		got, err := b.RewriteSQLClose(alice, body)
		if err != nil || got.UpstreamID != "UP-CURSOR" || encode(t, body) != `{"cursor":"UP-CURSOR"}` {
			t.Errorf("close = %+v, %v, body %s", got, err, encode(t, body))
		}
		if _, err := b.RewriteSQLClose(alice, mustObject(t, `{}`)); !errors.Is(err, ErrMalformed) {
			t.Errorf("close without cursor: %v", err)
		}
		if _, err := b.RewriteSQLClose(bob, mustObject(t, `{"cursor":"`+cur+`"}`)); !errors.Is(err, ErrNotOwner) {
			t.Errorf("close of alice's cursor by bob: %v", err)
		}
	})
}
