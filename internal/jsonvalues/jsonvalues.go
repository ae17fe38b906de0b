// Package jsonvalues bounds how many values a JSON document will decode to,
// before it is decoded. A document's byte limit does not bound what decoding
// it costs: `{},` becomes a struct of a hundred bytes, `"a1":"",` a map entry,
// so a few MiB of tiny values cost hundreds of MiB. Handlers count first and
// refuse a document over their bound.
package jsonvalues

// Count returns the number of commas, colons and opening brackets in b
// outside strings. Every value but the first of a container follows a comma
// and every container opens with a bracket, so this is at least the number
// of values decoding makes, less one; an object member counts twice (its
// colon and comma). It allocates nothing, needs no valid JSON, and stops
// counting once it passes max (so it costs at most one pass over b).
func Count(b []byte, max int) int {
	n, inString := 0, false
	for i := 0; i < len(b) && n <= max; i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++ // the escaped byte, a quote included, is the string's
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':' || c == '[' || c == '{'):
			n++
		}
	}
	return n
}
