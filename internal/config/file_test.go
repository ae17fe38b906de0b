package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileSetsEveryKindOfKey(t *testing.T) {
	p := writeConfig(t, `# wharf configuration
listen: 127.0.0.1:9999
data-dir: /var/lib/wharf
region: eu-west-1
metadata-ttl: 90s
max-publish-bytes: 1048576
no-metrics: true
upstream:
  public:npmjs: https://npm.example/
  public:pypi: https://pypi.example/
webhooks:
  - url: https://hooks.example/wharf
    secret: s3cret
  - url: http://127.0.0.1:9/other
`)
	c, err := ParseServe([]string{"--config", p}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.DataDir != "/var/lib/wharf" || c.Region != "eu-west-1" || c.MetadataTTL != 90*time.Second ||
		c.MaxPublishBytes != 1<<20 || !c.NoMetrics || c.ConfigFile != p {
		t.Fatalf("config: %+v", c)
	}
	if c.Upstreams["public:npmjs"].Host != "npm.example" || c.Upstreams["public:pypi"].Host != "pypi.example" {
		t.Fatalf("upstreams: %v", c.Upstreams)
	}
	if len(c.Webhooks) != 2 || c.Webhooks[0].URL != "https://hooks.example/wharf" || c.Webhooks[0].Secret != "s3cret" || c.Webhooks[1].Secret != "" {
		t.Fatalf("webhooks: %+v", c.Webhooks)
	}
}

// Defaults < file < WHARF_* < flags, per key and per upstream connection.
func TestPrecedence(t *testing.T) {
	p := writeConfig(t, `listen: 127.0.0.1:1111
region: eu-west-1
log-level: debug
upstream:
  public:npmjs: https://file.example/
  public:pypi: https://file-pypi.example/
`)
	c, err := ParseServe([]string{"--listen", "127.0.0.1:3333", "--upstream", "public:npmjs=https://flag.example/"},
		env(map[string]string{"WHARF_CONFIG": p, "WHARF_LISTEN": "127.0.0.1:2222", "WHARF_REGION": "ap-south-1",
			"WHARF_UPSTREAM": "public:pypi=https://env-pypi.example/"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:3333" || c.Region != "ap-south-1" || c.LogLevel != "debug" {
		t.Fatalf("precedence: listen %s region %s log-level %s", c.Listen, c.Region, c.LogLevel)
	}
	if c.Upstreams["public:npmjs"].Host != "flag.example" || c.Upstreams["public:pypi"].Host != "env-pypi.example" {
		t.Fatalf("upstreams: %v", c.Upstreams)
	}
}

func TestBadFilesNameTheLine(t *testing.T) {
	cases := []struct {
		body string
		line int
		want string
	}{
		{"listen: 127.0.0.1:1\nlsiten: 127.0.0.1:2\n", 2, `unknown key "lsiten"`},
		{"listen: 127.0.0.1:1\n\nmetadata-ttl: soon\n", 3, "metadata-ttl"},
		{"no-metrics: no\n", 1, "no-metrics"},
		{"data-dir: d\nlisten: nonsense\n", 2, "--listen must be HOST:PORT"},
		{"region: mars\n", 1, "region"},
		{"upstream:\n  public:npmjs: ftp://x/\n", 2, "absolute http(s) URL"},
		{"upstream:\n  public:nope: https://x/\n", 2, "unknown external connection"},
		{"upstream: https://x/\n", 1, "mapping"},
		{"webhooks:\n  - url: https://h.example/\n    secrt: x\n", 3, `unknown webhook key "secrt"`},
		{"webhooks:\n  - secret: x\n", 2, "webhook without url"},
		{"listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", 2, "given twice"},
		{"data-dir: &d x\nlisten: *d\n", 1, "anchors"},
		{"listen: [a, b]\n", 1, "single value"},
		{"---\nlisten: 127.0.0.1:1\n---\nregion: us-east-1\n", 3, "second YAML document"},
	}
	for _, tc := range cases {
		p := writeConfig(t, tc.body)
		_, err := CheckFile(p)
		var le *LineError
		if err == nil || !errors.As(err, &le) || le.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want line %d mentioning %q", tc.body, err, tc.line, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), p+":"+strconv.Itoa(tc.line)+":") {
			t.Errorf("%q: error %q does not start with FILE:LINE", tc.body, err)
		}
	}
	// A YAML syntax error carries yaml's own line.
	_, err := CheckFile(writeConfig(t, "listen: 127.0.0.1:1\nregion: [unclosed\n"))
	if err == nil || !strings.Contains(err.Error(), "line ") {
		t.Fatalf("syntax error: %v", err)
	}
	// A missing file is an error, an empty one configures nothing.
	if _, err := CheckFile(filepath.Join(t.TempDir(), "none.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
	if _, err := CheckFile(writeConfig(t, "# nothing\n")); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}

// Every flag is a file key and a WHARF_* variable: a flag another change adds
// needs no second table.
func TestEveryFlagIsAKey(t *testing.T) {
	if EnvName("max-publish-bytes") != "WHARF_MAX_PUBLISH_BYTES" {
		t.Fatal(EnvName("max-publish-bytes"))
	}
	c, err := ParseServe(nil, env(map[string]string{"WHARF_MAX_PUBLISH_BYTES": "12345", "WHARF_DATABASE": "postgres://u@h/db"}))
	if err != nil || c.MaxPublishBytes != 12345 || c.Database != "postgres://u@h/db" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := ParseServe(nil, env(map[string]string{"WHARF_METADATA_TTL": "later"})); err == nil || !strings.Contains(err.Error(), "WHARF_METADATA_TTL") {
		t.Fatalf("bad env value: %v", err)
	}
}

// The example in docs/ is a valid configuration.
func TestDocumentedExample(t *testing.T) {
	c, err := CheckFile(filepath.Join("..", "..", "docs", "wharf.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Upstreams) != 2 || len(c.Webhooks) != 1 || c.LogFormat != "json" {
		t.Fatalf("example parsed as %+v", c)
	}
}
