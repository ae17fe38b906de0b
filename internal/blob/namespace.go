package blob

import (
	"fmt"
	"strconv"
	"strings"
)

// EscapeNamespace is how every backend names a namespace in its own storage:
// one path segment of [A-Za-z0-9_%-] only (every other byte as %XX), which no
// file system, S3 server or proxy rewrites.
func EscapeNamespace(ns string) string {
	var b strings.Builder
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// UnescapeNamespace inverts EscapeNamespace for a backend listing its
// namespaces; ok is false for a name EscapeNamespace cannot produce (a file
// or object some other program put there).
func UnescapeNamespace(name string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		v, err := strconv.ParseUint(name[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	ns := b.String()
	return ns, ns != "" && EscapeNamespace(ns) == name
}
