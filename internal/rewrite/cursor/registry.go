package cursor

import (
	"context"
	"time"
)

// Entry is one cursor an owner holds.
type Entry struct {
	// Kind is the cursor's kind.
	Kind Kind
	// UpstreamID is the cluster's id: what the server sends when it
	// clears or deletes the cursor.
	UpstreamID string
	// Token is the latest token the client was given for it: what the
	// server shows the client (GET _search/point_in_time/_all, the pit_id
	// of a deletion).
	Token string
	// KeepAlive is how long the cluster keeps the cursor after this use
	// ("scroll", "keep_alive", "pit.keep_alive"). Zero on Add keeps the
	// entry's previous keep-alive, or DefaultKeepAlive for a new entry.
	KeepAlive time.Duration
	// Expires is when the registry forgets the entry; set by the
	// registry (now + KeepAlive at the last Add).
	Expires time.Time
}

// Registry records which cursors each owner holds, so that "_all"
// operations (DELETE _search/scroll/_all, DELETE and GET
// _search/point_in_time/_all) act on the caller's own cursors only.
//
// A registry is a convenience, not a security boundary: tokens are checked
// by the Binder whatever the registry says. An entry the registry lost
// (evicted by its bounds, expired early, held by another replica) is a
// cursor an "_all" request does not clear; the cluster still drops it when
// its keep-alive runs out. An entry it kept too long is an id the cluster
// no longer knows, which clearing ignores.
type Registry interface {
	// Add records that owner holds the cursor e, or refreshes it (token,
	// keep-alive and expiry) when owner already holds e.UpstreamID of
	// that kind.
	Add(ctx context.Context, owner Owner, e Entry) error
	// List returns owner's unexpired cursors of a kind, soonest expiry
	// first.
	List(ctx context.Context, owner Owner, kind Kind) ([]Entry, error)
	// Remove forgets owner's cursors of a kind with these cluster ids
	// (after the cluster cleared them). Unknown ids are ignored.
	Remove(ctx context.Context, owner Owner, kind Kind, upstreamIDs ...string) error
}

// UpstreamIDs returns the cluster ids of entries, in order: the ids to put
// in ClearScrollBody or PITIDsBody for an "_all" request.
func UpstreamIDs(entries []Entry) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.UpstreamID
	}
	return ids
}

// TokensByUpstreamID maps the cluster id of each entry to its token: what
// FilterAllPITs and the rewriting of a deletion's response need.
func TokensByUpstreamID(entries []Entry) map[string]string {
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		m[e.UpstreamID] = e.Token
	}
	return m
}
