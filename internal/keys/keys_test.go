package keys_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/keys"
)

const (
	arnA = "arn:aws:kms:us-west-2:000000000000:key/aaaaaaaa-0000-0000-0000-000000000000"
	arnB = "arn:aws:kms:us-west-2:000000000000:key/bbbbbbbb-0000-0000-0000-000000000000"
)

func newLocal(t *testing.T, dir string) *keys.Local {
	t.Helper()
	l, err := keys.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t, t.TempDir())
	dek, wrapped, err := l.GenerateDataKey(ctx, arnA)
	if err != nil {
		t.Fatal(err)
	}
	if len(dek) != 32 {
		t.Fatalf("data key is %d bytes, want 32", len(dek))
	}
	if bytes.Contains(wrapped, dek) {
		t.Fatal("wrapped key contains the plaintext key")
	}
	got, err := l.Decrypt(ctx, arnA, wrapped)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Decrypt = %x, %v; want %x", got, err, dek)
	}
	dek2, _, _ := l.GenerateDataKey(ctx, arnA)
	if bytes.Equal(dek, dek2) {
		t.Fatal("two data keys are equal")
	}
}

func TestWrongARNFails(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t, t.TempDir())
	_, wrapped, err := l.GenerateDataKey(ctx, arnA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Decrypt(ctx, arnB, wrapped); !errors.Is(err, keys.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt under another ARN: %v, want ErrInvalidCiphertext", err)
	}
}

func TestTamperedWrappedKeyFails(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t, t.TempDir())
	_, wrapped, err := l.GenerateDataKey(ctx, arnA)
	if err != nil {
		t.Fatal(err)
	}
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x01
		if _, err := l.Decrypt(ctx, arnA, bad); !errors.Is(err, keys.ErrInvalidCiphertext) {
			t.Fatalf("flipped byte %d: %v, want ErrInvalidCiphertext", i, err)
		}
	}
	for _, bad := range [][]byte{nil, wrapped[:10], wrapped[:len(wrapped)-1]} {
		if _, err := l.Decrypt(ctx, arnA, bad); !errors.Is(err, keys.ErrInvalidCiphertext) {
			t.Fatalf("short wrapped key (%d bytes): %v", len(bad), err)
		}
	}
}

func TestEmptyARNRefused(t *testing.T) {
	l := newLocal(t, t.TempDir())
	if _, _, err := l.GenerateDataKey(context.Background(), ""); err == nil {
		t.Fatal("empty key ARN accepted")
	}
}

func TestMasterKeyPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dek, wrapped, err := newLocal(t, dir).GenerateDataKey(ctx, arnA)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newLocal(t, dir).Decrypt(ctx, arnA, wrapped)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("after reopening: %x, %v", got, err)
	}
	// A different data directory has a different master key.
	if _, err := newLocal(t, t.TempDir()).Decrypt(ctx, arnA, wrapped); err == nil {
		t.Fatal("another master key unwrapped the data key")
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	newLocal(t, dir)
	info, err := os.Stat(filepath.Join(dir, keys.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 || info.Size() != 32 {
		t.Fatalf("master.key mode %v size %d, want 0600 and 32 bytes", info.Mode().Perm(), info.Size())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only master.key (no temp files)", len(entries))
	}
}

func TestCorruptMasterKeyRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, keys.MasterKeyFile), []byte("short"), 0o600)
	if _, err := keys.NewLocal(dir); err == nil {
		t.Fatal("a 5-byte master key was accepted")
	}
}

// TestConcurrentFirstStart: processes starting together agree on one key.
func TestConcurrentFirstStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ls := make([]*keys.Local, 8)
	var wg sync.WaitGroup
	for i := range ls {
		wg.Go(func() {
			l, err := keys.NewLocal(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ls[i] = l
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	dek, wrapped, err := ls[0].GenerateDataKey(ctx, arnA)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ls {
		if got, err := l.Decrypt(ctx, arnA, wrapped); err != nil || !bytes.Equal(got, dek) {
			t.Fatalf("provider %d disagrees on the master key: %v", i, err)
		}
	}
}

func TestOpenMasterSources(t *testing.T) {
	ctx := context.Background()
	const arn = "arn:aws:kms:us-east-1:000000000000:key/k"
	raw := bytes.Repeat([]byte{7}, 32)
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "master")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "master.b64")
	if err := os.WriteFile(text, []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, m, err := keys.OpenMaster(dir, file, "")
	if err != nil || m.InDataDir || m.Source != file {
		t.Fatalf("file: %+v %v", m, err)
	}
	sealed, err := fromFile.Encrypt(ctx, arn, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	// The same secret however it is written opens what the other sealed.
	for name, open := range map[string]func() (*keys.Local, keys.Master, error){
		"base64 file": func() (*keys.Local, keys.Master, error) { return keys.OpenMaster(dir, text, "") },
		"hex env":     func() (*keys.Local, keys.Master, error) { return keys.OpenMaster(dir, "", hex.EncodeToString(raw)) },
		"base64 env": func() (*keys.Local, keys.Master, error) {
			return keys.OpenMaster(dir, "", base64.StdEncoding.EncodeToString(raw))
		},
	} {
		l, _, err := open()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if pt, err := l.Decrypt(ctx, arn, sealed); err != nil || string(pt) != "x" {
			t.Fatalf("%s: does not open: %v", name, err)
		}
	}
	// Nothing is written into the data directory when the key lives elsewhere.
	if _, err := os.Stat(filepath.Join(dir, keys.MasterKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a master key appeared in the data directory: %v", err)
	}
	for name, args := range map[string][2]string{
		"both":         {file, hex.EncodeToString(raw)},
		"missing file": {filepath.Join(dir, "nope"), ""},
		"short env":    {"", "abcd"},
	} {
		if _, _, err := keys.OpenMaster(dir, args[0], args[1]); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, m, err = keys.OpenMaster(dir, "", "")
	if err != nil || !m.InDataDir {
		t.Fatalf("default: %+v %v", m, err)
	}
}
