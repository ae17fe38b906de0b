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
	// MasterKeyFile (--master-key-file) or MasterKey (WHARF_MASTER_KEY) hold the
	// master secret apart from the data it protects; when both are empty it is
	// DATA/master.key, created on first start.
	MasterKeyFile   string
	MasterKey       string
	LogFormat       string // text | json
	LogLevel        string // debug | info | warn | error
	ShutdownTimeout time.Duration
	MetadataTTL     time.Duration // how long upstream metadata is fresh
	NegativeTTL     time.Duration // how long an upstream 404 is remembered
	MaxPublishBytes int64         // largest package upload accepted
	// MaxUnsignedBodyBytes bounds a request body read (in memory) before its
	// signature is known to be good: bodies whose SHA-256 is not declared in
	// X-Amz-Content-Sha256 must be hashed to check the signature.
	MaxUnsignedBodyBytes int64
	NoMetrics            bool // do not serve GET /metrics
	// ConfigFile is the YAML file the configuration was read from ("" for none).
	ConfigFile string
	// Webhooks receive package version events (from the file's webhooks list).
	Webhooks []Webhook
	// DebugAddr, when set, serves net/http/pprof on its own listener (HOST:PORT),
	// never on the public port.
	DebugAddr string
	// UpstreamHeaderTimeout bounds the wait for an upstream's response headers,
	// UpstreamReadTimeout each wait for more of its body (a stall answers 504).
	UpstreamHeaderTimeout time.Duration
	UpstreamReadTimeout   time.Duration
	// Limits are the per-field size limits of package uploads (docs/limits.md).
	Limits Limits
	// OrganizationID is the AWS Organizations id every account of this wharf
	// belongs to, answering aws:PrincipalOrgID in policies; "" for none.
	OrganizationID string
	// Blob garbage collection (internal/blobgc): a pass every GCInterval (0:
	// none; `wharf gc` runs one on demand); GCGrace is how long a fresh blob
	// or a writer's unreleased pin protects a blob from it.
	GCInterval time.Duration
	GCGrace    time.Duration
	// ScaleOut: S3 blobs and AWS KMS keys for replicas (scaleout.go).
	ScaleOut ScaleOut
	// MemoryBudget (--memory-budget) is Go's soft memory limit, and sizes the
	// read caches inside it (memory.go, internal/app/budgets.go).
	MemoryBudget int64
}

var orgIDRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)

// ParseServe parses `wharf serve` arguments and the environment.
func ParseServe(args []string, getenv func(string) string) (*Config, error) {
	c := &Config{Upstreams: map[string]*url.URL{}}
	up := &layeredSources{m: c.Upstreams, setIn: map[string]int{}}
	fs := flag.NewFlagSet("wharf serve", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&c.ConfigFile, "config", "", "YAML configuration file whose keys are these flags' names (flags and WHARF_* variables override it); also WHARF_CONFIG")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address to serve on (HOST:PORT); one port serves the AWS APIs and every package endpoint")
	fs.StringVar(&c.DataDir, "data-dir", "wharf-data", "directory for the embedded database, blobs and keys")
	fs.StringVar(&c.Database, "database", "", "metadata store: empty for SQLite in --data-dir, or a postgres://user:pass@host/db URL (replicas sharing one database); also WHARF_DATABASE")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", "", "file holding the 32-byte master key (raw, base64 or hex), kept apart from --data-dir; default DATA/master.key, created on first start; or set WHARF_MASTER_KEY")
	fs.StringVar(&c.Region, "region", "us-east-1", "AWS region wharf reports in ARNs")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL clients reach wharf at, used in repository endpoints (default: the Host each request was sent to)")
	fs.Var(up, "upstream", "external connection upstream, NAME=URL (repeatable), e.g. public:npmjs=\"$(npm config get registry)\"")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to let in-flight requests finish on SIGTERM")
	fs.DurationVar(&c.MetadataTTL, "metadata-ttl", 5*time.Minute, "how long upstream package metadata is served without revalidation")
	fs.DurationVar(&c.NegativeTTL, "negative-ttl", time.Minute, "how long an upstream 'not found' is remembered")
	fs.BoolVar(&c.NoMetrics, "no-metrics", false, "do not serve Prometheus metrics at GET /metrics")
	fs.Int64Var(&c.MaxPublishBytes, "max-publish-bytes", 2<<30, "largest package upload accepted, in bytes (npm, PyPI and Maven uploads, generic assets)")
	fs.DurationVar(&c.UpstreamHeaderTimeout, "upstream-header-timeout", 30*time.Second, "how long to wait for an upstream's response headers before answering 504")
	fs.DurationVar(&c.UpstreamReadTimeout, "upstream-read-timeout", time.Minute, "how long an upstream body may stall (no bytes) before the request fails with 504")
	c.Limits.register(fs)
	c.ScaleOut.register(fs)
	registerMemory(fs, c)
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "serve net/http/pprof on this separate HOST:PORT (off by default; keep it on loopback)")
	fs.Int64Var(&c.MaxUnsignedBodyBytes, "max-unsigned-body-bytes", 1<<20, "largest request body read before its signature is checked (one whose SHA-256 is not signed in X-Amz-Content-Sha256), in bytes")
	fs.DurationVar(&c.GCInterval, "gc-interval", 6*time.Hour, "how often a replica collects blobs no package version references (one replica at a time); 0 for never (wharf gc runs a pass on demand)")
	fs.DurationVar(&c.GCGrace, "gc-grace", time.Hour, "how long a freshly stored blob is spared by blob collection (a writer may be about to reference it)")
	fs.StringVar(&c.OrganizationID, "organization-id", "", "organization id (o-...) all accounts belong to, for aws:PrincipalOrgID conditions; also WHARF_ORGANIZATION_ID")
	// Layers, lowest first: the file, WHARF_* variables, the command line.
	var file *File
	if path := configPath(args, getenv); path != "" {
		var err error
		if file, err = ReadFile(path); err != nil {
			return nil, err
		}
		up.layer = 1
		if err := file.apply(fs, up); err != nil {
			return nil, err
		}
		c.Webhooks = file.Webhooks
	}
	up.layer = 2
	if err := applyEnv(fs, up, getenv); err != nil {
		return nil, err
	}
	up.layer = 3
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	// The master key itself is a secret: from the environment only, never a flag or the file.
	c.MasterKey = getenv("WHARF_MASTER_KEY")
	c.RootAccessKeyID = getenv("WHARF_ROOT_ACCESS_KEY_ID")
	c.RootSecretAccessKey = getenv("WHARF_ROOT_SECRET_ACCESS_KEY")
	return c, file.locate(c.Validate())
}

// CheckFile validates a configuration file on its own (defaults for what it
// does not set, no environment): `wharf config check FILE`.
func CheckFile(path string) (*Config, error) {
	return ParseServe([]string{"--config", path}, func(string) string { return "" })
}

// Validate checks the configuration as a whole.
func (c *Config) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("--listen must be HOST:PORT, got %q", c.Listen))
	}
	if c.DebugAddr != "" {
		if _, port, err := net.SplitHostPort(c.DebugAddr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("--debug-addr must be HOST:PORT, got %q", c.DebugAddr))
		}
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
	if c.GCInterval < 0 {
		errs = append(errs, fmt.Errorf("--gc-interval must not be negative, got %v", c.GCInterval))
	}
	if c.GCGrace < time.Minute {
		errs = append(errs, fmt.Errorf("--gc-grace must be at least 1m (writers need the time between storing a blob and recording it), got %v", c.GCGrace))
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
	if c.MasterKeyFile != "" && c.MasterKey != "" {
		errs = append(errs, errors.New("set either --master-key-file or WHARF_MASTER_KEY, not both"))
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
	if err := c.validateMemory(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxUnsignedBodyBytes <= 0 {
		errs = append(errs, errors.New("--max-unsigned-body-bytes must be positive"))
	}
	if c.MaxPublishBytes <= 0 {
		errs = append(errs, errors.New("--max-publish-bytes must be positive"))
	}
	if c.UpstreamHeaderTimeout <= 0 || c.UpstreamReadTimeout <= 0 {
		errs = append(errs, errors.New("--upstream-header-timeout and --upstream-read-timeout must be positive"))
	}
	errs = append(errs, c.Limits.validate()...)
	errs = append(errs, c.ScaleOut.validate()...)
	return errors.Join(errs...)
}
