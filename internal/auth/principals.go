package auth

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

var (
	accountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	userNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// UserPrincipal is an IAM user of an account. Its UserId is stable for the name,
// shaped like AWS's (AIDA + 16 characters).
func UserPrincipal(account, name string) (model.Principal, error) {
	if !accountRe.MatchString(account) {
		return model.Principal{}, fmt.Errorf("account %q must be 12 digits", account)
	}
	if !userNameRe.MatchString(name) {
		return model.Principal{}, fmt.Errorf("user name %q must be 1-64 characters of letters, digits and +=,.@_-", name)
	}
	return model.Principal{
		Account: account,
		ARN:     "arn:aws:iam::" + account + ":user/" + name,
		UserID:  "AIDA" + stableID(account+"/"+name),
	}, nil
}

// NewAccessKey creates and stores a fresh access key for p.
func NewAccessKey(ctx context.Context, keys KeyStore, p model.Principal) (model.AccessKey, error) {
	id, secret, err := newKeyPair()
	if err != nil {
		return model.AccessKey{}, err
	}
	k := model.AccessKey{AccessKeyID: id, SecretAccessKey: secret, Principal: p, CreatedAt: time.Now().UTC()}
	if err := keys.PutAccessKey(ctx, k); err != nil {
		return model.AccessKey{}, err
	}
	return k, nil
}

// stableID derives 16 uppercase alphanumerics from s.
func stableID(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := uint64(14695981039346656037) // FNV-1a
	out := make([]byte, 16)
	for i := range out {
		for _, c := range []byte(s) {
			h ^= uint64(c)
			h *= 1099511628211
		}
		h ^= uint64(i)
		out[i] = alphabet[h%uint64(len(alphabet))]
	}
	return string(out)
}
