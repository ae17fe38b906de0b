package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver wharf's SQLite store uses

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/store/sqlcommon"
)

// Fixed root credentials of the in-process wharf list runs (loopback only, gone
// with the process).
const (
	listKeyID  = "AKIAWHARFBENCHLIST01"
	listSecret = "wharf-bench-list-secret-0123456789abcdef"
)

// list starts wharf in this process on a fresh SQLite data directory or a
// throwaway PostgreSQL, creates one domain and repository through the API, then
// writes the versions straight into the store's tables in large batches (the
// exact column encodings of internal/store/sqlcommon; going through the API one
// version at a time would take hours), and times list pages through the SDK.
//
// Layout: one package "big" with -big versions, the rest spread -per versions
// to a package ("p-000001"...). Samples: pages of big's versions (walking
// nextToken), one-page listings of random small packages, and pages of the
// repository's packages (walking nextToken, cycling).
func list(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	backend := fs.String("backend", "sqlite", "sqlite or postgres")
	total := fs.Int("versions", 1_000_000, "versions in the domain")
	big := fs.Int("big", 100_000, "versions of the one large package")
	per := fs.Int("per", 100, "versions of every other package")
	pages := fs.Int("pages", 300, "samples per kind of page")
	pageSize := fs.Int("page-size", 100, "maxResults of every list call")
	budget := fs.Duration("budget", 45*time.Second, "time limit per kind of page (fewer samples when pages are slow)")
	dir := fs.String("dir", "", "work directory (default: a new temporary one, removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "wharfbench-list-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	serveArgs := []string{"--listen", "127.0.0.1:0", "--data-dir", work}
	if *backend == "postgres" {
		pg, err := pgtest.Start(ctx)
		if err != nil {
			return err
		}
		defer pg.Stop()
		serveArgs = append(serveArgs, "--database", pg.DSN("postgres"))
	} else if *backend != "sqlite" {
		return fmt.Errorf("unknown -backend %q", *backend)
	}
	env := map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": listKeyID, "WHARF_ROOT_SECRET_ACCESS_KEY": listSecret}
	cfg, err := config.ParseServe(serveArgs, func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	os.Setenv("AWS_ACCESS_KEY_ID", listKeyID)
	os.Setenv("AWS_SECRET_ACCESS_KEY", listSecret)
	ca := client("http://"+a.Addr(), 2)
	const repo = "big"
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(Domain)}); err != nil {
		return err
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String(Domain), Repository: aws.String(repo)}); err != nil {
		return err
	}

	rows := layout(a.AdminKey.Principal.Account, repo, *total, *big, *per)
	t0 := time.Now()
	if *backend == "postgres" {
		err = loadPostgres(ctx, cfg.Database, rows)
	} else {
		err = loadSQLite(ctx, filepath.Join(work, "wharf.db"), rows)
	}
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	fmt.Printf("backend=%s\nversions=%d\npackages=%d\nload_s=%.1f\n", *backend, rows.versions, len(rows.pkgs), time.Since(t0).Seconds())

	max := aws.Int32(int32(*pageSize))
	timed := func(f func() error) (time.Duration, error) {
		t := time.Now()
		err := f()
		return time.Since(t), err
	}
	var deadline time.Time
	var next *string
	// Pages of the large package's versions, walking nextToken, in either order.
	walkBig := func(sortBy types.PackageVersionSortType) ([]time.Duration, error) {
		var lat []time.Duration
		var next *string
		deadline := time.Now().Add(*budget)
		for len(lat) < *pages && time.Now().Before(deadline) {
			d, err := timed(func() error {
				out, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(Domain), Repository: aws.String(repo),
					Format: types.PackageFormatNpm, Package: aws.String("big"), MaxResults: max, NextToken: next, SortBy: sortBy})
				if err == nil {
					if len(out.Versions) == 0 {
						return fmt.Errorf("ListPackageVersions big: empty page")
					}
					next = out.NextToken
				}
				return err
			})
			if err != nil {
				return nil, err
			}
			lat = append(lat, d)
		}
		return lat, nil
	}
	bigLat, err := walkBig("")
	if err != nil {
		return err
	}
	bigNewestLat, err := walkBig(types.PackageVersionSortTypePublishedTime)
	if err != nil {
		return err
	}
	// One-page listings of small packages.
	var smallLat []time.Duration
	r := rand.New(rand.NewPCG(1, 2))
	deadline = time.Now().Add(*budget)
	for len(smallLat) < *pages && time.Now().Before(deadline) && len(rows.pkgs) > 1 {
		name := rows.pkgs[1+r.IntN(len(rows.pkgs)-1)]
		d, err := timed(func() error {
			out, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(Domain), Repository: aws.String(repo),
				Format: types.PackageFormatNpm, Package: aws.String(name), MaxResults: max})
			if err == nil && len(out.Versions) == 0 {
				return fmt.Errorf("ListPackageVersions %s: empty page", name)
			}
			return err
		})
		if err != nil {
			return err
		}
		smallLat = append(smallLat, d)
	}
	// Pages of the repository's packages.
	var pkgLat []time.Duration
	next = nil
	deadline = time.Now().Add(*budget)
	for len(pkgLat) < *pages && time.Now().Before(deadline) {
		d, err := timed(func() error {
			out, err := ca.ListPackages(ctx, &codeartifact.ListPackagesInput{Domain: aws.String(Domain), Repository: aws.String(repo), MaxResults: max, NextToken: next})
			if err == nil {
				if len(out.Packages) == 0 {
					return fmt.Errorf("ListPackages: empty page")
				}
				next = out.NextToken
			}
			return err
		})
		if err != nil {
			return err
		}
		pkgLat = append(pkgLat, d)
	}
	report(os.Stdout, "versions_big", bigLat)
	report(os.Stdout, "versions_big_newest", bigNewestLat)
	report(os.Stdout, "versions_small", smallLat)
	report(os.Stdout, "packages", pkgLat)
	return nil
}

// rowsPlan is what to load: package names in order (big first) and how many
// versions each has.
type rowsPlan struct {
	owner, repo string
	pkgs        []string
	counts      []int
	versions    int
}

func layout(owner, repo string, total, big, per int) rowsPlan {
	p := rowsPlan{owner: owner, repo: repo, pkgs: []string{"big"}, counts: []int{big}, versions: big}
	for i := 1; p.versions < total; i++ {
		n := min(per, total-p.versions)
		p.pkgs = append(p.pkgs, fmt.Sprintf("p-%06d", i))
		p.counts = append(p.counts, n)
		p.versions += n
	}
	return p
}

// each calls f with every package row's and version row's values, in
// PackageCols and VersionCols order.
func (p rowsPlan) each(pkg func([]any) error, ver func([]any) error) error {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, name := range p.pkgs {
		k := model.PackageKey{DomainOwner: p.owner, DomainName: Domain, Repository: p.repo, Format: model.FormatNpm, Name: name}
		key := []any{k.DomainOwner, k.DomainName, k.Repository, string(k.Format), k.Namespace, k.Name}
		if err := pkg(append(append([]any{}, key...), "ALLOW", "ALLOW")); err != nil {
			return err
		}
		for j := 0; j < p.counts[i]; j++ {
			v := model.PackageVersion{PackageKey: k, Version: fmt.Sprintf("%d.%d.0", j/1000, j%1000), Status: model.StatusPublished,
				Revision: fmt.Sprintf("rev-%d-%d", i, j), Origin: model.VersionOrigin{Type: model.OriginInternal, Repository: p.repo},
				DisplayName: name, PublishedAt: base.Add(time.Duration(j) * time.Minute)}
			vals, err := sqlcommon.VersionValues(v)
			if err != nil {
				return err
			}
			if err := ver(append(append(append([]any{}, key...), v.Version), vals...)); err != nil {
				return err
			}
		}
	}
	return nil
}

func columns(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, strings.TrimSpace(c))
	}
	return out
}

// loadSQLite inserts through a second connection to wharf's database (WAL lets
// it write while wharf runs), 40 rows per INSERT, 50,000 rows per transaction.
func loadSQLite(ctx context.Context, path string, p rowsPlan) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)&_txlock=immediate") // a bulk load: no fsync, a 256 MiB page cache
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	const batch = 40
	vcols := columns(sqlcommon.VersionCols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(vcols)), ",") + ")"
	stmt := "INSERT INTO package_versions (" + sqlcommon.VersionCols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", batch), ",")
	var pending []any
	inTx := 0
	flush := func(all bool) error {
		for len(pending) >= batch*len(vcols) || (all && len(pending) > 0) {
			n := min(len(pending), batch*len(vcols))
			q := stmt
			if n < batch*len(vcols) {
				q = "INSERT INTO package_versions (" + sqlcommon.VersionCols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", n/len(vcols)), ",")
			}
			if _, err := tx.ExecContext(ctx, q, pending[:n]...); err != nil {
				return err
			}
			inTx += n / len(vcols)
			pending = pending[n:]
		}
		if inTx >= 50_000 || all {
			if err := tx.Commit(); err != nil {
				return err
			}
			inTx = 0
			if !all {
				var err error
				if tx, err = db.BeginTx(ctx, nil); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err = p.each(func(row []any) error {
		// The package row goes first (foreign key): flush the versions before it.
		if err := flush(false); err != nil {
			return err
		}
		if len(pending) > 0 {
			q := "INSERT INTO package_versions (" + sqlcommon.VersionCols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", len(pending)/len(vcols)), ",")
			if _, err := tx.ExecContext(ctx, q, pending...); err != nil {
				return err
			}
			inTx += len(pending) / len(vcols)
			pending = nil
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO packages ("+sqlcommon.PackageCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row...)
		return err
	}, func(row []any) error {
		pending = append(pending, row...)
		return flush(false)
	})
	if err != nil {
		tx.Rollback()
		return err
	}
	return flush(true)
}

// loadPostgres copies the rows in with COPY (packages first), then ANALYZEs, as
// autovacuum would soon after such a load.
func loadPostgres(ctx context.Context, dsn string, p rowsPlan) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var pkgs [][]any
	if err := p.each(func(r []any) error { pkgs = append(pkgs, r); return nil }, func([]any) error { return nil }); err != nil {
		return err
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"packages"}, columns(sqlcommon.PackageCols), pgx.CopyFromRows(pkgs)); err != nil {
		return err
	}
	// The versions stream from a producer: a million rows never sit in memory.
	rows := make(chan []any, 1024)
	produced := make(chan error, 1)
	go func() {
		defer close(rows)
		produced <- p.each(func([]any) error { return nil }, func(r []any) error {
			select {
			case rows <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"package_versions"}, columns(sqlcommon.VersionCols), pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-rows
		if !ok {
			return nil, nil
		}
		return r, nil
	})); err != nil {
		return err
	}
	if err := <-produced; err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ANALYZE packages; ANALYZE package_versions")
	return err
}
