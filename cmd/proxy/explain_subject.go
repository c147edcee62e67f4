package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/upstream"
)

// defaultExplainUser names the subject of --roles without --user.
const defaultExplainUser = "explain"

// explainSubject is the user a request is explained for, and where its
// roles come from: --roles as given, or --user's roles as at login.
func explainSubject(cfg *config.Config, user, roles string) (dls.User, string, error) {
	if roles != "" {
		list := splitRoles(roles)
		if user == "" {
			user = defaultExplainUser
		}
		return dls.User{Username: user, Roles: list}, "--roles", nil
	}
	fileRoles, known, err := fileRealmRoles(cfg, user)
	if err != nil {
		return dls.User{}, "", err
	}
	if known {
		return dls.User{Username: user, Roles: fileRoles}, "users_roles (file realm, as at login; no password needed)", nil
	}
	nativeRoles, known, err := nativeRealmRoles(cfg, user)
	if err != nil {
		return dls.User{}, "", err
	}
	if known {
		return dls.User{Username: user, Roles: nativeRoles}, "native realm (security.native_users, the user API's users, as at login; no password needed)", nil
	}
	if !cfg.Security.OIDC.Enabled {
		return dls.User{}, "", fmt.Errorf("user %q is not in the users file nor among the native users (or is disabled) and OIDC is disabled: it cannot log in", user)
	}
	mapped, err := mappedRoles(cfg, user)
	if err != nil {
		return dls.User{}, "", err
	}
	return dls.User{Username: user, Roles: mapped},
		"OIDC role mappings, matched on the username and realm only (token claims such as groups are unknown here; no token needed)", nil
}

func splitRoles(s string) []string {
	var out []string
	for r := range strings.SplitSeq(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fileRealmRoles are user's roles in users_roles, and whether the users
// file defines the user, read with the file realm's parsers.
func fileRealmRoles(cfg *config.Config, user string) ([]string, bool, error) {
	users, err := readSecurity(cfg.Security.Users, authn.ParseUsers)
	if err != nil {
		return nil, false, err
	}
	if _, ok := users[user]; !ok {
		return nil, false, nil
	}
	byUser, err := readSecurity(cfg.Security.UsersRoles, authn.ParseUsersRoles)
	if err != nil {
		return nil, false, err
	}
	return append([]string{}, byUser[user]...), true, nil
}

// readSecurity parses one security file; a missing file is empty, as
// for the file realm.
func readSecurity[V any](path string, parse func(string, []byte) (map[string]V, diag.Problems)) (map[string]V, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m, _ := parse(path, data) // bad lines are skipped, as the realm skips them; `proxy check` reports them
	return m, nil
}

// mappedRoles are the roles the OIDC role mappings give a principal of
// the configured realm with this username and no other claims.
func mappedRoles(cfg *config.Config, user string) ([]string, error) {
	o := cfg.Security.OIDC
	m, probs := authn.NewRoleMapperStore(o.RoleMapping)
	if probs.HasErrors() && m.Snapshot() == nil {
		return nil, fmt.Errorf("loading role mappings %s: %v", o.RoleMapping, probs)
	}
	if f := cfg.Security.NativeRoleMappings; f != "" { // the role-mapping API's, as serve adds them
		docs, err := jsonfile.OpenDocs(f, "role_mappings", ignoreLaterErrors)
		if err != nil {
			return nil, fmt.Errorf("security.native_role_mappings: %w", err)
		}
		_ = m.SetNative(docs) // entries with errors are skipped, as in serve
	}
	return m.Map(&authn.Principal{Username: user, Realm: o.RealmName, RealmType: o.RealmType}), nil
}

// nativeRealmRoles are the roles of an enabled user of the native realm
// (security.native_users), and whether there is one.
func nativeRealmRoles(cfg *config.Config, user string) ([]string, bool, error) {
	f := cfg.Security.NativeUsers
	if f == "" {
		return nil, false, nil
	}
	docs, err := jsonfile.OpenDocs(f, "users", ignoreLaterErrors)
	if err != nil {
		return nil, false, fmt.Errorf("security.native_users: %w", err)
	}
	realm, err := authn.NewNativeRealm(authn.NativeRealmOptions{Docs: docs, CacheTTL: -1})
	if err != nil {
		return nil, false, fmt.Errorf("security.native_users: %w", err)
	}
	p, ok := realm.Lookup(user)
	if !ok {
		return nil, false, nil
	}
	return p.Roles, true, nil
}

// explainRoles are the roles serve decides with: roles.yml, and the role
// API's roles when security.native_roles is set.
func explainRoles(cfg *config.Config) (*authz.RoleStore, error) {
	roles, err := authz.NewRoleStore(cfg.Security.Roles, zap.NewNop())
	if err != nil {
		return nil, fmt.Errorf("loading roles: %w", err)
	}
	if f := cfg.Security.NativeRoles; f != "" {
		docs, err := jsonfile.OpenDocs(f, "roles", ignoreLaterErrors)
		if err != nil {
			return nil, fmt.Errorf("security.native_roles: %w", err)
		}
		if err := roles.SetNative(docs); err != nil {
			return nil, fmt.Errorf("loading roles: %w", err)
		}
	}
	return roles, nil
}

// clusterMetadata reads the cluster's indices, aliases and data streams
// from node with serve's upstream settings and metadata code.
func clusterMetadata(ctx context.Context, cfg *config.Config, node string) (*authz.Metadata, error) {
	u, err := config.ParseNodeURL(node)
	if err != nil {
		return nil, fmt.Errorf("--cluster: %w", err)
	}
	ucfg := upstreamConfig(cfg)
	ucfg.Nodes = []*url.URL{u}
	up, err := upstream.New(ucfg, zap.NewNop(), nil)
	if err != nil {
		return nil, fmt.Errorf("--cluster: %w", err)
	}
	md := upstream.NewMetadataCache(up.Fetch, upstream.MetadataCacheConfig{}, zap.NewNop())
	if err := md.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("reading the cluster's metadata from %s: %w", node, err)
	}
	return md.Snapshot(), nil
}

// ignoreLaterErrors is the stores' read-failure hook in explain: the file
// was read once when opened (an error then is returned), and explain
// ends before a later read matters.
func ignoreLaterErrors(error) {}
