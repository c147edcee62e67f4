package eserr

import (
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	e := Security(401, `missing authentication credentials for REST request [/a?b="c"]`)
	e.Header = map[string][]string{"WWW-Authenticate": {`Basic realm="security", charset="UTF-8"`}}
	rec := httptest.NewRecorder()
	e.Write(rec)
	want := `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/a?b=\"c\"]","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\""]}}],"type":"security_exception","reason":"missing authentication credentials for REST request [/a?b=\"c\"]","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\""]}},"status":401}`
	if rec.Code != 401 || rec.Body.String() != want {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("WWW-Authenticate") != `Basic realm="security", charset="UTF-8"` || rec.Header().Get("Content-Type") != "application/json; charset=UTF-8" {
		t.Fatalf("headers %v", rec.Header())
	}
	e2 := &Error{Status: 404, Type: "index_not_found_exception", Reason: "no such index [x]"}
	rec = httptest.NewRecorder()
	e2.Write(rec)
	if rec.Body.String() != `{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [x]"}],"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}` {
		t.Fatalf("got %s", rec.Body.String())
	}
}
