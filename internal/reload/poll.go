// Package reload holds what the reloadable stores (users, roles,
// certificates) share: polling their files for changes.
package reload

import (
	"context"
	"time"
)

// Poll calls check every interval until ctx is done. Polling, rather than
// inotify, also follows the symlink swaps with which Kubernetes updates
// mounted ConfigMaps and Secrets. check is expected to compare contents and
// reload only on change; it logs its own errors.
func Poll(ctx context.Context, interval time.Duration, check func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			check()
		}
	}
}
