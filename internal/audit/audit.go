// Package audit records every change to what a domain holds — publish,
// ingestion through an external connection, retention, copy, status change,
// dispose, delete, origin configuration and policy changes — in the metadata
// store's append-only audit trail, and queues the package version state
// changes among them as events for the configured webhooks (see Deliverer).
//
// The layers that own the changes (the package engine, the service) call
// Record after the change is stored. The record is written in its own
// transaction: a crash between the two loses the record, never the change.
package audit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/reqctx"
)

// Appender is the part of store.Store the recorder writes to.
type Appender interface {
	AppendAudit(ctx context.Context, recs []model.AuditRecord, webhooks []string) error
}

// Recorder writes audit records. A nil *Recorder records nothing.
type Recorder struct {
	Store Appender
	// UpstreamURL returns the current upstream URL of an external connection
	// ("" when none), written into ingestion records.
	UpstreamURL func(conn string) string
	Log         *slog.Logger
	Now         func() time.Time
	// Queued, when set, is called after events were queued (wakes the deliverer).
	Queued   func()
	webhooks atomic.Pointer[[]string]
}

// SetWebhooks sets the webhook URLs events are queued for (start-up, reload).
func (r *Recorder) SetWebhooks(urls []string) {
	cp := append([]string(nil), urls...)
	r.webhooks.Store(&cp)
}

// Record fills in time, request id and principal from ctx and appends recs.
// A failure is logged, not returned: the change it describes has happened
// and the client must learn that, not a storage error about the trail.
func (r *Recorder) Record(ctx context.Context, recs ...model.AuditRecord) {
	if r == nil || len(recs) == 0 {
		return
	}
	now := time.Now().UTC()
	if r.Now != nil {
		now = r.Now().UTC()
	}
	info := reqctx.From(ctx)
	for i := range recs {
		if recs[i].Time.IsZero() {
			recs[i].Time = now
		}
		if info != nil {
			if recs[i].RequestID == "" {
				recs[i].RequestID = info.RequestID
			}
			if recs[i].Principal == "" {
				recs[i].Principal = info.Principal
			}
		}
		if c := recs[i].Detail.ExternalConnection; c != "" && recs[i].Detail.UpstreamURL == "" && r.UpstreamURL != nil {
			recs[i].Detail.UpstreamURL = r.UpstreamURL(c)
		}
	}
	var hooks []string
	if p := r.webhooks.Load(); p != nil {
		hooks = *p
	}
	// The change is done: record it even if the client went away meanwhile.
	if err := r.Store.AppendAudit(context.WithoutCancel(ctx), recs, hooks); err != nil {
		if r.Log != nil {
			r.Log.ErrorContext(ctx, "writing the audit trail failed; the change was made", "action", recs[0].Action,
				"repository", recs[0].Repository, "package", recs[0].Package, "version", recs[0].Version, "err", err)
		}
		return
	}
	if len(hooks) > 0 && r.Queued != nil {
		r.Queued()
	}
}

// Version builds the record of a package version change.
func Version(action, op string, v model.PackageVersion, assets []model.Asset) model.AuditRecord {
	return model.AuditRecord{
		Action: action, DomainOwner: v.DomainOwner, DomainName: v.DomainName, Repository: v.Repository,
		Format: v.Format, Namespace: v.Namespace, Package: v.Name, Version: v.Version,
		Detail: model.AuditDetail{OperationType: op, Status: v.Status, Revision: v.Revision, Assets: model.AuditAssets(assets), AssetsAdded: len(assets)},
	}
}
