package cursor

import (
	"fmt"
	"slices"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Binding is what a token binds a cluster id to: who created it, what it
// reached and under which restrictions.
type Binding struct {
	// Owner created the cursor; only the same owner may continue it.
	Owner Owner
	// Indices are the concrete indices the creating request reached. The
	// server re-authorizes later pages against them and filters their
	// responses like the first page's.
	Indices []string
	// Fingerprint is FingerprintOf the access that applied when the
	// cursor was created.
	Fingerprint Fingerprint
	// Created is when the cursor was created (kept when a later page's
	// id is wrapped again).
	Created time.Time
}

// NewBinding returns the binding of a cursor created now by owner, whose
// request reached indices under access (authz.Decision.Access).
func NewBinding(owner Owner, indices []string, access []authz.IndexAccess, now time.Time) Binding {
	return Binding{
		Owner:       owner,
		Indices:     slices.Clone(indices),
		Fingerprint: FingerprintOf(access),
		Created:     now,
	}
}

// SameOwner reports whether o is the binding's owner, comparing in
// constant time.
func (b Binding) SameOwner(o Owner) bool { return sameOwner(b.Owner, o) }

// SameRestrictions reports whether current is the fingerprint the cursor
// was created under, comparing in constant time.
func (b Binding) SameRestrictions(current Fingerprint) bool { return b.Fingerprint.Equal(current) }

// Check says whether owner may continue the cursor now that the
// restrictions that apply to the binding's indices have the fingerprint
// current: it fails with ErrNotOwner or ErrRestrictionsChanged.
//
// current must come from a fresh decision for the caller on b.Indices (the
// same action family as the request that created the cursor), so that a
// role lost or changed since then is seen.
func (b Binding) Check(owner Owner, current Fingerprint) error {
	if !b.SameOwner(owner) {
		return fmt.Errorf("cursor created by another owner: %w", ErrNotOwner)
	}
	if !b.SameRestrictions(current) {
		return fmt.Errorf("cursor created for user %q under other restrictions: %w", owner.Username, ErrRestrictionsChanged)
	}
	return nil
}
