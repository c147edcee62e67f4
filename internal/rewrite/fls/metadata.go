package fls

// visibleMetadata are the metadata fields every user sees, whatever the
// field-level security: they identify or describe a document, they do not
// carry its content. Elasticsearch grants every "_*" name; the proxy lists
// them instead, so that a document field that merely starts with an
// underscore stays under the roles' rules.
var visibleMetadata = map[string]bool{
	"_id": true, "_index": true, "_type": true, "_routing": true, "_parent": true,
	"_size": true, "_timestamp": true, "_ttl": true, "_seq_no": true,
	"_primary_term": true, "_version": true, "_score": true, "_source": true,
	"_uid": true, "_doc": true, "_shard_doc": true, "_doc_count": true, "_tier": true,
	"_nested_path": true, "_feature": true, "_data_stream_timestamp": true,
	"_index_mode": true,
}

// hiddenMetadata are metadata fields whose values are field names or field
// values of the document: Elasticsearch filters their content inside
// Lucene, which a proxy cannot do, so under field-level security they are
// never visible as fields (queries, aggregations, field_caps, mappings).
//   - _field_names indexes the names of the fields a document has (an
//     exists or term query on it tells whether a hidden field is set);
//   - _ignored indexes the names of fields whose values were ignored;
//   - _tsid is built from the values of the time-series dimensions;
//   - _ignored_source and _recovery_source store field values.
var hiddenMetadata = map[string]bool{
	"_field_names": true, "_ignored": true, "_tsid": true,
	"_ignored_source": true, "_recovery_source": true,
}

// IsMetadataField reports whether name is a metadata field that every user
// sees (_id, _index, _routing, _source…).
func IsMetadataField(name string) bool { return visibleMetadata[name] }
