package tfmodule_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// This file reads Terraform configuration the way the static tests need it:
// as source text, so a type or default can be compared with the interface tables
// character for character, not as evaluated values.

type tfVariable struct {
	Name        string
	Type        string // source text, e.g. list(string)
	Default     string // source text; "" when required
	HasDefault  bool
	Description string
	Validations []tfValidation
}

type tfValidation struct {
	Condition    string // source text
	ErrorMessage string
}

type tfOutput struct {
	Name        string
	Description string
	Value       string
}

type tfConfig struct {
	Variables map[string]*tfVariable
	Outputs   map[string]*tfOutput
	Resources []string // "type.name" in file order (files sorted by name)
	Data      []string
	Modules   map[string]*hclsyntax.Block
	Blocks    []*hclsyntax.Block // every top-level block
	src       map[string][]byte
}

// parseConfig parses every *.tf file in dir.
func parseConfig(t *testing.T, dir string) *tfConfig {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s (%v)", dir, err)
	}
	sort.Strings(files)
	c := &tfConfig{Variables: map[string]*tfVariable{}, Outputs: map[string]*tfOutput{}, Modules: map[string]*hclsyntax.Block{}, src: map[string][]byte{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c.add(t, f, b)
	}
	return c
}

func (c *tfConfig) add(t *testing.T, name string, src []byte) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, name, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatalf("parsing %s: %s", name, diags.Error())
	}
	c.src[name] = src
	body := f.Body.(*hclsyntax.Body)
	text := func(e hclsyntax.Expression) string {
		r := e.Range()
		return string(r.SliceBytes(src))
	}
	literal := func(t *testing.T, attr *hclsyntax.Attribute) string {
		if attr == nil {
			return ""
		}
		v, d := attr.Expr.Value(nil)
		if d.HasErrors() || !v.Type().Equals(cty.String) {
			t.Fatalf("%s: %s is not a literal string", name, attr.Name)
		}
		return v.AsString()
	}
	for _, b := range body.Blocks {
		c.Blocks = append(c.Blocks, b)
		switch b.Type {
		case "variable":
			v := &tfVariable{Name: b.Labels[0]}
			if a := b.Body.Attributes["type"]; a != nil {
				v.Type = text(a.Expr)
			}
			if a := b.Body.Attributes["default"]; a != nil {
				v.Default, v.HasDefault = text(a.Expr), true
			}
			v.Description = literal(t, b.Body.Attributes["description"])
			for _, vb := range b.Body.Blocks {
				if vb.Type != "validation" {
					continue
				}
				v.Validations = append(v.Validations, tfValidation{
					Condition:    text(vb.Body.Attributes["condition"].Expr),
					ErrorMessage: literal(t, vb.Body.Attributes["error_message"]),
				})
			}
			c.Variables[v.Name] = v
		case "output":
			o := &tfOutput{Name: b.Labels[0], Description: literal(t, b.Body.Attributes["description"])}
			if a := b.Body.Attributes["value"]; a != nil {
				o.Value = text(a.Expr)
			}
			c.Outputs[o.Name] = o
		case "resource":
			c.Resources = append(c.Resources, b.Labels[0]+"."+b.Labels[1])
		case "data":
			c.Data = append(c.Data, b.Labels[0]+"."+b.Labels[1])
		case "module":
			c.Modules[b.Labels[0]] = b
		}
	}
}

// attrText is the source text of a block's attribute, "" when absent.
func (c *tfConfig) attrText(b *hclsyntax.Block, name string) string {
	a := b.Body.Attributes[name]
	if a == nil {
		return ""
	}
	r := a.Expr.Range()
	return string(r.SliceBytes(c.src[r.Filename]))
}

// objectKeys returns the keys of an object constructor expression ({ a = 1 }).
func objectKeys(t *testing.T, e hclsyntax.Expression) []string {
	t.Helper()
	pairs, diags := hcl.ExprMap(e)
	if diags.HasErrors() {
		t.Fatalf("not an object: %s", diags.Error())
	}
	var keys []string
	for _, p := range pairs {
		k := hcl.ExprAsKeyword(p.Key)
		if k == "" {
			v, d := p.Key.Value(nil)
			if d.HasErrors() {
				t.Fatalf("object key is not a name: %s", d.Error())
			}
			k = v.AsString()
		}
		keys = append(keys, k)
	}
	return keys
}

// squash removes all white space, so "list( string )" equals "list(string)".
func squash(s string) string { return strings.Join(strings.Fields(s), "") }
