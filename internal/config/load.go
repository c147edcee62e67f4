package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// LookupEnv resolves ${VAR} references; os.LookupEnv in production.
type LookupEnv func(name string) (string, bool)

// Load reads, expands, decodes, defaults and validates the configuration
// file at path. It returns the configuration (nil when it could not be
// decoded) and every problem found. Callers must not use a configuration
// whose problems include errors.
func Load(path string, env LookupEnv) (*Config, diag.Problems) {
	var probs diag.Problems
	data, err := os.ReadFile(path)
	if err != nil {
		probs.Errorf(path, 0, "cannot read configuration: %v", unwrapPath(err))
		return nil, probs
	}
	cfg, probs := Parse(path, data, env)
	if cfg == nil {
		return nil, probs
	}
	cfg.resolvePaths(filepath.Dir(path))
	cfg.resolveSitePaths(filepath.Dir(path))
	probs = append(probs, cfg.Validate()...)
	return cfg, probs
}

// Parse decodes configuration text. Relative paths are left as they are.
// The configuration is returned whenever it could be decoded, even with
// errors among the problems; callers must not serve with it then.
func Parse(file string, data []byte, env LookupEnv) (*Config, diag.Problems) {
	var probs diag.Problems
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.Errorf(file, yamlErrorLine(err), "invalid YAML: %s", stripYAMLPrefix(err))
		return nil, probs
	}
	cfg := &Config{File: file, lines: map[string]int{}}
	if len(doc.Content) == 0 { // empty file
		cfg.applyDefaults()
		return cfg, probs
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		probs.Errorf(file, root.Line, "the configuration must be a mapping of keys to values")
		return nil, probs
	}
	checkKeys(file, root, reflect.TypeOf(*cfg), "", cfg.lines, &probs)
	expandEnv(file, root, env, &probs)
	// Unknown keys and unset variables are errors, but decoding goes on so
	// that `check` can report the problems of the files the config names too.
	if err := root.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				probs.Errorf(file, yamlErrorLine(errors.New(msg)), "%s", stripYAMLPrefix(errors.New(msg)))
			}
		} else {
			probs.Errorf(file, 0, "%v", err)
		}
		return nil, probs
	}
	cfg.applyDefaults()
	cfg.applySiteDefaults()
	return cfg, probs
}

// checkKeys walks the YAML mapping against the struct type t, reporting keys
// that have no field and recording the line of every key it knows.
func checkKeys(file string, n *yaml.Node, t reflect.Type, prefix string, lines map[string]int, probs *diag.Problems) {
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		path := key.Value
		if prefix != "" {
			path = prefix + "." + key.Value
		}
		ft, ok := fields[key.Value]
		if !ok {
			probs.Errorf(file, key.Line, "unknown key %q%s", path, suggest(key.Value, fields))
			continue
		}
		lines[path] = key.Line
		if ft.Kind() == reflect.Struct && ft.String() != "time.Duration" {
			if val.Kind != yaml.MappingNode && !(val.Kind == yaml.ScalarNode && val.Tag == "!!null") {
				probs.Errorf(file, val.Line, "%q must be a mapping", path)
				continue
			}
			checkKeys(file, val, ft, path, lines, probs)
		}
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && val.Kind == yaml.SequenceNode {
			for i, item := range val.Content { // lists of mappings: their keys are checked too, by index
				lines[fmt.Sprintf("%s.%d", path, i)] = item.Line
				checkKeys(file, item, ft.Elem(), fmt.Sprintf("%s.%d", path, i), lines, probs)
			}
		}
	}
}

// yamlFields maps yaml key names to field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// suggest names a known key close to an unknown one, for typos.
func suggest(key string, fields map[string]reflect.Type) string {
	for name := range fields {
		if strings.EqualFold(strings.ReplaceAll(name, "_", ""), strings.ReplaceAll(strings.ReplaceAll(key, "-", ""), "_", "")) {
			return fmt.Sprintf(" (did you mean %q?)", name)
		}
	}
	return ""
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in every scalar value (never in keys, and after
// parsing, so a variable's value cannot change the document's structure).
// "$$" stands for a literal "$".
func expandEnv(file string, n *yaml.Node, env LookupEnv, probs *diag.Problems) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			if m == "$$" {
				return "$"
			}
			name := m[2 : len(m)-1]
			v, ok := env(name)
			if !ok {
				probs.Errorf(file, n.Line, "environment variable %s is not set", name)
			}
			return v
		})
		if n.Style != 0 { // quoted, block or explicitly tagged: stays a string
			return
		}
		n.Tag = "" // plain scalar: let the decoder re-resolve "${PORT}" → int
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandEnv(file, n.Content[i], env, probs)
		}
	default:
		for _, c := range n.Content {
			expandEnv(file, c, env, probs)
		}
	}
}

var (
	yamlLine       = regexp.MustCompile(`line (\d+)`)
	yamlLinePrefix = regexp.MustCompile(`^(unmarshal errors:\n\s*)?line \d+: `)
)

func yamlErrorLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscanf(m[1], "%d", &n)
	return n
}

func stripYAMLPrefix(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	return yamlLinePrefix.ReplaceAllString(s, "")
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resolvePaths makes every file path relative to the configuration's folder.
func (c *Config) resolvePaths(dir string) {
	for _, p := range []*string{
		&c.TLS.CertFile, &c.TLS.KeyFile, &c.TLS.ClientCAFile,
		&c.Upstream.CAFile, &c.Upstream.ClientCertFile, &c.Upstream.ClientKeyFile, &c.Upstream.SpoolDir,
		&c.Security.Users, &c.Security.UsersRoles, &c.Security.APIKeys.File, &c.Security.ServiceTokens, &c.Security.ApplicationPrivileges, &c.Security.UserProfiles, &c.Security.NativeRoles, &c.Security.NativeRoleMappings, &c.Security.NativeUsers, &c.Security.Roles, &c.Security.RoleMapping, &c.Security.OIDC.RoleMapping,
		&c.Audit.File, &c.Audit.HMACKeyFile, &c.Audit.Index.CursorFile, &c.Security.DLSFLS.CursorKeyFile,
		&c.Security.Sessions.EncryptionKeysFile, &c.Security.Sessions.Redis.CAFile,
		&c.Security.PKI.CertificateAuthorities, &c.Security.PKI.RoleMapping,
	} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}
