// Package session keeps browser login sessions on the server side: the
// browser holds only a small random token in a cookie, and everything the
// session knows (tokens from the OpenID provider, verified claims, times)
// is encrypted at rest in a Store shared by every replica.
//
// A Manager enforces the idle timeout (the store record's time to live,
// extended on use), the absolute lifespan, the per-user session limit
// (oldest evicted), and serialises updates of one session (token refresh)
// with a lock that the Redis backend holds across replicas with lease
// renewal. Backends (memory, Redis) store opaque encrypted records; the
// store key is a hash of the cookie token, so reading the store does not
// yield usable cookies.
package session
