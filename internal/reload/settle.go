package reload

import (
	"os"
	"time"
)

// SettleTime is how long a changed file must stay unmodified before a
// poll loads it. A file being written in place (truncated, then written in
// several steps) is read at some point as a prefix of what its writer
// means, and a prefix of a security file can grant more than the whole:
// "admin:alice,bobby" cut after "bob" gives admin to the user bob, a
// "- logs-*-public" pattern cut after "logs-*" grants every logs index, a
// role cut before its "query:" line loses its document-level security, and
// a role mapping's "all" rule cut after its first condition maps more
// users. Every write moves the modification time, so a file that has not
// changed for this long is, in practice, one its writer has finished.
// Explicit reloads (SIGHUP: the operator says the files are ready) do not
// wait.
const SettleTime = time.Second

// Settled reports whether none of paths (symlinks followed, as the loaders
// read them) was modified within SettleTime of now. A modification time
// further in the future is another clock's (a network file system's), not
// a write under way: it counts as settled, so that such files are loaded
// at all. A path that cannot be stat'ed counts as settled: the loaders
// treat a missing or unreadable file on their own, failing closed.
func Settled(now time.Time, paths ...string) bool {
	for _, p := range paths {
		if p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if age := now.Sub(fi.ModTime()); age < SettleTime && age > -SettleTime {
			return false
		}
	}
	return true
}
