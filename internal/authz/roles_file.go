package authz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// RoleSet is the set of roles a user's role names resolve against: the
// built-in roles plus the valid roles of roles.yml. It is immutable and safe
// for concurrent use.
type RoleSet struct {
	roles map[string]*Role
}

// Get returns the role with that name (case-sensitive, as in Elasticsearch).
func (rs *RoleSet) Get(name string) (*Role, bool) {
	if rs == nil {
		return nil, false
	}
	r, ok := rs.roles[name]
	return r, ok
}

// Names returns every role name, built-in ones included, sorted.
func (rs *RoleSet) Names() []string {
	if rs == nil {
		return nil
	}
	names := make([]string, 0, len(rs.roles))
	for name := range rs.roles {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func newRoleSet(file []*Role) *RoleSet {
	reserved := reservedRoles()
	rs := &RoleSet{roles: make(map[string]*Role, len(reserved)+len(file))}
	for name, r := range reserved {
		rs.roles[name] = r
	}
	for _, r := range file {
		rs.roles[r.name] = r
	}
	return rs
}

// LoadRolesFile reads and parses a roles.yml file. A missing file is not an
// error (only the built-in roles exist, with a warning); an unreadable one
// contributes no role at all.
func LoadRolesFile(path string) (*RoleSet, diag.Problems) {
	data, err := reload.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var probs diag.Problems
		probs.Warnf(path, 0, "roles file does not exist: only the built-in roles are defined")
		return newRoleSet(nil), probs
	}
	if err != nil {
		var probs diag.Problems
		probs.Errorf(path, 0, "cannot read roles file, no role is loaded from it: %v", err)
		return newRoleSet(nil), probs
	}
	return ParseRoles(path, data)
}

// ParseRoles parses the contents of a roles.yml file (file names it in
// problems). Each role with a problem is reported and left out; the other
// roles load. A file that is not valid YAML contributes no role.
func ParseRoles(file string, data []byte) (*RoleSet, diag.Problems) {
	fp := &fileParser{file: file, budget: aliasBudget, isReserved: IsReservedRoleName}
	roles := fp.parseFile(data)
	return newRoleSet(roles), fp.probs
}

// fileParser reads one roles file.
type fileParser struct {
	file     string
	probs    diag.Problems
	reserved bool // reading the built-in roles
	budget   int  // YAML nodes left for alias expansion
	// isReserved refuses built-in role names; nil while reading the built-in
	// roles themselves (a func value, so that building them does not depend
	// on itself).
	isReserved func(name string) bool
}

func (fp *fileParser) errorf(n *yaml.Node, format string, args ...any) {
	fp.probs.Errorf(fp.file, n.Line, format, args...)
}

func (fp *fileParser) parseFile(data []byte) []*Role {
	root := fp.decode(data)
	if root == nil || isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		fp.errorf(root, "a roles file must be a mapping of role names to role descriptors, found [%s]", tokenName(root))
		return nil
	}
	entries := pairs(root, func(n *yaml.Node, format string, args ...any) {
		fp.errorf(n, "%s; every definition of this role is ignored", fmt.Sprintf(format, args...))
	})
	dups := duplicateKeys(root)
	var roles []*Role
	for _, e := range entries {
		if dups[e.name] {
			continue
		}
		if r := fp.parseRole(e.key, e.val); r != nil {
			roles = append(roles, r)
		}
	}
	return roles
}

// duplicateKeys lists the keys defined more than once in a mapping: a role
// defined twice is dropped entirely, as we cannot tell which one was meant.
func duplicateKeys(n *yaml.Node) map[string]bool {
	count := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode {
			count[k.Value]++
		}
	}
	dups := map[string]bool{}
	for k, c := range count {
		if c > 1 {
			dups[k] = true
		}
	}
	return dups
}

// decode parses the YAML text into its root node; nil when there is nothing
// to read or on error (reported). Only one document is allowed.
func (fp *fileParser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; fail closed, not crash.
		if v := recover(); v != nil {
			fp.probs.Errorf(fp.file, 0, "invalid YAML, no role is loaded from this file: %v", v)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			fp.probs.Errorf(fp.file, yamlErrorLine(err), "invalid YAML, no role is loaded from this file: %v", err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		fp.probs.Errorf(fp.file, yamlErrorLine(err), "invalid YAML after the first document: %v", err)
	default:
		fp.probs.Errorf(fp.file, extra.Line, "a roles file must hold a single YAML document; "+
			"everything after the first document is ignored")
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return deref(doc.Content[0])
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlErrorLine extracts the line number from a yaml.v3 error message.
func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
