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

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/blob/envelope"
	"github.com/wharf-dev/wharf/internal/blob/memcache"
	"github.com/wharf-dev/wharf/internal/blobgc"
	"github.com/wharf-dev/wharf/internal/coalesce"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/coord/pglock"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/cached"
	"github.com/wharf-dev/wharf/internal/store/postgres"
	"github.com/wharf-dev/wharf/internal/store/sealed"
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
	// pglock coordinates replicas on PostgreSQL (nil with SQLite).
	pglock *pglock.Locker
	// domainKeys wraps domains' data keys: keys, or AWS KMS with --kms aws.
	domainKeys keys.Provider
	// Events delivers the audit trail's package version events to webhooks.
	Events *audit.Deliverer
	// Metrics is the Prometheus registry served at /metrics.
	Metrics *metrics.Metrics
	// upstreamWarnings: external connections without an upstream URL (/healthz).
	upstreamWarnings upstreamWarnings
	// GC removes blobs no package version references (internal/blobgc).
	GC *blobgc.Collector
	// debug serves pprof when --debug-addr is set.
	debug *debugServer
	// domainKey is the sealed store's domain-key check (DomainKey, memoized
	// per domain generation by the read cache), shared by the router and the
	// decrypted-blob cache.
	domainKey sealed.DomainKeyFunc
	// readCache is the read cache under the sealed store (nil without one):
	// the router memoizes callers' IAM identities in it (MemoIAM).
	readCache *cached.Store
	// budgets are the caches' shares of --memory-budget (budgets.go);
	// caches reports each cache's size to /metrics.
	budgets Budgets
	caches  map[string]metrics.CacheStats
}

// packageEngine builds blob storage (content-addressed per domain, envelope-
// encrypted under each domain's key) and the upstream fetcher.
func (a *App) packageEngine(st store.Store) (*packages.Engine, *upstream.Fetcher, error) {
	disk, err := blobBackend(context.Background(), a.cfg)
	if err != nil {
		return nil, nil, err
	}
	kp := a.domainKeys
	domainKey := a.domainKey
	keyFor := func(ctx context.Context, ns string) (string, error) {
		owner, domain, ok := strings.Cut(ns, "/")
		if !ok {
			return "", fmt.Errorf("blob namespace %q is not owner/domain", ns)
		}
		return domainKey(ctx, owner, domain)
	}
	lock, err := a.clusterLock()
	if err != nil {
		return nil, nil, err
	}
	fetcher, err := upstream.New(upstream.Sources(a.cfg.Upstreams), st, upstream.Options{
		Lock: lock, Refresh: cached.Refresh,
		MetadataTTL: a.cfg.MetadataTTL, NegativeTTL: a.cfg.NegativeTTL, Logger: a.log,
		ResponseHeaderTimeout: a.cfg.UpstreamHeaderTimeout, ReadTimeout: a.cfg.UpstreamReadTimeout,
		MaxMetadataBytes: a.cfg.Limits.UpstreamMaxMetadataBytes, MaxAssetBytes: a.cfg.Limits.UpstreamMaxAssetBytes,
		ObserveRequest: a.Metrics.ObserveUpstream,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("configuring upstreams: %w", err)
	}
	a.Metrics.RegisterUpstream(fetcher)
	a.Events = audit.NewDeliverer(st, a.cfg.Region, a.log.With("component", "events"))
	rec := &audit.Recorder{Store: st, Log: a.log, Queued: a.Events.Wake, UpstreamURL: func(conn string) string {
		if u := fetcher.Sources()[conn]; u != nil {
			return u.Redacted()
		}
		return ""
	}}
	a.setWebhooks(rec, a.cfg.Webhooks)
	// Small blobs (tarballs, wheels, jars of up to 1 MiB) are kept decrypted in
	// memory once read: content-addressed, so never stale (internal/blob/memcache).
	// The domain's key must still be usable for its plaintext to be served from
	// memory: keyFor refuses while the key is disabled or pending deletion.
	// Every write into blob storage pins its digest first, so that the
	// collector never removes an object a writer is about to reference
	// (internal/blobgc); the collector itself works on the raw backend.
	a.GC = &blobgc.Collector{Store: st, Blobs: disk, Grace: a.cfg.GCGrace, Log: a.log.With("component", "blob-gc")}
	// Blob operations are timed below the decrypted-blob cache, as store
	// operations are below the read cache: the histogram is the backend's
	// (with decryption), and a blob served from memory reads no clock.
	var blobs memcache.Blobs = a.Metrics.TimeBlobs(envelope.New(blobgc.Pinning(disk, st, nil), kp, keyFor))
	// With AWS KMS, only KMS knows whether a key is still usable: every read
	// asks it (no plaintext kept in memory), so disabling a key there takes
	// effect at once.
	if a.cfg.ScaleOut.KMS != "aws" {
		c := memcache.New(blobs, a.budgets.Blobs, a.budgets.BlobItem)
		c.Gate = func(ctx context.Context, ns string) error { _, err := keyFor(ctx, ns); return err }
		blobs = c
		a.caches["blobs"] = c.Stats
	}
	engine := &packages.Engine{Store: st, Blobs: blobs, Log: a.log, Audit: rec, Upstream: fetcher, Hold: a.GC.Hold}
	if a.readCache != nil {
		// The memo is exact only over a store whose every write moves the
		// domain's generation: the read cache's.
		engine.EnableFileMemo(a.budgets.Files)
		a.caches["files"] = engine.FileMemoStats
	}
	return engine, fetcher, nil
}

// New builds wharf from cfg: opens storage, bootstraps credentials and wires the handlers.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	// Store latency is timed below the read cache: the histogram is the
	// database's, and a cached lookup (nearly every one on a package GET)
	// reads no clock.
	m := metrics.New()
	sealedStore, kp, domainKeys, err := openStore(ctx, cfg, log, m.TimeStore)
	if err != nil {
		return nil, err
	}
	// The data migration that seals what an earlier wharf stored in plaintext.
	if secrets, versions, err := sealedStore.Sweep(ctx); err != nil {
		sealedStore.Close()
		return nil, fmt.Errorf("sealing stored secrets and package metadata: %w", err)
	} else if secrets+versions > 0 {
		log.Info("sealed plaintext rows of an earlier wharf", "secret_access_keys", secrets, "package_versions", versions)
	}
	var st store.Store = sealedStore
	a := &App{cfg: cfg, log: log, store: st, keys: kp, domainKeys: domainKeys, Metrics: m, domainKey: sealedStore.DomainKey,
		budgets: BudgetsFor(cfg.MemoryBudget), caches: map[string]metrics.CacheStats{}}
	a.readCache, _ = sealedStore.Store.(*cached.Store)
	sealedStore.SetOpenedBytes(a.budgets.Opened)
	a.caches["opened_versions"] = sealedStore.OpenedStats
	if a.readCache != nil {
		a.caches["store"] = a.readCache.Stats
	}
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
			_, err := policy.Check(doc)
			return err
		},
		MaxAssetBytes: cfg.MaxPublishBytes,
		Log:           log,
		Upstreams:     fetcher,
		ConnectionsChanged: func(ctx context.Context) {
			a.refreshUpstreamWarnings(ctx)
		},
		OrgID:       cfg.OrganizationID,
		ExternalKMS: cfg.ScaleOut.KMS == "aws",
	}
	for _, w := range a.refreshUpstreamWarnings(ctx) {
		log.Warn("external connection without upstream URL: " + w)
	}
	// The signature is checked before a large body is read: bodies whose hash is
	// signed in X-Amz-Content-Sha256 (package uploads) stream to the handler up to
	// the publish limit, held to that hash; others are hashed in memory up to
	// --max-unsigned-body-bytes, and longer ones refused unread.
	verifier := &auth.Verifier{Keys: st, MaxSkew: 15 * time.Minute, Region: cfg.Region,
		MaxBodyBytes: cfg.MaxPublishBytes, MaxUnsignedBody: cfg.MaxUnsignedBodyBytes}
	svc.BlobGC = a.GC
	a.handler = a.routes(svc, verifier, tokens)
	m.RegisterCaches(a.caches, a.budgets.byCache())
	return a, nil
}

// OpenStore opens the configured metadata store, sealing secrets and package
// metadata under the configured master key (see openStore), for tools that
// write to it beside a server (wharf keys create).
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	st, _, _, err := openStore(ctx, cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	// A tool may write IAM entities beside a running server (wharf keys
	// create): each write bumps the account's IAM generation in the database,
	// which the server's memoized identities are checked against.
	return cached.IAMWrites(st, iamChangeFile(cfg)), nil
}

// iamChangeFile is where a tool writing IAM entities beside a SQLite server
// announces it to the server (cached.Options.IAMChangeFile); with PostgreSQL
// the database's generation does it, for every replica.
func iamChangeFile(cfg *config.Config) string {
	if cfg.Database != "" {
		return ""
	}
	return filepath.Join(cfg.DataDir, "iam-changes")
}

// openStore opens the master key and the metadata store: SQLite in the data
// directory by default, PostgreSQL when --database is a postgres:// URL, behind
// the sealing layer. With a logger, it warns when the master key sits in the
// data directory.
//
// With readCache (the server), the read cache sits between the backend and the
// sealing layer: it holds sealed rows, so the domain key's state is consulted
// every time sealed content is opened (KMS keys and the check's answer are
// cached under their own generation, retired by every KMS key write), and a key
// disabled after a row was cached still makes it unreadable.
// With timed (a serving wharf), the database store is timed by it and read
// through the cache; without (a command beside a server), it is read directly.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, timed func(store.Store) store.Store) (*sealed.Store, *keys.Local, keys.Provider, error) {
	kp, master, err := keys.OpenMaster(cfg.DataDir, cfg.MasterKeyFile, cfg.MasterKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening the master key: %w", err)
	}
	if log != nil && master.InDataDir {
		log.Warn("the master key is kept in the data directory, beside the data it encrypts: a copy of the directory "+
			"(a backup, a stolen disk) can decrypt the stored secrets and packages. To keep it apart, move it "+
			"elsewhere and start wharf with --master-key-file PATH (or WHARF_MASTER_KEY)", "master_key", master.Source)
	}
	if log != nil && !master.InDataDir {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, keys.MasterKeyFile)); err == nil {
			log.Warn("a master key file is still in the data directory while the master key comes from "+master.Source+
				": if this data was encrypted under that file, move it out of the data directory and use it as the master key; "+
				"otherwise delete it", "unused", filepath.Join(cfg.DataDir, keys.MasterKeyFile))
		}
	}
	var raw store.Store
	if cfg.Database != "" {
		raw, err = postgres.Open(ctx, cfg.Database)
	} else {
		raw, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "wharf.db"))
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening metadata store: %w", err)
	}
	if timed != nil {
		raw = timed(raw)
		// Generations in memory for SQLite (this process is its only writer of
		// what is cached), in the database for PostgreSQL (replicas see each
		// other's writes on their next request).
		raw = cached.New(raw, cached.Options{Shared: cfg.Database != "", MaxBytes: BudgetsFor(cfg.MemoryBudget).Store, IAMChangeFile: iamChangeFile(cfg)})
	}
	domainKeys, err := domainKeyProvider(ctx, cfg, kp, raw)
	if err != nil {
		raw.Close()
		return nil, nil, nil, err
	}
	keyFor := DomainKey(raw)
	if c, ok := raw.(*cached.Store); ok {
		// One answer per domain and generation for the three checks each
		// package request makes (router, sealed store, decrypted blobs).
		keyFor = c.MemoDomainKey(keyFor)
	}
	return sealed.New(raw, kp, domainKeys, keyFor), kp, domainKeys, nil
}

// DomainKey returns the key ARN that encrypts a domain's packages and metadata,
// refusing while that key (one of wharf's KMS subset) is disabled or pending
// deletion: the domain's content is then unreadable and nothing can be
// published, as when CodeArtifact cannot use a domain's KMS key. Enabling the
// key again restores both.
func DomainKey(st store.Store) sealed.DomainKeyFunc {
	return func(ctx context.Context, owner, domain string) (string, error) {
		d, err := st.GetDomain(ctx, owner, domain)
		if err != nil {
			return "", err
		}
		arn, err := model.ParseARN(d.EncryptionKey)
		if err != nil || arn.Service != "kms" {
			return d.EncryptionKey, nil
		}
		id, ok := strings.CutPrefix(arn.Resource, "key/")
		if !ok {
			return d.EncryptionKey, nil
		}
		k, err := st.GetKMSKey(ctx, arn.Account, id)
		if apperr.Is(err, apperr.NotFound) {
			return d.EncryptionKey, nil // the account's default key, not one of the KMS subset's
		}
		if err != nil {
			return "", err
		}
		switch k.State {
		case model.KMSKeyDisabled:
			return "", apperr.New(apperr.Validation, "The KMS key %s that encrypts domain %s is disabled (KMS DisabledException); "+
				"enable it to read or publish the domain's packages", d.EncryptionKey, domain).WithReason("ENCRYPTION_KEY_ERROR")
		case model.KMSKeyPendingDeletion:
			return "", apperr.New(apperr.Validation, "The KMS key %s that encrypts domain %s is pending deletion (KMS KMSInvalidStateException); "+
				"cancel the deletion and enable it to read or publish the domain's packages", d.EncryptionKey, domain).WithReason("ENCRYPTION_KEY_ERROR")
		}
		return d.EncryptionKey, nil
	}
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

// DebugAddr is the bound pprof address, "" when --debug-addr is off or before Serve.
func (a *App) DebugAddr() string {
	if a.debug == nil {
		return ""
	}
	return a.debug.Addr()
}

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
		// Answers whose body is whole in memory leave in one write
		// (internal/coalesce), and a connection remembers the token that
		// validated last on it (internal/auth, connmemo.go).
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return auth.WithConnMemo(coalesce.ConnContext(ctx, c))
		},
	}
	if a.cfg.DebugAddr != "" && a.debug == nil {
		d, err := startDebug(a.cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("--debug-addr: %w", err)
		}
		a.debug = d
		a.log.Info("serving pprof", "debug_addr", d.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(coalesce.Listener{Listener: a.listener}) }()
	// Event delivery stops before the store closes; an in-flight delivery
	// that is cut off is rescheduled, and the next start sends it.
	dctx, stopEvents := context.WithCancel(ctx)
	eventsDone := make(chan struct{})
	go func() { defer close(eventsDone); a.Events.Run(dctx) }()
	defer func() { stopEvents(); <-eventsDone }()
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() { defer close(purged); a.purgeExpiredTokens(purgeCtx) }()
	defer func() { stopPurge(); <-purged }()
	// Expired STS sessions are refused by their expiry; the sweeper only keeps
	// the table small. It stops before the store closes.
	gcCtx, stopGC := context.WithCancel(ctx)
	gcDone := make(chan struct{})
	go func() { defer close(gcDone); a.collectBlobs(gcCtx) }()
	defer func() { stopGC(); <-gcDone }()
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
	stopEvents()
	<-eventsDone
	stopSweep()
	<-swept
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err := a.server.Shutdown(sctx)
	stopPurge()
	<-purged // before the store it uses closes
	if a.debug != nil {
		err = errors.Join(err, a.debug.close(sctx))
	}
	if cerr := a.store.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	a.closeClusterLock()
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
func (a *App) Close() error { a.closeClusterLock(); return a.store.Close() }

// Reload applies a re-read configuration to a running wharf: the upstream URLs
// of the external connections change at once (no restart, nothing dropped from
// the cache); other settings need a restart and are reported when they differ.
func (a *App) Reload(ctx context.Context, next *config.Config) {
	if err := a.Upstream.SetSources(upstream.Sources(next.Upstreams)); err != nil {
		a.log.Error("reloading upstream URLs", "err", err)
		return
	}
	a.setWebhooks(a.Engine.Audit, next.Webhooks)
	a.log.Info("configuration reloaded", "upstreams", upstream.Sources(next.Upstreams).String(), "webhooks", len(next.Webhooks))
	for _, w := range a.refreshUpstreamWarnings(ctx) {
		a.log.Warn("external connection without upstream URL: " + w)
	}
	if next.Listen != a.cfg.Listen || next.DataDir != a.cfg.DataDir || next.Database != a.cfg.Database {
		a.log.Warn("listen, data-dir and database changes take effect at the next start")
	}
}

// setWebhooks points event queuing and delivery at the configured webhooks.
func (a *App) setWebhooks(rec *audit.Recorder, hooks []config.Webhook) {
	urls := make([]string, 0, len(hooks))
	secrets := map[string]string{}
	for _, h := range hooks {
		urls = append(urls, h.URL)
		secrets[h.URL] = h.Secret
	}
	rec.SetWebhooks(urls)
	a.Events.SetWebhooks(secrets)
}
