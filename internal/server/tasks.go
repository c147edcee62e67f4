package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// The task management actions: _tasks and _cat/tasks list, GET
// _tasks/<id> gets one (running, or its stored result).
const (
	taskListAction = "cluster:monitor/tasks/lists"
	taskGetAction  = "cluster:monitor/task/get"
)

// reasonTaskDetails is why a detailed task listing is refused.
const reasonTaskDetails = "the [detailed] task listing is not supported by the security proxy for this user: " +
	"task descriptions quote other users' requests as the cluster runs them, with the document level security the proxy adds"

// taskDetailsRefusal refuses a detailed task listing (_tasks?detailed,
// _cat/tasks?detailed) to a user who may not read every index without
// DLS/FLS. A task's description quotes its request, and the searches the
// proxy forwards carry their user's DLS role query (rendered with that
// user's metadata), which Elasticsearch applies outside the request, so
// that its task descriptions never show it. Without detailed, tasks are
// listed without descriptions.
func taskDetailsRefusal(az Authorizer, req authz.Request, c *esapi.Classification) *itemRefusal {
	if c.Action != taskListAction {
		return nil
	}
	if v, ok := c.Params.Values["detailed"]; !ok || v == "false" || mayReadEverything(az, req) {
		return nil
	}
	return forbidden(req, reasonTaskDetails)
}

// hidesTaskDescriptions reports whether the answer of the request must
// lose its task descriptions: GET _tasks/<id> always has one (the
// request has no detailed switch), for a user who may not read every
// index without DLS/FLS (see taskDetailsRefusal).
func hidesTaskDescriptions(az Authorizer, req authz.Request, c *esapi.Classification) bool {
	return c.Action == taskGetAction && !mayReadEverything(az, req)
}

// dropTaskDescriptions copies a JSON answer without any "description"
// member (in a task answer, only tasks have one).
func dropTaskDescriptions(dst io.Writer, src io.Reader) error {
	dec := jsontext.NewDecoder(src)
	enc := jsontext.NewEncoder(dst)
	if err := copyWithoutMember(dec, enc, "description"); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return errors.New("task answer: data after the top-level value")
	}
	return nil
}

// copyWithoutMember copies the next value, leaving out every object
// member named name, at any depth.
func copyWithoutMember(dec *jsontext.Decoder, enc *jsontext.Encoder, name string) error {
	switch dec.PeekKind() {
	case '{':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if tok.Kind() == '"' && tok.String() == name {
				if err := dec.SkipValue(); err != nil {
					return err
				}
				continue
			}
			if err := enc.WriteToken(tok); err != nil {
				return err
			}
			if err := copyWithoutMember(dec, enc, name); err != nil {
				return err
			}
		}
		tok, err = dec.ReadToken()
		if err != nil {
			return err
		}
		return enc.WriteToken(tok)
	case '[':
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			if err := copyWithoutMember(dec, enc, name); err != nil {
				return err
			}
		}
		tok, err = dec.ReadToken()
		if err != nil {
			return err
		}
		return enc.WriteToken(tok)
	}
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return enc.WriteValue(v)
}

// serveTaskWithoutDescriptions forwards GET _tasks/<id> and passes its
// answer on without task descriptions (JSON only: another format is
// refused).
func serveTaskWithoutDescriptions(w http.ResponseWriter, r *http.Request, st *requestState, next http.Handler) {
	st.Decision = "allow"
	serveThroughFilter(w, r, st, next, dropTaskDescriptions)
}
