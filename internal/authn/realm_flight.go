package authn

import "crypto/sha256"

// Concurrent logins with the same credentials share one password hash
// verification (FileRealm.flights), as Elasticsearch's caching realms do
// (their cache holds a future per user that concurrent requests wait on).
// Without it, a burst of requests from one client after a start, a reload
// or a cache expiry runs one bcrypt per request: 16 at once kept a 2-core
// machine busy for half a second.
//
// Only the verdict is shared; every caller builds its own principal and
// records its own failure. The key is the credential cache's keyed digest
// of username and password, with the users-file generation, so requests
// with another password never wait on a verdict that is not theirs.

// flightKey identifies one verification: credentials and users generation.
type flightKey struct {
	digest [sha256.Size]byte
	gen    uint64
}

// verdict is a verification's outcome.
type verdict struct {
	ok    bool // the password matched
	known bool // the user exists (for the failure log)
}
