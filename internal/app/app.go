// Package app is wharf's composition root: it builds every part from the
// configuration, serves them on one port and shuts them down in order.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/blob/envelope"
	blobfs "github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/postgres"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// App is a running wharf.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	store    store.Store
	handler  http.Handler
	ready    atomic.Bool
	listener net.Listener
	server   *http.Server
	// CredentialsFile is where the bootstrapped admin key was written ("" when
	// the key came from the environment).
	CredentialsFile string
	// AdminKey is the default account's admin access key.
	AdminKey model.AccessKey
	// Engine is the package engine; Upstream fetches from external connections.
	Engine   *packages.Engine
	Upstream *upstream.Fetcher
	// keys is the local key provider: envelope encryption and the KMS subset share it.
	keys *keys.Local
}

// packageEngine builds blob storage (content-addressed per domain, envelope-
// encrypted under each domain's key) and the upstream fetcher.
func (a *App) packageEngine(st store.Store) (*packages.Engine, *upstream.Fetcher, error) {
	disk, err := blobfs.New(filepath.Join(a.cfg.DataDir, "blobs"))
	if err != nil {
		return nil, nil, fmt.Errorf("opening blob store: %w", err)
	}
	kp, err := keys.NewLocal(a.cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("opening local key provider: %w", err)
	}
	a.keys = kp
	keyFor := func(ctx context.Context, ns string) (string, error) {
		owner, domain, ok := strings.Cut(ns, "/")
		if !ok {
			return "", fmt.Errorf("blob namespace %q is not owner/domain", ns)
		}
		d, err := st.GetDomain(ctx, owner, domain)
		if err != nil {
			return "", err
		}
		return d.EncryptionKey, nil
	}
	fetcher, err := upstream.New(upstream.Sources(a.cfg.Upstreams), st, upstream.Options{
		MetadataTTL: a.cfg.MetadataTTL, NegativeTTL: a.cfg.NegativeTTL, Logger: a.log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("configuring upstreams: %w", err)
	}
	engine := &packages.Engine{Store: st, Blobs: envelope.New(disk, kp, keyFor), Log: a.log}
	return engine, fetcher, nil
}

// New builds wharf from cfg: opens storage, bootstraps credentials and wires the handlers.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening metadata store: %w", err)
	}
	a := &App{cfg: cfg, log: log, store: st}
	key, path, err := auth.Bootstrap(ctx, st, cfg.DataDir, cfg.RootAccessKeyID, cfg.RootSecretAccessKey, log)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("bootstrapping admin credentials: %w", err)
	}
	a.AdminKey, a.CredentialsFile = key, path

	engine, fetcher, err := a.packageEngine(st)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.Engine, a.Upstream = engine, fetcher

	tokens := &auth.Tokens{Store: st}
	svc := &service.Service{
		Store:    st,
		Packages: engine,
		Region:   cfg.Region,
		Tokens:   tokens,
		Validate: func(doc string) error {
			_, err := policy.Parse(doc)
			return err
		},
		Log:   log,
		OrgID: cfg.OrganizationID,
	}
	// Signed bodies up to the publish limit are accepted: the verifier spools large
	// ones to a temporary file while hashing, so memory stays flat.
	verifier := &auth.Verifier{Keys: st, MaxSkew: 15 * time.Minute, MaxBodyBytes: cfg.MaxPublishBytes}
	a.handler = a.routes(svc, verifier, tokens)
	return a, nil
}

// OpenStore opens the configured metadata store: SQLite in the data directory by
// default, PostgreSQL when --database is a postgres:// URL.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.Database != "" {
		return postgres.Open(ctx, cfg.Database)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "wharf.db"))
}

// Store is the metadata store (for tools and tests that add principals).
func (a *App) Store() store.Store { return a.store }

// Handler is wharf's HTTP handler (for in-process tests).
func (a *App) Handler() http.Handler { return a.handler }

// Listen binds the configured address; Addr reports it (useful with port 0).
func (a *App) Listen() error {
	l, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return err
	}
	a.listener = l
	return nil
}

// Addr is the bound address.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves until ctx is cancelled, then shuts down gracefully.
func (a *App) Serve(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	a.server = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	// Expired STS sessions are refused by their expiry; the sweeper only keeps
	// the table small. It stops before the store closes.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() { defer close(swept); a.sweepSessions(sweepCtx) }()
	defer func() { stopSweep(); <-swept }()
	a.ready.Store(true)
	a.log.Info("wharf is serving", "addr", a.Addr(), "region", a.cfg.Region, "data_dir", a.cfg.DataDir)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.ready.Store(false)
	stopSweep()
	<-swept
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err := a.server.Shutdown(sctx)
	if cerr := a.store.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return err
}

// sessionSweepInterval is how often expired session credentials are deleted.
const sessionSweepInterval = 10 * time.Minute

func (a *App) sweepSessions(ctx context.Context) {
	t := time.NewTicker(sessionSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.store.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.log.Warn("deleting expired sessions", "err", err)
			} else if n > 0 {
				a.log.Info("deleted expired sessions", "count", n)
			}
		}
	}
}

// Close releases storage without serving (for callers that never called Serve).
func (a *App) Close() error { return a.store.Close() }
