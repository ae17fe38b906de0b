package replicas

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// The RubyGems compact index's versions file is rendered once and kept (F10);
// a push, a gem yank and a status change made through `writer` are in the
// very next versions file `reader` serves.

func TestRubyVersionsFreshOneServer(t *testing.T) {
	srv := apptest.Start(t)
	checkRubyVersionsFresh(t, srv, srv)
}

func TestRubyVersionsFreshAcrossReplicas(t *testing.T) {
	db := dsn(t)
	shared := t.TempDir()
	opts := apptest.Options{DataDir: shared, Mutate: func(c *config.Config) { c.Database = db }}
	a, b := apptest.Start(t, opts), apptest.Start(t, opts)
	checkRubyVersionsFresh(t, a, b)
}

func checkRubyVersionsFresh(t *testing.T, writer, reader *apptest.Server) {
	ctx := context.Background()
	gem, err := os.ReadFile(filepath.Join(apptest.RepoRoot(t), "internal/formats/rubygems/testdata/wharf-demo-1.2.0.gem"))
	if err != nil {
		t.Fatal(err)
	}
	ca := writer.Setup(t, "rf", []string{"gems"}, nil, nil)
	tok := apptest.Token(t, ca, "rf")
	wURL := apptest.Endpoint(t, ca, "rf", "gems", types.PackageFormatRuby)
	rURL := reader.URL + strings.TrimPrefix(wURL, writer.URL)

	// line returns the versions file's line for wharf-demo ("" when none).
	line := func() string {
		t.Helper()
		a := call(t, http.MethodGet, rURL+"versions", tok, "")
		if a.status != http.StatusOK {
			t.Fatalf("GET versions at the reader: %d %s", a.status, a.body)
		}
		for _, l := range strings.Split(string(a.body), "\n") {
			if strings.HasPrefix(l, "wharf-demo ") {
				return l
			}
		}
		return ""
	}
	if l := line(); l != "" {
		t.Fatalf("before the push: %q", l)
	}
	line() // kept, then served again
	if a := call(t, http.MethodPost, wURL+"api/v1/gems", tok, string(gem), "Content-Type", "application/octet-stream"); a.status != http.StatusOK {
		t.Fatalf("push: %d %s", a.status, a.body)
	}
	published := line()
	if !strings.HasPrefix(published, "wharf-demo 1.2.0 ") {
		t.Fatalf("after the push: %q", published)
	}
	line()
	if a := call(t, http.MethodDelete, wURL+"api/v1/gems/yank", tok, "gem_name=wharf-demo&version=1.2.0", "Content-Type", "application/x-www-form-urlencoded"); a.status != http.StatusOK {
		t.Fatalf("yank: %d %s", a.status, a.body)
	}
	if l := line(); l != "" {
		t.Fatalf("after the yank: %q", l)
	}
	if _, err := ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{
		Domain: aws.String("rf"), Repository: aws.String("gems"), Format: types.PackageFormatRuby,
		Package: aws.String("wharf-demo"), Versions: []string{"1.2.0"}, TargetStatus: types.PackageVersionStatusPublished,
	}); err != nil {
		t.Fatal(err)
	}
	if l := line(); l != published {
		t.Fatalf("after the status change: %q, want %q", l, published)
	}
}
