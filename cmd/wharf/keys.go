package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/policy"
)

// keys makes IAM users of any account with an access key, e.g. a CI
// publisher, or a principal of a second account for cross-account policies.
// A user has no permissions unless --policy gives it an identity policy (IAM's
// implicit deny); the same can be done later with `aws iam put-user-policy`.
func keys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: wharf keys create [--data-dir DIR | --database URL] [--master-key-file FILE] --account 12-DIGITS --user NAME [--policy JSON|@FILE] [--profile NAME]")
		return 2
	}
	fs := flag.NewFlagSet("wharf keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "wharf-data", "wharf's data directory")
	masterKeyFile := fs.String("master-key-file", "", "the master key file wharf serve uses, if not DATA/master.key (or set WHARF_MASTER_KEY)")
	database := fs.String("database", "", "metadata store as for `wharf serve` (a postgres:// URL; also WHARF_DATABASE); empty for SQLite in --data-dir")
	account := fs.String("account", "", "the account of the new user (12 digits)")
	user := fs.String("user", "", "the IAM user name")
	pol := fs.String("policy", "", "an identity policy for the user (JSON, or @FILE); without it the user may do nothing")
	profile := fs.String("profile", "", "profile name for the printed credentials (default: the user name)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if _, err := auth.UserPrincipal(*account, *user); err != nil {
		fmt.Fprintln(stderr, "wharf keys create:", err)
		return 2
	}
	doc := *pol
	if strings.HasPrefix(doc, "@") {
		b, err := os.ReadFile(doc[1:])
		if err != nil {
			fmt.Fprintln(stderr, "wharf keys create: --policy:", err)
			return 2
		}
		doc = string(b)
	}
	if doc != "" {
		if _, err := policy.ParseIdentity(doc); err != nil {
			fmt.Fprintln(stderr, "wharf keys create: --policy:", err)
			return 2
		}
	}
	if *database == "" {
		*database = os.Getenv("WHARF_DATABASE")
	}
	ctx := context.Background()
	// The same store wharf serve opens: the new secret is sealed under the master key.
	st, err := app.OpenStore(ctx, &config.Config{DataDir: *dataDir, Database: *database, MasterKeyFile: *masterKeyFile, MasterKey: os.Getenv("WHARF_MASTER_KEY")})
	if err != nil {
		fmt.Fprintln(stderr, "wharf keys create: opening the store:", err)
		return 1
	}
	defer st.Close()
	users := &iam.Service{Store: st}
	u, err := users.GetUser(ctx, *account, *user)
	if apperr.Is(err, apperr.NotFound) {
		u, err = users.CreateUser(ctx, *account, *user, "/", nil)
	}
	if err == nil && doc != "" {
		err = users.PutInlinePolicy(ctx, *account, "user", u.UserName, "wharf-keys-create", doc)
	}
	if err != nil {
		fmt.Fprintln(stderr, "wharf keys create:", err)
		if apperr.Is(err, apperr.Validation) {
			return 2
		}
		return 1
	}
	k, _, err := users.CreateAccessKey(ctx, auth.RootPrincipal(*account), u.UserName)
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
		u.Arn, *profile, k.AccessKeyID, k.SecretAccessKey)
	return 0
}
