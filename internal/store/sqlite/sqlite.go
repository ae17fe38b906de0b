// Package sqlite is wharf's embedded metadata store: store.Store on a single SQLite
// file through the pure-Go modernc.org/sqlite driver (no cgo).
//
// Concurrency: all writes go through one connection (a pool of size one), so
// writers queue inside database/sql instead of racing for SQLite's lock; that
// is what turns N concurrent creates of one name into one winner and N-1
// Conflicts rather than SQLITE_BUSY errors. Reads use a separate pool and, in
// WAL mode, run alongside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/sqlstore"
)

// Store is a store.Store backed by one SQLite database file: sqlstore's queries
// with SQLite's dialect (see dialect.go).
type Store struct {
	*sqlstore.Store
	w *sql.DB // the single writer connection
	r *sql.DB // readers

	stopTrim  chan struct{} // closed by Close: ends trimLoop
	trimDone  chan struct{}
	closeOnce sync.Once
}

// TrimInterval is how often SQLite's freed C memory is handed back to the OS
// (cmem_libc.go): soon after a burst of large reads or writes ends, RSS is
// what the connections still use. Each pass costs a few unmaps when there is
// something to return, and a later large value maps its region again.
const TrimInterval = 10 * time.Second

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and migrates its schema
// forward to the latest version.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := restrictFiles(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w, err := sql.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	r, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	st := &Store{Store: sqlstore.New(dialect, sqlstore.DB(w), sqlstore.DB(r)), w: w, r: r,
		stopTrim: make(chan struct{}), trimDone: make(chan struct{})}
	go st.trimLoop()
	return st, nil
}

// trimLoop returns SQLite's freed memory to the OS every TrimInterval.
func (s *Store) trimLoop() {
	defer close(s.trimDone)
	t := time.NewTicker(TrimInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopTrim:
			return
		case <-t.C:
			_ = trimCMemory() // an munmap failure leaves the region retained, as before
		}
	}
}

// restrictFiles makes the database file private to wharf's user (0600) before
// SQLite opens it: SQLite creates the -wal and -shm files with the database
// file's permissions, so they follow. Files an older wharf created with the
// umask's mode are tightened too.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Checkpoint copies the write-ahead log into the database file and truncates it,
// so content overwritten since (see secure_delete in dsn) leaves the log too.
func (s *Store) Checkpoint(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stopTrim)
		<-s.trimDone
	})
	return errors.Join(s.r.Close(), s.w.Close())
}
