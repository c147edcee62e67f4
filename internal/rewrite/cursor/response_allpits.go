package cursor

import (
	"fmt"
	"io"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// MaxAllPITsResponse bounds the GET _search/point_in_time/_all response
// FilterAllPITs reads: one small entry per point in time open in the
// cluster (OpenSearch allows 300 per node by default).
const MaxAllPITsResponse = 16 << 20

// FilterAllPITs turns OpenSearch's GET _search/point_in_time/_all response
// ({"pits":[{"pit_id":…,"creation_time":…,"keep_alive":…}]}) into the
// caller's own: an entry is kept only when own knows its cluster id
// (typically from the Registry), with pit_id replaced by the token own
// returns; every other entry, and any entry without a string pit_id, is
// dropped. Other members are kept in order.
func FilterAllPITs(dst io.Writer, src io.Reader, own func(upstreamID string) (token string, ok bool)) error {
	data, err := io.ReadAll(io.LimitReader(src, MaxAllPITsResponse+1))
	if err != nil {
		return fmt.Errorf("cursor: read PIT list: %w", err)
	}
	if len(data) > MaxAllPITsResponse {
		return fmt.Errorf("cursor: PIT list larger than %d bytes", MaxAllPITsResponse)
	}
	doc, err := esbody.ParseObject(data)
	if err != nil {
		return fmt.Errorf("cursor: parse PIT list: %w", err)
	}
	v, _ := doc.Get("pits")
	pits, ok := v.(esbody.Array)
	if !ok {
		return fmt.Errorf("cursor: PIT list without a pits array")
	}
	kept := esbody.Array{}
	for _, e := range pits {
		if entry, ok := ownPIT(e, own); ok {
			kept = append(kept, entry)
		}
	}
	doc.Set("pits", kept)
	out, err := esbody.Encode(doc)
	if err != nil {
		return fmt.Errorf("cursor: encode PIT list: %w", err)
	}
	if _, err := dst.Write(out); err != nil {
		return fmt.Errorf("cursor: write PIT list: %w", err)
	}
	return nil
}

// ownPIT returns the entry with its token when own knows its id.
func ownPIT(e esbody.Value, own func(string) (string, bool)) (*esbody.Object, bool) {
	entry, ok := esbody.AsObject(e)
	if !ok {
		return nil, false
	}
	id, ok := esbody.Lookup(entry, openSearchPITID)
	if !ok {
		return nil, false
	}
	s, ok := esbody.AsString(id)
	if !ok {
		return nil, false
	}
	token, ok := own(s)
	if !ok {
		return nil, false
	}
	entry.Set(openSearchPITID, esbody.String(token))
	return entry, true
}
