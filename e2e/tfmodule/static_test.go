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

// seedDoc is what the seed document promises: its code and its two tables.
type seedDoc struct {
	code    *tfConfig
	inputs  []seedInput
	outputs []string
}

type seedInput struct {
	Name, Type, Default, Required, Description string
}

// Inputs this module adds to the seed's interface. Each must be optional, so
// every configuration written against the seed keeps working unchanged.
var addedInputs = []string{"create_domain", "domain_owner"}

// Seed validations this module tightens (only where a value could never apply);
// the README lists each one with its reason. All others must be the seed's text.
var tightenedValidations = []string{"kms_key_arn", "repository_name"}

// Seed validations rewritten without changing the rule or the message: the seed's
// form fails on Terraform before 1.12 (see the README).
var rewrittenValidations = []string{"external_connection"}

// Seed inputs that had no validation and gained one (values the API rejects).
var addedValidations = []string{"repository_description", "upstreams", "domain_policy_document", "repository_policy_document", "tags"}

func loadSeed(t *testing.T) seedDoc {
	t.Helper()
	raw, err := os.ReadFile(seedPath(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	index := func(from int, line string) int {
		for i := from; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) == line {
				return i
			}
		}
		t.Fatalf("seed: no line %q after line %d", line, from+1)
		return -1
	}
	codeStart := index(0, "# versions.tf")
	codeEnd := index(codeStart, "How to use it")
	code := parseConfigText(t, "seed", []byte(strings.Join(lines[codeStart:codeEnd], "\n")))

	inStart := index(codeEnd, "Inputs")
	outStart := index(inStart, "Outputs")
	outEnd := index(outStart, "Enterprise scenario")
	var s seedDoc
	s.code = code
	for _, row := range tableRows(t, lines[inStart+1:outStart], 5) {
		s.inputs = append(s.inputs, seedInput{row[0], row[1], row[2], row[3], row[4]})
	}
	for _, row := range tableRows(t, lines[outStart+1:outEnd], 2) {
		s.outputs = append(s.outputs, row[0])
	}
	if len(s.inputs) == 0 || len(s.outputs) == 0 {
		t.Fatal("seed: empty Inputs or Outputs table")
	}
	return s
}

// tableRows reads a markdown table whose cells may be broken across lines (as the
// seed's are: each code span ends a line). It joins the lines after the header's
// |---| separator and cuts the cells into rows of width cells.
func tableRows(t *testing.T, lines []string, width int) [][]string {
	t.Helper()
	sep := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "|---") {
			sep = i
			break
		}
	}
	if sep < 0 {
		t.Fatalf("no table separator in %q", lines)
	}
	var cells []string
	for _, l := range lines[sep+1:] {
		for _, c := range strings.Split(l, "|") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
	}
	if len(cells)%width != 0 {
		t.Fatalf("table cells %d are not a multiple of %d: %q", len(cells), width, cells)
	}
	var rows [][]string
	for i := 0; i < len(cells); i += width {
		rows = append(rows, cells[i:i+width])
	}
	return rows
}

func TestSeedInputsMatchModule(t *testing.T) {
	seed := loadSeed(t)
	mod := parseConfig(t, moduleDir(t))
	for _, in := range seed.inputs {
		v := mod.Variables[in.Name]
		if v == nil {
			t.Errorf("seed input %s: missing from the module", in.Name)
			continue
		}
		if squash(v.Type) != squash(in.Type) {
			t.Errorf("input %s: type %s, seed table says %s", in.Name, v.Type, in.Type)
		}
		switch in.Required {
		case "Yes":
			if v.HasDefault || in.Default != "—" {
				t.Errorf("input %s: must be required with no default (module default %q)", in.Name, v.Default)
			}
		case "No":
			if !v.HasDefault || squash(v.Default) != squash(in.Default) {
				t.Errorf("input %s: default %q, seed table says %q", in.Name, v.Default, in.Default)
			}
		default:
			t.Errorf("seed input %s: Required cell %q", in.Name, in.Required)
		}
	}
	// The seed's code must agree with its own table, and the module with the code.
	for name, sv := range seed.code.Variables {
		v := mod.Variables[name]
		if v == nil {
			t.Errorf("seed variable %s: missing from the module", name)
			continue
		}
		if squash(v.Type) != squash(sv.Type) || v.HasDefault != sv.HasDefault || squash(v.Default) != squash(sv.Default) {
			t.Errorf("variable %s: type/default (%s, %q) differ from the seed's (%s, %q)", name, v.Type, v.Default, sv.Type, sv.Default)
		}
		if v.Description != sv.Description {
			t.Errorf("variable %s: description %q, seed %q", name, v.Description, sv.Description)
		}
		checkValidations(t, name, sv, v)
	}
	if len(seed.code.Variables) != len(seed.inputs) {
		t.Errorf("seed: code has %d variables, table %d", len(seed.code.Variables), len(seed.inputs))
	}
	for name, v := range mod.Variables {
		if seed.code.Variables[name] != nil {
			continue
		}
		if !slices.Contains(addedInputs, name) {
			t.Errorf("input %s is neither the seed's nor a documented addition", name)
		}
		if !v.HasDefault {
			t.Errorf("added input %s must be optional so seed configurations keep working", name)
		}
	}
}

func checkValidations(t *testing.T, name string, seed, mod *tfVariable) {
	t.Helper()
	switch {
	case len(seed.Validations) == 0:
		if len(mod.Validations) > 0 && !slices.Contains(addedValidations, name) {
			t.Errorf("variable %s: validation added but not listed as a documented addition", name)
		}
		if len(mod.Validations) == 0 && slices.Contains(addedValidations, name) {
			t.Errorf("variable %s: listed as gaining a validation but has none", name)
		}
	case len(mod.Validations) != len(seed.Validations):
		t.Errorf("variable %s: %d validations, seed %d", name, len(mod.Validations), len(seed.Validations))
	default:
		for i, sv := range seed.Validations {
			mv := mod.Validations[i]
			if slices.Contains(tightenedValidations, name) {
				// Tightened: the seed's message must still open the module's.
				if !strings.HasPrefix(mv.ErrorMessage, seedMessageIntent(sv.ErrorMessage)) {
					t.Errorf("variable %s: message %q lost the seed's intent %q", name, mv.ErrorMessage, sv.ErrorMessage)
				}
				if squash(mv.Condition) == squash(sv.Condition) {
					t.Errorf("variable %s: listed as tightened but its condition is the seed's", name)
				}
				continue
			}
			if slices.Contains(rewrittenValidations, name) {
				if mv.ErrorMessage != sv.ErrorMessage || squash(mv.Condition) == squash(sv.Condition) {
					t.Errorf("variable %s: a rewritten validation keeps the seed's message and changes its condition", name)
				}
				continue
			}
			if squash(mv.Condition) != squash(sv.Condition) || mv.ErrorMessage != sv.ErrorMessage {
				t.Errorf("variable %s: validation differs from the seed's:\n module %s / %q\n seed   %s / %q", name, mv.Condition, mv.ErrorMessage, sv.Condition, sv.ErrorMessage)
			}
		}
	}
}

// seedMessageIntent is the seed's error message up to its first parenthesis or final period.
func seedMessageIntent(m string) string {
	if i := strings.Index(m, " ("); i >= 0 {
		m = m[:i]
	}
	return strings.TrimSuffix(m, ".")
}

func TestSeedOutputsMatchModule(t *testing.T) {
	seed := loadSeed(t)
	mod := parseConfig(t, moduleDir(t))
	var got []string
	for name := range mod.Outputs {
		got = append(got, name)
	}
	want := slices.Clone(seed.outputs)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("outputs %v, seed table %v", got, want)
	}
	for name, so := range seed.code.Outputs {
		if o := mod.Outputs[name]; o == nil || o.Description != so.Description {
			t.Errorf("output %s: description differs from the seed's %q", name, so.Description)
		}
	}
}

func TestSeedResourcesAndVersions(t *testing.T) {
	seed := loadSeed(t)
	mod := parseConfig(t, moduleDir(t))
	if !slices.Equal(mod.Resources, seed.code.Resources) {
		t.Errorf("resources (in order) %v, seed %v", mod.Resources, seed.code.Resources)
	}
	// The seed's aws_caller_identity was never read; the module drops it (see README).
	if len(mod.Data) != 0 {
		t.Errorf("module data sources %v: the seed's only one was unused and is removed", mod.Data)
	}
	if !slices.Equal(seed.code.Data, []string{"aws_caller_identity.current"}) {
		t.Errorf("seed data sources changed: %v", seed.code.Data)
	}

	src, err := os.ReadFile(filepath.Join(moduleDir(t), "versions.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `required_version = ">= 1.5.0"`) {
		t.Error(`versions.tf: required_version must stay the seed's ">= 1.5.0"`)
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

// readmeSection returns the README's table under a "## <title>" heading.
func readmeTable(t *testing.T, readme, title string) string {
	t.Helper()
	i := strings.Index(readme, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("README: no \"## %s\" section", title)
	}
	var rows []string
	for _, l := range strings.Split(readme[i+len(title)+5:], "\n") {
		if strings.HasPrefix(l, "## ") {
			break
		}
		if strings.HasPrefix(l, "|") {
			rows = append(rows, l)
		}
	}
	return strings.Join(rows, "\n") + "\n"
}

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
	// Every deviation from the seed is written down.
	for _, name := range slices.Concat(addedInputs, tightenedValidations, rewrittenValidations, addedValidations) {
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README does not mention %s", name)
		}
	}
	for _, must := range []string{"aws_caller_identity", ">= 5.0, < 7.0", "aws codeartifact login", "skip_credentials_validation", "endpoints {"} {
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
