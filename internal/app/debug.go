package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugServer serves net/http/pprof on its own listener (--debug-addr), so
// profiles can be taken from a running wharf without exposing them on the
// public port. Nothing is registered on http.DefaultServeMux.
type debugServer struct {
	srv *http.Server
	l   net.Listener
}

func startDebug(addr string) (*debugServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	d := &debugServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, l: l}
	go func() { _ = d.srv.Serve(l) }()
	return d, nil
}

// Addr is the bound address (useful with port 0).
func (d *debugServer) Addr() string { return d.l.Addr().String() }

func (d *debugServer) close(ctx context.Context) error {
	if err := d.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
