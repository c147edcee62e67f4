package server

import (
	"fmt"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// privilegesBodyError is a has_privileges body Elasticsearch refuses with
// 400 parse_exception (RoleDescriptor.parsePrivilegesToCheck).
type privilegesBodyError struct{ reason string }

func (e *privilegesBodyError) Error() string { return e.reason }

func bodyErrorf(format string, args ...any) error {
	return &privilegesBodyError{reason: fmt.Sprintf(format, args...)}
}

// parsePrivilegesCheck reads a has_privileges body ({"cluster":[…],
// "index":[…],"application":[…]}) as Elasticsearch does, with its error
// messages; description is "<user>/has_privileges". Unknown fields,
// field_security and query are refused, as there.
func parsePrivilegesCheck(description string, body esbody.Value) (authz.PrivilegesCheck, error) {
	var check authz.PrivilegesCheck
	if body == nil {
		return check, bodyErrorf("request body or source parameter is required")
	}
	obj, ok := esbody.AsObject(body)
	if !ok {
		return check, bodyErrorf("failed to parse privileges check [%s]. expected an object but found [%s] instead", description, tokenName(body))
	}
	seen := false
	for name, v := range obj.All() {
		var err error
		switch name {
		case "cluster":
			check.Cluster, err = readStringArray(description, v, true)
			seen = seen || check.Cluster != nil
		case "index":
			check.Index, err = parseIndexChecks(description, v)
			seen = seen || check.Index != nil
		case "application":
			check.Application, err = parseApplicationChecks(description, v)
			seen = seen || check.Application != nil
		default:
			err = bodyErrorf("failed to parse privileges check [%s]. unexpected field [%s]", description, name)
		}
		if err != nil {
			return check, err
		}
	}
	if !seen {
		return check, bodyErrorf("failed to parse privileges check [%s]. All privilege fields [cluster,index,application] are missing", description)
	}
	return check, nil
}

func parseIndexChecks(description string, v esbody.Value) ([]authz.IndexPrivilegesCheck, error) {
	arr, ok := esbody.AsArray(v)
	if !ok {
		return nil, bodyErrorf("failed to parse indices privileges for role [%s]. expected field [index] value to be an array, but found [%s] instead", description, tokenName(v))
	}
	out := make([]authz.IndexPrivilegesCheck, 0, len(arr))
	for _, item := range arr {
		ic, err := parseIndexCheck(description, item)
		if err != nil {
			return nil, err
		}
		out = append(out, ic)
	}
	return out, nil
}

func parseIndexCheck(description string, v esbody.Value) (authz.IndexPrivilegesCheck, error) {
	var ic authz.IndexPrivilegesCheck
	obj, ok := esbody.AsObject(v)
	if !ok {
		return ic, bodyErrorf("failed to parse indices privileges for role [%s]. expected field [index] value to be an array of objects, but found an array element of type [%s]", description, tokenName(v))
	}
	var hasNames, hasPrivileges bool
	for name, fv := range obj.All() {
		var err error
		switch name {
		case "names":
			hasNames = true
			ic.Names, err = readNames(description, fv)
		case "privileges":
			ic.Privileges, err = readStringArray(description, fv, true)
			hasPrivileges = ic.Privileges != nil
		case "allow_restricted_indices":
			b, isBool := esbody.AsBool(fv)
			if !isBool {
				err = bodyErrorf("failed to parse indices privileges for role [%s]. expected field [%s] value to be a boolean, but found [%s] instead", description, name, tokenName(fv))
			}
			ic.AllowRestrictedIndices = b
		case "field_security", "query":
			err = bodyErrorf("Field [%s] is not supported in a has_privileges request", name)
		default:
			err = bodyErrorf("failed to parse indices privileges for role [%s]. unexpected field [%s]", description, name)
		}
		if err != nil {
			return ic, err
		}
	}
	switch {
	case !hasNames:
		return ic, bodyErrorf("failed to parse indices privileges for role [%s]. missing required [names] field", description)
	case !hasPrivileges:
		return ic, bodyErrorf("failed to parse indices privileges for role [%s]. missing required [privileges] field", description)
	}
	return ic, nil
}

// readNames reads "names": a string or a non-empty array of strings.
func readNames(description string, v esbody.Value) ([]string, error) {
	if s, ok := esbody.AsString(v); ok {
		return []string{s}, nil
	}
	if _, ok := esbody.AsArray(v); !ok {
		return nil, bodyErrorf("failed to parse indices privileges for role [%s]. expected field [names] value to be a string or an array of strings, but found [%s] instead", description, tokenName(v))
	}
	names, err := readStringArray(description, v, false)
	if err == nil && len(names) == 0 {
		err = bodyErrorf("failed to parse indices privileges for role [%s]. [names] cannot be an empty array", description)
	}
	return names, err
}

func parseApplicationChecks(description string, v esbody.Value) ([]authz.ApplicationPrivilegesCheck, error) {
	arr, ok := esbody.AsArray(v)
	if !ok {
		return nil, bodyErrorf("failed to parse application privileges for role [%s]. expected field [application] value to be an array, but found [%s] instead", description, tokenName(v))
	}
	out := make([]authz.ApplicationPrivilegesCheck, 0, len(arr))
	for _, item := range arr {
		obj, ok := esbody.AsObject(item)
		if !ok {
			return nil, bodyErrorf("failed to parse application privileges for role [%s]. expected field [application] value to be an array of objects, but found an array element of type [%s]", description, tokenName(item))
		}
		ac, err := parseApplicationCheck(description, obj)
		if err != nil {
			return nil, err
		}
		out = append(out, ac)
	}
	return out, nil
}

func parseApplicationCheck(description string, obj *esbody.Object) (authz.ApplicationPrivilegesCheck, error) {
	var ac authz.ApplicationPrivilegesCheck
	var hasApplication bool
	for name, v := range obj.All() {
		var err error
		switch name {
		case "application":
			s, ok := esbody.AsString(v)
			if !ok {
				err = bodyErrorf("failed to parse application privileges for role [%s]. expected field [application] value to be a string, but found [%s] instead", description, tokenName(v))
			}
			ac.Application, hasApplication = s, true
		case "privileges":
			ac.Privileges, err = readStringArray(description, v, false)
		case "resources":
			ac.Resources, err = readStringArray(description, v, false)
		default:
			err = bodyErrorf("failed to parse application privileges for role [%s]. unexpected field [%s]", description, name)
		}
		if err != nil {
			return ac, err
		}
	}
	if !hasApplication || ac.Privileges == nil || ac.Resources == nil {
		return ac, bodyErrorf("failed to parse application privileges for role [%s]. fields [application], [privileges] and [resources] are required", description)
	}
	return ac, nil
}

// readStringArray reads an array of strings (null too when allowNull,
// giving nil), as RoleDescriptor.readStringArray.
func readStringArray(description string, v esbody.Value, allowNull bool) ([]string, error) {
	if v.Kind() == esbody.KindNull && allowNull {
		return nil, nil
	}
	arr, ok := esbody.AsArray(v)
	if !ok {
		return nil, bodyErrorf("failed to parse role [%s]", description)
	}
	out := make([]string, 0, len(arr))
	for _, item := range arr {
		s, ok := esbody.AsString(item)
		if !ok {
			return nil, bodyErrorf("failed to parse role [%s]", description)
		}
		out = append(out, s)
	}
	return out, nil
}

// tokenName is the XContent token Elasticsearch names in its messages.
func tokenName(v esbody.Value) string {
	switch v.Kind() {
	case esbody.KindObject:
		return "START_OBJECT"
	case esbody.KindArray:
		return "START_ARRAY"
	case esbody.KindString:
		return "VALUE_STRING"
	case esbody.KindNumber:
		return "VALUE_NUMBER"
	case esbody.KindBool:
		return "VALUE_BOOLEAN"
	}
	return "VALUE_NULL"
}
