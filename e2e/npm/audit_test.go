package npme2e

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/formats/npm"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// eventSink is a webhook receiver that refuses deliveries until told to
// accept, and counts the accepted ones per event id.
type eventSink struct {
	srv      *httptest.Server
	accept   atomic.Bool
	refused  atomic.Int64
	mu       sync.Mutex
	accepted map[string]int
	events   map[string]audit.Event
}

func startEventSink(t *testing.T) *eventSink {
	s := &eventSink{accepted: map[string]int{}, events: map[string]audit.Event{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !s.accept.Load() {
			s.refused.Add(1)
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		var ev audit.Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.DetailType != audit.DetailType || ev.Source != "aws.codeartifact" {
			t.Errorf("webhook got %q (%v)", body, err)
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.accepted[ev.ID]++
		s.events[ev.ID] = ev
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *eventSink) snapshot() (map[string]int, map[string]audit.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, e := map[string]int{}, map[string]audit.Event{}
	for k, v := range s.accepted {
		a[k] = v
	}
	for k, v := range s.events {
		e[k] = v
	}
	return a, e
}

// TestInstallIsAuditedAndEventsSurviveARestart: `npm install` through an
// external connection leaves one audit record per ingested version naming the
// connection and its upstream URL; the matching events reach a webhook
// exactly once although it refuses the first deliveries and wharf restarts
// in between.
func TestInstallIsAuditedAndEventsSurviveARestart(t *testing.T) {
	needTools(t)
	up := startFakePublic(t)
	fixtures := tree(t, 5) // dep-01 .. @fx/dep-05, and dep-05@2.0.0 nobody asks for
	up.publish(t, fixtures...)
	sink := startEventSink(t)
	dataDir := t.TempDir()
	opts := apptest.Options{DataDir: dataDir, Upstreams: map[string]*url.URL{"public:npmjs": up.URL()},
		Mutate: func(c *config.Config) { c.Webhooks = []config.Webhook{{URL: sink.srv.URL + "/hook"}} }}
	srv := apptest.Start(t, opts)
	createDomain(t, srv, "corp")
	createRepo(t, srv, "corp", "npm-store")
	connectExternal(t, srv, "corp", "npm-store", "public:npmjs")
	createRepo(t, srv, "corp", "app", "npm-store")

	cons := login(t, srv, "corp", "app")
	cons.mustNpm(project(t, map[string]string{"dep-01": "^1.0.0"}), "install")

	ctx := context.Background()
	st := srv.App.Store()
	recs, _, err := st.ListAudit(ctx, store.AuditFilter{DomainOwner: owner, DomainName: "corp"}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	ingested := map[string]model.AuditRecord{}
	retained := 0
	for _, r := range recs {
		switch r.Action {
		case model.AuditIngest:
			name := r.Package
			if r.Namespace != "" {
				name = "@" + r.Namespace + "/" + r.Package
			}
			if _, dup := ingested[name+"@"+r.Version]; dup {
				t.Errorf("two ingestion records for %s@%s", name, r.Version)
			}
			ingested[name+"@"+r.Version] = r
		case model.AuditRetain:
			retained++
			if r.Repository != "app" || r.Detail.SourceRepository != "npm-store" {
				t.Errorf("retention record %+v", r)
			}
		}
	}
	if len(ingested) != 5 || retained != 5 {
		t.Fatalf("%d ingestion and %d retention records for 5 installed versions:\n%+v", len(ingested), retained, recs)
	}
	for _, fx := range fixtures[:5] {
		r, ok := ingested[fx.Name+"@"+fx.Version]
		if !ok {
			t.Fatalf("no ingestion record for %s@%s", fx.Name, fx.Version)
		}
		d := r.Detail
		if r.Repository != "npm-store" || d.ExternalConnection != "public:npmjs" || d.UpstreamURL != up.URL().String() {
			t.Errorf("%s: repository %s, connection %q, upstream %q", fx.Name, r.Repository, d.ExternalConnection, d.UpstreamURL)
		}
		if r.RequestID == "" || !strings.HasPrefix(r.Principal, "arn:aws:iam::"+owner+":") {
			t.Errorf("%s: request id %q principal %q", fx.Name, r.RequestID, r.Principal)
		}
		if len(d.Assets) != 1 || d.Assets[0].Name != npm.AssetName || "sha512-"+b64(t, d.Assets[0].SHA512) != fx.integrity() {
			t.Errorf("%s: assets %+v, want %s with %s", fx.Name, d.Assets, npm.AssetName, fx.integrity())
		}
	}
	events := 0
	for _, r := range recs {
		if r.Detail.OperationType != "" {
			events++
		}
	}

	// The webhook refuses; once it has refused at least once, stop wharf.
	for i := 0; sink.refused.Load() == 0; i++ {
		if i > 3000 {
			t.Fatal("no delivery attempted within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Stop()
	sink.accept.Store(true)

	srv = apptest.Start(t, opts)
	var got map[string]int
	var evs map[string]audit.Event
	for i := 0; ; i++ {
		got, evs = sink.snapshot()
		if len(got) >= events {
			break
		}
		if i > 6000 {
			t.Fatalf("after the restart %d of %d events arrived", len(got), events)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nothing is left to send: no event can arrive a second time.
	left, err := srv.App.Store().ClaimDeliveries(ctx, time.Now().Add(24*time.Hour), time.Minute, 100)
	if err != nil || len(left) != 0 {
		t.Fatalf("outbox after delivery: %d rows, %v", len(left), err)
	}
	got, evs = sink.snapshot()
	if len(got) != events {
		t.Fatalf("%d distinct events received, want %d", len(got), events)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		d := ev.Detail
		if d.OperationType != model.OpCreated || d.PackageVersionState != model.StatusPublished || d.DomainName != "corp" || d.DomainOwner != owner ||
			ev.Account != owner || len(ev.Resources) != 1 || d.Changes.AssetsAdded != 1 {
			t.Errorf("event %+v", ev)
		}
		if d.RepositoryName == "npm-store" {
			name := d.PackageName
			if d.PackageNamespace != nil {
				name = "@" + *d.PackageNamespace + "/" + name
			}
			seen[name+"@"+d.PackageVersion] = true
		}
	}
	for key := range ingested {
		if !seen[key] {
			t.Errorf("no event for the ingestion of %s", key)
		}
	}
}

// b64 re-encodes a hex digest as base64 (npm's integrity strings).
func b64(t *testing.T, hexDigest string) string {
	t.Helper()
	b, err := hex.DecodeString(hexDigest)
	if err != nil {
		t.Fatalf("digest %q: %v", hexDigest, err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
