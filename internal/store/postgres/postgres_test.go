package postgres

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/store/storetest"
)

// The tests run against a real PostgreSQL: WHARF_TEST_POSTGRES_DSN when set
// (its role must be allowed to create schemas), else a throwaway server this
// package starts once and stops in TestMain. Every store gets a schema of its
// own, named in the DSN's search_path, so tests never see each other's rows.

var (
	serverOnce sync.Once
	server     *pgtest.Server
	adminDSN   string
	serverErr  error
	schemaSeq  atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping test PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

// admin returns the DSN tests create schemas through, starting the throwaway
// server on first use. No PostgreSQL is a test failure, not a skip.
func admin(t *testing.T) string {
	t.Helper()
	serverOnce.Do(func() {
		if dsn := os.Getenv("WHARF_TEST_POSTGRES_DSN"); dsn != "" {
			adminDSN = dsn
			return
		}
		server, serverErr = pgtest.Start(context.Background())
		if serverErr == nil {
			adminDSN = server.DSN("postgres")
		}
	})
	if serverErr != nil {
		t.Fatalf("test PostgreSQL: %v", serverErr)
	}
	return adminDSN
}

// freshDSN creates an empty schema and returns a DSN whose search_path is it;
// the schema is dropped when t ends (after the stores t opened are closed,
// since their cleanups were registered later).
func freshDSN(t *testing.T) string {
	t.Helper()
	base := admin(t)
	schema := fmt.Sprintf("wharf_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	exec := func(ctx context.Context, sql string) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, base, schema)
}

// withSearchPath sets search_path in a URL or key=value DSN.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("WHARF_TEST_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, freshDSN(t)) })
}

func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT version FROM schema_version ORDER BY version`)
	if err != nil {
		t.Fatalf("schema_version: %v", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("schema_version: %v", err)
	}
	return vs
}

func wantVersions(t *testing.T) []int {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.Version)
	}
	return want
}

// Two replicas on one database: each sees the other's writes at once, and a
// create racing across them has one winner.
func TestTwoReplicas(t *testing.T) {
	dsn := freshDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	ctx := t.Context()
	const owner = "111111111111"

	d := model.Domain{Name: "d", Owner: owner, Region: "us-east-1", Status: "Active", EncryptionKey: "k"}
	if err := a.CreateDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got, err := b.GetDomain(ctx, owner, "d"); err != nil || got.Name != "d" {
		t.Fatalf("replica b GetDomain after a's create = %+v, %v", got, err)
	}
	if err := b.CreateDomain(ctx, d); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("replica b re-creating a's domain: got %v, want Conflict", err)
	}
	r := model.Repository{Name: "r", DomainName: "d", DomainOwner: owner, AdministratorAccount: owner, Region: "us-east-1",
		Upstreams: []string{"b", "a"}}
	if err := b.CreateRepository(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := a.GetRepository(ctx, owner, "d", "r"); err != nil || len(got.Upstreams) != 2 || got.Upstreams[0] != "b" {
		t.Fatalf("replica a GetRepository after b's create = %+v, %v", got, err)
	}
	if err := a.DeleteDomain(ctx, owner, "d"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("replica a deleting a domain b filled: got %v, want Conflict", err)
	}

	// Policy compare-and-swap across replicas: both start from revision 1;
	// exactly one swap lands.
	arn := d.ARN()
	if err := a.PutPolicy(ctx, model.Policy{ResourceARN: arn, Document: "{}", Revision: "1"}, ""); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			errs[i] = s.PutPolicy(ctx, model.Policy{ResourceARN: arn, Document: fmt.Sprint(i), Revision: fmt.Sprint("2-", i)}, "1")
		})
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !apperr.Is(err, apperr.Conflict):
			t.Errorf("PutPolicy on replica %d: %v, want nil or Conflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d policy swaps from revision 1 succeeded, want 1", wins)
	}

	// Sixteen creates of one domain spread over both replicas: one winner.
	errs = make([]error, 16)
	for i := range errs {
		s := []*Store{a, b}[i%2]
		wg.Go(func() { errs[i] = s.CreateDomain(ctx, model.Domain{Name: "race", Owner: owner, Region: "us-east-1"}) })
	}
	wg.Wait()
	wins = 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !apperr.Is(err, apperr.Conflict):
			t.Errorf("CreateDomain racer %d: %v, want nil or Conflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of the racing CreateDomain calls succeeded, want 1", wins)
	}
}

// Replicas starting together migrate the schema once: every Open succeeds
// (without the advisory lock, the losers fail on "relation already exists" or a
// duplicate schema_version row) and each migration is recorded once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := freshDSN(t)
	const replicas = 8
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	var start sync.WaitGroup
	var wg sync.WaitGroup
	start.Add(1)
	for i := range replicas {
		wg.Go(func() {
			start.Wait()
			stores[i], errs[i] = Open(t.Context(), dsn)
		})
	}
	start.Done()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
		}
	}
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	if stores[0] == nil {
		t.FailNow()
	}
	got, want := schemaVersions(t, stores[0]), wantVersions(t)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("schema_version rows = %v, want %v", got, want)
	}
}

// Reopening finds the schema current and the data in place.
func TestReopen(t *testing.T) {
	dsn := freshDSN(t)
	s := open(t, dsn)
	d := model.Domain{Name: "d", Owner: "1", Region: "r"}
	if err := s.CreateDomain(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dsn)
	defer s.Close()
	if fmt.Sprint(schemaVersions(t, s)) != fmt.Sprint(wantVersions(t)) {
		t.Errorf("schema versions after reopen = %v, want %v", schemaVersions(t, s), wantVersions(t))
	}
	if _, err := s.GetDomain(t.Context(), "1", "d"); err != nil {
		t.Errorf("GetDomain after reopen: %v", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dsn := freshDSN(t)
	s := open(t, dsn)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), dsn); err == nil {
		s.Close()
		t.Fatalf("Open of a database from a newer wharf succeeded")
	}
}

// Sorting is by bytes whatever the database's collation. The store here lives
// in a database whose default collation is ICU's linguistic order, where "a" <
// "A" < "_x" would not hold byte order; the schema's COLLATE "C" must win.
func TestByteOrder(t *testing.T) {
	base := admin(t)
	db := fmt.Sprintf("wharf_test_icu_%d_%d", os.Getpid(), schemaSeq.Add(1))
	adminExec := func(ctx context.Context, sql string) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := adminExec(t.Context(), `CREATE DATABASE `+db+` TEMPLATE template0 ENCODING 'UTF8'
		LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'`); err != nil {
		t.Fatalf("create an ICU-collated database (needs CREATEDB and a PostgreSQL built with ICU): %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(context.Background(), `DROP DATABASE `+db+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		t.Fatalf("TestByteOrder needs a URL DSN, got an unparsable one (%v)", err)
	}
	u.Path = "/" + db
	s := open(t, u.String())
	defer s.Close()

	names := []string{"b", "B", "a", "_x", "A"}
	// The test means something only if the database's own order differs.
	var linguistic string
	if err := s.pool.QueryRow(t.Context(), `SELECT string_agg(n, ',' ORDER BY n) FROM unnest($1::text[]) AS n`, names).
		Scan(&linguistic); err != nil {
		t.Fatal(err)
	}
	const bytewise = "A,B,_x,a,b"
	if linguistic == bytewise {
		t.Fatalf("database default collation already sorts bytewise (%s): test database is not linguistic", linguistic)
	}
	for _, n := range names {
		if err := s.CreateDomain(t.Context(), model.Domain{Name: n, Owner: "1", Region: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	// Page by two so the keyset comparison is exercised under the collation too.
	var got []string
	cursor := ""
	for {
		ds, next, err := s.ListDomains(t.Context(), "1", store.Page{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			got = append(got, d.Name)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if g := strings.Join(got, ","); g != bytewise {
		t.Errorf("ListDomains order = %s, want %s (database order would be %s)", g, bytewise, linguistic)
	}
}

// Migration 4 moves npm dist-tags out of the cache into dist_tags.
func TestMigrateDistTags(t *testing.T) {
	dsn := freshDSN(t)
	s := open(t, dsn)
	storetest.SeedLegacyDistTags(t, s)
	for _, q := range []string{`DROP TABLE dist_tags`, `DELETE FROM schema_version WHERE version >= 4`,
		// Undo the later migrations too, so they run again after 4.
		`DROP INDEX auth_tokens_expires_at`, `ALTER TABLE auth_tokens DROP COLUMN domain_created_at`,
		`DROP TABLE iam_entities`, `DROP INDEX access_keys_by_principal`, `DROP INDEX access_keys_by_expiry`,
		`ALTER TABLE access_keys DROP COLUMN status`, `ALTER TABLE access_keys DROP COLUMN session_token_hash`,
		`ALTER TABLE access_keys DROP COLUMN role_arn`, `ALTER TABLE access_keys DROP COLUMN session_tags`,
		`ALTER TABLE access_keys DROP COLUMN expires_at`, `ALTER TABLE auth_tokens DROP COLUMN session_tags`} {
		if _, err := s.pool.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s = open(t, dsn)
	defer s.Close()
	storetest.CheckMigratedDistTags(t, s)
}
