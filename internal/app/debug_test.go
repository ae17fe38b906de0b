package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// --debug-addr serves pprof on its own listener only; without it nothing
// listens for pprof, and the public port never serves it.
func TestDebugAddr(t *testing.T) {
	off := apptest.Start(t)
	if off.App.DebugAddr() != "" {
		t.Fatalf("pprof listens at %s without --debug-addr", off.App.DebugAddr())
	}
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.DebugAddr = "127.0.0.1:0" }})
	addr := srv.App.DebugAddr()
	if addr == "" || addr == strings.TrimPrefix(srv.URL, "http://") {
		t.Fatalf("debug address %q (public %s)", addr, srv.URL)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("pprof on the debug listener: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get(srv.URL + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the public port serves pprof")
	}
}
