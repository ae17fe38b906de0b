package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Outbox is the part of store.Store the deliverer uses.
type Outbox interface {
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Delivery, error)
	FinishDelivery(ctx context.Context, id int64) error
	RetryDelivery(ctx context.Context, id int64, next time.Time, lastErr string) error
}

// Deliverer sends queued events to webhooks: at least once, in record order
// per poll, surviving restarts (the queue is the store's outbox; a delivery is
// removed only after the webhook answered 2xx). A failed delivery is retried
// with exponential backoff, 1s doubling up to MaxBackoff.
type Deliverer struct {
	Outbox Outbox
	Region string
	Client *http.Client
	Log    *slog.Logger
	// Secrets maps a webhook URL to its HMAC secret; a URL missing from it is
	// no longer configured and its queued deliveries are dropped.
	secrets    atomic.Pointer[map[string]string]
	MaxBackoff time.Duration
	Poll       time.Duration // idle poll interval (default 2s)
	wake       chan struct{}
}

// NewDeliverer builds a deliverer.
func NewDeliverer(o Outbox, region string, log *slog.Logger) *Deliverer {
	d := &Deliverer{Outbox: o, Region: region, Log: log, MaxBackoff: 10 * time.Minute, Poll: 2 * time.Second,
		Client: &http.Client{Timeout: 30 * time.Second}, wake: make(chan struct{}, 1)}
	empty := map[string]string{}
	d.secrets.Store(&empty)
	return d
}

// SetWebhooks sets the configured webhooks (URL → secret, "" for none).
func (d *Deliverer) SetWebhooks(m map[string]string) {
	cp := make(map[string]string, len(m))
	for k, v := range m {
		cp[k] = v
	}
	d.secrets.Store(&cp)
}

// Wake makes the deliverer look at the outbox now (after events were queued).
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
		for d.once(ctx) > 0 && ctx.Err() == nil {
		}
		t.Reset(d.Poll)
	}
}

// once claims and sends one batch; it returns how many it handled.
func (d *Deliverer) once(ctx context.Context) int {
	batch, err := d.Outbox.ClaimDeliveries(ctx, time.Now(), 2*time.Minute, 50)
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Warn("reading the event outbox", "err", err)
		}
		return 0
	}
	secrets := *d.secrets.Load()
	for _, dl := range batch {
		secret, configured := secrets[dl.Webhook]
		if !configured {
			d.Log.Warn("dropping an event for a webhook no longer configured", "webhook", dl.Webhook, "sequence", dl.Record.ID)
			_ = d.Outbox.FinishDelivery(ctx, dl.ID)
			continue
		}
		if err := d.send(ctx, dl, secret); err != nil {
			backoff := min(time.Second<<min(dl.Attempts, 20), d.MaxBackoff)
			d.Log.Warn("webhook delivery failed; will retry", "webhook", dl.Webhook, "sequence", dl.Record.ID, "attempt", dl.Attempts+1, "retry_in", backoff, "err", err)
			if rerr := d.Outbox.RetryDelivery(context.WithoutCancel(ctx), dl.ID, time.Now().Add(backoff), err.Error()); rerr != nil {
				d.Log.Warn("recording a failed delivery", "err", rerr)
			}
			continue
		}
		if err := d.Outbox.FinishDelivery(context.WithoutCancel(ctx), dl.ID); err != nil {
			d.Log.Warn("recording a delivery", "err", err)
		}
	}
	return len(batch)
}

func (d *Deliverer) send(ctx context.Context, dl model.Delivery, secret string) error {
	body := NewEvent(dl.Record, d.Region).Marshal()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.Webhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wharf-events")
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set("X-Wharf-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
