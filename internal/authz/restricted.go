package authz

import (
	"net/url"
	"strings"
)

// Since 8.0 Elasticsearch treats every system index as restricted: an index
// pattern in a role, even "*" or an exact name, matches a restricted index
// only when its group sets allow_restricted_indices: true. The set is built
// at node start from the plugins' system index descriptors, which the proxy
// cannot ask the backend for (it has no security), so this is a fixed list.
//
// The list errs towards restricting too much (fail closed): a name wrongly
// listed only means that ordinary roles cannot reach it through "*". Every
// entry is an exact name or a literal prefix followed by '*'.
var restrictedIndexPatterns = []string{
	// Elasticsearch security, async results and tasks (restricted before 8.0 too).
	".security*", ".async-search*", ".tasks*",
	// Kibana, reporting, APM and Fleet system indices.
	".kibana*", ".reporting-*", ".apm-agent-configuration*", ".apm-custom-link*",
	".apm-source-map*", ".fleet*", ".ds-.fleet-*",
	// Machine learning, transforms, watcher, Logstash, enrich.
	".ml-config*", ".ml-meta*", ".ml-inference-*", ".transform-internal-*",
	".watches*", ".triggered_watches*", ".logstash*", ".enrich-*",
	// Ingest geoip, snapshots cache, search features, inference, connectors.
	".geoip_databases*", ".snapshot-blob-cache*", ".synonyms*", ".query-rules*",
	".inference*", ".secrets-inference*", ".connector-secrets*",
	".elastic-connectors*", ".ent-search*", ".search-app-*",
	// OpenSearch: the security plugin's configuration index and the plugins'
	// own indices (alerting destinations, ML connector credentials…).
	".opendistro_security", ".opendistro-*", ".opensearch-*", ".plugins-*",
	".ql-datasources",
}

// RestrictedIndexPatterns returns the restricted index patterns (a copy).
func RestrictedIndexPatterns() []string {
	return append([]string(nil), restrictedIndexPatterns...)
}

// IsRestrictedIndex reports whether a concrete index name is a restricted
// (system) index.
func IsRestrictedIndex(name string) bool {
	for _, p := range restrictedIndexPatterns {
		if stem, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(name, stem) {
				return true
			}
		} else if name == p {
			return true
		}
	}
	return false
}

// mayReachRestricted reports whether an index expression, as a client wrote
// it, could name or expand to a restricted index. It is deliberately
// generous: wildcards, "_all", date math, remote prefixes, "::" selectors and
// percent-encoding are all taken into account.
func mayReachRestricted(expr string) bool {
	for _, c := range expressionCandidates(expr) {
		if candidateMayReachRestricted(c) {
			return true
		}
	}
	return false
}

// expressionCandidates lists the strings an expression could stand for: the
// text itself, its decoded form, its comma-separated parts (should a caller
// pass a list unsplit), the part before a "::" selector and the part after a
// "cluster:" prefix.
func expressionCandidates(expr string) []string {
	cands := []string{expr}
	if strings.Contains(expr, "%") {
		if dec, err := url.PathUnescape(expr); err == nil {
			cands = append(cands, dec)
		}
	}
	for _, c := range cands {
		if strings.Contains(c, ",") {
			cands = append(cands, strings.Split(c, ",")...)
		}
	}
	for _, c := range cands {
		if before, _, ok := strings.Cut(c, "::"); ok {
			cands = append(cands, before)
		}
	}
	for _, c := range cands {
		if i := strings.LastIndexByte(c, ':'); i >= 0 {
			cands = append(cands, c[i+1:])
		}
	}
	return cands
}

func candidateMayReachRestricted(c string) bool {
	if c == "" || c == "_all" {
		return true
	}
	if strings.HasPrefix(c, "<") { // date math: only the text before '{' is known
		lit, _, _ := strings.Cut(c[1:], "{")
		return literalPrefixMayReachRestricted(lit)
	}
	if i := strings.IndexByte(c, '*'); i >= 0 {
		return literalPrefixMayReachRestricted(c[:i])
	}
	return IsRestrictedIndex(c)
}

// literalPrefixMayReachRestricted reports whether some name starting with lit
// is restricted.
func literalPrefixMayReachRestricted(lit string) bool {
	for _, p := range restrictedIndexPatterns {
		stem, isPrefix := strings.CutSuffix(p, "*")
		if strings.HasPrefix(stem, lit) || (isPrefix && strings.HasPrefix(lit, stem)) {
			return true
		}
	}
	return false
}

// isWildcardExpression reports whether an index expression can stand for
// more than one concrete name.
func isWildcardExpression(expr string) bool {
	return expr == "" || expr == "_all" || strings.ContainsAny(expr, "*<%:,")
}
