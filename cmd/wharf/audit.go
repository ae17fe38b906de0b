package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// auditCmd prints the audit trail as JSON lines, oldest first:
//
//	wharf audit [--config F | --data-dir D | --database URL] [--domain D] [--domain-owner A]
//	            [--repository R] [--format F] [--namespace N] [--package P] [--principal ARN]
//	            [--since T] [--until T]
//
// T is RFC 3339 (2026-01-02T15:04:05Z) or a duration back from now (24h).
func auditCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wharf audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "wharf's configuration file (for the data directory or database)")
	dataDir := fs.String("data-dir", "", "wharf's data directory (default: from --config, else wharf-data)")
	database := fs.String("database", "", "postgres:// URL of the metadata store (default: from --config / WHARF_DATABASE)")
	var f store.AuditFilter
	fs.StringVar(&f.DomainName, "domain", "", "only this domain")
	fs.StringVar(&f.DomainOwner, "domain-owner", "", "only domains of this account")
	fs.StringVar(&f.Repository, "repository", "", "only this repository")
	format := fs.String("format", "", "only this package format (npm, pypi, maven, cargo, ruby, nuget, swift, generic)")
	namespace := fs.String("namespace", "", "only this namespace (npm scope without @, Maven group id)")
	fs.StringVar(&f.Package, "package", "", "only this package (npm: @scope/name works too)")
	fs.StringVar(&f.Principal, "principal", "", "only changes made by this principal ARN")
	since := fs.String("since", "", "only records at or after this time (RFC 3339, or a duration back from now such as 24h)")
	until := fs.String("until", "", "only records before this time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wharf audit: unexpected arguments:", strings.Join(fs.Args(), " "))
		return 2
	}
	if *format != "" && !model.ValidFormat(*format) {
		// An unknown format would match nothing and print nothing: say so.
		fmt.Fprintf(stderr, "wharf audit: --format %q is not a package format (one of %v)\n", *format, model.Formats)
		return 2
	}
	f.Format = model.Format(*format)
	if *namespace != "" {
		f.Namespace = namespace
	}
	if scope, name, ok := strings.Cut(strings.TrimPrefix(f.Package, "@"), "/"); ok && strings.HasPrefix(f.Package, "@") {
		f.Namespace, f.Package = &scope, name
	}
	now := time.Now()
	var err error
	if f.Since, err = parseWhen(*since, now); err != nil {
		fmt.Fprintln(stderr, "wharf audit: --since:", err)
		return 2
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		fmt.Fprintln(stderr, "wharf audit: --until:", err)
		return 2
	}
	var storeArgs []string
	for name, v := range map[string]string{"config": *cfgFile, "data-dir": *dataDir, "database": *database} {
		if v != "" {
			storeArgs = append(storeArgs, "--"+name, v)
		}
	}
	cfg, err := config.ParseServe(storeArgs, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "wharf audit:", err)
		return 2
	}
	ctx := context.Background()
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wharf audit: opening the store:", err)
		return 1
	}
	defer st.Close()
	enc := json.NewEncoder(stdout)
	p := store.Page{Limit: 1000}
	for {
		recs, next, err := st.ListAudit(ctx, f, p)
		if err != nil {
			fmt.Fprintln(stderr, "wharf audit:", err)
			return 1
		}
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return 1
			}
		}
		if next == "" {
			return 0
		}
		p.Cursor = next
	}
}

func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}
