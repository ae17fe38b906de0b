package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Keys looks up access keys (the metadata store satisfies it).
type Keys interface {
	GetAccessKey(ctx context.Context, id string) (model.AccessKey, error)
}

const (
	cookieName = "wharf_console"
	sessionTTL = 12 * time.Hour
)

// The session is signed as the API is: with a key derived from the access
// key's secret the SigV4 way (HMAC chain from "AWS4"+secret over the date and a
// scope), over the key id and expiry. Nothing is stored on the server; a
// deleted or rotated key ends its sessions, and the secret never leaves the
// sign-in form.
func sessionSignature(secret, keyID string, expires time.Time) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), expires.UTC().Format("20060102"))
	k = mac(k, "wharf-console")
	k = mac(k, "aws4_request")
	return hex.EncodeToString(mac(k, keyID+"\n"+strconv.FormatInt(expires.Unix(), 10)))
}

// signIn checks the key pair and returns the session cookie.
func signIn(ctx context.Context, keys Keys, keyID, secret string, now time.Time) (*http.Cookie, model.Principal, error) {
	k, err := keys.GetAccessKey(ctx, keyID)
	if err != nil || subtle.ConstantTimeCompare([]byte(k.SecretAccessKey), []byte(secret)) != 1 {
		return nil, model.Principal{}, errors.New("the access key ID or secret access key is not valid")
	}
	exp := now.Add(sessionTTL)
	v := keyID + "." + strconv.FormatInt(exp.Unix(), 10) + "." + sessionSignature(k.SecretAccessKey, keyID, exp)
	return &http.Cookie{Name: cookieName, Value: v, Path: "/console/", Expires: exp, HttpOnly: true, SameSite: http.SameSiteStrictMode}, k.Principal, nil
}

// session returns the signed-in principal of a request.
func session(r *http.Request, keys Keys, now time.Time) (model.Principal, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || len(c.Value) > 512 {
		return model.Principal{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return model.Principal{}, false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !now.Before(time.Unix(unix, 0)) {
		return model.Principal{}, false
	}
	k, err := keys.GetAccessKey(r.Context(), parts[0])
	if err != nil {
		return model.Principal{}, false
	}
	want := sessionSignature(k.SecretAccessKey, parts[0], time.Unix(unix, 0))
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return model.Principal{}, false
	}
	return k.Principal, true
}
