package explain

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// Input is one request to explain and the subject to decide it for.
type Input struct {
	// Method and Target are the request line: "GET", "/logs-*/_search?q=x".
	Method string
	Target string
	// Body is the request body; nil means none. ContentType is its media
	// type ("" means JSON, or NDJSON for NDJSON endpoints).
	Body        []byte
	ContentType string
	// MaxBodyBytes bounds the body as upstream.max_request_body_bytes
	// does; 0 means no limit beyond the body's size.
	MaxBodyBytes int64
	// User is the caller; its Roles are the roles the request is decided
	// with, and its fields are what DLS templates see.
	User dls.User
	// RolesFrom says where the roles came from, for the report.
	RolesFrom string
	// Authorizer decides (an *authz.RoleStore or *authz.Evaluator).
	Authorizer server.Authorizer
	// Metadata is the cluster's metadata; nil means none was read
	// (wildcards then resolve against no index).
	Metadata *authz.Metadata
}

// Explain works out what the proxy does with in's request. It forwards
// nothing and audits nothing.
func Explain(in Input) Report {
	path, query, _ := strings.Cut(in.Target, "?")
	rep := Report{Method: in.Method, Path: path, Query: query, User: in.User.Username,
		Roles: slices.Clone(in.User.Roles), RolesFrom: in.RolesFrom, Metadata: "cluster"}
	if rep.Roles == nil {
		rep.Roles = []string{}
	}
	if in.Metadata == nil {
		rep.Metadata = "none"
		rep.Notes = append(rep.Notes, "no cluster metadata was read (--cluster): wildcards are resolved against no indices; explicit names are judged as written")
	}
	c, err := esapi.ClassifyURL(in.Method, path, query)
	switch {
	case err != nil:
		rep.refuse(server.ClassificationRefusal(in.Method, path, nil, err))
		return rep
	case c.Denied != "":
		rep.Classification = describe(c)
		rep.refuse(server.ClassificationRefusal(in.Method, path, c, nil))
		return rep
	}
	rep.Classification = describe(c)
	body, e := parseBody(in, c)
	if e != nil {
		rep.refuse(e)
		return rep
	}
	decide(&rep, in, c, body)
	return rep
}

// refuse records a refusal of the whole request.
func (rep *Report) refuse(e *eserr.Error) {
	rep.Outcome, rep.Status, rep.Error = Deny, e.Status, e.Body()
}

func describe(c *esapi.Classification) *Classification {
	return &Classification{Action: c.Action, Route: c.Route, Endpoint: c.Endpoint, Indices: c.Indices,
		IndicesFrom: c.IndicesFrom.String(), BodyIndices: c.BodyIndices, Targets: c.Targets, Body: c.Body.String()}
}

// parseBody reads and parses the body with the server's body stage code,
// or returns nil when the request has none.
func parseBody(in Input, c *esapi.Classification) (*server.ParsedBody, *eserr.Error) {
	_, inQuery := c.Params.Values["source"]
	if in.Body == nil && !inQuery {
		return nil, nil
	}
	if c.Body == esapi.BodyNone {
		return nil, &eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
			Reason: fmt.Sprintf("request [%s %s] does not support having a body", in.Method, pathOf(in.Target))}
	}
	r, err := http.NewRequest(in.Method, "http://explain"+in.Target, bytes.NewReader(in.Body))
	if err != nil {
		return nil, &eserr.Error{Status: http.StatusBadRequest, Type: "parse_exception", Reason: err.Error()}
	}
	r.Header.Set("Content-Type", contentType(in.ContentType, c))
	maxBytes := in.MaxBodyBytes
	if maxBytes <= 0 {
		maxBytes = int64(len(in.Body)) + 1
	}
	b, err := server.ParseBody(r, c, maxBytes)
	if err != nil {
		return nil, asESError(err)
	}
	return b, nil
}

func pathOf(target string) string {
	p, _, _ := strings.Cut(target, "?")
	return p
}

func contentType(given string, c *esapi.Classification) string {
	switch {
	case given != "":
		return given
	case c.Body == esapi.BodyNDJSON:
		return "application/x-ndjson"
	}
	return "application/json"
}

func asESError(err error) *eserr.Error {
	if be, ok := err.(*esbody.Error); ok {
		return be.ESError()
	}
	return &eserr.Error{Status: http.StatusBadRequest, Type: "parse_exception", Reason: err.Error()}
}

// request is the authz request the server builds for c.
func request(in Input, c *esapi.Classification) authz.Request {
	return server.AuthzRequest(in.User.Username, in.User.Roles, c, in.Metadata)
}
