package cached_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/cached"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

// MemoIAM answers anew after every IAM entity write of the account — through
// this cache, or through another store on the same database (IAMWrites: `wharf
// keys create` beside a server) — and only then; it keeps refusals the stored
// state decides and never a failing store's error.
func TestMemoIAM(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "local", true: "shared"}[shared], func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "wharf.db")
			inner, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { inner.Close() })
			s := cached.New(inner, cached.Options{Shared: shared, IAMChangeFile: filepath.Join(filepath.Dir(path), "iam-changes")})
			// Another process's store on the same file.
			otherInner, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { otherInner.Close() })
			other := cached.IAMWrites(otherInner, filepath.Join(filepath.Dir(path), "iam-changes"))

			const acct, acct2 = "111122223333", "444455556666"
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			put := func(st interface {
				PutIAMEntity(context.Context, model.IAMEntity) error
			}, account, body string) {
				t.Helper()
				if err := st.PutIAMEntity(ctx, model.IAMEntity{Account: account, Kind: "user", Name: "u", Body: []byte(body), CreatedAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			loads := 0
			var failing error
			ask := func(account string) (string, error) {
				v, err := s.MemoIAM(ctx, account, "user/u", func() (any, error) {
					loads++
					if failing != nil {
						return nil, failing
					}
					e, err := s.GetIAMEntity(ctx, account, "user", "", "u")
					if apperr.Is(err, apperr.NotFound) {
						return "", apperr.New(apperr.AccessDenied, "gone")
					}
					if err != nil {
						return nil, err
					}
					return string(e.Body), nil
				})
				str, _ := v.(string)
				return str, err
			}
			expect := func(account, want string, wantLoads int) {
				t.Helper()
				got, err := ask(account)
				if err != nil {
					got = "error: " + err.Error()
				}
				if got != want || loads != wantLoads {
					t.Fatalf("%s: %q after %d loads, want %q after %d", account, got, loads, want, wantLoads)
				}
			}
			expect(acct, "error: gone", 1) // a refusal the state decides is kept
			expect(acct, "error: gone", 1)
			put(s, acct, "v1")
			expect(acct, "v1", 2)
			expect(acct, "v1", 2)
			put(other, acct, "v2") // another process's write
			expect(acct, "v2", 3)
			expect(acct, "v2", 3)
			put(s, acct2, "x") // another account's write changes nothing here
			expect(acct, "v2", 3)
			if err := s.DeleteIAMEntity(ctx, acct, "user", "", "u"); err != nil {
				t.Fatal(err)
			}
			expect(acct, "error: gone", 4)
			// A failing store is asked again, not remembered.
			put(s, acct, "v3")
			failing = errors.New("database is down")
			if _, err := ask(acct); err == nil {
				t.Fatal("want the store's error")
			}
			failing = nil
			expect(acct, "v3", 6)
			// A raw write that bypasses both wrappers is NOT seen: what the
			// test above relies on is the bump, not a re-read.
			if err := otherInner.PutIAMEntity(ctx, model.IAMEntity{Account: acct, Kind: "user", Name: "u", Body: []byte("unbumped"), CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
			expect(acct, "v3", 6)
			if !shared {
				// The change file removed by hand is a change too (locally;
				// replicas read the database's generation, not the file).
				if err := os.Remove(filepath.Join(filepath.Dir(path), "iam-changes")); err != nil {
					t.Fatal(err)
				}
				expect(acct, "unbumped", 7)
				expect(acct, "unbumped", 7)
			}
		})
	}
}
