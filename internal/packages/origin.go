package packages

import (
	"context"
	"fmt"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packagegroups"
)

// Entry is a way a package version enters a repository: what the origin
// rules decide.
type Entry int

const (
	// EntryPublish is a direct publish by a package manager or the API.
	EntryPublish Entry = iota
	// EntryExternal is ingestion through an external connection, into the
	// repository holding the connection.
	EntryExternal
	// EntryInternal is retention from an upstream repository of the domain
	// into the requesting repository (a version fetched through an external
	// connection held by an upstream enters the requester this way).
	EntryInternal
	// EntryCopy is CopyPackageVersions into the destination repository.
	EntryCopy
)

func (en Entry) restriction() string {
	switch en {
	case EntryExternal:
		return model.RestrictionExternalUpstream
	case EntryInternal:
		return model.RestrictionInternalUpstream
	}
	return model.RestrictionPublish
}

func (en Entry) verb() string {
	switch en {
	case EntryExternal:
		return "Ingesting versions from an external connection"
	case EntryInternal:
		return "Retaining versions from upstream repositories"
	case EntryCopy:
		return "Copying versions"
	}
	return "Publishing"
}

// Allow is the one origin-rules function: it decides whether a version of
// the package may enter repo the given way, for every publish, copy and
// upstream ingestion or retention. It answers nil or an apperr.AccessDenied
// whose message says which rule refused (handlers render it in their
// format's native error; the API as AccessDeniedException). In order:
//
//  1. The package's own origin configuration in repo (PutPackageOriginConfiguration
//     or the defaults its first version set): publish=BLOCK refuses a publish,
//     upstream=BLOCK refuses external ingestion and upstream retention. A copy
//     is not decided by it: copying is how versions are promoted between
//     repositories, and a copied external package carries publish=BLOCK.
//  2. The package's group (the most specific matching one, as
//     GetAssociatedPackageGroup reports) and its effective mode for the
//     restriction type (PUBLISH for publish and copy, EXTERNAL_UPSTREAM,
//     INTERNAL_UPSTREAM), inherited as DescribePackageGroup reports:
//     BLOCK refuses; ALLOW_SPECIFIC_REPOSITORIES allows exactly the
//     repositories on the allowed list of the group the mode comes from.
//  3. Otherwise the defaults: allowed (a package not in the repository yet
//     gets its defaults when its first version enters).
//
// ns and name are as stored (npm scope without "@", names normalized).
func (e *Engine) Allow(ctx context.Context, en Entry, repo model.Repository, f model.Format, ns, name string) error {
	return e.allow(ctx, &rules{}, en, repo, f, ns, name)
}

// rules memoizes the domain's package groups for the decisions of one
// request (a resolution asks for several), so each reads them once.
type rules struct{ set *packagegroups.Set }

func (e *Engine) allow(ctx context.Context, r *rules, en Entry, repo model.Repository, f model.Format, ns, name string) error {
	dn := displayName(f, ns, name)
	if en != EntryCopy {
		p, err := e.Store.GetPackage(ctx, Key(repo, f, ns, name))
		switch {
		case apperr.Is(err, apperr.NotFound):
		case err != nil:
			return err
		case en == EntryPublish && p.Origin.Publish == model.Block:
			return apperr.New(apperr.AccessDenied,
				"Publishing %s to repository %s is blocked by its package origin configuration (publish=BLOCK)", dn, repo.Name)
		case en != EntryPublish && p.Origin.Upstream == model.Block:
			return apperr.New(apperr.AccessDenied,
				"%s of %s into repository %s is blocked by its package origin configuration (upstream=BLOCK)", en.verb(), dn, repo.Name)
		}
	}
	if r.set == nil || r.set.Domain.Owner != repo.DomainOwner || r.set.Domain.Name != repo.DomainName {
		set, err := packagegroups.Load(ctx, e.Store, model.Domain{Owner: repo.DomainOwner, Name: repo.DomainName})
		if err != nil {
			return err
		}
		r.set = set
	}
	d := r.set.Decide(f, ns, name, en.restriction(), repo.Name)
	if d.Allowed {
		return nil
	}
	why := d.Mode
	if d.From.Pattern != d.Group.Pattern {
		why += fmt.Sprintf(", inherited from %s", d.From.Pattern)
	}
	if d.Mode == model.ModeAllowSpecificRepositories {
		why += ", and " + repo.Name + " is not on its allowed list"
	}
	return apperr.New(apperr.AccessDenied, "%s of %s into repository %s is blocked by package group %s (%s %s)",
		en.verb(), dn, repo.Name, d.Group.Pattern, en.restriction(), why)
}

// allowed is Allow as a boolean: a refusal is false, other errors are errors.
func (e *Engine) allowed(ctx context.Context, r *rules, en Entry, repo model.Repository, f model.Format, ns, name string) (bool, error) {
	err := e.allow(ctx, r, en, repo, f, ns, name)
	if apperr.Is(err, apperr.AccessDenied) {
		return false, nil
	}
	return err == nil, err
}
