package tfmodule_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The module's interface, as every configuration written against it relies on it:
// each input's name, type, default, description and validations (source text,
// compared without white space), and each output. The first nine inputs and the
// six outputs are the original interface the module was specified with; change
// names what the module changed in it, and the README's "Changes to the original
// interface" section must explain each such input. An entry changes only with the
// module's interface, deliberately.
type moduleInput struct {
	Name, Type  string
	Default     string // source text; "" for a required input
	Description string
	Validations []tfValidation
	Change      string // "" when as originally specified
}

// Kinds of change to the original interface (moduleInput.Change).
const (
	added            = "added input (optional, so every original configuration keeps working)"
	tightened        = "validation tightened to values the API accepts"
	rewritten        = "validation rewritten: same rule and message, evaluable before Terraform 1.12"
	gainedValidation = "validation added (values the API rejects)"
)

// requiredInput is the Default of an input that has none.
const requiredInput = ""

// repositoryNameRegex is CodeArtifact's RepositoryName rule; two validations use it.
const repositoryNameRegex = `^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$`

var interfaceInputs = []moduleInput{
	{
		Name: "domain_name", Type: "string", Default: requiredInput,
		Description: "CodeArtifact domain name (the encryption/storage boundary). Lowercase, must be unique within the account/region.",
		Validations: []tfValidation{{
			Condition:    `can(regex("^[a-z][a-z0-9-]{1,48}[a-z0-9]$", var.domain_name))`,
			ErrorMessage: "domain_name must be 3-50 chars, lowercase, start with a letter, and contain only a-z, 0-9, and hyphens.",
		}},
	},
	{
		Name: "kms_key_arn", Type: "string", Default: requiredInput,
		Description: "ARN of a customer-managed KMS key used to encrypt all assets in the domain. Set on creation and immutable thereafter.",
		Validations: []tfValidation{{
			Condition:    `can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$", var.kms_key_arn))`,
			ErrorMessage: "kms_key_arn must be a valid KMS key ARN (arn:aws:kms:<region>:<account-id>:key/<key-id> or :alias/<name>).",
		}},
		Change: tightened, // was can(regex("^arn:aws[a-z-]*:kms:", ...)): the prefix alone
	},
	{
		Name: "repository_name", Type: "string", Default: requiredInput,
		Description: "Name of the primary repository your build tools log in to and pull/publish from.",
		Validations: []tfValidation{{
			Condition:    `can(regex("` + repositoryNameRegex + `", var.repository_name))`,
			ErrorMessage: "repository_name must be 2-100 chars using letters, numbers, and . _ - only, starting with a letter or number.",
		}},
		Change: tightened, // was ^[A-Za-z0-9._-]{2,100}$: a leading . _ - passed
	},
	{
		Name: "repository_description", Type: "string", Default: `"Managed by Terraform"`,
		Description: "Human-readable description for the primary repository.",
		Validations: []tfValidation{{
			Condition:    `var.repository_description == null || can(regex("^\\P{C}{0,1000}$", var.repository_description))`,
			ErrorMessage: "repository_description must be at most 1000 chars with no control characters (such as newlines).",
		}},
		Change: gainedValidation,
	},
	{
		Name: "external_connection", Type: "string", Default: "null",
		Description: "Public registry to proxy and cache via a dedicated upstream repo (e.g. public:npmjs, public:pypi, public:maven-central). Null disables the public proxy.",
		Validations: []tfValidation{{
			Condition: `var.external_connection == null ? true : contains([
				"public:npmjs", "public:pypi", "public:maven-central", "public:maven-googleandroid",
				"public:maven-gradleplugins", "public:maven-commonsware", "public:maven-clojars",
				"public:nuget-org", "public:ruby-gems-org", "public:crates-io",
			], var.external_connection)`,
			ErrorMessage: "external_connection must be null or a supported public:<registry> connection name.",
		}},
		Change: rewritten, // was `var.external_connection == null || contains(...)`
	},
	{
		Name: "upstreams", Type: "list(string)", Default: "[]",
		Description: "Names of additional internal repositories (within the same domain) to chain as upstreams, ordered by search priority. The managed public proxy is appended automatically when external_connection is set.",
		Validations: []tfValidation{{
			Condition:    `try(length(var.upstreams) <= 10 && alltrue([for u in var.upstreams : can(regex("` + repositoryNameRegex + `", u))]), false)`,
			ErrorMessage: "upstreams must hold at most 10 repository names (CodeArtifact's direct-upstream limit), each 2-100 chars using letters, numbers, and . _ - only, starting with a letter or number.",
		}},
		Change: gainedValidation,
	},
	{
		Name: "domain_policy_document", Type: "string", Default: "null",
		Description: "Optional JSON resource policy attached to the domain (e.g. cross-account CreateRepository / ListRepositories grants). Null to omit.",
		Validations: []tfValidation{{
			Condition:    `var.domain_policy_document == null || (can(jsondecode(var.domain_policy_document)) && try(length(var.domain_policy_document) <= 7168, false))`,
			ErrorMessage: "domain_policy_document must be null or a JSON policy document of at most 7168 chars.",
		}},
		Change: gainedValidation,
	},
	{
		Name: "repository_policy_document", Type: "string", Default: "null",
		Description: "Optional JSON resource policy attached to the primary repository (scope ReadFromRepository vs. PublishPackageVersion to principals). Null to omit.",
		Validations: []tfValidation{{
			Condition:    `var.repository_policy_document == null || (can(jsondecode(var.repository_policy_document)) && try(length(var.repository_policy_document) <= 7168, false))`,
			ErrorMessage: "repository_policy_document must be null or a JSON policy document of at most 7168 chars.",
		}},
		Change: gainedValidation,
	},
	{
		Name: "tags", Type: "map(string)", Default: "{}",
		Description: "Tags applied to the domain and all repositories.",
		Validations: []tfValidation{{
			Condition: `var.tags == null || try(length(var.tags) <= 50 && alltrue([
				for k, v in var.tags : can(regex("^\\P{C}{1,128}$", k)) && can(regex("^\\P{C}{0,256}$", v)) && !startswith(lower(k), "aws:")
			]), false)`,
			ErrorMessage: `tags must hold at most 50 tags; keys 1-128 chars not starting with "aws:", values at most 256 chars, without control characters.`,
		}},
		Change: gainedValidation,
	},
	{
		Name: "create_domain", Type: "bool", Default: "true",
		Description: "Create the domain (true, the original behaviour) or join an existing domain named domain_name (false), so one shared domain can hold a repository per team via for_each. When false, kms_key_arn is still required but ignored (the domain's key was fixed when it was created) and domain_policy_document must be null.",
		Change:      added,
	},
	{
		Name: "domain_owner", Type: "string", Default: "null",
		Description: "Account ID that owns the existing domain when create_domain is false (cross-account hub-and-spoke). Null means the caller's account. Ignored when create_domain is true.",
		Validations: []tfValidation{{
			Condition:    `var.domain_owner == null || can(regex("^[0-9]{12}$", var.domain_owner))`,
			ErrorMessage: "domain_owner must be null or a 12-digit AWS account ID.",
		}},
		Change: added,
	},
}

// interfaceOutputs are the module's outputs (all original) with their descriptions.
var interfaceOutputs = map[string]string{
	"domain_name":              "The name of the CodeArtifact domain.",
	"domain_arn":               "ARN of the CodeArtifact domain.",
	"domain_owner":             "AWS account ID that owns the domain (used as --domain-owner in CLI logins).",
	"repository_name":          "Name of the primary repository to use with 'aws codeartifact login'.",
	"repository_arn":           "ARN of the primary repository.",
	"upstream_repository_name": "Name of the managed public-proxy upstream repository, or null when no external connection is configured.",
}

// interfaceResources are the module's resources in the order main.tf declares them
// (the order of creation the README describes).
var interfaceResources = []string{
	"aws_codeartifact_domain.this",
	"aws_codeartifact_domain_permissions_policy.this",
	"aws_codeartifact_repository.upstream",
	"aws_codeartifact_repository.this",
	"aws_codeartifact_repository_permissions_policy.this",
}

func TestInterfaceInputs(t *testing.T) {
	mod := parseConfig(t, moduleDir(t))
	for _, want := range interfaceInputs {
		v := mod.Variables[want.Name]
		if v == nil {
			t.Errorf("input %s: missing from the module", want.Name)
			continue
		}
		if squash(v.Type) != squash(want.Type) {
			t.Errorf("input %s: type %s, want %s", want.Name, v.Type, want.Type)
		}
		if v.HasDefault != (want.Default != requiredInput) || squash(v.Default) != squash(want.Default) {
			t.Errorf("input %s: default %q (has default: %v), want %q (empty: required)", want.Name, v.Default, v.HasDefault, want.Default)
		}
		if want.Change == added && !v.HasDefault {
			t.Errorf("added input %s must be optional so original configurations keep working", want.Name)
		}
		if v.Description != want.Description {
			t.Errorf("input %s: description %q, want %q", want.Name, v.Description, want.Description)
		}
		if len(v.Validations) != len(want.Validations) {
			t.Errorf("input %s: %d validations, want %d", want.Name, len(v.Validations), len(want.Validations))
			continue
		}
		for i, wv := range want.Validations {
			if mv := v.Validations[i]; squash(mv.Condition) != squash(wv.Condition) || mv.ErrorMessage != wv.ErrorMessage {
				t.Errorf("input %s: validation %d is\n  %s / %q\nwant\n  %s / %q", want.Name, i, mv.Condition, mv.ErrorMessage, wv.Condition, wv.ErrorMessage)
			}
		}
	}
	for name := range mod.Variables {
		if !slices.ContainsFunc(interfaceInputs, func(w moduleInput) bool { return w.Name == name }) {
			t.Errorf("input %s is not in the interface table (interfaceInputs): an interface change needs the table, the README and a reason", name)
		}
	}
}

func TestInterfaceOutputs(t *testing.T) {
	mod := parseConfig(t, moduleDir(t))
	for name, desc := range interfaceOutputs {
		if o := mod.Outputs[name]; o == nil {
			t.Errorf("output %s: missing from the module", name)
		} else if o.Description != desc {
			t.Errorf("output %s: description %q, want %q", name, o.Description, desc)
		}
	}
	for name := range mod.Outputs {
		if _, ok := interfaceOutputs[name]; !ok {
			t.Errorf("output %s is not in the interface table (interfaceOutputs)", name)
		}
	}
}

func TestInterfaceResourcesAndVersions(t *testing.T) {
	mod := parseConfig(t, moduleDir(t))
	if !slices.Equal(mod.Resources, interfaceResources) {
		t.Errorf("resources (in order) %v, want %v", mod.Resources, interfaceResources)
	}
	// The original design declared an aws_caller_identity nothing read; the module
	// has none (see README): it cost an STS call on every plan.
	if len(mod.Data) != 0 {
		t.Errorf("module data sources %v: want none", mod.Data)
	}

	src, err := os.ReadFile(filepath.Join(moduleDir(t), "versions.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `required_version = ">= 1.5.0"`) {
		t.Error(`versions.tf: required_version must stay the original ">= 1.5.0"`)
	}
	if !regexp.MustCompile(`(?m)^\s*version\s*=\s*">= 5.0, < 7.0"`).Match(src) || !strings.Contains(string(src), `source = "hashicorp/aws"`) {
		t.Error(`versions.tf: the AWS provider must be hashicorp/aws ">= 5.0, < 7.0" (v5 and v6)`)
	}
}

// renderInputsTable is the README's Inputs table as the code defines it.
func renderInputsTable(c *tfConfig) string {
	var names []string
	for n := range c.Variables {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return varOrder(c, names[i]) < varOrder(c, names[j]) })
	var b strings.Builder
	b.WriteString("| Name | Type | Default | Required | Description |\n|---|---|---|---|---|\n")
	for _, n := range names {
		v := c.Variables[n]
		def, req := "—", "yes"
		if v.HasDefault {
			def, req = "`"+v.Default+"`", "no"
		}
		b.WriteString("| `" + n + "` | `" + squashType(v.Type) + "` | " + def + " | " + req + " | " + v.Description + " |\n")
	}
	return b.String()
}

func renderOutputsTable(c *tfConfig) string {
	var names []string
	for n := range c.Outputs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return outOrder(c, names[i]) < outOrder(c, names[j]) })
	var b strings.Builder
	b.WriteString("| Name | Description |\n|---|---|\n")
	for _, n := range names {
		b.WriteString("| `" + n + "` | " + c.Outputs[n].Description + " |\n")
	}
	return b.String()
}

func squashType(s string) string { return strings.Join(strings.Fields(s), " ") }

// varOrder / outOrder keep the tables in declaration order.
func varOrder(c *tfConfig, name string) int {
	for i, b := range c.Blocks {
		if b.Type == "variable" && b.Labels[0] == name {
			return i
		}
	}
	return -1
}

func outOrder(c *tfConfig, name string) int {
	for i, b := range c.Blocks {
		if b.Type == "output" && b.Labels[0] == name {
			return i
		}
	}
	return -1
}

// readmeSection returns the README's text under a "## <title>" heading, up to the next one.
func readmeSection(t *testing.T, readme, title string) string {
	t.Helper()
	_, body, ok := strings.Cut(readme, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README: no \"## %s\" section", title)
	}
	body, _, _ = strings.Cut(body, "\n## ")
	return body
}

// readmeTable returns the table rows of a README section.
func readmeTable(t *testing.T, readme, title string) string {
	t.Helper()
	var rows []string
	for _, l := range strings.Split(readmeSection(t, readme, title), "\n") {
		if strings.HasPrefix(l, "|") {
			rows = append(rows, l)
		}
	}
	return strings.Join(rows, "\n") + "\n"
}

const changesSection = "Changes to the original interface, and why"

func TestReadmeTablesMatchCode(t *testing.T) {
	mod := parseConfig(t, moduleDir(t))
	b, err := os.ReadFile(filepath.Join(moduleDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if got, want := readmeTable(t, readme, "Inputs"), renderInputsTable(mod); got != want {
		t.Errorf("README Inputs table differs from variables.tf; it should read:\n%s", want)
	}
	if got, want := readmeTable(t, readme, "Outputs"), renderOutputsTable(mod); got != want {
		t.Errorf("README Outputs table differs from outputs.tf; it should read:\n%s", want)
	}
	// Every change to the original interface is explained.
	changes := readmeSection(t, readme, changesSection)
	for _, in := range interfaceInputs {
		if in.Change != "" && !strings.Contains(changes, "`"+in.Name+"`") {
			t.Errorf("README section %q does not explain input %s (%s)", changesSection, in.Name, in.Change)
		}
	}
	for _, must := range []string{"aws_caller_identity", ">= 5.0, < 7.0"} {
		if !strings.Contains(changes, must) {
			t.Errorf("README section %q does not mention %q", changesSection, must)
		}
	}
	for _, must := range []string{"aws codeartifact login", "skip_credentials_validation", "endpoints {"} {
		if !strings.Contains(readme, must) {
			t.Errorf("README does not mention %q", must)
		}
	}
}

// TestExamplesParse checks every example is valid HCL that calls the module with
// known inputs and all required ones, and can be pointed at wharf by a variable.
func TestExamplesParse(t *testing.T) {
	mod := parseConfig(t, moduleDir(t))
	for _, ex := range []string{"quickstart", "complete", "multi-team"} {
		t.Run(ex, func(t *testing.T) {
			c := parseConfig(t, filepath.Join(moduleDir(t), "examples", ex))
			if len(c.Modules) == 0 {
				t.Fatal("no module block")
			}
			for name, b := range c.Modules {
				if src := c.attrText(b, "source"); src != `"../.."` {
					t.Errorf("module %s: source %s, want \"../..\"", name, src)
				}
				checkModuleArgs(t, mod, name, b.Body.Attributes)
			}
			if c.Variables["endpoint"] == nil || !c.Variables["endpoint"].HasDefault || c.Variables["endpoint"].Default != "null" {
				t.Error(`variable "endpoint" (default null) is missing: the example cannot be pointed at wharf`)
			}
			var provider *hclsyntax.Block
			for _, b := range c.Blocks {
				if b.Type == "provider" && b.Labels[0] == "aws" {
					provider = b
				}
			}
			if provider == nil {
				t.Fatal(`no provider "aws" block`)
			}
			var endpoints bool
			for _, b := range provider.Body.Blocks {
				endpoints = endpoints || (b.Type == "dynamic" && b.Labels[0] == "endpoints")
			}
			if !endpoints {
				t.Error("provider aws has no dynamic endpoints block driven by var.endpoint")
			}
		})
	}
	if got := parseConfig(t, filepath.Join(moduleDir(t), "examples", "quickstart")).Modules["codeartifact"]; got == nil || len(got.Body.Attributes) != 4 {
		t.Error("quickstart must pass exactly source and the three required inputs")
	}
	mt := parseConfig(t, filepath.Join(moduleDir(t), "examples", "multi-team"))
	if team := mt.Modules["team"]; team == nil || team.Body.Attributes["for_each"] == nil || mt.attrText(team, "create_domain") != "false" {
		t.Error("multi-team: module \"team\" must use for_each with create_domain = false")
	}
}

var metaArgs = []string{"source", "version", "for_each", "count", "providers", "depends_on"}

func checkModuleArgs(t *testing.T, mod *tfConfig, name string, attrs hclsyntax.Attributes) {
	t.Helper()
	for arg := range attrs {
		if !slices.Contains(metaArgs, arg) && mod.Variables[arg] == nil {
			t.Errorf("module %s: argument %s is not a module input", name, arg)
		}
	}
	for vn, v := range mod.Variables {
		if !v.HasDefault && attrs[vn] == nil {
			t.Errorf("module %s: required input %s not set", name, vn)
		}
	}
}

// TestTerragruntParses: Terragrunt is not installable here, so its files are
// checked for syntax and shape: root backend + provider, per-environment includes
// with inputs the module accepts.
func TestTerragruntParses(t *testing.T) {
	mod := parseConfig(t, moduleDir(t))
	live := filepath.Join(moduleDir(t), "examples", "terragrunt", "live")
	parse := func(p string) *hclsyntax.Body {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, diags := hclsyntax.ParseConfig(src, p, hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", p, diags.Error())
		}
		return f.Body.(*hclsyntax.Body)
	}
	blocks := func(b *hclsyntax.Body) map[string]*hclsyntax.Block {
		m := map[string]*hclsyntax.Block{}
		for _, bl := range b.Blocks {
			m[strings.Join(append([]string{bl.Type}, bl.Labels...), ".")] = bl
		}
		return m
	}
	root := blocks(parse(filepath.Join(live, "terragrunt.hcl")))
	if root["remote_state"] == nil || root["generate.provider"] == nil {
		t.Errorf("root terragrunt.hcl needs remote_state and generate \"provider\": has %v", mapsKeys(root))
	}
	envs, _ := filepath.Glob(filepath.Join(live, "*", "codeartifact", "terragrunt.hcl"))
	if len(envs) < 2 {
		t.Fatalf("want live/<env>/codeartifact/terragrunt.hcl for at least two environments, found %v", envs)
	}
	for _, p := range envs {
		body := parse(p)
		bs := blocks(body)
		if bs["include.root"] == nil || bs["terraform"] == nil || bs["terraform"].Body.Attributes["source"] == nil {
			t.Errorf("%s: needs include \"root\" and terraform { source }", p)
		}
		in := body.Attributes["inputs"]
		if in == nil {
			t.Errorf("%s: no inputs", p)
			continue
		}
		keys := objectKeys(t, in.Expr)
		attrs := hclsyntax.Attributes{}
		for _, k := range keys {
			attrs[k] = &hclsyntax.Attribute{Name: k}
		}
		checkModuleArgs(t, mod, p, attrs)
	}
}

func mapsKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
