package console

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// The domain page tells how to connect every package manager wharf serves
// an endpoint for (generic packages go through the API): a format added to
// the model without its commands here fails.
func TestConnectCommandsCoverEveryFormat(t *testing.T) {
	const base, owner, domain, repo = "http://127.0.0.1:8080", "111122223333", "my-corp", "app"
	text := connectCommands(base, owner, domain, repo)
	ep := func(f model.Format) string { return base + service.EndpointPath(owner, domain, f, repo) }
	marker := map[model.Format]string{
		model.FormatNpm:   "aws codeartifact login --tool npm --domain my-corp --domain-owner 111122223333 --repository app --endpoint-url " + base,
		model.FormatPypi:  "aws codeartifact login --tool pip --domain my-corp",
		model.FormatMaven: "repository URL " + ep(model.FormatMaven),
		model.FormatNuget: "aws codeartifact login --tool dotnet --domain my-corp",
		model.FormatSwift: "aws codeartifact login --tool swift --domain my-corp",
		model.FormatCargo: `index = "sparse+` + ep(model.FormatCargo) + `"`,
		model.FormatRuby:  `source "` + ep(model.FormatRuby) + `"`,
	}
	for _, f := range model.Formats {
		if f == model.FormatGeneric {
			continue
		}
		m, ok := marker[f]
		if !ok {
			t.Errorf("format %s: no connect command", f)
			continue
		}
		if !strings.Contains(text, m) {
			t.Errorf("format %s: %q missing from\n%s", f, m, text)
		}
	}
	if !strings.Contains(text, "CARGO_REGISTRIES_MY_CORP_TOKEN=") {
		t.Errorf("cargo's token variable is not named after the registry:\n%s", text)
	}
}
