package authn

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// Reload re-reads both files and, when either changed (by content hash),
// swaps in the new state and clears the credential cache so that removed
// users, new passwords and new roles apply to the next request. If the users
// file cannot be read, every user is removed (fail closed, as in
// Elasticsearch) and err says why; err is non-nil as long as a file stays
// unreadable, while changed is true only on the poll that saw the change.
func (r *FileRealm) Reload() (changed bool, err error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	cur := r.state.Load()
	u, ro := readSecurityFile(r.usersPath), readSecurityFile(r.rolesPath)
	if u.sum == cur.usersSum && ro.sum == cur.rolesSum {
		return false, cur.err
	}
	s := buildSnapshot(r.usersPath, r.rolesPath, u, ro)
	s.gen = cur.gen + 1
	if err := r.attachDummy(s); err != nil {
		r.log.Error("file realm keeps its previous dummy hash", zap.Error(err))
		s.dummy = cur.dummy
	}
	r.state.Store(s)
	if r.cache != nil {
		r.cache.clear()
	}
	r.logLoad(s)
	return true, s.err
}

// Poll is Watch's check: Reload, unless a file was modified within
// reload.SettleTime, when it may be half-written (see reload.SettleTime);
// the next poll loads it then.
func (r *FileRealm) Poll() (changed bool, err error) {
	if !reload.Settled(r.now(), r.usersPath, r.rolesPath) {
		return false, r.state.Load().err
	}
	return r.Reload()
}

// Watch polls both files every interval (DefaultWatchInterval when <= 0) and
// reloads on change (once the files settled: Poll), until ctx is done. Polling by content, rather than
// watching inodes, survives editors that replace files and Kubernetes
// ConfigMap symlink swaps alike.
func (r *FileRealm) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	reload.Poll(ctx, interval, func() { _, _ = r.Poll() }) // Reload logs what changed and any error
}

// logLoad reports a (re)load. Problem messages name file:line and users but
// never contain a hash.
func (r *FileRealm) logLoad(s *snapshot) {
	for _, p := range s.problems {
		if p.Severity == diag.Error {
			r.log.Error("file realm problem", zap.String("problem", p.String()))
		} else {
			r.log.Warn("file realm problem", zap.String("problem", p.String()))
		}
	}
	if s.err != nil {
		r.log.Error("file realm could not read its files; affected users or roles removed", zap.Error(s.err))
	}
	r.log.Info("file realm loaded", zap.Int("users", len(s.users)),
		zap.Int("users_with_roles", len(s.roles)), zap.Uint64("generation", s.gen))
}
