package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/config"
)

// gcCmd runs one blob collection pass now (`wharf serve` runs one every
// --gc-interval): it removes blobs that no package version of their domain
// references and no writer is about to, beside a running server or without
// one. With replicas on one database it waits for no one: if another replica
// is mid-pass, it reports so and does nothing.
func gcCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wharf gc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "wharf's configuration file (for the data directory, database and gc-grace)")
	dataDir := fs.String("data-dir", "", "wharf's data directory (default: from --config, else wharf-data)")
	database := fs.String("database", "", "postgres:// URL of the metadata store (default: from --config / WHARF_DATABASE)")
	grace := fs.Duration("grace", 0, "spare blobs stored more recently than this (default: --gc-grace from the configuration, 1h)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wharf gc: unexpected arguments:", strings.Join(fs.Args(), " "))
		return 2
	}
	var serveArgs []string
	for name, v := range map[string]string{"config": *cfgFile, "data-dir": *dataDir, "database": *database} {
		if v != "" {
			serveArgs = append(serveArgs, "--"+name, v)
		}
	}
	if *grace != 0 {
		serveArgs = append(serveArgs, "--gc-grace", grace.String())
	}
	cfg, err := config.ParseServe(serveArgs, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "wharf gc:", err)
		return 2
	}
	ctx := context.Background()
	c, st, err := app.OpenCollector(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wharf gc: opening storage:", err)
		return 1
	}
	defer st.Close()
	started := time.Now()
	res, err := c.Pass(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "wharf gc:", err)
		return 1
	}
	if !res.Ran {
		fmt.Fprintln(stdout, "another wharf is collecting blobs now; nothing done")
		return 0
	}
	fmt.Fprintf(stdout, "removed %d unreferenced blobs of %d scanned in %d domains (%d kept as referenced, %d as stored within %v) in %v\n",
		res.Removed, res.Scanned, res.Namespaces, res.KeptRef, res.KeptFresh, cfg.GCGrace, time.Since(started).Round(time.Millisecond))
	return 0
}
