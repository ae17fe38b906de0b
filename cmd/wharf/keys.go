package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/config"
)

// keys manages access keys of other principals (IAM-style users of any account),
// e.g. a CI publisher, or a second account for cross-account policies.
func keys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: wharf keys create --data-dir DIR [--master-key-file FILE] --account 12-DIGITS --user NAME [--profile NAME]")
		return 2
	}
	fs := flag.NewFlagSet("wharf keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "wharf-data", "wharf's data directory")
	masterKeyFile := fs.String("master-key-file", "", "the master key file wharf serve uses, if not DATA/master.key (or set WHARF_MASTER_KEY)")
	account := fs.String("account", "", "the account of the new user (12 digits)")
	user := fs.String("user", "", "the IAM user name")
	profile := fs.String("profile", "", "profile name for the printed credentials (default: the user name)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	p, err := auth.UserPrincipal(*account, *user)
	if err != nil {
		fmt.Fprintln(stderr, "wharf keys create:", err)
		return 2
	}
	ctx := context.Background()
	// The same store wharf serve opens: the new secret is sealed under the master key.
	st, err := app.OpenStore(ctx, &config.Config{DataDir: *dataDir, MasterKeyFile: *masterKeyFile, MasterKey: os.Getenv("WHARF_MASTER_KEY")})
	if err != nil {
		fmt.Fprintln(stderr, "wharf keys create: opening the store:", err)
		return 1
	}
	defer st.Close()
	k, err := auth.NewAccessKey(ctx, st, p)
	if err != nil {
		fmt.Fprintln(stderr, "wharf keys create:", err)
		return 1
	}
	if *profile == "" {
		*profile = *user
	}
	// The secret is shown once, on stdout, because the operator asked for it;
	// it is never logged.
	fmt.Fprintf(stdout, "# %s — append to an AWS shared credentials file\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		p.ARN, *profile, k.AccessKeyID, k.SecretAccessKey)
	return 0
}
