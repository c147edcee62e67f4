package authn

import (
	"context"
	"errors"
)

// UserLookup finds a user without credentials (run_as); FileRealm and
// NativeRealm implement it.
type UserLookup interface {
	Lookup(username string) (*Principal, bool)
}

// RealmChain is Elasticsearch's realm chain for a username and password:
// the realms are tried in order (the file realm, then the native realm),
// and a realm that refuses the credentials (*AuthError) passes them on to
// the next; the first success wins. Any other error (a cancelled request)
// ends the chain. When every realm refuses, the last refusal is returned:
// all realms word it alike, so it does not tell which realm knows the
// user.
type RealmChain []PasswordRealm

// Authenticate implements PasswordRealm.
func (c RealmChain) Authenticate(ctx context.Context, username, password string) (*Principal, error) {
	err := error(&AuthError{Username: username, Reason: reasonBadCredentials})
	for _, realm := range c {
		p, rerr := realm.Authenticate(ctx, username, password)
		var authErr *AuthError
		switch {
		case rerr == nil && p != nil:
			return p, nil
		case rerr == nil:
			return nil, errNilPrincipal
		case !errors.As(rerr, &authErr):
			return nil, rerr
		}
		err = rerr
	}
	return nil, err
}

// Lookup finds the user in the first realm of the chain that can look
// users up and knows it.
func (c RealmChain) Lookup(username string) (*Principal, bool) {
	for _, realm := range c {
		if l, ok := realm.(UserLookup); ok {
			if p, found := l.Lookup(username); found {
				return p, true
			}
		}
	}
	return nil, false
}
