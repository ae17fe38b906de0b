package auth

import (
	"context"
	"sync/atomic"

	"github.com/wharf-dev/wharf/internal/model"
)

// A package manager sends the same token on every request of a keep-alive
// connection (npm ci: hundreds of GETs on a few connections). Validating it
// again each time hashed it (SHA-256) and read the token row through the read
// cache, ~3 % of a cached tarball GET's CPU. The connection remembers the last
// token that validated on it instead.
//
// Why this is exact: a token row never changes once issued, and the only rows
// ever deleted are expired ones (DeleteExpiredTokens), which the expiry check
// Validate makes on every request refuses anyway. Everything else about the
// request — the token's domain against the one addressed, the caller's
// permissions — is decided per request by the caller of Validate, as before.
// The token is kept only as long as the connection that sent it.

type connMemoKey struct{}

// connMemo holds the token validated last on one connection. An atomic
// pointer, not a plain field: an HTTP/2 connection serves its streams
// concurrently.
type connMemo struct{ last atomic.Pointer[connToken] }

type connToken struct {
	token string
	at    model.AuthToken
}

// WithConnMemo returns ctx carrying a memo of the token validated last on one
// client connection: for an http.Server's ConnContext, so that each
// connection has its own.
func WithConnMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, connMemoKey{}, &connMemo{})
}

func connMemoOf(ctx context.Context) *connMemo {
	m, _ := ctx.Value(connMemoKey{}).(*connMemo)
	return m
}

// lastFor returns the memo's entry when token is the one it holds (nil
// memo: none).
func (m *connMemo) lastFor(token string) *connToken {
	if m == nil {
		return nil
	}
	if c := m.last.Load(); c != nil && c.token == token {
		return c
	}
	return nil
}
