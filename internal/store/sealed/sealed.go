// Package sealed keeps what must not rest in plaintext out of the metadata
// database. Store wraps any store.Store (so both backends get it) and seals:
//
//   - secret access keys, under wharf's master key: SigV4 needs the secret itself
//     (it cannot be stored as a hash), so a copy of the database alone must not
//     yield it;
//   - a package version's readme, summary and format metadata (which carries the
//     description), under the domain's key, like the package's bytes in blob
//     storage: one fresh data key per version, wrapped by the key provider.
//
// Rows written before sealing existed are read as they are and sealed by Sweep
// (run at start-up) or when next written.
package sealed

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// MasterKey encrypts small secrets under a named context (keys.Local: the
// context selects a key derived from the master secret and is authenticated).
type MasterKey interface {
	Encrypt(ctx context.Context, keyARN string, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, keyARN string, wrapped []byte) ([]byte, error)
}

// DomainKeyFunc returns the key ARN a domain's data is encrypted under. It is
// where a disabled or pending-deletion key refuses reads and writes.
type DomainKeyFunc func(ctx context.Context, owner, domain string) (string, error)

// Store is a store.Store that seals secrets and package content at rest.
type Store struct {
	store.Store
	master MasterKey
	keys   keys.Provider
	keyFor DomainKeyFunc
	opened openedCache
	// secrets remembers unsealed access-key secrets by their sealed text.
	secrets openedSecrets
}

// New wraps inner.
func New(inner store.Store, master MasterKey, kp keys.Provider, keyFor DomainKeyFunc) *Store {
	return &Store{Store: inner, master: master, keys: kp, keyFor: keyFor}
}

// SetOpenedBytes bounds the memory kept for opened versions (default
// DefaultOpenedBytes; negative keeps none). Call it before the store is used.
func (s *Store) SetOpenedBytes(n int64) {
	s.opened.mu.Lock()
	defer s.opened.mu.Unlock()
	s.opened.max, s.opened.m, s.opened.bytes = n, nil, 0
}

// OpenedStats reports the opened-version memo's entries and bytes.
func (s *Store) OpenedStats() (entries int, bytes int64) { return s.opened.stats() }

// secretPrefix marks a sealed secret access key (the column is text).
const secretPrefix = "wharf-sealed:v1:"

// secretContext names the master-derived key of one access key's secret, and
// is authenticated with it: a sealed secret moved to another key id fails.
// DomainKey is the domain-key check the store opens content with (New's
// keyFor): the key ARN of the domain, or why it cannot be used.
func (s *Store) DomainKey(ctx context.Context, owner, domain string) (string, error) {
	return s.keyFor(ctx, owner, domain)
}

func secretContext(accessKeyID string) string { return "wharf:secret-access-key:" + accessKeyID }

// PutAccessKey stores k with its secret sealed under the master key.
func (s *Store) PutAccessKey(ctx context.Context, k model.AccessKey) error {
	ct, err := s.master.Encrypt(ctx, secretContext(k.AccessKeyID), []byte(k.SecretAccessKey))
	if err != nil {
		return err
	}
	k.SecretAccessKey = secretPrefix + base64.RawStdEncoding.EncodeToString(ct)
	return s.Store.PutAccessKey(ctx, k)
}

// GetAccessKey returns k with its secret unsealed. A secret stored in plaintext
// (before sealing) is returned as is; Sweep seals it.
func (s *Store) GetAccessKey(ctx context.Context, id string) (model.AccessKey, error) {
	k, _, err := s.getAccessKey(ctx, id)
	return k, err
}

func (s *Store) getAccessKey(ctx context.Context, id string) (model.AccessKey, bool, error) {
	k, err := s.Store.GetAccessKey(ctx, id)
	if err != nil {
		return model.AccessKey{}, false, err
	}
	enc, ok := strings.CutPrefix(k.SecretAccessKey, secretPrefix)
	if !ok {
		return k, false, nil
	}
	if secret, ok := s.secrets.get(id, enc); ok {
		k.SecretAccessKey = secret
		return k, true, nil
	}
	ct, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return model.AccessKey{}, true, failure("malformed sealed secret of access key "+id, nil)
	}
	pt, err := s.master.Decrypt(ctx, secretContext(id), ct)
	if err != nil {
		return model.AccessKey{}, true, failure("the master key does not open the secret of access key "+id+
			" (was wharf started with another --master-key-file / WHARF_MASTER_KEY?)", err)
	}
	k.SecretAccessKey = string(pt)
	s.secrets.put(id, enc, k.SecretAccessKey)
	return k, true, nil
}

// versionMagic starts a sealed version's metadata column. Format metadata is
// JSON, which never starts with a NUL byte, so old plaintext rows are told apart.
var versionMagic = []byte("\x00WHRS\x01")

// encodeContent frames what a sealed version hides: u32 summary length |
// summary | u32 readme length | readme | metadata (the rest). Binary, not JSON:
// metadata is bytes, and packuments open hundreds of versions per request.
func encodeContent(v model.PackageVersion) []byte {
	out := make([]byte, 0, 8+len(v.Summary)+len(v.Readme)+len(v.Metadata))
	out = binary.BigEndian.AppendUint32(out, uint32(len(v.Summary)))
	out = append(out, v.Summary...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(v.Readme)))
	out = append(out, v.Readme...)
	return append(out, v.Metadata...)
}

// decodeContent reverses encodeContent. Without withReadme the readme is
// skipped, not copied, and metadata is copied out of b, so b (which holds the
// readme) is garbage at once: a version listing does not keep every version's
// readme alive while a packument is built.
func decodeContent(b []byte, withReadme bool) (summary, readme string, metadata []byte, ok bool) {
	field := func(keep bool) (string, bool) {
		if len(b) < 4 {
			return "", false
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(len(b)-4) < uint64(n) {
			return "", false
		}
		f := ""
		if keep {
			f = string(b[4 : 4+n])
		}
		b = b[4+n:]
		return f, true
	}
	if summary, ok = field(true); !ok {
		return
	}
	if readme, ok = field(withReadme); !ok {
		return
	}
	if len(b) > 0 {
		metadata = b
		if !withReadme {
			metadata = bytes.Clone(b)
		}
	}
	return summary, readme, metadata, true
}

// versionAAD binds a sealed version to its row: moved to another version,
// package, repository or domain, it does not open.
func versionAAD(v model.PackageVersion) []byte {
	return []byte(strings.Join([]string{"wharf/version/v1", v.DomainOwner, v.DomainName, v.Repository, string(v.Format), v.Namespace, v.Name, v.Version}, "\x00"))
}

// sealVersion moves summary, readme and metadata into one ciphertext in the
// metadata column: magic | wrapped-DEK length u16 | wrapped DEK | nonce | GCM.
func (s *Store) sealVersion(ctx context.Context, v model.PackageVersion) (model.PackageVersion, error) {
	arn, err := s.keyFor(ctx, v.DomainOwner, v.DomainName)
	if err != nil {
		return model.PackageVersion{}, err
	}
	dek, wrapped, err := s.keys.GenerateDataKey(ctx, arn)
	if err != nil {
		return model.PackageVersion{}, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return model.PackageVersion{}, err
	}
	pt := encodeContent(v)
	if len(wrapped) > 0xffff {
		return model.PackageVersion{}, failure("wrapped data key too long", nil)
	}
	out := make([]byte, 0, len(versionMagic)+2+len(wrapped)+aead.NonceSize()+len(pt)+aead.Overhead())
	out = append(out, versionMagic...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return model.PackageVersion{}, failure("sealing", err)
	}
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, pt, versionAAD(v))
	clear(pt)
	v.Summary, v.Readme, v.Metadata = "", "", out
	return v, nil
}

// sealedVersion reports whether v's content is sealed.
func sealedVersion(v model.PackageVersion) bool { return bytes.HasPrefix(v.Metadata, versionMagic) }

// openVersion restores the content of a sealed version; others pass unchanged.
// arn resolves the domain's key once per call of the caller (a package's
// versions share it), not once per version.
func (s *Store) openVersion(ctx context.Context, v model.PackageVersion, arn func() (string, error), withReadme bool) (model.PackageVersion, error) {
	if !sealedVersion(v) {
		if !withReadme {
			v.Readme = ""
		}
		return v, nil
	}
	corrupt := func() (model.PackageVersion, error) {
		return model.PackageVersion{}, failure("the stored content of "+v.Name+" "+v.Version+" does not open", nil)
	}
	b := v.Metadata[len(versionMagic):]
	if len(b) < 2 {
		return corrupt()
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < n {
		return corrupt()
	}
	wrapped, b := b[:n], b[n:]
	keyARN, err := arn()
	if err != nil {
		return model.PackageVersion{}, err
	}
	if withReadme {
		// One version's content, opened again and again (every tarball GET):
		// served from the memo, its metadata copied (callers own what they get).
		if o := s.opened.get(v.Metadata, keyARN, v); o != nil {
			v.Summary, v.Readme, v.Metadata = o.summary, o.readme, bytes.Clone(o.metadata)
			return v, nil
		}
	}
	sealedBytes := v.Metadata
	dek, err := s.keys.Decrypt(ctx, keyARN, wrapped)
	if err != nil {
		if errors.Is(err, keys.ErrInvalidCiphertext) {
			return corrupt()
		}
		return model.PackageVersion{}, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return model.PackageVersion{}, err
	}
	if len(b) < aead.NonceSize() {
		return corrupt()
	}
	pt, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], versionAAD(v))
	if err != nil {
		return corrupt()
	}
	summary, readme, metadata, ok := decodeContent(pt, withReadme)
	if !ok {
		return corrupt()
	}
	if withReadme {
		s.opened.put(sealedBytes, &openedVersion{keyARN: keyARN, pkg: v.PackageKey, version: v.Version,
			summary: summary, readme: readme, metadata: bytes.Clone(metadata)})
	}
	v.Summary, v.Readme, v.Metadata = summary, readme, metadata
	return v, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, failure("sealing", err)
	}
	return cipher.NewGCM(block)
}

// CreateVersion stores v with its content sealed.
func (s *Store) CreateVersion(ctx context.Context, pkg model.Package, v model.PackageVersion, assets []model.Asset) error {
	v.PackageKey = pkg.PackageKey // where the row goes, whatever v says (store.Store)
	sv, err := s.sealVersion(ctx, v)
	if err != nil {
		return err
	}
	return s.Store.CreateVersion(ctx, pkg, sv, assets)
}

// UpdateVersion stores v with its content sealed.
func (s *Store) UpdateVersion(ctx context.Context, v model.PackageVersion) error {
	sv, err := s.sealVersion(ctx, v)
	if err != nil {
		return err
	}
	return s.Store.UpdateVersion(ctx, sv)
}

// GetVersion returns a version with its content opened.
func (s *Store) GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	v, err := s.Store.GetVersion(ctx, k, version)
	if err != nil {
		return model.PackageVersion{}, err
	}
	return s.openVersion(ctx, v, s.domainKeyOnce(ctx, k), true)
}

// domainKeyOnce resolves k's domain key on first use and remembers the answer.
func (s *Store) domainKeyOnce(ctx context.Context, k model.PackageKey) func() (string, error) {
	var arn string
	var err error
	done := false
	return func() (string, error) {
		if !done {
			arn, err = s.keyFor(ctx, k.DomainOwner, k.DomainName)
			done = true
		}
		return arn, err
	}
}

// ListVersions returns a package's versions with their content opened, but
// without their readmes (GetVersion has them): each may be up to the readme
// limit, and a listing (a packument, a project page) shows one at most.
func (s *Store) ListVersions(ctx context.Context, k model.PackageKey) ([]model.PackageVersion, error) {
	vs, err := s.Store.ListVersions(ctx, k)
	if err != nil {
		return nil, err
	}
	arn := s.domainKeyOnce(ctx, k)
	for i := range vs {
		if vs[i], err = s.openVersion(ctx, vs[i], arn, false); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

func failure(msg string, err error) *apperr.Error {
	e := apperr.New(apperr.Internal, "sealed: %s", msg)
	if err != nil {
		e = e.Wrap(err)
	}
	return e
}

// ListVersionsPage passes through: a listing reads no content columns (see
// sqlcommon.VersionSummaryCols), so there is nothing to open and no data key
// is unwrapped for it.
func (s *Store) ListVersionsPage(ctx context.Context, k model.PackageKey, f store.VersionFilter, sortBy string, p store.Page) ([]model.PackageVersion, string, error) {
	return s.Store.ListVersionsPage(ctx, k, f, sortBy, p)
}
