// Command wharf is AWS CodeArtifact where AWS is not: the CodeArtifact API, STS
// GetCallerIdentity and package endpoints, on one port.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/logbuf"
	"github.com/wharf-dev/wharf/internal/logline"
	"github.com/wharf-dev/wharf/internal/version"
)

const usage = `wharf — AWS CodeArtifact, anywhere.

Usage:
  wharf serve [flags]   serve the CodeArtifact API, STS and package endpoints
  wharf keys create     create an access key for a user of any account (prints it once)
  wharf config check F  validate a configuration file (errors name the line)
  wharf audit [filters] print the audit trail as JSON lines (wharf audit -h)
  wharf gc              remove blobs no package version references, now (wharf gc -h)
  wharf version         print the version

Run 'wharf serve -h' for the serve flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "keys":
		return keys(args[1:], stdout, stderr)
	case "config":
		return configCmd(args[1:], stdout, stderr)
	case "audit":
		return auditCmd(args[1:], stdout, stderr)
	case "gc":
		return gcCmd(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "wharf", version.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "wharf: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.ParseServe(args, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "wharf serve:", err)
		return 2
	}
	// Log lines below Warn wait up to a tenth of a second to be written
	// together (internal/logbuf): one write per request was a cost of its own.
	logOut := logbuf.New(stderr, 0, 0)
	defer logOut.Close()
	log := newLogger(cfg, logOut)
	setMemoryLimit(os.Getenv, cfg.MemoryBudget)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("starting wharf", "err", err)
		return 1
	}
	if err := a.Listen(); err != nil {
		log.Error("listening", "addr", cfg.Listen, "err", err)
		a.Close()
		return 1
	}
	printWelcome(stdout, a)
	// SIGHUP re-reads the configuration (file, environment, the same flags) and
	// applies what can change while serving: the upstream URLs.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				next, err := config.ParseServe(args, os.Getenv)
				if err != nil {
					log.Error("reloading configuration: keeping the running one", "err", err)
					continue
				}
				a.Reload(ctx, next)
			}
		}
	}()
	if err := a.Serve(ctx); err != nil {
		log.Error("serving", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = logline.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	if b, ok := w.(*logbuf.Writer); ok {
		h = logbuf.NewHandler(h, b)
	}
	return slog.New(h)
}

// printWelcome tells a newcomer how to talk to this wharf. It never prints a secret:
// it names the file that holds it.
func printWelcome(w io.Writer, a *app.App) {
	url := "http://" + a.Addr()
	fmt.Fprintf(w, "\nwharf %s is listening on %s (account %s)\n", version.Version, url, a.AdminKey.Principal.Account)
	if a.CredentialsFile != "" {
		// An absolute path: the reader pastes it into another terminal.
		path := a.CredentialsFile
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		fmt.Fprintf(w, "Admin credentials: %s (profile \"wharf\"). Use them with:\n\n", path)
		fmt.Fprintf(w, "  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=wharf AWS_DEFAULT_REGION=us-east-1\n", path)
	} else {
		fmt.Fprintf(w, "Admin credentials: from WHARF_ROOT_ACCESS_KEY_ID / WHARF_ROOT_SECRET_ACCESS_KEY. Use them with:\n\n")
		fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=$WHARF_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$WHARF_ROOT_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1\n")
	}
	fmt.Fprintf(w, "  aws codeartifact create-domain --domain my-domain --endpoint-url %s\n", url)
	fmt.Fprintf(w, "  aws codeartifact create-repository --domain my-domain --repository my-repo --endpoint-url %s\n\n", url)
}

// configCmd: `wharf config check FILE`.
func configCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: wharf config check FILE")
		return 2
	}
	if _, err := config.CheckFile(args[1]); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[1])
	return 0
}
