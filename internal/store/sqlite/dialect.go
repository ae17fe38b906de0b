package sqlite

// Everything specific to SQLite lives in this file: the driver, the connection
// settings, how its errors are classified and the rest of its sqlstore.Dialect.
// The queries are sqlstore's, shared with PostgreSQL.

import (
	"database/sql"
	"errors"
	"net/url"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wharf-dev/wharf/internal/store/sqlstore"
)

const driverName = "sqlite"

// dialect runs sqlstore on SQLite. Writes take the one writer connection
// (BEGIN IMMEDIATE, see dsn), so a write transaction never loses a race and is
// never rerun, and blob pins and sweeps need no lock of their own. Reads of
// several statements share one read-only transaction (one WAL snapshot).
var dialect = sqlstore.Dialect{
	Name:                  "sqlite",
	ReadTx:                &sql.TxOptions{ReadOnly: true},
	MaxAttempts:           1,
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	// LIKE is case-insensitive in SQLite and needs escaping; substr is neither.
	StartsWith: "substr(%s, 1, length(?)) = ?",
	PrefixArgs: 2,
}

// dsn builds the connection string for path. Every connection gets a busy
// timeout (so a reader meeting a checkpoint waits instead of failing), foreign
// keys (the cascades depend on them) and WAL (readers never block the writer).
// Write connections begin IMMEDIATE so a transaction takes the write lock up
// front instead of failing when it upgrades; read connections are query-only.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Deleted and overwritten content is zeroed in the file, not left in free
	// space, so a value that was once stored in plaintext and then sealed (or a
	// deleted secret) is really gone after a checkpoint.
	q.Add("_pragma", "secure_delete(1)")
	// Memory outside Go's heap: modernc.org/sqlite allocates each connection's
	// page cache from its own C allocator, which rounds a 4 KiB page plus its
	// header up to an 8 KiB slot, so SQLite's default cache (2,000 KiB) costs
	// ~4 MiB of RSS per connection, five connections ~20 MiB (bench/RESULTS-rss.md).
	// wharf's hot reads come from the store's own cache (internal/store/cached)
	// and the file's pages from the OS page cache, so a small per-connection
	// cache costs little: the writer keeps 1 MiB (B-tree interior pages of the
	// indexes a publish updates), readers 512 KiB. No memory-mapped I/O (its
	// pages would count in RSS too), temporary tables and sorts on disk.
	q.Add("_pragma", "mmap_size(0)")
	q.Add("_pragma", "temp_store(FILE)")
	if readOnly {
		q.Add("_pragma", "cache_size(-512)")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "cache_size(-1024)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// isUniqueViolation reports whether err is a primary key or unique constraint failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	c := e.Code()
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isForeignKeyViolation reports whether err is a foreign key constraint failure.
func isForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
