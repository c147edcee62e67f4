package apikey

import (
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// Scheme is the Authorization scheme of API keys.
const Scheme = "ApiKey"

// maxCredentialBytes bounds the header value decoded (an id and a secret
// are about 45 characters).
const maxCredentialBytes = 512

// Authenticator authenticates "Authorization: ApiKey base64(id:api_key)"
// against a FileStore. The principal is the key's owner, in the
// _es_api_key realm, with the owner's role names at the key's creation and
// APIKey set: authorization limits it by the key's role descriptors.
type Authenticator struct {
	store *FileStore
	now   func() time.Time
}

// NewAuthenticator returns the authenticator of the keys in store.
func NewAuthenticator(store *FileStore) *Authenticator {
	return &Authenticator{store: store, now: time.Now}
}

// Authenticate implements authn.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (*authn.Principal, error) {
	encoded, ok := credentials(r)
	if !ok {
		return nil, authn.ErrNoCredentials
	}
	id, secret, err := decode(encoded)
	if err != nil {
		return nil, &authn.AuthError{Reason: "api key: " + err.Error()}
	}
	k, ok := a.store.Lookup(id)
	if !ok {
		return nil, &authn.AuthError{APIKeyID: id, Reason: "api key: unknown id"}
	}
	match, err := verifySecret(k.Hash, secret)
	switch {
	case err != nil:
		return nil, &authn.AuthError{APIKeyID: id, Reason: "api key: " + err.Error()}
	case !match:
		return nil, &authn.AuthError{APIKeyID: id, Reason: "api key: invalid credentials"}
	case k.Invalidated:
		return nil, &authn.AuthError{APIKeyID: id, Reason: "api key: api key has been invalidated"}
	case k.Expired(a.now()):
		return nil, &authn.AuthError{APIKeyID: id, Reason: "api key: api key is expired"}
	}
	return Principal(&k), nil
}

// Principal is the principal of a request authenticated with k.
func Principal(k *Key) *authn.Principal {
	roles := slices.Clone(k.OwnerRoles)
	slices.Sort(roles)
	return &authn.Principal{
		Username: k.Username, Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm,
		Roles: slices.Compact(roles), FullName: k.OwnerFullName, Email: k.OwnerEmail,
		Metadata: maps.Clone(k.OwnerMetadata), // the owner's, never the key's own (a creator could forge DLS values)
		APIKey: &authn.APIKeyRef{ID: k.ID, Name: k.Name, RoleDescriptors: k.RoleDescriptors, Metadata: maps.Clone(k.Metadata),
			OwnerRealmType: k.RealmType},
	}
}

// credentials returns the base64 part of an ApiKey Authorization header.
func credentials(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, Scheme) {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

type decodeError string

func (e decodeError) Error() string { return string(e) }

// decode splits base64(id:secret).
func decode(encoded string) (id, secret string, err error) {
	if len(encoded) > maxCredentialBytes {
		return "", "", decodeError("credentials too long")
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", decodeError("credentials are not valid base64")
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" || secret == "" {
		return "", "", decodeError("credentials are not of the form id:api_key")
	}
	return id, secret, nil
}

// Created is what creating a key returns once: the secret is not kept.
type Created struct {
	Key    Key
	Secret string
	// Encoded is base64(id:secret), the Authorization header's value.
	Encoded string
}

// New makes a key for the owner: a random id and secret, the secret's
// hash, creation now and, when ttl > 0, expiration now + ttl. It is not
// stored yet.
func New(name string, owner *authn.Principal, descriptors []byte, metadata map[string]any, ttl time.Duration, now time.Time) (*Created, error) {
	id, err := newToken(idBytes)
	if err != nil {
		return nil, err
	}
	secret, err := newToken(secretBytes)
	if err != nil {
		return nil, err
	}
	hash, err := hashSecret(secret)
	if err != nil {
		return nil, err
	}
	k := Key{
		ID: id, Name: name, Hash: hash, Creation: now.UnixMilli(),
		Username: owner.Username, Realm: owner.Realm, RealmType: owner.RealmType, OwnerIssuer: owner.Issuer,
		OwnerRoles: slices.Clone(owner.Roles), OwnerFullName: owner.FullName, OwnerEmail: owner.Email,
		OwnerMetadata: maps.Clone(owner.Metadata), RoleDescriptors: descriptors, Metadata: metadata,
	}
	if ttl > 0 {
		k.Expiration = now.Add(ttl).UnixMilli()
	}
	return &Created{Key: k, Secret: secret, Encoded: base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))}, nil
}

// RefreshOwner takes the owner's current roles and attributes, as an
// update of the key does in Elasticsearch (it renews the snapshot the key
// is limited by).
func (k *Key) RefreshOwner(owner *authn.Principal) {
	k.OwnerRoles = slices.Clone(owner.Roles)
	k.OwnerIssuer = owner.Issuer
	k.OwnerFullName, k.OwnerEmail, k.OwnerMetadata = owner.FullName, owner.Email, maps.Clone(owner.Metadata)
}
