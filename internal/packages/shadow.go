package packages

import (
	"context"
	"slices"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// publishable decides a publish of version into the chain's first repository
// before anything is recorded: the origin rules (Allow, EntryPublish), then
// shadowing — a version that any repository reachable through the chain
// holds, or that the external registry of any of the chain's external
// connections lists, is refused with a Conflict, so a private publish cannot
// shadow it. The chain is looked through as a package manager would be
// served: only where the origin rules let upstream versions in (a package
// whose own configuration says upstream=BLOCK, or whose group blocks
// INTERNAL_UPSTREAM or EXTERNAL_UPSTREAM, is internal there: its public
// namesake is not consulted). An external registry that cannot be read (and
// has no cached copy) fails the publish rather than risk a shadow.
func (e *Engine) publishable(ctx context.Context, c Chain, f model.Format, ns, name, version string) error {
	repo := c.Repos[0]
	rs := &rules{}
	if err := e.allow(ctx, rs, EntryPublish, repo, f, ns, name); err != nil {
		return err
	}
	dn := displayName(f, ns, name)
	internalOK, err := e.allowed(ctx, rs, EntryInternal, repo, f, ns, name)
	if err != nil {
		return err
	}
	if internalOK {
		for _, r := range c.Repos[1:] {
			if _, err := e.Store.GetVersion(ctx, Key(r, f, ns, name), version); err == nil {
				return apperr.Conflictf("package-version", version,
					"Version %s of %s exists in upstream repository %s and cannot be published to %s", version, dn, r.Name, repo.Name)
			} else if !apperr.Is(err, apperr.NotFound) {
				return err
			}
		}
	}
	format := e.format(f)
	if format == nil {
		return nil
	}
	md := format.Metadata(ns, name)
	if md.Path == "" {
		return nil
	}
	hops, err := e.externalHops(ctx, rs, c, internalOK, f, ns, name)
	if err != nil {
		return err
	}
	for _, hop := range hops {
		doc, err := e.Upstream.FetchMetadataValid(ctx, hop.Connection, md.Path, md.Accept, md.Valid)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return apperr.New(apperr.Internal, "cannot check whether %s %s exists on external connection %s, so it is not published (it must not shadow a public version)", dn, version, hop.Connection).Wrap(err)
		}
		l, err := format.Parse(ns, name, doc)
		if err != nil {
			return apperr.New(apperr.Internal, "cannot read external connection %s's %s of %s, so %s is not published (it must not shadow a public version)", hop.Connection, md.name(), dn, version).Wrap(err)
		}
		if slices.Contains(l.Versions(), version) {
			return apperr.Conflictf("package-version", version,
				"Version %s of %s exists in the external connection %s of repository %s and cannot be published to %s", version, dn, hop.Connection, hop.Holder.Name, repo.Name)
		}
	}
	return nil
}
