// Package reqctx carries what the layers below HTTP need to know about the
// request they serve: its id and the principal that made it, for the audit
// trail. The HTTP middleware puts one Info in the context; authentication
// fills in the principal.
package reqctx

import "context"

// Info is the per-request record. Ext is the middleware's own per-request
// state, kept in the same context value so that a request costs one
// context allocation.
type Info struct {
	RequestID string
	Principal string // ARN, once authenticated
	Ext       any
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the request's Info, or nil outside a request (CLI tools, tests).
func From(ctx context.Context) *Info {
	i, _ := ctx.Value(key{}).(*Info)
	return i
}

// SetPrincipal records the authenticated principal (a no-op outside a request).
func SetPrincipal(ctx context.Context, arn string) {
	if i := From(ctx); i != nil {
		i.Principal = arn
	}
}
