package pglock_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wharf-dev/wharf/internal/coord/pglock"
	"github.com/wharf-dev/wharf/internal/store/postgres/pgtest"
)

func dsn(t *testing.T) string {
	if d := os.Getenv("WHARF_TEST_POSTGRES_DSN"); d != "" {
		return d
	}
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatalf("test PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.DSN("postgres")
}

func newLocker(t *testing.T, d string) *pglock.Locker {
	l, err := pglock.New(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// Two replicas (two lockers, two pools): the second waits for the first's
// unlock, other names never wait, a cancelled wait returns its context's
// error, and a replica that dies (its connections gone) releases its locks.
func TestLockAcrossReplicas(t *testing.T) {
	d := dsn(t)
	a, b := newLocker(t, d), newLocker(t, d)
	ctx := context.Background()

	unlockA, err := a.Lock(ctx, "asset|x")
	if err != nil {
		t.Fatal(err)
	}
	// Another name is free.
	unlockOther, err := b.Lock(ctx, "asset|y")
	if err != nil {
		t.Fatal(err)
	}
	unlockOther()

	// The same name waits: a short deadline expires while A holds it.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = b.Lock(short, "asset|x")
	cancel()
	if err == nil {
		t.Fatal("B took a lock A holds")
	}
	if !errors.Is(err, context.DeadlineExceeded) && short.Err() == nil {
		t.Fatalf("B's cancelled wait: %v", err)
	}

	got := make(chan func(), 1)
	go func() {
		u, err := b.Lock(ctx, "asset|x")
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	unlockA()
	unlockB := <-got
	if unlockB == nil {
		t.Fatal("B never got the lock after A released it")
	}
	unlockB()

	// A replica killed while holding a lock: its session ends, the lock goes.
	c := newLocker(t, d)
	unlockC, err := c.Lock(ctx, "asset|z")
	if err != nil {
		t.Fatal(err)
	}
	killSessions(t, d)
	// Its unlock then fails on the dead session and drops the connection
	// (the pool's Close waits for every connection to be given back).
	defer unlockC()
	wait, cancel := context.WithTimeout(ctx, time.Minute) // a safety net only
	defer cancel()
	u, err := a.Lock(wait, "asset|z")
	if err != nil {
		t.Fatalf("lock of a dead session never released: %v", err)
	}
	u()
}

// killSessions terminates every other session holding an advisory lock, as
// PostgreSQL does when a replica's connections drop.
func killSessions(t *testing.T, d string) {
	conn, err := pgx.Connect(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
}
