package audit

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// TimestampLayout is Elasticsearch's audit timestamp,
// yyyy-MM-dd'T'HH:mm:ss,SSSZ: milliseconds after a comma and a numeric
// offset without colon, e.g. 2020-12-30T22:30:06,949+0200.
const TimestampLayout = "2006-01-02T15:04:05,000-0700"

// RecordType is the value of the leading "type" key of every record.
const RecordType = "audit"

// Marshal renders the event as one line of Elasticsearch's audit layout,
// without the chain fields and without the trailing newline. Keys come in
// the order of Elasticsearch's log4j2 pattern:
//
//	type, timestamp, cluster.name, cluster.uuid, node.name, node.id,
//	host.name, host.ip, event.type, event.action, authentication.type,
//	user.name, user.run_by.name, user.run_as.name, user.realm,
//	user.realm_domain, user.run_by.realm, user.run_by.realm_domain,
//	user.run_as.realm, user.run_as.realm_domain, user.roles, apikey.id,
//	apikey.name, authentication.token.name, authentication.token.type,
//	origin.type, origin.address, realm, url.path, url.query, request.method,
//	request.body, request.id, action, request.name, indices, opaque_id,
//	trace.id, x_forwarded_for, transport.profile, rule, put, delete, change,
//	create, invalidate.
func Marshal(e *Event) []byte {
	b := appendEventFieldsAt(nil, e, e.Time)
	return append(b, '}')
}

// appendEventFieldsAt appends the record, stamped t, without its closing
// brace, so that the writer can add the chain fields.
func appendEventFieldsAt(b []byte, e *Event, t time.Time) []byte {
	b = append(b, `{"type":"audit","timestamp":"`...)
	b = appendTimestamp(b, t)
	b = append(b, '"')
	b = str(b, "cluster.name", e.ClusterName)
	b = str(b, "cluster.uuid", e.ClusterUUID)
	b = str(b, "node.name", e.NodeName)
	b = str(b, "node.id", e.NodeID)
	b = str(b, "host.name", e.HostName)
	b = str(b, "host.ip", e.HostIP)
	b = str(b, "event.type", e.EventType)
	b = str(b, "event.action", e.EventAction)
	b = str(b, "authentication.type", e.AuthenticationType)
	b = str(b, "user.name", e.UserName)
	b = str(b, "user.run_by.name", e.UserRunByName)
	b = str(b, "user.run_as.name", e.UserRunAsName)
	b = str(b, "user.realm", e.UserRealm)
	b = str(b, "user.realm_domain", e.UserRealmDomain)
	b = str(b, "user.run_by.realm", e.UserRunByRealm)
	b = str(b, "user.run_by.realm_domain", e.UserRunByDomain)
	b = str(b, "user.run_as.realm", e.UserRunAsRealm)
	b = str(b, "user.run_as.realm_domain", e.UserRunAsDomain)
	b = arr(b, "user.roles", e.UserRoles)
	b = str(b, "apikey.id", e.APIKeyID)
	b = str(b, "apikey.name", e.APIKeyName)
	b = str(b, "authentication.token.name", e.TokenName)
	b = str(b, "authentication.token.type", e.TokenType)
	b = str(b, "origin.type", e.OriginType)
	b = str(b, "origin.address", e.OriginAddress)
	b = str(b, "realm", e.Realm)
	b = str(b, "url.path", e.URLPath)
	b = str(b, "url.query", e.URLQuery)
	b = str(b, "request.method", e.RequestMethod)
	b = str(b, "request.body", e.RequestBody)
	b = str(b, "request.id", e.RequestID)
	b = str(b, "action", e.Action)
	b = str(b, "request.name", e.RequestName)
	b = arr(b, "indices", e.Indices)
	b = str(b, "opaque_id", e.OpaqueID)
	b = str(b, "trace.id", e.TraceID)
	b = str(b, "x_forwarded_for", e.XForwardedFor)
	b = str(b, "transport.profile", e.TransportProfile)
	b = str(b, "rule", e.Rule)
	if c := e.Change; c != nil && len(c.Object) > 0 {
		switch c.Verb {
		case VerbPut, VerbDelete, VerbChange, VerbCreate, VerbInvalidate:
			b = append(b, `,"`...)
			b = append(b, c.Verb...)
			b = append(b, `":`...)
			b = appendCompactObject(b, c.Object)
		}
	}
	return b
}

func str(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return appendJSONString(b, v)
}

// arr writes a JSON array of strings; nil is omitted, empty is [].
// Elasticsearch drops null elements; Go strings cannot be null.
func arr(b []byte, key string, vs []string) []byte {
	if vs == nil {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendCompactObject writes a JSON value on one line; an invalid value is
// written as a string so the record stays valid JSON.
func appendCompactObject(b []byte, raw json.RawMessage) []byte {
	if bytes.IndexAny(raw, "\r\n\u0085\u2028\u2029") < 0 && json.Valid(raw) {
		return append(b, raw...)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return appendJSONString(b, string(raw))
	}
	// Valid JSON holds these characters raw only inside strings, where
	// their escapes mean the same: the record stays one line for readers
	// that split on Unicode line boundaries (see appendJSONString).
	out := bytes.ReplaceAll(buf.Bytes(), []byte("\u0085"), []byte(`\u0085`))
	out = bytes.ReplaceAll(out, []byte("\u2028"), []byte(`\u2028`))
	out = bytes.ReplaceAll(out, []byte("\u2029"), []byte(`\u2029`))
	return append(b, out...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s the way log4j's %enc{…}{JSON} does: quote,
// backslash and control characters are escaped, everything else (including
// '<', '>' and '&', which encoding/json would escape) is written as is.
// Invalid UTF-8 becomes U+FFFD; U+2028, U+2029 and U+0085 (NEL) are escaped
// so the line stays one line for every JSON-lines reader, including those
// that split on Unicode line boundaries.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' || r == '\u0085' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ParseTimestamp parses an audit timestamp written with TimestampLayout.
func ParseTimestamp(s string) (time.Time, error) {
	return time.Parse(TimestampLayout, s)
}
