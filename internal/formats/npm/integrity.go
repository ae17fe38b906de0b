package npm

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// Expected is the digest a tarball must have, from its version's dist.
type Expected struct {
	Algo   string // sha512, sha256 or sha1
	Digest []byte
}

// ExpectedDigest picks the strongest digest dist declares: an SRI entry of
// dist.integrity (sha512, then sha256, then sha1), else dist.shasum. ok is false
// when dist declares none wharf can check.
func ExpectedDigest(d Dist) (Expected, bool) {
	found := map[string][]byte{}
	for _, sri := range strings.Fields(d.Integrity) {
		algo, b64, ok := strings.Cut(sri, "-")
		if !ok {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?") // SRI options
		sum, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if _, seen := found[algo]; !seen {
			found[algo] = sum
		}
	}
	for _, algo := range []string{"sha512", "sha256", "sha1"} {
		if sum, ok := found[algo]; ok {
			return Expected{Algo: algo, Digest: sum}, true
		}
	}
	if sum, err := hex.DecodeString(d.Shasum); err == nil && len(sum) == sha1.Size {
		return Expected{Algo: "sha1", Digest: sum}, true
	}
	return Expected{}, false
}

// CheckDist is the publish-time check of what a client declares in dist:
// dist.integrity, when present, must be an SRI string whose every entry is
// "algo-base64" with valid base64 (of the right length for sha1/sha256/sha512)
// and which names at least one of those; dist.shasum, when present, 40 hex
// digits. ExpectedDigest skips what it cannot read (an upstream's odd entry
// must not hide a good one), but a publish declaring an unreadable digest is
// refused rather than stored with a claim nothing checked.
func CheckDist(d Dist) error {
	if d.Integrity != "" {
		known := false
		for _, sri := range strings.Fields(d.Integrity) {
			algo, b64, ok := strings.Cut(sri, "-")
			b64, _, _ = strings.Cut(b64, "?")
			sum, err := base64.StdEncoding.DecodeString(b64)
			if !ok || algo == "" || err != nil || len(sum) == 0 {
				return fmt.Errorf("dist.integrity entry %.80q is not algorithm-base64", sri)
			}
			if size, isKnown := digestSizes[algo]; isKnown {
				if len(sum) != size {
					return fmt.Errorf("dist.integrity %s digest is %d bytes, want %d", algo, len(sum), size)
				}
				known = true
			}
		}
		if !known {
			return fmt.Errorf("dist.integrity %.80q has no sha512, sha256 or sha1 entry", d.Integrity)
		}
	}
	if d.Shasum != "" {
		if sum, err := hex.DecodeString(d.Shasum); err != nil || len(sum) != sha1.Size {
			return fmt.Errorf("dist.shasum %.80q is not 40 hex digits", d.Shasum)
		}
	}
	return nil
}

var digestSizes = map[string]int{"sha512": sha512.Size, "sha256": sha256.Size, "sha1": sha1.Size}

// Matches reports whether stored hashes (hex, as the blob store reports them)
// agree with the expected digest.
func (e Expected) Matches(h model.Hashes) bool {
	var got string
	switch e.Algo {
	case "sha512":
		got = h.SHA512
	case "sha256":
		got = h.SHA256
	case "sha1":
		got = h.SHA1
	}
	sum, err := hex.DecodeString(got)
	return err == nil && subtle.ConstantTimeCompare(sum, e.Digest) == 1
}

func (e Expected) String() string {
	return e.Algo + "-" + base64.StdEncoding.EncodeToString(e.Digest)
}
