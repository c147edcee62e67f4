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
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// User is the part of a profile taken from the user's authentication at
// each activation.
type User struct {
	Username  string   `json:"username"`
	Roles     []string `json:"roles"`
	RealmName string   `json:"realm_name"`
	FullName  string   `json:"full_name,omitempty"`
	Email     string   `json:"email,omitempty"`
	// Issuer is authn.Principal.Issuer (a realm trusting several OpenID
	// providers): part of who the user is, never shown by the APIs.
	Issuer string `json:"issuer,omitempty"`
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

// errTaken means a uid belongs to a user of the same name in another
// realm: the next suffix is tried.
var errTaken = errors.New("profile: uid taken")

// FileStore is the profiles in one JSON file ({"profiles": {uid: …}}),
// safe for concurrent use; replicas may share it (jsonfile.Docs).
type FileStore struct {
	docs *jsonfile.Docs
	now  func() time.Time
}

// Open reads the store at path (missing: empty; unparsable: an error).
func Open(path string, log *zap.Logger) (*FileStore, error) {
	docs, err := jsonfile.OpenDocs(path, "profiles", func(err error) {
		log.Error("user profiles unreadable: no profile is found until the file is repaired", zap.String("file", path), zap.Error(err))
	})
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return &FileStore{docs: docs, now: time.Now}, nil
}

// Activate creates the profile of u's user name and realm, or refreshes
// its user part and enables it, and returns it. The uid is Elasticsearch's
// scheme: u_, the unpadded base64url of the user name's SHA-256, and _0,
// or the first suffix no user of the same name in another realm holds.
func (s *FileStore) Activate(u User) (Profile, error) {
	sum := sha256.Sum256([]byte(u.Username))
	base := "u_" + base64.RawURLEncoding.EncodeToString(sum[:]) + "_"
	for i := 0; ; i++ {
		uid := base + strconv.Itoa(i)
		out, err := s.update(uid, true, func(p *Profile) error {
			if p.UID != "" && (p.User.Username != u.Username || p.User.RealmName != u.RealmName || p.User.Issuer != u.Issuer) {
				return errTaken
			}
			if p.UID == "" {
				*p = Profile{UID: uid, Labels: map[string]any{}, Data: map[string]any{}, PrimaryTerm: 1}
			}
			p.User, p.Enabled, p.LastSynchronized = u, true, s.now().UnixMilli()
			return nil
		})
		if !errors.Is(err, errTaken) {
			return out, err
		}
	}
}

// Get returns the profiles of the uids that exist, in the order asked.
func (s *FileStore) Get(uids []string) []Profile {
	found := s.docs.Get(uids)
	var out []Profile
	for _, uid := range uids {
		if p, ok := decode(uid, found[uid]); ok {
			out = append(out, p)
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
	_, err := s.update(uid, false, func(p *Profile) error {
		if v.SeqNo != nil && *v.SeqNo != p.SeqNo || v.PrimaryTerm != nil && *v.PrimaryTerm != p.PrimaryTerm {
			return ErrConflict
		}
		p.Labels, p.Data = merge(p.Labels, labels), merge(p.Data, data)
		return nil
	})
	return err
}

// SetEnabled enables or disables a profile.
func (s *FileStore) SetEnabled(uid string, enabled bool) error {
	_, err := s.update(uid, false, func(p *Profile) error {
		p.Enabled = enabled
		return nil
	})
	return err
}

// Suggest returns up to size enabled profiles whose user name, full name
// or e-mail address has a word starting with name (all when name is
// empty), the hinted uids first, then by user name.
func (s *FileStore) Suggest(name string, size int, hintUIDs []string) (matched int, out []Profile) {
	name = strings.ToLower(strings.TrimSpace(name))
	var all []Profile
	for uid, raw := range s.docs.Get(nil) {
		if p, ok := decode(uid, raw); ok && p.Enabled && (name == "" || matchesName(p.User, name)) {
			all = append(all, p)
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

// update changes the profile uid under the file's lock and counts the
// change (SeqNo). A missing profile is ErrNotFound, unless create lets
// change make it (from a zero Profile); an error from change leaves the
// file as it was.
func (s *FileStore) update(uid string, create bool, change func(*Profile) error) (Profile, error) {
	var p Profile
	err := s.docs.Update(uid, func(cur json.RawMessage) (json.RawMessage, error) {
		p = Profile{}
		if cur != nil {
			if err := json.Unmarshal(cur, &p); err != nil {
				return nil, fmt.Errorf("profile %s: %w", uid, err)
			}
		} else if !create {
			return nil, ErrNotFound
		}
		if err := change(&p); err != nil {
			return nil, err
		}
		p.SeqNo++
		return json.Marshal(p)
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrConflict) && !errors.Is(err, errTaken) {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	return p, err
}

// decode reads the profile stored under uid; a document that does not
// decode, or is filed under another uid, is no profile.
func decode(uid string, raw json.RawMessage) (Profile, bool) {
	var p Profile
	return p, raw != nil && json.Unmarshal(raw, &p) == nil && p.UID == uid
}
