package awsapi

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestOperationsMatchModel checks the routing table against the service model
// (testdata/README.md says where it comes from).
func TestOperationsMatchModel(t *testing.T) {
	raw, err := os.ReadFile("testdata/codeartifact-2018-09-22.json")
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		Operations map[string]struct {
			HTTP struct {
				Method     string `json:"method"`
				RequestURI string `json:"requestUri"`
			} `json:"http"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(raw, &model); err != nil {
		t.Fatal(err)
	}
	if len(model.Operations) != len(Operations) {
		t.Fatalf("model has %d operations, table has %d", len(model.Operations), len(Operations))
	}
	for _, o := range Operations {
		m, ok := model.Operations[o.Name]
		if !ok {
			t.Errorf("%s is not in the model", o.Name)
			continue
		}
		path, _, _ := strings.Cut(m.HTTP.RequestURI, "?")
		if m.HTTP.Method != o.Method || path != o.Path {
			t.Errorf("%s: table %s %s, model %s %s", o.Name, o.Method, o.Path, m.HTTP.Method, path)
		}
	}
}
