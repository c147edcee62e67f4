package esapi

// ingestAPIs lists ingest and search pipelines.
func ingestAPIs() []api {
	return []api{
		{name: "ingest.delete_pipeline", eps: []string{"DELETE /_ingest/pipeline/{id}"}, action: "cluster:admin/ingest/pipeline/delete", route: "ingest", body: BodyNone},
		{name: "ingest.get_pipeline", eps: []string{"GET /_ingest/pipeline", "GET /_ingest/pipeline/{id}"}, action: "cluster:admin/ingest/pipeline/get", route: "ingest", body: BodyNone},
		{name: "ingest.processor_grok", eps: []string{"GET /_ingest/processor/grok"}, action: "cluster:admin/ingest/processor/grok/get", route: "ingest", body: BodyNone},
		{name: "ingest.put_pipeline", eps: []string{"PUT /_ingest/pipeline/{id}"}, action: "cluster:admin/ingest/pipeline/put", route: "ingest", body: BodyJSON},
		{name: "ingest.simulate", eps: []string{"GET POST /_ingest/pipeline/_simulate", "GET POST /_ingest/pipeline/{id}/_simulate"}, action: "cluster:admin/ingest/pipeline/simulate", route: "ingest", body: BodyJSON},
		{name: "search_pipeline.delete", eps: []string{"DELETE /_search/pipeline/{id}"}, action: "cluster:admin/search/pipeline/delete", route: "ingest", body: BodyNone},
		{name: "search_pipeline.get", eps: []string{"GET /_search/pipeline", "GET /_search/pipeline/{id}"}, action: "cluster:admin/search/pipeline/get", route: "ingest", body: BodyNone},
		{name: "search_pipeline.put", eps: []string{"PUT /_search/pipeline/{id}"}, action: "cluster:admin/search/pipeline/put", route: "ingest", body: BodyJSON},
		{name: "ingest.delete_geoip_database", eps: []string{"DELETE /_ingest/geoip/database/{id}"}, action: "cluster:admin/ingest/geoip/database/delete", route: "ingest", body: BodyNone},
		{name: "ingest.delete_ip_location_database", eps: []string{"DELETE /_ingest/ip_location/database/{id}"}, action: "cluster:admin/ingest/geoip/database/delete", route: "ingest", body: BodyNone},
		{name: "ingest.geo_ip_stats", eps: []string{"GET /_ingest/geoip/stats"}, action: "cluster:monitor/ingest/geoip/stats", route: "ingest", body: BodyNone},
		{name: "ingest.get_geoip_database", eps: []string{"GET /_ingest/geoip/database", "GET /_ingest/geoip/database/{id}"}, action: "cluster:admin/ingest/geoip/database/get", route: "ingest", body: BodyNone},
		{name: "ingest.get_ip_location_database", eps: []string{"GET /_ingest/ip_location/database", "GET /_ingest/ip_location/database/{id}"}, action: "cluster:admin/ingest/geoip/database/get", route: "ingest", body: BodyNone},
		{name: "ingest.put_geoip_database", eps: []string{"PUT /_ingest/geoip/database/{id}"}, action: "cluster:admin/ingest/geoip/database/put", route: "ingest", body: BodyJSON},
		{name: "ingest.put_ip_location_database", eps: []string{"PUT /_ingest/ip_location/database/{id}"}, action: "cluster:admin/ingest/geoip/database/put", route: "ingest", body: BodyJSON},
		{name: "simulate.ingest", eps: []string{"GET POST /_ingest/_simulate", "GET POST /_ingest/{index}/_simulate"}, action: "indices:data/write/simulate/bulk", route: "ingest", body: BodyJSON, bodyIdx: true}, // docs' _index
	}
}
