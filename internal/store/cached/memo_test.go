package cached_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/cached"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

// The memoized domain-key check answers anew after every write that can
// change its answer: a KMS key's state, the domain's own writes; it keeps the
// errors the stored state decides and never a failing store's.
func TestMemoDomainKey(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "local", true: "shared"}[shared], func(t *testing.T) {
			ctx := context.Background()
			inner, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { inner.Close() })
			s := cached.New(inner, cached.Options{Shared: shared})
			const owner = "111122223333"
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for _, name := range []string{"d", "e"} {
				if err := s.CreateDomain(ctx, model.Domain{Name: name, Owner: owner, Region: "us-east-1", Status: "Active", CreatedAt: at,
					EncryptionKey: "arn:aws:kms:us-east-1:" + owner + ":key/k-" + name}); err != nil {
					t.Fatal(err)
				}
			}
			setKey := func(id, state string) {
				t.Helper()
				if err := s.PutKMSKey(ctx, model.KMSKey{Account: owner, Region: "us-east-1", KeyID: id, KeyUsage: "ENCRYPT_DECRYPT",
					KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS", State: state, CreatedAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			setKey("k-d", model.KMSKeyEnabled)
			setKey("k-e", model.KMSKeyEnabled)

			calls := 0
			var failing error
			check := s.MemoDomainKey(func(ctx context.Context, owner, domain string) (string, error) {
				calls++
				if failing != nil {
					return "", failing
				}
				d, err := s.GetDomain(ctx, owner, domain)
				if err != nil {
					return "", err
				}
				k, err := s.GetKMSKey(ctx, owner, "k-"+domain)
				if err != nil {
					return "", err
				}
				if k.State != model.KMSKeyEnabled {
					return "", apperr.New(apperr.Validation, "key of %s is %s", domain, k.State)
				}
				return d.EncryptionKey, nil
			})
			const none apperr.Kind = -1 // no error
			ask := func(domain string, wantCalls int, wantKind apperr.Kind) {
				t.Helper()
				arn, err := check(ctx, owner, domain)
				switch {
				case wantKind == none && err != nil:
					t.Fatalf("%s: %v", domain, err)
				case wantKind == none && arn != "arn:aws:kms:us-east-1:"+owner+":key/k-"+domain:
					t.Fatalf("%s: key %q", domain, arn)
				case wantKind != none && !apperr.Is(err, wantKind):
					t.Fatalf("%s: error %v, want kind %d", domain, err, wantKind)
				}
				if calls != wantCalls {
					t.Fatalf("%s: the check ran %d times, want %d", domain, calls, wantCalls)
				}
			}
			ask("d", 1, none)
			ask("d", 1, none) // memoized
			ask("e", 2, none) // per domain
			ask("e", 2, none)

			setKey("k-d", model.KMSKeyDisabled) // the very next check refuses
			ask("d", 3, apperr.Validation)
			ask("d", 3, apperr.Validation) // a refusal the stored state decides is kept too
			ask("e", 4, none)              // every KMS key write retires every domain's answer
			setKey("k-d", model.KMSKeyEnabled)
			ask("d", 5, none)
			ask("e", 6, none)

			if err := s.CreateRepository(ctx, model.Repository{DomainOwner: owner, DomainName: "d", Name: "r", CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
			ask("d", 7, none) // a write in the domain
			ask("e", 7, none) // not in another

			if err := s.DeleteDomain(ctx, owner, "e"); err != nil {
				t.Fatal(err)
			}
			ask("e", 8, apperr.NotFound)
			ask("e", 8, apperr.NotFound)

			// A failing store is asked again.
			if _, err := s.BumpGeneration(ctx, owner, "d"); err != nil {
				t.Fatal(err)
			}
			failing = errors.New("database is locked")
			for want := 9; want <= 10; want++ {
				if _, err := check(ctx, owner, "d"); err == nil || calls != want {
					t.Fatalf("failing store: %v after %d calls, want %d", err, calls, want)
				}
			}
			failing = nil
			ask("d", 11, none)
			ask("d", 11, none)
		})
	}
}
