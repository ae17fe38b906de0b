// Package config is wharf's typed configuration: command-line flags and the
// environment, validated before anything starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/upstream"
)

// Config is everything `wharf serve` needs.
type Config struct {
	Listen  string // HOST:PORT
	DataDir string
	// Database is the metadata store: "" for SQLite in the data directory, or a
	// postgres:// URL for the scale-out mode (several replicas on one database).
	Database  string
	Region    string
	PublicURL string // base URL of package endpoints; "" = the request's own host
	// Upstreams maps an external connection name to the public registry URL it proxies.
	Upstreams map[string]*url.URL
	// RootAccessKeyID / RootSecretAccessKey, when both set, are the admin
	// credentials of the default account.
	RootAccessKeyID     string
	RootSecretAccessKey string
	LogFormat           string // text | json
	LogLevel            string // debug | info | warn | error
	ShutdownTimeout     time.Duration
	MetadataTTL         time.Duration // how long upstream metadata is fresh
	NegativeTTL         time.Duration // how long an upstream 404 is remembered
	MaxPublishBytes     int64         // largest package upload accepted
	// OrganizationID is the AWS Organizations id every account of this wharf
	// belongs to, answering aws:PrincipalOrgID in policies; "" for none.
	OrganizationID string
}

var orgIDRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)

// ParseServe parses `wharf serve` arguments and the environment.
func ParseServe(args []string, getenv func(string) string) (*Config, error) {
	c := &Config{Upstreams: map[string]*url.URL{}}
	fs := flag.NewFlagSet("wharf serve", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address to serve on (HOST:PORT); one port serves the AWS APIs and every package endpoint")
	fs.StringVar(&c.DataDir, "data-dir", "wharf-data", "directory for the embedded database, blobs and keys")
	fs.StringVar(&c.Database, "database", "", "metadata store: empty for SQLite in --data-dir, or a postgres://user:pass@host/db URL (replicas sharing one database); also WHARF_DATABASE")
	fs.StringVar(&c.Region, "region", "us-east-1", "AWS region wharf reports in ARNs")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL clients reach wharf at, used in repository endpoints (default: the Host each request was sent to)")
	fs.Var(upstream.Sources(c.Upstreams), "upstream", "external connection upstream, NAME=URL (repeatable), e.g. public:npmjs=\"$(npm config get registry)\"")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to let in-flight requests finish on SIGTERM")
	fs.DurationVar(&c.MetadataTTL, "metadata-ttl", 5*time.Minute, "how long upstream package metadata is served without revalidation")
	fs.DurationVar(&c.NegativeTTL, "negative-ttl", time.Minute, "how long an upstream 'not found' is remembered")
	fs.Int64Var(&c.MaxPublishBytes, "max-publish-bytes", 2<<30, "largest package upload accepted, in bytes")
	fs.StringVar(&c.OrganizationID, "organization-id", "", "organization id (o-...) all accounts belong to, for aws:PrincipalOrgID conditions; also WHARF_ORGANIZATION_ID")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.OrganizationID == "" {
		c.OrganizationID = getenv("WHARF_ORGANIZATION_ID")
	}
	if c.Database == "" {
		c.Database = getenv("WHARF_DATABASE")
	}
	c.RootAccessKeyID = getenv("WHARF_ROOT_ACCESS_KEY_ID")
	c.RootSecretAccessKey = getenv("WHARF_ROOT_SECRET_ACCESS_KEY")
	return c, c.Validate()
}

// Validate checks the configuration as a whole.
func (c *Config) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("--listen must be HOST:PORT, got %q", c.Listen))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, errors.New("--database must be empty (SQLite in --data-dir) or a postgres:// URL"))
	}
	if c.OrganizationID != "" && !orgIDRe.MatchString(c.OrganizationID) {
		errs = append(errs, fmt.Errorf("--organization-id %q is not an organization id like o-a1b2c3d4e5", c.OrganizationID))
	}
	if !regionRe.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("--region %q is not a region name like us-east-1", c.Region))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--public-url must be an absolute http(s) URL, got %q", c.PublicURL))
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		errs = append(errs, errors.New("set both WHARF_ROOT_ACCESS_KEY_ID and WHARF_ROOT_SECRET_ACCESS_KEY, or neither"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level must be debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.MaxPublishBytes <= 0 {
		errs = append(errs, errors.New("--max-publish-bytes must be positive"))
	}
	return errors.Join(errs...)
}
