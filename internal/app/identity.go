package app

import (
	"context"
	"maps"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/store/cached"
)

// memoIdentities keeps what IAM's evaluation needs about a non-root caller
// (its user's or role's policies, parsed, and its tags) per principal,
// instead of reading the user, its inline policies, its attachments and each
// attached policy's default version from the database and parsing them on
// every request. The read cache's MemoIAM holds the answers under the
// account's IAM generation, which every IAM write bumps (in this process,
// another replica, or `wharf keys create`): a policy that revokes a reader is
// seen by the very next request. The account root needs no identity and is
// passed straight through. Session tags differ per session and are laid over
// the memoized identity's tags, as load itself does.
func memoIdentities(c *cached.Store, load service.IdentityLoader) service.IdentityLoader {
	if c == nil {
		return load
	}
	return func(ctx context.Context, p model.Principal, roleARN string, sessionTags map[string]string) (policy.Identity, error) {
		if p.IsRoot() {
			return load(ctx, p, roleARN, sessionTags)
		}
		v, err := c.MemoIAM(ctx, p.Account, p.ARN+"\x00"+p.UserID+"\x00"+roleARN, func() (any, error) {
			return load(ctx, p, roleARN, nil)
		})
		id, _ := v.(policy.Identity)
		if err != nil {
			return id, err
		}
		// The memoized value is shared: tags are copied before session tags
		// go over them. load leaves Tags nil where it ignores session tags
		// (a user IAM does not know, a principal of another kind).
		if len(sessionTags) > 0 && id.Tags != nil {
			tags := maps.Clone(id.Tags)
			maps.Copy(tags, sessionTags)
			id.Tags = tags
		}
		return id, nil
	}
}
