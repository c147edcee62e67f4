package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
)

// A task list (GET _tasks, and the answers of task cancellation and
// rethrottling), grouped by node as by default, describes
// each node with its transport address: "transport_address" and "ip" are
// ip:port. The cluster's transport port has no security (see
// withSniffingGuard), so the proxy takes both out of every node of the
// answer. A filter_path exclusion cannot do it as the cluster answers: it
// would also drop an empty "nodes" object ({"nodes":{}} when no task
// matches becomes {}), which clients read; so the proxy filters the
// answer itself and applies the client's filter_path after it.

// taskListAPIs answer task lists grouped by node: GET _tasks, the task
// cancellation and the rethrottling of reindex, update and delete by
// query (not _cat/tasks, whose default columns show no port: see
// catShowsPort).
var taskListAPIs = map[string]bool{
	"tasks.list": true, "tasks.cancel": true,
	"reindex_rethrottle": true, "update_by_query_rethrottle": true, "delete_by_query_rethrottle": true,
}

// nodeAddressMembers are the members of a node that carry its transport
// address.
var nodeAddressMembers = map[string]bool{"transport_address": true, "ip": true}

// serveTaskListWithoutAddresses forwards a task list request and passes
// its answer on without the nodes' transport addresses (JSON only: another format is
// refused).
func serveTaskListWithoutAddresses(w http.ResponseWriter, r *http.Request, st *requestState, next http.Handler) {
	serveThroughFilter(w, r, st, next, dropNodeAddresses)
}

// dropNodeAddresses copies a task list answer without the address members
// of the nodes under its top-level "nodes" object.
func dropNodeAddresses(dst io.Writer, src io.Reader) error {
	return copyOneValue(dst, src, "task list", copyTaskList)
}

// copyOneValue copies the answer in src, one JSON value, to dst with
// copy, and refuses data after it (what names the answer in the error).
func copyOneValue(dst io.Writer, src io.Reader, what string, copy func(*jsontext.Decoder, *jsontext.Encoder) error) error {
	dec := jsontext.NewDecoder(src)
	enc := jsontext.NewEncoder(dst)
	if err := copy(dec, enc); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: data after the top-level value", what)
	}
	return nil
}

// copyTaskList copies the top-level value, descending into "nodes".
func copyTaskList(dec *jsontext.Decoder, enc *jsontext.Encoder) error {
	return copyObjectMembers(dec, enc, func(name string) error {
		if name != "nodes" || dec.PeekKind() != '{' {
			return copyValue(dec, enc)
		}
		return copyObjectMembers(dec, enc, func(string) error {
			if dec.PeekKind() != '{' {
				return copyValue(dec, enc)
			}
			return copyObjectMembers(dec, enc, func(string) error { return copyValue(dec, enc) },
				func(name string) bool { return nodeAddressMembers[name] })
		}, nil)
	}, nil)
}

// copyObjectMembers copies the next value; when it is an object, each
// member's name is written and member copies its value, except for the
// members drop reports (nil: none), left out with their values.
func copyObjectMembers(dec *jsontext.Decoder, enc *jsontext.Encoder, member func(name string) error, drop func(name string) bool) error {
	if dec.PeekKind() != '{' {
		return copyValue(dec, enc)
	}
	open, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if err := enc.WriteToken(open); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if drop != nil && drop(name.String()) {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if err := enc.WriteToken(name); err != nil {
			return err
		}
		if err := member(name.String()); err != nil {
			return err
		}
	}
	end, err := dec.ReadToken()
	if err != nil {
		return err
	}
	return enc.WriteToken(end)
}

// copyValue copies the next value whole.
func copyValue(dec *jsontext.Decoder, enc *jsontext.Encoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return enc.WriteValue(v)
}
