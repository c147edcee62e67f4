// Package apikey holds Elasticsearch-style API keys: the keys the proxy
// creates through POST /_security/api_key, their durable store, and the
// authenticator of "Authorization: ApiKey base64(id:api_key)".
//
// The cluster behind the proxy has no security index, so the proxy keeps
// the keys itself, in one JSON file that every replica may share (a shared
// volume): writes take an exclusive lock and replace the file atomically;
// readers poll it and re-read it when an unknown key id is presented. Only
// a salted SHA-256 digest of each secret is stored (a key's secret is 128
// random bits, so a slow password hash buys nothing), compared in constant
// time.
package apikey
