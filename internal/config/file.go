package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wharf-dev/wharf/internal/upstream"
)

// The configuration file is YAML, and its keys are the `wharf serve` flag
// names: `listen`, `data-dir`, `metadata-ttl`, ... Every flag is a key, with no
// second table to keep in step: a flag added to ParseServe is at once a file
// key and a WHARF_* variable (data-dir → WHARF_DATA_DIR). Two keys are
// structured: `upstream` (a mapping of external connection to URL, the
// repeatable --upstream flag) and `webhooks` (a list; see Webhook).
//
// Why YAML and not TOML: every error must name its line, also for a key wharf
// does not know and for a value that parses but is wrong (a bad URL, a
// negative size). yaml.v3's node tree carries the line of every key and value;
// the TOML decoders keep key positions private and report only syntax errors
// with a line. YAML's classic traps (`no` read as false, `010` as octal) do not
// apply here: every scalar is taken as the string the flag would receive and
// parsed by the flag itself, so `no` is rejected by a boolean flag with its
// line, never silently converted. Anchors, aliases, tags and multiple documents
// are refused: a configuration file has no use for them.
//
// Precedence, lowest first: defaults, the file, WHARF_* variables, flags.

// Setting is one scalar key of the file with its line.
type Setting struct {
	Key, Value string
	Line       int
}

// Webhook is a receiver of package version events.
type Webhook struct {
	// URL receives POSTed events (CodeArtifact's EventBridge shape).
	URL string `json:"url"`
	// Secret, when set, signs each body: header X-Wharf-Signature is
	// "sha256=" + hex HMAC-SHA256(secret, body).
	Secret string `json:"-"`
}

// File is a parsed configuration file.
type File struct {
	Path     string
	Settings []Setting // scalar keys, in file order
	Upstream []Setting // key = connection name
	Webhooks []Webhook
	lines    map[string]int // key -> line, for validation errors
}

// LineError is an error at a line of the configuration file.
type LineError struct {
	Path string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ReadFile parses a configuration file's structure (not yet its values).
func ReadFile(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) > 1<<20 {
		return nil, fmt.Errorf("%s: larger than 1 MiB", path)
	}
	return parseFile(path, raw)
}

func parseFile(path string, raw []byte) (*File, error) {
	f := &File{Path: path, lines: map[string]int{}}
	at := func(line int, format string, args ...any) error {
		return &LineError{Path: path, Line: line, Err: fmt.Errorf(format, args...)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return f, nil // an empty file configures nothing
		}
		return nil, fmt.Errorf("%s: %w", path, err) // yaml.v3 says "yaml: line N: ..."
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, at(extra.Line, "a second YAML document; the configuration is one document")
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, at(root.Line, "the configuration must be a mapping of keys to values")
	}
	if err := plain(root, at); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if _, dup := f.lines[k.Value]; dup {
			return nil, at(k.Line, "key %q given twice (first at line %d)", k.Value, f.lines[k.Value])
		}
		f.lines[k.Value] = k.Line
		switch k.Value {
		case "upstream":
			if v.Kind != yaml.MappingNode {
				return nil, at(v.Line, "upstream must be a mapping of external connection to URL, e.g.\n  upstream:\n    public:npmjs: https://registry.example/")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				ck, cv := v.Content[j], v.Content[j+1]
				if cv.Kind != yaml.ScalarNode {
					return nil, at(cv.Line, "upstream %s: want a URL", ck.Value)
				}
				f.Upstream = append(f.Upstream, Setting{Key: ck.Value, Value: cv.Value, Line: ck.Line})
			}
		case "webhooks":
			if v.Kind != yaml.SequenceNode {
				return nil, at(v.Line, "webhooks must be a list of {url, secret}")
			}
			for _, item := range v.Content {
				wh, err := parseWebhook(item, at)
				if err != nil {
					return nil, err
				}
				f.Webhooks = append(f.Webhooks, wh)
			}
		default:
			if v.Kind != yaml.ScalarNode {
				return nil, at(v.Line, "%s: want a single value", k.Value)
			}
			f.Settings = append(f.Settings, Setting{Key: k.Value, Value: v.Value, Line: v.Line})
		}
	}
	return f, nil
}

// plain refuses anchors, aliases and explicit tags anywhere in the tree.
func plain(n *yaml.Node, at func(int, string, ...any) error) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return at(n.Line, "YAML anchors and aliases are not supported in the configuration")
	}
	if n.Tag != "" && n.Style&yaml.TaggedStyle != 0 {
		return at(n.Line, "explicit YAML tags (%s) are not supported in the configuration", n.Tag)
	}
	for _, c := range n.Content {
		if err := plain(c, at); err != nil {
			return err
		}
	}
	return nil
}

func parseWebhook(n *yaml.Node, at func(int, string, ...any) error) (Webhook, error) {
	var wh Webhook
	if n.Kind != yaml.MappingNode {
		return wh, at(n.Line, "a webhook is a mapping with url (and optionally secret)")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return wh, at(v.Line, "webhook %s: want a single value", k.Value)
		}
		switch k.Value {
		case "url":
			u, err := url.Parse(v.Value)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return wh, at(v.Line, "webhook url must be an absolute http(s) URL, got %q", v.Value)
			}
			wh.URL = v.Value
		case "secret":
			wh.Secret = v.Value
		default:
			return wh, at(k.Line, "unknown webhook key %q (known: url, secret)", k.Value)
		}
	}
	if wh.URL == "" {
		return wh, at(n.Line, "webhook without url")
	}
	return wh, nil
}

// apply sets the file's values on the flag set; errors name the line.
func (f *File) apply(fs *flag.FlagSet, up *layeredSources) error {
	for _, s := range f.Settings {
		fl := fs.Lookup(s.Key)
		if fl == nil || s.Key == "config" {
			return &LineError{Path: f.Path, Line: s.Line, Err: fmt.Errorf("unknown key %q (known: %s)", s.Key, strings.Join(fileKeys(fs), ", "))}
		}
		if err := fs.Set(s.Key, s.Value); err != nil {
			return &LineError{Path: f.Path, Line: s.Line, Err: fmt.Errorf("%s: %v", s.Key, err)}
		}
	}
	for _, s := range f.Upstream {
		if err := up.Set(s.Key + "=" + s.Value); err != nil {
			return &LineError{Path: f.Path, Line: s.Line, Err: err}
		}
	}
	return nil
}

// locate gives a whole-configuration validation error the line of the key it
// names ("--listen must be ..." → the line of listen:), when the file set it.
func (f *File) locate(err error) error {
	if f == nil || err == nil {
		return err
	}
	var out []error
	for _, e := range unjoin(err) {
		line := 0
		for key, l := range f.lines {
			if strings.Contains(e.Error(), "--"+key+" ") || strings.Contains(e.Error(), "--"+key+"=") {
				line = l
			}
		}
		if line > 0 {
			e = &LineError{Path: f.Path, Line: line, Err: e}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func fileKeys(fs *flag.FlagSet) []string {
	var keys []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" {
			keys = append(keys, f.Name)
		}
	})
	keys = append(keys, "webhooks")
	sort.Strings(keys)
	return keys
}

// EnvName is the WHARF_* variable of a flag: data-dir → WHARF_DATA_DIR.
func EnvName(flagName string) string {
	return "WHARF_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// layeredSources is the --upstream flag across layers (file, environment,
// command line): a later layer overrides a connection an earlier one set, and
// naming a connection twice within one layer is an error.
type layeredSources struct {
	m     upstream.Sources
	setIn map[string]int
	layer int
}

func (l *layeredSources) Set(v string) error {
	name, u, err := upstream.ParseUpstreamFlag(v)
	if err != nil {
		return err
	}
	if l.setIn[name] == l.layer && l.m[name] != nil {
		return fmt.Errorf("--upstream %s given twice", name)
	}
	l.m[name] = u
	l.setIn[name] = l.layer
	return nil
}

func (l *layeredSources) String() string {
	if l == nil || l.m == nil {
		return ""
	}
	return l.m.String()
}

// applyEnv sets every flag whose WHARF_* variable is set (WHARF_UPSTREAM is
// a comma-separated list of NAME=URL).
func applyEnv(fs *flag.FlagSet, up *layeredSources, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if f.Name == "upstream" {
			for _, one := range strings.Split(v, ",") {
				if err := up.Set(strings.TrimSpace(one)); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", EnvName(f.Name), err))
				}
			}
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvName(f.Name), err))
		}
	})
	return errors.Join(errs...)
}

// configPath finds --config in args (before flags are parsed: the file is the
// lowest layer) or WHARF_CONFIG.
func configPath(args []string, getenv func(string) string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, p := range []string{"--config", "-config"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return getenv("WHARF_CONFIG")
}
