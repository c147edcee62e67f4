package cursor

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// Owner identifies who created a cursor. Two owners are the same only when
// every field is equal: unlike Elasticsearch, which ignores the realm name
// of file and native realms, Portcullis also tells apart two realms of the
// same type, so a user name reused in another realm never continues a
// cursor.
type Owner struct {
	// Username is the effective user (the run-as user, if any).
	Username string
	// RealmType is the type of the realm that authenticated the user.
	RealmType string
	// Realm is the configured name of that realm.
	Realm string
	// APIKeyID is the id of the API key the request authenticated with;
	// empty for other credentials. Two keys of the same user are two
	// owners, as in Elasticsearch.
	APIKeyID string
	// Issuer is authn.Principal.Issuer: the OpenID provider, in a realm
	// trusting several (Elasticsearch would have a realm per issuer).
	Issuer string
}

// OwnerOf returns the owner of the cursors p creates. Principals that
// authenticated with an API key get its id in APIKeyID.
func OwnerOf(p *authn.Principal) Owner {
	if p == nil {
		return Owner{}
	}
	o := Owner{Username: p.Username, RealmType: p.RealmType, Realm: p.Realm, Issuer: p.Issuer}
	if p.APIKey != nil { // another key of the same owner may not continue it
		o.APIKeyID = p.APIKey.ID
	}
	return o
}

// IsZero reports whether o names nobody (an unauthenticated request).
func (o Owner) IsZero() bool { return o == Owner{} }

// digest is a collision-resistant summary of o: every field is length
// prefixed, so ("ab","c") and ("a","bc") differ.
func (o Owner) digest() [sha256.Size]byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range [...]string{o.Username, o.RealmType, o.encodedRealm(), o.APIKeyID} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// sameOwner compares two owners in constant time with respect to their
// contents, so that timing does not reveal how much of a stolen token's
// owner matches the caller.
func sameOwner(a, b Owner) bool {
	da, db := a.digest(), b.digest()
	return subtle.ConstantTimeCompare(da[:], db[:]) == 1
}

// issuerSeparator joins the realm name and the issuer in the token's realm
// field: realm names are printable ASCII, so it never occurs in one, and an
// owner without an issuer encodes (and digests) as before owners had one.
const issuerSeparator = "\x00"

// encodedRealm is the realm field of tokens and digests: the realm name,
// followed by the issuer when there is one.
func (o Owner) encodedRealm() string {
	if o.Issuer == "" {
		return o.Realm
	}
	return o.Realm + issuerSeparator + o.Issuer
}

// decodeRealm splits a realm field (see encodedRealm).
func decodeRealm(field string) (realm, issuer string) {
	realm, issuer, _ = strings.Cut(field, issuerSeparator)
	return realm, issuer
}
