package main

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
	"github.com/portcullis-proxy/portcullis/internal/metrics"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// openNativeUsers opens the native realm over security.native_users (nil
// without it), with the file realm's credential cache settings.
func openNativeUsers(cfg *config.Config, log *zap.Logger, m *metrics.Metrics) (*authn.NativeRealm, error) {
	f := cfg.Security.NativeUsers
	if f == "" {
		return nil, nil
	}
	docs, err := jsonfile.OpenDocs(f, "users", func(err error) {
		log.Error("native users unreadable: none authenticates until the file is repaired", zap.String("file", f), zap.Error(err))
	})
	if err != nil {
		return nil, fmt.Errorf("security.native_users: %w", err)
	}
	realm, err := authn.NewNativeRealm(authn.NativeRealmOptions{Docs: docs,
		CacheTTL: cfg.Security.AuthCache.TTL, CacheMaxUsers: cfg.Security.AuthCache.MaxUsers,
		Logger: log.Named("native_realm"), Observer: m})
	if err != nil {
		return nil, fmt.Errorf("security.native_users: %w", err)
	}
	return realm, nil
}

// passwordRealms is the site's realm chain for usernames and passwords
// (Basic authentication, run_as lookups): the file realm, then the native
// realm when there is one, as Elasticsearch orders them.
func (st *siteStack) passwordRealms() authn.RealmChain {
	if st.users == nil {
		return authn.RealmChain{st.realm}
	}
	return authn.RealmChain{st.realm, st.users}
}

// userStore is the user API's store for server.Options (a nil interface
// without one).
func (st *siteStack) userStore() server.UserStore {
	if st.users == nil {
		return nil
	}
	return st.users
}
