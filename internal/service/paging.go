package service

import (
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// Page is one page of a list operation as callers (the wire layers, the
// console) ask for it: the token a previous page returned ("" for the first)
// and the most items to return (0: all). Lists the store keeps are paged by
// its keyset cursors, lists the service builds in memory by internal/paging;
// either way the token is opaque to callers and refused when it is not one
// the same list gave.
type Page struct {
	Token string
	Limit int
}

func (p Page) store() store.Page { return store.Page{Cursor: p.Token, Limit: p.Limit} }

// PackageFilter is ListPackages' filters, as the API names them; empty
// fields match all.
type PackageFilter struct {
	Format model.Format
	// NamespacePrefix keeps packages whose namespace starts with it (the
	// API's `namespace`, a prefix as the model documents).
	NamespacePrefix string
	// PackagePrefix keeps packages whose name starts with it.
	PackagePrefix string
	// Publish and Upstream keep packages with that origin control (ALLOW or BLOCK).
	Publish, Upstream string
}
