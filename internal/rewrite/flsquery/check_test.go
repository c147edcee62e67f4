package flsquery

import (
	"fmt"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// recordingView wraps a view and records every field name it is asked
// about, so a second walk over a rewritten body lists the names in every
// field position the package knows.
type recordingView struct {
	inner FieldView
	asked *[]string
}

func (v recordingView) Visible(field string) bool {
	*v.asked = append(*v.asked, field)
	return v.inner.Visible(field)
}

func (v recordingView) Expand(pattern string) []string { return v.inner.Expand(pattern) }

// checkNoHiddenReference verifies a body rewritten for one view: walking
// it again must change nothing (a hidden or pseudo field left in a field
// position would be rewritten again), and every field name in a field
// position must be visible or the neutral field.
func checkNoHiddenReference(api API, out *esbody.Object, view FieldView) error {
	var asked []string
	rec := recordingView{inner: view, asked: &asked}
	again, err := RewriteBody(api, out, oneIndex("check", rec))
	if err != nil {
		return fmt.Errorf("the rewritten body is refused on a second walk: %w", err)
	}
	if !esbody.Equal(again, out) {
		a, _ := esbody.Encode(out)
		b, _ := esbody.Encode(again)
		return fmt.Errorf("a second walk changed the body:\n first: %s\nsecond: %s", a, b)
	}
	for _, name := range asked {
		if name != NeutralField && !view.Visible(name) {
			return fmt.Errorf("hidden field %q is still referenced", name)
		}
	}
	return nil
}
