package sealed_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sealed"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
	"github.com/wharf-dev/wharf/internal/store/storetest"
)

// domainKey stands in for the domain lookup wharf does: a per-domain ARN.
func domainKey(_ context.Context, owner, domain string) (string, error) {
	return "arn:aws:kms:us-east-1:" + owner + ":key/" + domain, nil
}

func openSealed(t *testing.T, dir string, kp *keys.Local) (*sealed.Store, *sqlite.Store) {
	t.Helper()
	inner, err := sqlite.Open(t.Context(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	return sealed.New(inner, kp, kp, domainKey), inner
}

func localKey(t *testing.T, dir string) *keys.Local {
	t.Helper()
	kp, err := keys.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// Sealing is invisible to every caller: the conformance suite passes through it.
func TestConformanceThroughSealing(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		dir := t.TempDir()
		s, _ := openSealed(t, dir, localKey(t, dir))
		return s
	})
}

const (
	secretMarker  = "SECRET-ACCESS-KEY-MARKER-7f3a"
	readmeMarker  = "README-MARKER-91c2"
	summaryMarker = "SUMMARY-MARKER-5d0e"
	descMarker    = "DESCRIPTION-MARKER-c4b8"
)

var markers = []string{secretMarker, readmeMarker, summaryMarker, descMarker}

// wantNoPlaintext reads every file of the database (and its WAL) byte for byte.
func wantNoPlaintext(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("%s holds %q in plaintext", e.Name(), m)
			}
		}
	}
}

func seed(t *testing.T, s store.Store) (model.AccessKey, model.PackageVersion) {
	t.Helper()
	ctx := t.Context()
	k := model.AccessKey{AccessKeyID: "AKIASEALEDTEST000001", SecretAccessKey: secretMarker, Principal: model.Principal{Account: model.DefaultAccount, ARN: "arn:aws:iam::000000000000:root", UserID: model.DefaultAccount}}
	if err := s.PutAccessKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDomain(ctx, model.Domain{Name: "d", Owner: model.DefaultAccount, Region: "us-east-1", Status: "Active", EncryptionKey: "arn:aws:kms:us-east-1:000000000000:key/d", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRepository(ctx, model.Repository{Name: "rr", DomainName: "d", DomainOwner: model.DefaultAccount, AdministratorAccount: model.DefaultAccount, Region: "us-east-1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	key := model.PackageKey{DomainOwner: model.DefaultAccount, DomainName: "d", Repository: "rr", Format: model.FormatNpm, Name: "pkg"}
	v := model.PackageVersion{PackageKey: key, Version: "1.0.0", Status: model.StatusPublished, Revision: "r1",
		Summary: summaryMarker, Readme: readmeMarker, Metadata: []byte(`{"description":"` + descMarker + `"}`), PublishedAt: time.Now()}
	if err := s.CreateVersion(ctx, model.Package{PackageKey: key, Origin: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Allow}}, v, nil); err != nil {
		t.Fatal(err)
	}
	return k, v
}

func TestNothingSecretInTheDatabaseFiles(t *testing.T) {
	dir := t.TempDir()
	s, _ := openSealed(t, dir, localKey(t, t.TempDir()))
	defer s.Close()
	k, v := seed(t, s)
	got, err := s.GetAccessKey(t.Context(), k.AccessKeyID)
	if err != nil || got.SecretAccessKey != secretMarker {
		t.Fatalf("GetAccessKey: %q, %v", got.SecretAccessKey, err)
	}
	gv, err := s.GetVersion(t.Context(), v.PackageKey, v.Version)
	if err != nil || gv.Summary != summaryMarker || gv.Readme != readmeMarker || !bytes.Equal(gv.Metadata, v.Metadata) {
		t.Fatalf("GetVersion: %+v, %v", gv, err)
	}
	wantNoPlaintext(t, dir) // the live WAL included
}

// Rows an earlier wharf stored in plaintext are sealed by Sweep, and the
// plaintext leaves the database file and its WAL.
func TestSweepSealsLegacyRows(t *testing.T) {
	dir := t.TempDir()
	kp := localKey(t, t.TempDir())
	s, inner := openSealed(t, dir, kp)
	k, v := seed(t, inner) // written around the sealing, as an earlier wharf did
	// Reads work before the sweep (plaintext passes through).
	if got, err := s.GetAccessKey(t.Context(), k.AccessKeyID); err != nil || got.SecretAccessKey != secretMarker {
		t.Fatalf("legacy GetAccessKey: %+v %v", got, err)
	}
	secrets, versions, err := s.Sweep(t.Context())
	if err != nil || secrets != 1 || versions != 1 {
		t.Fatalf("Sweep = %d secrets, %d versions, %v; want 1, 1", secrets, versions, err)
	}
	if secrets, versions, err := s.Sweep(t.Context()); err != nil || secrets+versions != 0 {
		t.Fatalf("second Sweep = %d, %d, %v; want nothing to do", secrets, versions, err)
	}
	raw, err := inner.GetAccessKey(t.Context(), k.AccessKeyID)
	if err != nil || raw.SecretAccessKey == secretMarker {
		t.Fatalf("stored secret after the sweep: %q", raw.SecretAccessKey)
	}
	gv, err := s.GetVersion(t.Context(), v.PackageKey, v.Version)
	if err != nil || gv.Readme != readmeMarker || gv.Summary != summaryMarker {
		t.Fatalf("GetVersion after the sweep: %+v %v", gv, err)
	}
	s.Close()
	wantNoPlaintext(t, dir)
}

// Another master key does not open the secrets; a sealed version moved to
// another row does not open either.
func TestSealedValuesAreBound(t *testing.T) {
	dir := t.TempDir()
	s, inner := openSealed(t, dir, localKey(t, t.TempDir()))
	defer s.Close()
	k, v := seed(t, s)
	other := sealed.New(inner, localKey(t, t.TempDir()), localKey(t, t.TempDir()), domainKey)
	if _, err := other.GetAccessKey(t.Context(), k.AccessKeyID); !apperr.Is(err, apperr.Internal) {
		t.Fatalf("secret under another master key: %v, want an internal error", err)
	}
	raw, err := inner.GetVersion(t.Context(), v.PackageKey, v.Version)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw.Metadata, []byte(descMarker)) || raw.Readme != "" || raw.Summary != "" {
		t.Fatalf("stored version is not sealed: %+v", raw)
	}
	moved := raw
	moved.Version = "2.0.0"
	if err := inner.CreateVersion(t.Context(), model.Package{PackageKey: v.PackageKey}, moved, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetVersion(t.Context(), v.PackageKey, "2.0.0"); !apperr.Is(err, apperr.Internal) {
		t.Fatalf("sealed content moved to another version: %v, want an internal error", err)
	}
}

// A listing opens every version but keeps no readme (GetVersion has it): a
// packument of many versions must not cost every version's readme.
func TestListVersionsLeavesReadmesOut(t *testing.T) {
	s, _ := openSealed(t, t.TempDir(), localKey(t, t.TempDir()))
	defer s.Close()
	_, v := seed(t, s)
	vs, err := s.ListVersions(t.Context(), v.PackageKey)
	if err != nil || len(vs) != 1 {
		t.Fatalf("ListVersions: %+v, %v", vs, err)
	}
	if vs[0].Readme != "" || vs[0].Summary != summaryMarker || !bytes.Equal(vs[0].Metadata, v.Metadata) {
		t.Fatalf("listed: readme %q, summary %q, metadata %s", vs[0].Readme, vs[0].Summary, vs[0].Metadata)
	}
	if gv, err := s.GetVersion(t.Context(), v.PackageKey, v.Version); err != nil || gv.Readme != readmeMarker {
		t.Fatalf("GetVersion: readme %q, %v", gv.Readme, err)
	}
}

// Opened versions are remembered by their sealed bytes, but a memo hit still
// asks the domain key (a refused key refuses), a copy of the bytes moved to
// another row still fails to open, what a caller gets is its own (changing it
// changes no later read), and a version sealed anew reads anew.
func TestOpenedVersionMemoStaysExact(t *testing.T) {
	dir := t.TempDir()
	kp := localKey(t, t.TempDir())
	inner, err := sqlite.Open(t.Context(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	var refuse error
	s := sealed.New(inner, kp, kp, func(ctx context.Context, owner, domain string) (string, error) {
		if refuse != nil {
			return "", refuse
		}
		return domainKey(ctx, owner, domain)
	})
	defer s.Close()
	_, v := seed(t, s)
	for i := range 3 { // the first opens, the others come from the memo
		got, err := s.GetVersion(t.Context(), v.PackageKey, v.Version)
		if err != nil || got.Readme != readmeMarker || got.Summary != summaryMarker || !bytes.Equal(got.Metadata, v.Metadata) {
			t.Fatalf("read %d: %+v, %v", i, got, err)
		}
		clear(got.Metadata) // the caller's own copy
	}
	if n, b := s.OpenedStats(); n != 1 || b <= 0 {
		t.Fatalf("after three reads of one version the memo holds %d entries, %d bytes; want 1", n, b)
	}

	refuse = apperr.New(apperr.Validation, "the domain's key is disabled")
	if _, err := s.GetVersion(t.Context(), v.PackageKey, v.Version); !apperr.Is(err, apperr.Validation) {
		t.Fatalf("with the key refused: %v, want the key's refusal", err)
	}
	refuse = nil

	raw, err := inner.GetVersion(t.Context(), v.PackageKey, v.Version)
	if err != nil {
		t.Fatal(err)
	}
	moved := raw
	moved.Version = "2.0.0"
	if err := inner.CreateVersion(t.Context(), model.Package{PackageKey: v.PackageKey}, moved, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetVersion(t.Context(), v.PackageKey, "2.0.0"); !apperr.Is(err, apperr.Internal) {
		t.Fatalf("remembered sealed content moved to another version: %v, want an internal error", err)
	}

	v.Readme = "a new readme"
	if err := s.UpdateVersion(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetVersion(t.Context(), v.PackageKey, v.Version); err != nil || got.Readme != "a new readme" {
		t.Fatalf("after UpdateVersion: readme %q, %v", got.Readme, err)
	}
}

// The unsealed-secret memo answers only for the very sealed text it opened,
// under the key id it was opened for: a replaced secret, a deleted key, a
// deactivated key and a sealed secret moved to another key id are each seen
// by the very next read, as without the memo.
func TestOpenedSecretMemoStaysExact(t *testing.T) {
	dir := t.TempDir()
	s, inner := openSealed(t, dir, localKey(t, dir))
	defer s.Close()
	ctx := t.Context()
	k, _ := seed(t, s)
	for range 2 { // the second read is the memo's
		if got, err := s.GetAccessKey(ctx, k.AccessKeyID); err != nil || got.SecretAccessKey != secretMarker {
			t.Fatalf("GetAccessKey: %q, %v", got.SecretAccessKey, err)
		}
	}
	rotated := k
	rotated.SecretAccessKey = "ROTATED-SECRET-2b9e"
	if err := s.PutAccessKey(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAccessKey(ctx, k.AccessKeyID); err != nil || got.SecretAccessKey != rotated.SecretAccessKey {
		t.Fatalf("after the secret was replaced: %q, %v", got.SecretAccessKey, err)
	}
	inactive := rotated
	inactive.Status = "Inactive"
	if err := s.PutAccessKey(ctx, inactive); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAccessKey(ctx, k.AccessKeyID); err != nil || !got.Inactive() || got.SecretAccessKey != rotated.SecretAccessKey {
		t.Fatalf("after deactivation: %+v, %v", got, err)
	}
	// The first key's sealed text, opened and remembered, stored under another
	// key id: its context does not match, so it does not open there.
	other := model.AccessKey{AccessKeyID: "AKIASEALEDTEST000002", SecretAccessKey: "OTHER-SECRET-77c1", Principal: k.Principal}
	if err := s.PutAccessKey(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessKey(ctx, other.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	sealedFirst, err := inner.GetAccessKey(ctx, k.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	moved := other
	moved.SecretAccessKey = sealedFirst.SecretAccessKey
	if err := inner.PutAccessKey(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessKey(ctx, other.AccessKeyID); !apperr.Is(err, apperr.Internal) {
		t.Fatalf("a remembered sealed secret moved to another key id: %v, want an internal error", err)
	}
	if err := s.DeleteAccessKey(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessKey(ctx, k.AccessKeyID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("after deletion: %v, want NotFound", err)
	}
}

// SetOpenedBytes bounds the memo: a budget below one version's size keeps
// nothing (every read opens again, and answers the same).
func TestOpenedVersionMemoBudget(t *testing.T) {
	kp := localKey(t, t.TempDir())
	inner, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := sealed.New(inner, kp, kp, domainKey)
	defer s.Close()
	_, v := seed(t, s)
	for _, budget := range []int64{-1, 64} {
		s.SetOpenedBytes(budget)
		for range 2 {
			if got, err := s.GetVersion(t.Context(), v.PackageKey, v.Version); err != nil || got.Readme != readmeMarker {
				t.Fatalf("budget %d: %+v, %v", budget, got, err)
			}
		}
		if n, b := s.OpenedStats(); n != 0 || b != 0 {
			t.Fatalf("budget %d: the memo holds %d entries, %d bytes", budget, n, b)
		}
	}
	s.SetOpenedBytes(1 << 20)
	if _, err := s.GetVersion(t.Context(), v.PackageKey, v.Version); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.OpenedStats(); n != 1 {
		t.Fatalf("budget 1 MiB: the memo holds %d entries, want 1", n)
	}
}
