package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour).UTC()
	rec := func(action, repo, ns, pkg, principal string, at time.Time) model.AuditRecord {
		return model.AuditRecord{Time: at, Action: action, Principal: principal, DomainOwner: "000000000000", DomainName: "corp",
			Repository: repo, Format: model.FormatNpm, Namespace: ns, Package: pkg, Version: "1.0.0",
			Detail: model.AuditDetail{OperationType: model.OpCreated, ExternalConnection: "public:npmjs", Assets: []model.AuditAsset{{Name: "package.tgz", SHA256: "aa"}}}}
	}
	if err := st.AppendAudit(ctx, []model.AuditRecord{
		rec(model.AuditIngest, "npm-store", "", "left-pad", "arn:aws:iam::000000000000:user/ci", old),
		rec(model.AuditRetain, "app", "", "left-pad", "arn:aws:iam::000000000000:user/ci", time.Now().UTC()),
		rec(model.AuditPublish, "app", "corp", "ui", "arn:aws:iam::000000000000:user/dev", time.Now().UTC()),
	}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()

	lines := func(args ...string) []model.AuditRecord {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"audit", "--data-dir", dir}, args...), &out, &errb); code != 0 {
			t.Fatalf("audit %v: %d %s", args, code, errb.String())
		}
		var recs []model.AuditRecord
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			var r model.AuditRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("line %q is not a JSON record: %v", sc.Text(), err)
			}
			recs = append(recs, r)
		}
		return recs
	}
	if all := lines(); len(all) != 3 || all[0].Action != model.AuditIngest || all[0].Detail.ExternalConnection != "public:npmjs" || all[0].ID >= all[1].ID {
		t.Fatalf("all: %+v", all)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--domain", "corp", "--package", "left-pad"}, 2},
		{[]string{"--repository", "app"}, 2},
		{[]string{"--package", "@corp/ui"}, 1},
		{[]string{"--principal", "arn:aws:iam::000000000000:user/dev"}, 1},
		{[]string{"--since", "24h"}, 2},
		{[]string{"--until", time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)}, 1},
		{[]string{"--domain", "other"}, 0},
	} {
		if got := lines(tc.args...); len(got) != tc.want {
			t.Errorf("audit %v: %d records, want %d", tc.args, len(got), tc.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"audit", "--data-dir", dir, "--since", "yesterday"}, &out, &errb); code != 2 {
		t.Fatalf("bad --since accepted: %d", code)
	}
	errb.Reset()
	if code := run([]string{"audit", "--data-dir", dir, "--format", "NPM"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "not a package format") {
		t.Fatalf("unknown --format: %d %q, want 2 saying so", code, errb.String())
	}
}
