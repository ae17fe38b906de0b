// Package plainquery reads a URL query string in place when url.ParseQuery
// would decode it to exactly its own bytes, pair by pair. Every SDK's query
// for the CodeArtifact API is such a query; the SigV4 check and the API
// handlers read it without building a url.Values map per request, and decode
// any other query with url.ParseQuery as before.
package plainquery

import "strings"

// MaxPairs bounds the queries read in place: below any limit of ParseQuery's
// (GODEBUG urlmaxqueryparams included, unless set below it).
const MaxPairs = 32

// Is reports whether url.ParseQuery would decode raw to its own bytes:
// nothing escaped, no '+', no ';' (which ParseQuery drops with its pair), and
// fewer than MaxPairs pairs.
func Is(raw string) bool {
	return !strings.ContainsAny(raw, "%+;") && strings.Count(raw, "&") < MaxPairs
}

// Get is url.Values' Get and Has in one over a query for which Is holds: the
// first value of name, and whether name is present at all.
func Get(raw, name string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v, true
		}
	}
	return "", false
}
