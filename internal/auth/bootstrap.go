package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// CredentialsFile is the name, under the data directory, of the generated admin
// credentials: an AWS shared-credentials file with one profile, CredentialsProfile.
const (
	CredentialsFile    = "admin-credentials"
	CredentialsProfile = "wharf"
)

// KeyStore reads and writes access keys; store.Store satisfies it.
type KeyStore interface {
	KeyLookup
	PutAccessKey(ctx context.Context, k model.AccessKey) error
}

// RootPrincipal is the root identity of an account, as GetCallerIdentity reports
// it for root credentials (UserId is the account id).
func RootPrincipal(account string) model.Principal {
	return model.Principal{Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account}
}

// Bootstrap makes sure the default account's root has an access key, and returns
// it with the path of the credentials file when that is where it came from.
//
//   - envKeyID and envSecret both set: that pair is the key (path "").
//   - DATA/admin-credentials exists: the key in it.
//   - otherwise a new key is generated and written there (mode 0600, atomically,
//     never overwriting a file another process wrote first), and its path and key
//     id are logged. The secret is never logged.
//
// In every case the key is put into keys unless already there unchanged, so a
// second start is a no-op. Exactly one of envKeyID/envSecret set is an error.
func Bootstrap(ctx context.Context, keys KeyStore, dataDir, envKeyID, envSecret string, logger *slog.Logger) (model.AccessKey, string, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root := RootPrincipal(model.DefaultAccount)
	if envKeyID != "" || envSecret != "" {
		if envKeyID == "" || envSecret == "" {
			return model.AccessKey{}, "", errors.New("admin credentials: set both the access key id and the secret access key, or neither")
		}
		k, err := ensureKey(ctx, keys, model.AccessKey{AccessKeyID: envKeyID, SecretAccessKey: envSecret, Principal: root})
		if err == nil {
			logger.Info("admin credentials from the environment", "access_key_id", k.AccessKeyID, "principal", root.ARN)
		}
		return k, "", err
	}

	path := filepath.Join(dataDir, CredentialsFile)
	id, secret, err := readCredentialsFile(path)
	switch {
	case err == nil:
		k, err := ensureKey(ctx, keys, model.AccessKey{AccessKeyID: id, SecretAccessKey: secret, Principal: root})
		if err == nil {
			logger.Info("admin credentials loaded", "path", path, "access_key_id", id, "profile", CredentialsProfile)
		}
		return k, path, err
	case !errors.Is(err, os.ErrNotExist):
		return model.AccessKey{}, "", err
	}

	id, secret, err = newKeyPair()
	if err != nil {
		return model.AccessKey{}, "", err
	}
	created, err := writeCredentialsFile(path, id, secret)
	if err != nil {
		return model.AccessKey{}, "", err
	}
	if !created { // another process won the race: use its key
		if id, secret, err = readCredentialsFile(path); err != nil {
			return model.AccessKey{}, "", err
		}
	}
	k, err := ensureKey(ctx, keys, model.AccessKey{AccessKeyID: id, SecretAccessKey: secret, Principal: root})
	if err != nil {
		return model.AccessKey{}, "", err
	}
	logger.Info("admin credentials generated; use them with AWS_SHARED_CREDENTIALS_FILE=<path> AWS_PROFILE="+CredentialsProfile,
		"path", path, "access_key_id", id, "principal", root.ARN)
	return k, path, nil
}

// ensureKey stores k unless the store already holds it unchanged, keeping the
// stored creation time when there is one.
func ensureKey(ctx context.Context, keys KeyStore, k model.AccessKey) (model.AccessKey, error) {
	old, err := keys.GetAccessKey(ctx, k.AccessKeyID)
	switch {
	case err == nil:
		if old.SecretAccessKey == k.SecretAccessKey && old.Principal == k.Principal {
			return old, nil
		}
		k.CreatedAt = old.CreatedAt
	case apperr.Is(err, apperr.NotFound):
		k.CreatedAt = time.Now().UTC()
	default:
		return model.AccessKey{}, fmt.Errorf("admin credentials: reading access key: %w", err)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now().UTC()
	}
	if err := keys.PutAccessKey(ctx, k); err != nil {
		return model.AccessKey{}, fmt.Errorf("admin credentials: storing access key: %w", err)
	}
	return k, nil
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// newKeyPair generates an AWS-shaped pair: AKIA + 16 uppercase alphanumerics, and
// a 40-character secret.
func newKeyPair() (id, secret string, err error) {
	if id, err = randomString(upperAlnum, 16); err != nil {
		return "", "", err
	}
	if secret, err = randomString(secretChars, 40); err != nil {
		return "", "", err
	}
	return "AKIA" + id, secret, nil
}

// randomString draws n characters uniformly from alphabet (rejection sampling, so
// no character is likelier than another).
func randomString(alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("admin credentials: random: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

func credentialsText(id, secret string) string {
	return "# wharf admin credentials: root of account " + model.DefaultAccount + ".\n" +
		"# Use with: AWS_SHARED_CREDENTIALS_FILE=<this file> AWS_PROFILE=" + CredentialsProfile + "\n" +
		"[" + CredentialsProfile + "]\n" +
		"aws_access_key_id = " + id + "\n" +
		"aws_secret_access_key = " + secret + "\n"
}

// writeCredentialsFile writes the file atomically: a complete temporary file is
// linked into place, which fails if the file exists. created is false when it did.
func writeCredentialsFile(path, id, secret string) (created bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+CredentialsFile+"-*")
	if err != nil {
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod states it and survives a permissive umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	if _, err := io.WriteString(tmp, credentialsText(id, secret)); err != nil {
		tmp.Close()
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("admin credentials: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new directory entry durable
		d.Close()
	}
	return true, nil
}

// readCredentialsFile reads the CredentialsProfile section of a shared-credentials
// style file. A missing file is an os.ErrNotExist error.
func readCredentialsFile(path string) (id, secret string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", "", err
		}
		return "", "", fmt.Errorf("admin credentials: %w", err)
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = strings.TrimSpace(line[1 : len(line)-1])
		case section == CredentialsProfile:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				id = strings.TrimSpace(v)
			case "aws_secret_access_key":
				secret = strings.TrimSpace(v)
			}
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("admin credentials: %s has no [%s] profile with aws_access_key_id and aws_secret_access_key; fix or remove it", path, CredentialsProfile)
	}
	return id, secret, nil
}
