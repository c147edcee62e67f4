// Package profile keeps Elasticsearch's user profiles (the
// /_security/profile APIs): one document per user and realm, which Kibana
// activates at every login, reads and writes its user settings in, and
// searches when users are assigned to cases. The cluster behind the proxy
// has no security index, so the proxy keeps them in one JSON file, which
// replicas may share (internal/jsonfile).
package profile

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// refreshEvery is how often a read checks the file for other replicas'
// changes.
const refreshEvery = time.Second

// User is the part of a profile taken from the user's authentication at
// each activation.
type User struct {
	Username  string   `json:"username"`
	Roles     []string `json:"roles"`
	RealmName string   `json:"realm_name"`
	FullName  string   `json:"full_name,omitempty"`
	Email     string   `json:"email,omitempty"`
}

// Profile is one user profile.
type Profile struct {
	UID     string `json:"uid"`
	Enabled bool   `json:"enabled"`
	// LastSynchronized is when User was last taken from an activation
	// (epoch milliseconds).
	LastSynchronized int64          `json:"last_synchronized"`
	User             User           `json:"user"`
	Labels           map[string]any `json:"labels"`
	Data             map[string]any `json:"data"`
	// SeqNo counts the changes (Elasticsearch's _seq_no: what if_seq_no
	// compares with); PrimaryTerm is always 1 here.
	SeqNo       int64 `json:"seq_no"`
	PrimaryTerm int64 `json:"primary_term"`
}

// ErrNotFound means no profile has the uid.
var ErrNotFound = errors.New("profile: no such profile")

// ErrConflict means a change's if_seq_no/if_primary_term no longer match.
var ErrConflict = errors.New("profile: version conflict")

type fileFormat struct {
	Profiles profiles `json:"profiles"`
}

// profiles is one reading of the file, by uid. Never modified once
// published.
type profiles map[string]*Profile

// FileStore is the profiles in one JSON file, safe for concurrent use.
type FileStore struct {
	path  string
	cache *jsonfile.Cached[profiles]
	write sync.Mutex
	now   func() time.Time
}

// Open reads the store at path (missing: empty; unparsable: an error).
func Open(path string, log *zap.Logger) (*FileStore, error) {
	s := &FileStore{path: path, now: time.Now}
	cache, err := jsonfile.NewCached(path, s.read, time.Now, profiles{}, func(err error) {
		log.Error("user profiles unreadable: no profile is found until the file is repaired", zap.String("file", path), zap.Error(err))
	})
	if err != nil {
		return nil, err
	}
	s.cache = cache
	return s, nil
}

// Activate creates the profile of u's user name and realm, or refreshes
// its user part and enables it, and returns it.
func (s *FileStore) Activate(u User) (Profile, error) {
	var out Profile
	err := s.update(func(ps profiles) error {
		p := findUser(ps, u.Username, u.RealmName)
		if p == nil {
			p = &Profile{UID: freeUID(ps, u.Username), Labels: map[string]any{}, Data: map[string]any{}, PrimaryTerm: 1}
		}
		p.User, p.Enabled, p.LastSynchronized = u, true, s.now().UnixMilli()
		p.SeqNo++
		ps[p.UID] = p
		out = *p
		return nil
	})
	return out, err
}

// findUser returns the profile of a user name in a realm, or nil.
func findUser(ps profiles, username, realm string) *Profile {
	for _, p := range ps {
		if p.User.Username == username && p.User.RealmName == realm {
			c := *p
			return &c
		}
	}
	return nil
}

// freeUID is Elasticsearch's uid scheme: u_, the unpadded base64url of
// the user name's SHA-256, and _0, or the first free suffix when a user of
// the same name in another realm has that one.
func freeUID(ps profiles, username string) string {
	sum := sha256.Sum256([]byte(username))
	base := "u_" + base64.RawURLEncoding.EncodeToString(sum[:]) + "_"
	for i := 0; ; i++ {
		if uid := base + strconv.Itoa(i); ps[uid] == nil {
			return uid
		}
	}
}

// Get returns the profiles of the uids that exist, in the order asked.
func (s *FileStore) Get(uids []string) []Profile {
	s.cache.Refresh(refreshEvery)
	ps := s.cache.Load()
	var out []Profile
	for _, uid := range uids {
		if p := ps[uid]; p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// Version pins a change to a profile version (if_seq_no and
// if_primary_term); nil fields are not checked.
type Version struct {
	SeqNo       *int64
	PrimaryTerm *int64
}

// UpdateData merges labels and data into the profile's (objects merged
// key by key, other values replaced, as a partial document update).
func (s *FileStore) UpdateData(uid string, labels, data map[string]any, v Version) error {
	return s.update(func(ps profiles) error {
		cur := ps[uid]
		if cur == nil {
			return ErrNotFound
		}
		if v.SeqNo != nil && *v.SeqNo != cur.SeqNo || v.PrimaryTerm != nil && *v.PrimaryTerm != cur.PrimaryTerm {
			return ErrConflict
		}
		p := *cur
		p.Labels, p.Data = merge(p.Labels, labels), merge(p.Data, data)
		p.SeqNo++
		ps[uid] = &p
		return nil
	})
}

// SetEnabled enables or disables a profile.
func (s *FileStore) SetEnabled(uid string, enabled bool) error {
	return s.update(func(ps profiles) error {
		cur := ps[uid]
		if cur == nil {
			return ErrNotFound
		}
		p := *cur
		p.Enabled = enabled
		p.SeqNo++
		ps[uid] = &p
		return nil
	})
}

// Suggest returns up to size enabled profiles whose user name, full name
// or e-mail address has a word starting with name (all when name is
// empty), the hinted uids first, then by user name.
func (s *FileStore) Suggest(name string, size int, hintUIDs []string) (matched int, out []Profile) {
	s.cache.Refresh(refreshEvery)
	name = strings.ToLower(strings.TrimSpace(name))
	var all []Profile
	for _, p := range s.cache.Load() {
		if p.Enabled && (name == "" || matchesName(p.User, name)) {
			all = append(all, *p)
		}
	}
	slices.SortFunc(all, func(a, b Profile) int {
		ha, hb := slices.Contains(hintUIDs, a.UID), slices.Contains(hintUIDs, b.UID)
		if ha != hb {
			if ha {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.User.Username, b.User.Username), cmp.Compare(a.UID, b.UID))
	})
	return len(all), all[:min(size, len(all))]
}

// matchesName reports whether a word of the user's names starts with
// name (lower case).
func matchesName(u User, name string) bool {
	for _, field := range []string{u.Username, u.FullName, u.Email} {
		for _, word := range strings.FieldsFunc(strings.ToLower(field), func(r rune) bool {
			return r == ' ' || r == '.' || r == '@' || r == '_' || r == '-'
		}) {
			if strings.HasPrefix(word, name) {
				return true
			}
		}
		if strings.HasPrefix(strings.ToLower(field), name) {
			return true
		}
	}
	return false
}

// merge returns base with patch merged in: objects key by key, any other
// value replaced. Neither argument is modified.
func merge(base, patch map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range patch {
		if pv, ok := v.(map[string]any); ok {
			if bv, ok := out[k].(map[string]any); ok {
				out[k] = merge(bv, pv)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// update changes the file's current content under the lock; change
// returning an error leaves the file as it was.
func (s *FileStore) update(change func(profiles) error) error {
	s.write.Lock()
	defer s.write.Unlock()
	unlock, err := jsonfile.Lock(s.path)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer unlock()
	cur, _, err := s.read() // another replica may have written since
	if err != nil {
		return err
	}
	next := maps.Clone(cur)
	if err := change(next); err != nil {
		return err
	}
	if err := jsonfile.Write(s.path, fileFormat{Profiles: next}); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	written, st, err := s.read()
	if err != nil {
		return err
	}
	s.cache.Store(written, st)
	return nil
}

func (s *FileStore) read() (profiles, jsonfile.Stamp, error) {
	var ff fileFormat
	st, _, err := jsonfile.Read(s.path, &ff)
	if err != nil {
		return nil, st, fmt.Errorf("profile: %w", err)
	}
	if ff.Profiles == nil {
		ff.Profiles = profiles{}
	}
	for uid, p := range ff.Profiles {
		if p == nil || p.UID != uid {
			return nil, st, fmt.Errorf("profile: %s: profile %s is not filed under its own uid", s.path, uid)
		}
	}
	return ff.Profiles, st, nil
}
