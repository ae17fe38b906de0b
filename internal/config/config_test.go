package config

import (
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestParseServeDefaults(t *testing.T) {
	c, err := ParseServe(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Region != "us-east-1" || c.DataDir != "wharf-data" || len(c.Upstreams) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestParseServeUpstreamsAndCredentials(t *testing.T) {
	c, err := ParseServe([]string{"--listen", "0.0.0.0:9000", "--upstream", "public:npmjs=http://127.0.0.1:1/registry/",
		"--upstream", "public:pypi=https://pypi.example/", "--public-url", "https://wharf.example/"},
		env(map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": "AKIAX", "WHARF_ROOT_SECRET_ACCESS_KEY": "s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Upstreams["public:npmjs"].String() != "http://127.0.0.1:1/registry/" || c.Upstreams["public:pypi"].Host != "pypi.example" {
		t.Fatalf("upstreams: %v", c.Upstreams)
	}
	if c.PublicURL != "https://wharf.example" || c.RootAccessKeyID != "AKIAX" {
		t.Fatalf("config: %+v", c)
	}
}

func TestParseServeLimits(t *testing.T) {
	c, err := ParseServe([]string{"--npm-max-readme-bytes", "4096", "--upstream-read-timeout", "5s"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultLimits()
	want.NpmMaxReadmeBytes = 4096
	if c.Limits != want || c.UpstreamReadTimeout != 5*time.Second || c.UpstreamHeaderTimeout != 30*time.Second {
		t.Fatalf("limits %+v, timeouts %s %s", c.Limits, c.UpstreamReadTimeout, c.UpstreamHeaderTimeout)
	}
}

func TestParseServeRejects(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--upstream", "public:nope=http://x/"}, nil, "unknown external connection"},
		{[]string{"--upstream", "public:npmjs=ftp://x/"}, nil, "absolute http(s) URL"},
		{[]string{"--upstream", "public:npmjs"}, nil, "NAME=URL"},
		{[]string{"--upstream", "public:npmjs=http://a/", "--upstream", "public:npmjs=http://b/"}, nil, "given twice"},
		{[]string{"--listen", "8080"}, nil, "HOST:PORT"},
		{[]string{"--debug-addr", "6060"}, nil, "--debug-addr must be HOST:PORT"},
		{[]string{"--region", "mars"}, nil, "region"},
		{[]string{"--public-url", "wharf.example"}, nil, "public-url"},
		{[]string{"--log-format", "xml"}, nil, "log-format"},
		{nil, map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": "AKIAX"}, "both"},
		{[]string{"extra"}, nil, "unexpected arguments"},
		{[]string{"--npm-max-readme-bytes", "0"}, nil, "--npm-max-readme-bytes must be positive"},
		{[]string{"--pypi-max-fields", "-1"}, nil, "--pypi-max-fields must be positive"},
		{[]string{"--upstream-read-timeout", "0s"}, nil, "upstream-read-timeout"},
	}
	for _, tc := range cases {
		_, err := ParseServe(tc.args, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: got %v, want an error containing %q", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestParseServeSecurityFlags(t *testing.T) {
	c, err := ParseServe([]string{"--master-key-file", "/etc/wharf/master.key"}, env(nil))
	if err != nil || c.MasterKeyFile != "/etc/wharf/master.key" || c.MasterKey != "" || c.MaxUnsignedBodyBytes != 1<<20 {
		t.Fatalf("master key file: %+v %v", c, err)
	}
	c, err = ParseServe([]string{"--max-unsigned-body-bytes", "4096"}, env(map[string]string{"WHARF_MASTER_KEY": "k"}))
	if err != nil || c.MasterKey != "k" || c.MaxUnsignedBodyBytes != 4096 {
		t.Fatalf("master key env: %+v %v", c, err)
	}
	if _, err := ParseServe([]string{"--master-key-file", "f"}, env(map[string]string{"WHARF_MASTER_KEY": "k"})); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("file and env together: %v", err)
	}
	if _, err := ParseServe([]string{"--max-unsigned-body-bytes", "0"}, env(nil)); err == nil {
		t.Fatal("a zero unsigned body limit was accepted")
	}
}
