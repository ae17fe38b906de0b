package upstream

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// Sources maps an external connection name (a key of model.ExternalConnections)
// to the base URL of the registry it proxies. It is the parsed form of the
// repeatable `wharf serve --upstream NAME=URL` flag; config.Config.Upstreams
// converts to it directly: upstream.Sources(cfg.Upstreams).
type Sources map[string]*url.URL

// ParseUpstreamFlag parses one "NAME=URL" value. NAME must be a known external
// connection and URL an absolute http(s) URL with a host; user info is refused so
// that credentials never end up in logs or in cache keys.
func ParseUpstreamFlag(s string) (name string, u *url.URL, err error) {
	name, raw, ok := strings.Cut(s, "=")
	name, raw = strings.TrimSpace(name), strings.TrimSpace(raw)
	if !ok || name == "" || raw == "" {
		return "", nil, fmt.Errorf("want NAME=URL, e.g. public:npmjs=\"$(npm config get registry)\", got %q", s)
	}
	if _, known := model.ExternalConnections[name]; !known {
		return "", nil, fmt.Errorf("unknown external connection %q (known: %s)", name, strings.Join(knownConnections(), ", "))
	}
	u, err = url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", nil, fmt.Errorf("upstream URL for %s must be an absolute http(s) URL, got %q", name, raw)
	}
	if u.User != nil {
		return "", nil, fmt.Errorf("upstream URL for %s must not carry credentials", name)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", nil, fmt.Errorf("upstream URL for %s must not have a query or fragment, got %q", name, raw)
	}
	return name, u, nil
}

// Set adds one "NAME=URL" value; with String it makes Sources a flag.Value.
func (s Sources) Set(v string) error {
	name, u, err := ParseUpstreamFlag(v)
	if err != nil {
		return err
	}
	if _, dup := s[name]; dup {
		return fmt.Errorf("--upstream %s given twice", name)
	}
	s[name] = u
	return nil
}

// String lists the sources as NAME=URL, sorted, comma-separated.
func (s Sources) String() string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + s[n].String()
	}
	return strings.Join(parts, ",")
}

// Validate checks every entry as ParseUpstreamFlag would, for Sources built
// in code rather than from flags.
func (s Sources) Validate() error {
	for name, u := range s {
		if u == nil {
			return fmt.Errorf("upstream %s has no URL", name)
		}
		if _, _, err := ParseUpstreamFlag(name + "=" + u.String()); err != nil {
			return err
		}
	}
	return nil
}

func knownConnections() []string {
	names := make([]string, 0, len(model.ExternalConnections))
	for n := range model.ExternalConnections {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
