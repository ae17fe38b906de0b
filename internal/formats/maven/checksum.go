package maven

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// checksumOf is a stored file's digest as its Maven checksum file spells it
// (lowercase hex).
func checksumOf(hs model.Hashes, alg string) string {
	switch alg {
	case "md5":
		return strings.ToLower(hs.MD5)
	case "sha1":
		return strings.ToLower(hs.SHA1)
	case "sha256":
		return strings.ToLower(hs.SHA256)
	case "sha512":
		return strings.ToLower(hs.SHA512)
	}
	return ""
}

// digest hashes a generated document (maven-metadata.xml) for its checksum file.
func digest(alg string, b []byte) string {
	var h hash.Hash
	switch alg {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	default:
		h = sha512.New()
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
