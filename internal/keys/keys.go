// Package keys provides the key providers behind envelope encryption: a
// Provider hands out fresh data keys (DEKs) wrapped under a named master key
// (a KMS key ARN, one per domain) and unwraps them again.
//
// Local is the embedded default: one master secret on disk, from which a
// separate key-encryption key is derived for every key ARN. An AWS KMS
// provider can implement the same interface later.
package keys

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// Provider wraps and unwraps data keys under a master key named by an ARN.
type Provider interface {
	// GenerateDataKey returns a fresh 256-bit data key and the same key wrapped
	// under keyARN. Store only the wrapped form.
	GenerateDataKey(ctx context.Context, keyARN string) (plaintext, wrapped []byte, err error)
	// Decrypt unwraps a key wrapped under keyARN. It fails (ErrInvalidCiphertext)
	// when the wrapped bytes were altered or belong to another key ARN.
	Decrypt(ctx context.Context, keyARN string, wrapped []byte) ([]byte, error)
}

// ErrInvalidCiphertext is wrapped in the error Decrypt returns for bytes that
// do not authenticate under the key (KMS's InvalidCiphertextException).
var ErrInvalidCiphertext = errors.New("keys: ciphertext does not authenticate under this key")

const (
	// MasterKeyFile is the name of the master secret inside the data directory.
	MasterKeyFile = "master.key"
	masterKeyLen  = 32
	dataKeyLen    = 32
	// wrapVersion leads every wrapped key so the format can change later.
	wrapVersion = 1
	// hkdfSalt separates these derived keys from any other use of the secret.
	hkdfSalt = "wharf/keys/local/kek/v1"
)

// Local is a Provider whose master secret lives in DATA/master.key.
type Local struct {
	master []byte
	// keks caches derived key-encryption keys by ARN (a packument opens one
	// wrapped key per version); bounded by maxCachedKEKs, beyond which keys are
	// derived each time.
	keks sync.Map // keyARN -> cipher.AEAD
	nKEK atomic.Int32
}

const maxCachedKEKs = 1024

var _ Provider = (*Local)(nil)

// NewLocal loads DATA/master.key, creating it (256 random bits, mode 0600) if
// it does not exist. Creation is atomic: the key is written to a temp file and
// hard-linked into place, so two processes starting at once agree on one key
// and a crash never leaves a short key file.
func NewLocal(dataDir string) (*Local, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	master, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		if err := createMaster(path); err != nil {
			return nil, err
		}
		master, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: read master key: %w", err)
	}
	if len(master) != masterKeyLen {
		return nil, fmt.Errorf("keys: %s holds %d bytes, want %d: refusing to use it", path, len(master), masterKeyLen)
	}
	return &Local{master: master}, nil
}

func createMaster(path string) error {
	secret := make([]byte, masterKeyLen)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("keys: create master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(secret); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: write master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: write master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keys: write master key: %w", err)
	}
	// Link, unlike rename, fails if another process created the key first; then
	// theirs wins and the caller reads it.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, iofs.ErrExist) {
		return fmt.Errorf("keys: install master key: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// kek returns the AES-256-GCM key-encryption key for keyARN, derived from the
// master secret with HKDF-SHA256 (info = the ARN): each ARN gets its own KEK,
// and nothing but the master secret needs storing.
func (l *Local) kek(keyARN string) (cipher.AEAD, error) {
	if keyARN == "" {
		return nil, apperr.Validationf("a key ARN is required")
	}
	if a, ok := l.keks.Load(keyARN); ok {
		return a.(cipher.AEAD), nil
	}
	a, err := l.deriveKEK(keyARN)
	if err == nil && l.nKEK.Load() < maxCachedKEKs {
		if _, loaded := l.keks.LoadOrStore(keyARN, a); !loaded {
			l.nKEK.Add(1)
		}
	}
	return a, err
}

// deriveKEK derives keyARN's key-encryption key (GCM is safe for concurrent use,
// so one instance serves every caller).
func (l *Local) deriveKEK(keyARN string) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, l.master, []byte(hkdfSalt), keyARN, 32)
	if err != nil {
		return nil, apperr.New(apperr.Internal, "keys: derive key").Wrap(err)
	}
	block, err := aes.NewCipher(k)
	clear(k)
	if err != nil {
		return nil, apperr.New(apperr.Internal, "keys: derive key").Wrap(err)
	}
	return cipher.NewGCM(block)
}

// GenerateDataKey implements Provider.
func (l *Local) GenerateDataKey(ctx context.Context, keyARN string) (plaintext, wrapped []byte, err error) {
	dek := make([]byte, dataKeyLen)
	if _, err := rand.Read(dek); err != nil {
		return nil, nil, apperr.New(apperr.Internal, "keys: random").Wrap(err)
	}
	wrapped, err = l.Encrypt(ctx, keyARN, dek)
	if err != nil {
		return nil, nil, err
	}
	return dek, wrapped, nil
}

// Encrypt wraps arbitrary plaintext (up to a few KiB, as KMS Encrypt allows)
// under keyARN. Format: version byte, 12-byte random nonce, GCM ciphertext
// with the key ARN as associated data.
func (l *Local) Encrypt(ctx context.Context, keyARN string, plaintext []byte) ([]byte, error) {
	aead, err := l.kek(keyARN)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = wrapVersion
	if _, err := io.ReadFull(rand.Reader, out[1:]); err != nil {
		return nil, apperr.New(apperr.Internal, "keys: random").Wrap(err)
	}
	return aead.Seal(out, out[1:], plaintext, []byte(keyARN)), nil
}

// Decrypt implements Provider.
func (l *Local) Decrypt(ctx context.Context, keyARN string, wrapped []byte) ([]byte, error) {
	aead, err := l.kek(keyARN)
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(wrapped) < 1+ns+aead.Overhead() || wrapped[0] != wrapVersion {
		return nil, invalid()
	}
	pt, err := aead.Open(nil, wrapped[1:1+ns], wrapped[1+ns:], []byte(keyARN))
	if err != nil {
		return nil, invalid()
	}
	return pt, nil
}

func invalid() error {
	return apperr.New(apperr.Validation, "wrapped key is invalid or belongs to another key").
		WithReason("InvalidCiphertextException").Wrap(ErrInvalidCiphertext)
}

// Master says where the master secret came from.
type Master struct {
	// Source is "WHARF_MASTER_KEY", the --master-key-file path, or the path of
	// DATA/master.key.
	Source string
	// InDataDir is true for the zero-setup default: the key beside the data it
	// protects (anyone who can read the data directory can decrypt it).
	InDataDir bool
}

// OpenMaster loads the master secret from, in order: envValue (WHARF_MASTER_KEY:
// 32 bytes in base64 or hex), file (--master-key-file: 32 raw bytes, or the same
// text forms; it must exist), or DATA/master.key (created on first use). Setting
// both envValue and file is an error.
func OpenMaster(dataDir, file, envValue string) (*Local, Master, error) {
	switch {
	case envValue != "" && file != "":
		return nil, Master{}, errors.New("keys: set either --master-key-file or WHARF_MASTER_KEY, not both")
	case envValue != "":
		secret, err := decodeMaster([]byte(envValue))
		if err != nil {
			return nil, Master{}, fmt.Errorf("keys: WHARF_MASTER_KEY: %w", err)
		}
		return &Local{master: secret}, Master{Source: "WHARF_MASTER_KEY"}, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, Master{}, fmt.Errorf("keys: --master-key-file: %w (create one with: head -c 32 /dev/urandom > FILE; chmod 600 FILE)", err)
		}
		secret, err := decodeMaster(b)
		if err != nil {
			return nil, Master{}, fmt.Errorf("keys: --master-key-file %s: %w", file, err)
		}
		return &Local{master: secret}, Master{Source: file}, nil
	}
	l, err := NewLocal(dataDir)
	if err != nil {
		return nil, Master{}, err
	}
	return l, Master{Source: filepath.Join(dataDir, MasterKeyFile), InDataDir: true}, nil
}

// decodeMaster accepts 32 raw bytes, or 32 bytes written as base64 or hex text
// (surrounding white space ignored).
func decodeMaster(b []byte) ([]byte, error) {
	if len(b) == masterKeyLen {
		return bytes.Clone(b), nil
	}
	text := strings.TrimSpace(string(b))
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString, base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if k, err := dec(text); err == nil && len(k) == masterKeyLen {
			return k, nil
		}
	}
	return nil, fmt.Errorf("want %d bytes, raw or as base64 or hex text (e.g. openssl rand -base64 32)", masterKeyLen)
}
