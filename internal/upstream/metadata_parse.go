package upstream

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// namespace is the cluster's index namespace as read from its responses,
// before it becomes an authz.Metadata.
type namespace struct {
	indices     []authz.ConcreteIndex
	aliases     map[string]*authz.Alias
	dataStreams []authz.DataStream
}

// clusterStateBody is the part of GET /_cluster/state/metadata the cache
// reads. Elasticsearch and OpenSearch write the same shape (API context):
// each index with "state" ("open"/"close"), nested "settings", "aliases" as
// an array of names and "system"; data streams under the "data_stream"
// custom metadata. Unknown fields are ignored, so an unfiltered body reads
// the same.
type clusterStateBody struct {
	Metadata struct {
		Indices map[string]struct {
			State    string `json:"state"`
			Settings struct {
				Index struct {
					Hidden flexBool `json:"hidden"`
					// The ingest pipelines every write runs.
					DefaultPipeline string `json:"default_pipeline"`
					FinalPipeline   string `json:"final_pipeline"`
					Search          struct {
						DefaultPipeline string `json:"default_pipeline"`
					} `json:"search"`
				} `json:"index"`
			} `json:"settings"`
			System  flexBool `json:"system"`
			Aliases []string `json:"aliases"`
		} `json:"indices"`
		DataStream struct {
			DataStream        map[string]dataStreamBody `json:"data_stream"`
			DataStreamAliases map[string]struct {
				DataStreams     []string `json:"data_streams"`
				WriteDataStream string   `json:"write_data_stream"`
			} `json:"data_stream_aliases"`
		} `json:"data_stream"`
	} `json:"metadata"`
}

// dataStreamBody is one data stream. Elasticsearch adds hidden, system and
// the failure store (8.x: "failure_indices"; later versions may nest the
// indices in a "failure_store" object); OpenSearch writes name, timestamp
// field, indices and generation only.
type dataStreamBody struct {
	Name           string          `json:"name"`
	Indices        []indexRef      `json:"indices"`
	Hidden         flexBool        `json:"hidden"`
	System         flexBool        `json:"system"`
	FailureIndices []indexRef      `json:"failure_indices"`
	FailureStore   json.RawMessage `json:"failure_store"`
}

type indexRef struct {
	IndexName string `json:"index_name"`
}

// parseClusterState reads the cluster state body.
func parseClusterState(body []byte) (*namespace, error) {
	var cs clusterStateBody
	if err := json.Unmarshal(body, &cs); err != nil {
		return nil, err
	}
	ns := &namespace{aliases: map[string]*authz.Alias{}}
	for name, ix := range cs.Metadata.Indices {
		if ix.State != "" && ix.State != "open" && ix.State != "close" {
			return nil, fmt.Errorf("index [%s] has unknown state [%s]", name, ix.State)
		}
		pipeline := ix.Settings.Index.Search.DefaultPipeline
		if pipeline == "_none" { // OpenSearch's name for no pipeline
			pipeline = ""
		}
		ingest := runsPipeline(ix.Settings.Index.DefaultPipeline) || runsPipeline(ix.Settings.Index.FinalPipeline)
		ns.indices = append(ns.indices, authz.ConcreteIndex{Name: name, Hidden: bool(ix.Settings.Index.Hidden),
			Closed: ix.State == "close", System: bool(ix.System), Aliases: ix.Aliases, SearchPipeline: pipeline, IngestPipeline: ingest})
		for _, a := range ix.Aliases {
			ns.alias(a) // membership travels in the index; the record takes the flags
		}
	}
	for key, ds := range cs.Metadata.DataStream.DataStream {
		name := ds.Name
		if name == "" {
			name = key
		}
		failures, err := failureIndices(ds)
		if err != nil {
			return nil, fmt.Errorf("data stream [%s]: %w", name, err)
		}
		ns.dataStreams = append(ns.dataStreams, authz.DataStream{Name: name, Indices: refNames(ds.Indices),
			FailureIndices: failures, Hidden: bool(ds.Hidden), System: bool(ds.System)})
	}
	for name, a := range cs.Metadata.DataStream.DataStreamAliases {
		al := ns.alias(name)
		al.DataStreams = append(al.DataStreams, a.DataStreams...)
		al.WriteIndex = a.WriteDataStream
	}
	ns.hideBackingIndices()
	return ns, nil
}

// hideBackingIndices marks data stream backing and failure-store indices
// hidden: Elasticsearch and OpenSearch create them so, and a snapshot that
// says otherwise must not let "*" reach them.
func (ns *namespace) hideBackingIndices() {
	backing := map[string]bool{}
	for _, ds := range ns.dataStreams {
		for _, ix := range ds.Indices {
			backing[ix] = true
		}
		for _, ix := range ds.FailureIndices {
			backing[ix] = true
		}
	}
	for i := range ns.indices {
		if backing[ns.indices[i].Name] {
			ns.indices[i].Hidden = true
		}
	}
}

// failureIndices reads the failure store's indices in either shape.
func failureIndices(ds dataStreamBody) ([]string, error) {
	out := refNames(ds.FailureIndices)
	if len(ds.FailureStore) == 0 || ds.FailureStore[0] != '{' {
		return out, nil // absent, or the 8.x boolean
	}
	var fs struct {
		Indices []indexRef `json:"indices"`
	}
	if err := json.Unmarshal(ds.FailureStore, &fs); err != nil {
		return nil, fmt.Errorf("failure_store: %w", err)
	}
	return append(out, refNames(fs.Indices)...), nil
}

func refNames(refs []indexRef) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if r.IndexName != "" {
			out = append(out, r.IndexName)
		}
	}
	return out
}

// alias returns the named alias record, creating it.
func (ns *namespace) alias(name string) *authz.Alias {
	a := ns.aliases[name]
	if a == nil {
		a = &authz.Alias{Name: name}
		ns.aliases[name] = a
	}
	return a
}

// applyAliasFlags reads GET /_alias (index -> aliases -> flags) and sets
// the hidden and write-index flags of the aliases the cluster state named.
// Aliases it does not name are ignored: membership comes from the cluster
// state alone.
func (ns *namespace) applyAliasFlags(body []byte) error {
	var byIndex map[string]struct {
		Aliases map[string]struct {
			IsWriteIndex flexBool `json:"is_write_index"`
			IsHidden     flexBool `json:"is_hidden"`
		} `json:"aliases"`
	}
	if err := json.Unmarshal(body, &byIndex); err != nil {
		return err
	}
	for index, entry := range byIndex {
		for name, flags := range entry.Aliases {
			a := ns.aliases[name]
			if a == nil {
				continue
			}
			if flags.IsHidden {
				a.Hidden = true
			}
			if flags.IsWriteIndex {
				a.WriteIndex = index
			}
		}
	}
	return nil
}

// metadata builds the immutable snapshot.
func (ns *namespace) metadata() *authz.Metadata {
	aliases := make([]authz.Alias, 0, len(ns.aliases))
	for _, a := range ns.aliases {
		aliases = append(aliases, *a)
	}
	return authz.NewMetadata(ns.indices, aliases, ns.dataStreams)
}

// rootBody is the part of GET / the cache reads.
type rootBody struct {
	Version struct {
		Distribution string `json:"distribution"`
		Number       string `json:"number"`
	} `json:"version"`
}

// runsSearchPipelines reads GET /: OpenSearch runs search pipelines since
// 2.9 (2.8 had them behind a feature flag); Elasticsearch has none.
func runsSearchPipelines(body []byte) (bool, error) {
	var rb rootBody
	if err := json.Unmarshal(body, &rb); err != nil {
		return false, err
	}
	if rb.Version.Distribution != "opensearch" {
		return false, nil
	}
	var major, minor int
	if _, err := fmt.Sscanf(rb.Version.Number, "%d.%d", &major, &minor); err != nil {
		return true, nil // an OpenSearch whose version we cannot read: assume it does
	}
	return major > 2 || (major == 2 && minor >= 9), nil
}

// flexBool reads a JSON boolean or its string form ("true"/"false"), as
// settings come back as strings.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(strings.Trim(string(data), `"`)) {
	case "true":
		*b = true
	case "false", "null", "":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", data)
	}
	return nil
}

// runsPipeline reports whether an index.default_pipeline or
// index.final_pipeline setting names a pipeline ("_none" and empty do
// not).
func runsPipeline(setting string) bool { return setting != "" && setting != "_none" }
