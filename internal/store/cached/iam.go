package cached

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// IAMGeneration is the pseudo-domain name (with the account as its owner)
// whose generation counts the writes to an account's IAM entities: users,
// roles, their inline and attached policies, managed policies and their
// versions. No domain can carry it ('#' is not allowed in a domain name).
const IAMGeneration = "#iam"

// iamGen is the stamp MemoIAM files an answer under: it changes whenever an
// IAM entity of the account may have changed.
//
//   - Shared mode: the account's IAM generation in the store, bumped by every
//     replica's IAM writes (and by `wharf keys create`), read once per request
//     under WithRequest, like a domain's.
//   - Local mode: this process's own IAM writes (a counter in memory) plus
//     the changes other processes on the same SQLite file announced through
//     the IAM change file (Options.IAMChangeFile; `wharf keys create` writes IAM
//     entities while a server runs). Both only grow, so their sum is equal at
//     two moments only if neither moved. Reading the file's state costs one
//     stat, where reading the database's counter would cost an SQL query per
//     request (~30 µs with modernc.org/sqlite, most of it parsing the SQL).
func (s *Store) iamGen(ctx context.Context, account string) (int64, error) {
	d := domKey{account, IAMGeneration}
	if s.opt.Shared {
		return s.gen(ctx, d)
	}
	ext, err := s.iamFile.generation()
	if err != nil {
		return 0, err
	}
	g, err := s.gen(ctx, d)
	return g + ext, err
}

// afterIAM bumps the account's IAM generation once an IAM write returned,
// whatever its error (as after does for domains): in memory in local mode, in
// the store in shared mode.
func (s *Store) afterIAM(ctx context.Context, account string, err error) error {
	return s.after(ctx, domKey{account, IAMGeneration}, err)
}

// iamMemo holds what MemoIAM computed, per account and key.
type iamMemo struct {
	mu sync.RWMutex
	m  map[iamKey]iamAnswer
}

type iamKey struct{ account, key string }

type iamAnswer struct {
	gen int64
	at  time.Time
	val any
	err error
}

// MemoIAM returns what load computes from an account's IAM entities (the
// identity a decision is made for: a user's or a role's policies, parsed, and
// its tags), reusing an answer while the account's IAM generation (iamGen) has
// not moved: an IAM write in this process, another replica or `wharf keys
// create` moves it, so the very next request loads again. The generation is
// read BEFORE load runs, so an answer computed while a write lands is filed
// under the older generation and never served after it. Answers and the
// refusals the stored state decides (apperr.AccessDenied, NotFound) are kept;
// a failing store is asked again next time. In shared mode an answer also
// ages out after MaxAge, like every entry. The value is shared between
// callers: it must not be modified.
func (s *Store) MemoIAM(ctx context.Context, account, key string, load func() (any, error)) (any, error) {
	g, err := s.iamGen(ctx, account)
	if err != nil {
		return nil, err
	}
	var now time.Time
	if s.opt.Shared {
		now = s.opt.Now()
	}
	k := iamKey{account, key}
	s.iam.mu.RLock()
	a, ok := s.iam.m[k]
	s.iam.mu.RUnlock()
	if ok && a.gen == g && (!s.opt.Shared || now.Sub(a.at) < s.opt.MaxAge) {
		return a.val, a.err
	}
	v, err := load()
	if err == nil || apperr.Is(err, apperr.AccessDenied) || apperr.Is(err, apperr.NotFound) {
		s.iam.mu.Lock()
		if s.iam.m == nil || len(s.iam.m) >= 1<<14 {
			s.iam.m = map[iamKey]iamAnswer{} // bounded: the principals in use, a few KB each
		}
		if old, ok := s.iam.m[k]; !ok || old.gen <= g {
			s.iam.m[k] = iamAnswer{gen: g, at: now, val: v, err: err}
		}
		s.iam.mu.Unlock()
	}
	return v, err
}

// changeFile is the reading side of the IAM change file, which other
// processes replace (write a new file, rename it over the old one) after each
// IAM write. Its generation counts the changes seen: a different file at the
// path, or the file gone. The reader keeps the file it last saw open, so that
// file's identity (device and inode) cannot be reused while it compares: the
// path naming another file means exactly "announced since". The count only
// grows, whatever the files hold.
type changeFile struct {
	path string
	mu   sync.Mutex
	f    *os.File    // the file last seen; nil when there was none
	fi   os.FileInfo // its identity
	seen int64       // changes seen
}

func (c *changeFile) generation() (int64, error) {
	if c == nil {
		return 0, nil
	}
	fi, err := os.Stat(c.path) // outside the lock: concurrent requests do not queue on the syscall
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if c.f != nil { // removed since it was seen
			c.f.Close()
			c.f, c.fi = nil, nil
			c.seen++
		}
		return c.seen, nil
	case err != nil:
		return 0, fmt.Errorf("checking the IAM change file: %w", err)
	case c.f != nil && os.SameFile(fi, c.fi):
		return c.seen, nil
	}
	f, err := os.Open(c.path)
	if err == nil {
		fi, err = f.Stat()
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		return 0, fmt.Errorf("checking the IAM change file: %w", err)
	}
	if c.f != nil {
		c.f.Close()
	}
	c.f, c.fi = f, fi
	c.seen++
	return c.seen, nil
}

func (c *changeFile) close() {
	if c != nil && c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

// IAMWrites wraps the store of a process that writes beside a server (wharf
// keys create): each IAM entity write bumps the account's IAM generation in
// the store (what replicas on PostgreSQL read) and, with changeFile set (SQLite:
// the server's Options.IAMChangeFile), then replaces that file with the new
// generation, so a running server's MemoIAM answers give way on its very next
// request.
func IAMWrites(st store.Store, changeFile string) store.Store {
	return iamWrites{Store: st, file: changeFile}
}

type iamWrites struct {
	store.Store
	file string
}

func (w iamWrites) bump(ctx context.Context, account string, err error) error {
	g, berr := w.Store.BumpGeneration(context.WithoutCancel(ctx), account, IAMGeneration)
	if berr == nil && w.file != "" {
		berr = announce(w.file, g)
	}
	if berr != nil && err == nil {
		return berr
	}
	return err
}

// announce replaces the change file with a new one (holding g, for people:
// the reader compares files, not contents).
func announce(path string, g int64) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(b[:]))
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(g, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("announcing an IAM change to a running server: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("announcing an IAM change to a running server: %w", err)
	}
	return nil
}

func (w iamWrites) CreateIAMEntity(ctx context.Context, e model.IAMEntity) error {
	return w.bump(ctx, e.Account, w.Store.CreateIAMEntity(ctx, e))
}

func (w iamWrites) PutIAMEntity(ctx context.Context, e model.IAMEntity) error {
	return w.bump(ctx, e.Account, w.Store.PutIAMEntity(ctx, e))
}

func (w iamWrites) DeleteIAMEntity(ctx context.Context, account, kind, parent, name string) error {
	return w.bump(ctx, account, w.Store.DeleteIAMEntity(ctx, account, kind, parent, name))
}
