package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"go.uber.org/zap"
)

// Mapping versions. Field-level security judges fields with the indices'
// mappings, which MappingCache keeps for a TTL; a mapping changed
// meanwhile (a field alias of a hidden field added, an index deleted and
// created again under its name) would be judged with the old one, and a
// query on the new alias would read the hidden field. The proxy that
// forwards such a change drops its cache, but other replicas, and the
// cluster's own dynamic mapping updates, do not go through it: the
// periodic metadata refresh also reads each index's uuid and
// mapping_version, and a cached mapping is used only while they are those
// it was fetched under.

// mappingVersionsPath asks for each index's uuid and mapping version
// (hidden and closed ones included).
const mappingVersionsPath = "/_cluster/state/metadata/_all?expand_wildcards=all&filter_path=" +
	"metadata.indices.*.mapping_version,metadata.indices.*.settings.index.uuid"

// mappingVersions maps a concrete index to "uuid/mapping_version".
type mappingVersions map[string]string

// parseMappingVersions reads the body of mappingVersionsPath.
func parseMappingVersions(body []byte) (mappingVersions, error) {
	var cs struct {
		Metadata struct {
			Indices map[string]struct {
				MappingVersion json.Number `json:"mapping_version"`
				Settings       struct {
					Index struct {
						UUID string `json:"uuid"`
					} `json:"index"`
				} `json:"settings"`
			} `json:"indices"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &cs); err != nil {
		return nil, fmt.Errorf("mapping versions: %w", err)
	}
	out := make(mappingVersions, len(cs.Metadata.Indices))
	for name, ix := range cs.Metadata.Indices {
		if _, err := strconv.ParseInt(string(ix.MappingVersion), 10, 64); err != nil {
			return nil, fmt.Errorf("mapping versions: index [%s]: mapping_version %q", name, ix.MappingVersion)
		}
		out[name] = ix.Settings.Index.UUID + "/" + string(ix.MappingVersion)
	}
	return out, nil
}

// refreshMappingVersions reads the indices' mapping versions; a failure
// leaves them unknown (cached mappings then live for their TTL only).
func (c *MetadataCache) refreshMappingVersions(ctx context.Context) {
	body, err := c.get(ctx, mappingVersionsPath)
	var v mappingVersions
	if err == nil {
		v, err = parseMappingVersions(body)
	}
	if err != nil {
		c.log.Debug("index mapping versions unavailable; cached mappings are used until their TTL", zap.Error(err))
		v = nil
	}
	c.versions.Store(&v)
}

// MappingVersion returns the version of index's mapping as the last
// refresh saw it (its uuid and mapping_version), or false when unknown.
func (c *MetadataCache) MappingVersion(index string) (string, bool) {
	p := c.versions.Load()
	if p == nil || *p == nil {
		return "", false
	}
	v, ok := (*p)[index]
	return v, ok
}
