package tfmodule_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestFmt(t *testing.T) {
	ts := findTools(t)
	r := runTofu(t, ts, moduleDir(t), nil, "fmt", "-check", "-recursive", "-diff", "-no-color", ".")
	if r.code != 0 {
		t.Fatalf("tofu fmt -check found unformatted files (run `tofu fmt -recursive %s`):\n%s", moduleDirName, r)
	}
}

// testRunResult is what `tofu test -json` reported for one run block.
type testRunResult struct {
	status string
	diags  []string // "summary: detail"
}

// tofuTest runs `tofu test -json` in dir and collects each run's status and diagnostics, keyed "file/run".
func tofuTest(t *testing.T, ts toolSet, dir string) map[string]*testRunResult {
	t.Helper()
	initDir(t, ts, dir, nil)
	r := runTofu(t, ts, dir, nil, "test", "-json", "-no-color")
	runs := map[string]*testRunResult{}
	get := func(file, run string) *testRunResult {
		k := filepath.Base(file) + "/" + run
		if runs[k] == nil {
			runs[k] = &testRunResult{}
		}
		return runs[k]
	}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var msg struct {
			Type       string                              `json:"type"`
			File       string                              `json:"@testfile"`
			Run        string                              `json:"@testrun"`
			TestRun    *struct{ Path, Run, Status string } `json:"test_run"`
			Diagnostic *struct {
				Severity, Summary, Detail string
			} `json:"diagnostic"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil {
			continue
		}
		switch {
		case msg.Type == "test_run" && msg.TestRun != nil:
			get(msg.TestRun.Path, msg.TestRun.Run).status = msg.TestRun.Status
		case msg.Type == "diagnostic" && msg.Diagnostic != nil && msg.Run != "" && msg.Diagnostic.Severity == "error":
			d := get(msg.File, msg.Run)
			d.diags = append(d.diags, msg.Diagnostic.Summary+": "+msg.Diagnostic.Detail)
		}
	}
	if len(runs) == 0 {
		t.Fatalf("tofu test reported no runs:\n%s", r)
	}
	return runs
}

// TestModuleModes runs the module's own tests/modes.tftest.hcl: creating the
// domain (the default) and joining an existing one, with a mocked provider.
func TestModuleModes(t *testing.T) {
	ts := findTools(t)
	dir := copyModule(t)
	runs := tofuTest(t, ts, dir)
	want := []string{
		"modes.tftest.hcl/creates_the_domain_by_default",
		"modes.tftest.hcl/external_connection_adds_the_managed_upstream_last",
		"modes.tftest.hcl/joins_an_existing_domain",
		"modes.tftest.hcl/a_joining_instance_cannot_own_the_domain_policy",
	}
	for _, k := range want {
		r := runs[k]
		if r == nil {
			t.Errorf("%s: not run", k)
			continue
		}
		if r.status != "pass" {
			t.Errorf("%s: %s\n%s", k, r.status, strings.Join(r.diags, "\n"))
		}
	}
}

// validationCase is one set of inputs and the error it must produce ("" = valid).
type validationCase struct {
	name    string
	vars    map[string]string // input => HCL expression
	wantErr string
}

const validKey = `"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"`

func q(s string) string { return fmt.Sprintf("%q", s) }

func list(items ...string) string {
	var qs []string
	for _, s := range items {
		qs = append(qs, q(s))
	}
	return "[" + strings.Join(qs, ", ") + "]"
}

func names(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

func tagsExpr(n int, key func(int) string, value string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range n {
		fmt.Fprintf(&b, "      %s = %s\n", q(key(i)), q(value))
	}
	b.WriteString("    }")
	return b.String()
}

func validationCases() []validationCase {
	policy := q(`{"Version":"2012-10-17","Statement":[]}`)
	long := func(n int) string { return strings.Repeat("a", n) }
	tagKey := func(i int) string { return fmt.Sprintf("k%d", i) }
	const (
		domainMsg   = "domain_name must be 3-50 chars, lowercase, start with a letter, and contain only a-z, 0-9, and hyphens."
		kmsMsg      = "kms_key_arn must be a valid KMS key ARN"
		repoMsg     = "repository_name must be 2-100 chars using letters, numbers, and . _ - only, starting with a letter or number."
		descMsg     = "repository_description must be at most 1000 chars with no control characters"
		connMsg     = "external_connection must be null or a supported public:<registry> connection name."
		upMsg       = "upstreams must hold at most 10 repository names"
		upTotalMsg  = "upstreams must hold at most 9 repositories when external_connection is set"
		upDupMsg    = "upstreams must not repeat a repository, name the primary repository itself"
		upNameLen   = "repository_name must be at most 91 chars when external_connection is set"
		dpolMsg     = "domain_policy_document must be null or a JSON policy document of at most 7168 chars."
		rpolMsg     = "repository_policy_document must be null or a JSON policy document of at most 7168 chars."
		tagsMsg     = "tags must hold at most 50 tags"
		ownerMsg    = "domain_owner must be null or a 12-digit AWS account ID."
		domainPolOn = "domain_policy_document can only be set when create_domain is true"
	)
	v := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []validationCase{
		{"valid_minimal", v(), ""},
		{"domain_3_chars", v("domain_name", q("abc")), ""},
		{"domain_50_chars", v("domain_name", q("d"+long(49))), ""},
		{"domain_2_chars", v("domain_name", q("ab")), domainMsg},
		{"domain_51_chars", v("domain_name", q("d"+long(50))), domainMsg},
		{"domain_uppercase", v("domain_name", q("Shared")), domainMsg},
		{"domain_leading_digit", v("domain_name", q("1shared")), domainMsg},
		{"domain_trailing_hyphen", v("domain_name", q("shared-")), domainMsg},
		{"kms_alias_arn", v("kms_key_arn", q("arn:aws:kms:us-east-1:111122223333:alias/codeartifact")), ""},
		{"kms_gov_partition", v("kms_key_arn", q("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab")), ""},
		{"kms_prefix_only", v("kms_key_arn", q("arn:aws:kms:")), kmsMsg},
		{"kms_short_account", v("kms_key_arn", q("arn:aws:kms:us-east-1:1234:key/abc")), kmsMsg},
		{"kms_not_kms", v("kms_key_arn", q("arn:aws:s3:::bucket")), kmsMsg},
		{"kms_key_id_only", v("kms_key_arn", q("1234abcd-12ab-34cd-56ef-1234567890ab")), kmsMsg},
		{"repo_2_chars", v("repository_name", q("a1")), ""},
		{"repo_100_chars", v("repository_name", q("r"+long(99))), ""},
		{"repo_punctuation", v("repository_name", q("My.Repo_1-x")), ""},
		{"repo_1_char", v("repository_name", q("a")), repoMsg},
		{"repo_101_chars", v("repository_name", q("r"+long(100))), repoMsg},
		{"repo_leading_dot", v("repository_name", q(".repo")), repoMsg},
		{"repo_leading_hyphen", v("repository_name", q("-repo")), repoMsg},
		{"repo_slash", v("repository_name", q("team/repo")), repoMsg},
		{"repo_91_with_connection", v("repository_name", q("r"+long(90)), "external_connection", q("public:npmjs")), ""},
		{"repo_92_with_connection", v("repository_name", q("r"+long(91)), "external_connection", q("public:npmjs")), upNameLen},
		{"description_null", v("repository_description", "null"), ""},
		{"description_1000", v("repository_description", q(long(1000))), ""},
		{"description_1001", v("repository_description", q(long(1001))), descMsg},
		{"description_newline", v("repository_description", q("two\nlines")), descMsg},
		{"connection_pypi", v("external_connection", q("public:pypi")), ""},
		{"connection_crates", v("external_connection", q("public:crates-io")), ""},
		{"connection_unknown", v("external_connection", q("public:npm")), connMsg},
		{"upstreams_10", v("upstreams", list(names("up", 10)...)), ""},
		{"upstreams_9_with_connection", v("upstreams", list(names("up", 9)...), "external_connection", q("public:npmjs")), ""},
		{"upstreams_11", v("upstreams", list(names("up", 11)...)), upMsg},
		{"upstreams_10_with_connection", v("upstreams", list(names("up", 10)...), "external_connection", q("public:npmjs")), upTotalMsg},
		{"upstreams_bad_name", v("upstreams", list("_libs")), upMsg},
		{"upstreams_duplicate", v("upstreams", list("libs", "libs")), upDupMsg},
		{"upstreams_self", v("upstreams", list("team-a")), upDupMsg},
		{"upstreams_names_managed", v("upstreams", list("team-a-upstream"), "external_connection", q("public:npmjs")), upDupMsg},
		{"policies_valid", v("domain_policy_document", policy, "repository_policy_document", policy), ""},
		{"domain_policy_not_json", v("domain_policy_document", q("Allow everything")), dpolMsg},
		{"domain_policy_too_long", v("domain_policy_document", q(`{"Sid":"`+long(7200)+`"}`)), dpolMsg},
		{"repo_policy_not_json", v("repository_policy_document", q("{")), rpolMsg},
		{"tags_50", v("tags", tagsExpr(50, tagKey, "v")), ""},
		{"tags_long_key_value", v("tags", "{ "+q("k"+long(127))+" = "+q(long(256))+", empty = \"\" }"), ""},
		{"tags_51", v("tags", tagsExpr(51, tagKey, "v")), tagsMsg},
		{"tags_key_129", v("tags", "{ "+q("k"+long(128))+" = \"v\" }"), tagsMsg},
		{"tags_value_257", v("tags", "{ k = "+q(long(257))+" }"), tagsMsg},
		{"tags_reserved_prefix", v("tags", "{ \"aws:team\" = \"a\" }"), tagsMsg},
		{"join_existing_domain", v("create_domain", "false", "domain_owner", q("123456789012")), ""},
		{"domain_owner_short", v("create_domain", "false", "domain_owner", q("1234")), ownerMsg},
		{"join_with_domain_policy", v("create_domain", "false", "domain_policy_document", policy), domainPolOn},
	}
}

// TestValidationRules plans the module with a mocked provider for every case:
// valid inputs must plan; each invalid one must fail with its rule's message.
// A failed run stops its test file, so every invalid case gets a file of its own.
func TestValidationRules(t *testing.T) {
	checkValidationRules(t, findTools(t))
}

// TestValidationRulesTerraform repeats the rules with Terraform when it is installed
// too: the module declares required_version >= 1.5.0, and Terraform before 1.12
// evaluates both sides of || (the original external_connection rule broke on that).
func TestValidationRulesTerraform(t *testing.T) {
	ts := findTools(t)
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not installed; the OpenTofu run (TestValidationRules) covers the rules")
	}
	if tf == ts.tofu {
		t.Skip("terraform is already the tool TestValidationRules uses")
	}
	ts.tofu = tf
	checkValidationRules(t, ts)
}

func checkValidationRules(t *testing.T, ts toolSet) {
	dir := copyModule(t)
	testDir := filepath.Join(dir, "tests")
	if err := os.RemoveAll(testDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := validationCases()
	var valid strings.Builder
	valid.WriteString(testFileHeader)
	for _, c := range cases {
		block := runBlock(c)
		if c.wantErr == "" {
			valid.WriteString(block)
			continue
		}
		if err := os.WriteFile(filepath.Join(testDir, "invalid_"+c.name+".tftest.hcl"), []byte(testFileHeader+block), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(testDir, "valid.tftest.hcl"), []byte(valid.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := tofuTest(t, ts, dir)
	for _, c := range cases {
		file := "valid.tftest.hcl"
		if c.wantErr != "" {
			file = "invalid_" + c.name + ".tftest.hcl"
		}
		r := runs[file+"/"+c.name]
		if r == nil {
			t.Errorf("%s: not reported by tofu test (runs: %v)", c.name, runKeys(runs))
			continue
		}
		if c.wantErr == "" {
			if r.status != "pass" {
				t.Errorf("%s: valid inputs %v did not plan (%s):\n%s", c.name, c.vars, r.status, strings.Join(r.diags, "\n"))
			}
			continue
		}
		if r.status == "pass" {
			t.Errorf("%s: invalid inputs %v planned without error; want %q", c.name, c.vars, c.wantErr)
			continue
		}
		if !containsAny(r.diags, c.wantErr) {
			t.Errorf("%s: want an error containing %q, got:\n%s", c.name, c.wantErr, strings.Join(r.diags, "\n"))
		}
	}
}

const testFileHeader = `mock_provider "aws" {}

variables {
  domain_name     = "shared"
  kms_key_arn     = ` + validKey + `
  repository_name = "team-a"
}
`

func runBlock(c validationCase) string {
	var keys []string
	for k := range c.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "\nrun %q {\n  command = plan\n  variables {\n", c.name)
	for _, k := range keys {
		fmt.Fprintf(&b, "    %s = %s\n", k, c.vars[k])
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

func containsAny(diags []string, s string) bool {
	for _, d := range diags {
		if strings.Contains(strings.Join(strings.Fields(d), " "), s) {
			return true
		}
	}
	return false
}

func runKeys(m map[string]*testRunResult) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
