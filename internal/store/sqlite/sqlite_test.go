package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "wharf.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT version FROM schema_version ORDER BY version`)
	if err != nil {
		t.Fatalf("schema_version: %v", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wharf.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	d := model.Domain{Name: "d", Owner: "111111111111", Region: "us-east-1", Status: "Active", EncryptionKey: "k"}
	if err := s.CreateDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	r := model.Repository{Name: "r", DomainName: "d", DomainOwner: d.Owner, AdministratorAccount: d.Owner, Region: "us-east-1",
		Upstreams: []string{"b", "a"}}
	if err := s.CreateRepository(ctx, r); err != nil {
		t.Fatal(err)
	}
	k := model.PackageKey{DomainOwner: d.Owner, DomainName: "d", Repository: "r", Format: model.FormatPypi, Name: "p"}
	if err := s.CreateVersion(ctx, model.Package{PackageKey: k}, model.PackageVersion{Version: "1"},
		[]model.Asset{{Name: "p-1.tar.gz", Size: 5, Hashes: model.Hashes{SHA256: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.GetRepository(ctx, d.Owner, "d", "r")
	if err != nil {
		t.Fatalf("GetRepository after reopen: %v", err)
	}
	if len(got.Upstreams) != 2 || got.Upstreams[0] != "b" || got.Upstreams[1] != "a" {
		t.Errorf("upstreams after reopen = %v", got.Upstreams)
	}
	n, size, err := s.DomainStats(ctx, d.Owner, "d")
	if err != nil || n != 1 || size != 5 {
		t.Errorf("DomainStats after reopen = %d, %d, %v; want 1, 5", n, size, err)
	}
}

func TestMigrationIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.Version)
	}
	for i := range 3 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		got := schemaVersions(t, s)
		if len(got) != len(want) {
			t.Errorf("Open #%d: schema versions %v, want %v", i+1, got, want)
		}
		if err := s.CreateDomain(t.Context(), model.Domain{Name: "d" + string(rune('0'+i)), Owner: "1", Region: "r"}); err != nil {
			t.Errorf("Open #%d: CreateDomain: %v", i+1, err)
		}
		ds, _, err := s.ListDomains(t.Context(), "1", store.Page{})
		if err != nil || len(ds) != i+1 {
			t.Errorf("Open #%d: %d domains (%v), want %d", i+1, len(ds), err, i+1)
		}
		s.Close()
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(t.Context(), `INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatalf("Open of a database from a newer wharf succeeded")
	}
}

// Migration 4 moves npm dist-tags out of the cache into dist_tags.
func TestMigrateDistTags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.SeedLegacyDistTags(t, s)
	for _, q := range []string{`DROP TABLE dist_tags`, `DELETE FROM schema_version WHERE version >= 4`,
		// Undo the later migrations too, so they run again after 4.
		`DROP INDEX auth_tokens_expires_at`, `ALTER TABLE auth_tokens DROP COLUMN domain_created_at`,
		`DROP TABLE iam_entities`, `DROP INDEX access_keys_by_principal`, `DROP INDEX access_keys_by_expiry`,
		`ALTER TABLE access_keys DROP COLUMN status`, `ALTER TABLE access_keys DROP COLUMN session_token_hash`,
		`ALTER TABLE access_keys DROP COLUMN role_arn`, `ALTER TABLE access_keys DROP COLUMN session_tags`,
		`ALTER TABLE access_keys DROP COLUMN expires_at`, `ALTER TABLE auth_tokens DROP COLUMN session_tags`} {
		if _, err := s.w.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open (migrating): %v", err)
	}
	defer s.Close()
	storetest.CheckMigratedDistTags(t, s)
}

// TestConnectionMemorySettings holds every connection of both pools to the
// bounded page cache, no mmap and on-disk temporary storage that keep
// SQLite's memory outside Go's heap small (dialect.go).
func TestConnectionMemorySettings(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for _, c := range []struct {
		name  string
		db    *sql.DB
		cache int
	}{{"writer", s.w, -1024}, {"reader", s.r, -512}} {
		// Hold several connections at once so each is a distinct one.
		ctx := t.Context()
		var conns []*sql.Conn
		for range min(3, c.db.Stats().MaxOpenConnections) {
			conn, err := c.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, conn)
		}
		for i, conn := range conns {
			for _, p := range []struct {
				pragma string
				want   int
			}{{"cache_size", c.cache}, {"mmap_size", 0}, {"temp_store", 1}} {
				var got int
				if err := conn.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
					t.Fatalf("%s %d: PRAGMA %s: %v", c.name, i, p.pragma, err)
				}
				if got != p.want {
					t.Errorf("%s connection %d: %s = %d, want %d", c.name, i, p.pragma, got, p.want)
				}
			}
			conn.Close()
		}
	}
}
