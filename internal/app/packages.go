package app

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/formats/cargo"
	"github.com/wharf-dev/wharf/internal/formats/maven"
	"github.com/wharf-dev/wharf/internal/formats/npm"
	"github.com/wharf-dev/wharf/internal/formats/nuget"
	"github.com/wharf-dev/wharf/internal/formats/pypi"
	"github.com/wharf-dev/wharf/internal/formats/rubygems"
	"github.com/wharf-dev/wharf/internal/formats/swift"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// packageRoutes serves the package endpoints /{domain}-{owner}/{format}/{repo}/...
func (a *App) packageRoutes(svc *service.Service, tokens endpoints.TokenValidator) http.Handler {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "not found: " + r.URL.Path})
	})
	rt := endpoints.NewRouter(svc, tokens, a.cfg.PublicURL, a.log, notFound)
	domainKey := a.domainKey
	rt.DomainKeyUsable = func(ctx context.Context, owner, domain string) error {
		_, err := domainKey(ctx, owner, domain)
		return err
	}
	rt.Authorize = func(ctx context.Context, c service.Caller, action string, repo model.Repository) error {
		return svc.Authorize(ctx, c, action, repo.DomainOwner, repo.DomainName, repo.Name)
	}
	rt.AuthorizePackage = func(ctx context.Context, c service.Caller, action string, repo model.Repository, pkg endpoints.PackageName) error {
		return svc.AuthorizePackage(ctx, c, action, repo, pkg.Format, pkg.Namespace, pkg.Name)
	}
	a.registerFormats(rt)
	// Generic packages are served by the API itself (PublishPackageVersion,
	// GetPackageVersionAsset); every other format needs its endpoint.
	svc.Serves = func(f model.Format) bool { return f == model.FormatGeneric || rt.Handles(f) }
	return rt
}

// registerFormats installs each format's handler on the router.
func (a *App) registerFormats(rt *endpoints.Router) {
	l := a.cfg.Limits
	npmh := npm.New(npm.Options{Engine: a.Engine, Upstream: a.Upstream, Check: rt.Check, MaxPublishBytes: a.cfg.MaxPublishBytes, Log: a.log,
		RenderCacheBytes: a.budgets.NpmRendered,
		Limits: npm.Limits{MaxMetadataBytes: l.NpmMaxMetadataBytes, MaxReadmeBytes: l.NpmMaxReadmeBytes, MaxDescriptionBytes: l.NpmMaxDescriptionBytes,
			MaxVersions: l.NpmMaxVersions, MaxAttachments: l.NpmMaxAttachments}})
	a.caches["npm_rendered"] = npmh.RenderCacheStats
	rt.Handle(model.FormatNpm, npmh)
	py := pypi.New(a.Engine, a.Upstream, rt.Check, a.log)
	py.Limits = pypi.Limits{MaxFileBytes: a.cfg.MaxPublishBytes, MaxFields: l.PypiMaxFields, MaxFieldBytes: l.PypiMaxFieldBytes, MaxFormBytes: l.PypiMaxFormBytes}
	rt.Handle(model.FormatPypi, py)
	mvn := maven.New(a.Engine, a.Upstream, rt.Check, a.log)
	mvn.Limits = maven.Limits{MaxFileBytes: a.cfg.MaxPublishBytes, MaxPomBytes: l.MavenMaxPomBytes, MaxMetadataBytes: l.MavenMaxMetadataBytes}
	rt.Handle(model.FormatMaven, mvn)
	crg := cargo.New(a.Engine, a.Upstream, rt.Check, a.log, a.cfg.MaxPublishBytes)
	crg.MaxMetaBytes, crg.Crate = l.CargoMaxMetadataBytes, cargo.CrateLimits{MaxUnpacked: l.CargoMaxUnpackedBytes, MaxEntries: l.CargoMaxEntries}
	rt.Handle(model.FormatCargo, crg)
	gem := rubygems.New(a.Engine, a.Upstream, rt.Check, a.log, a.cfg.MaxPublishBytes)
	gem.Limits = rubygems.Limits{MaxMetadata: l.GemMaxMetadataBytes, MaxUnpacked: l.GemMaxUnpackedBytes, MaxEntries: l.GemMaxEntries}
	gem.SetVersionsCacheBytes(a.budgets.RubyVersions)
	a.caches["ruby_versions"] = gem.VersionsCacheStats
	rt.Handle(model.FormatRuby, gem)
	ng := nuget.New(a.Engine, a.Upstream, rt.Check, a.log, a.cfg.MaxPublishBytes)
	ng.SetLimits(nuget.Limits{MaxEntries: l.NugetMaxEntries, MaxUncompressed: l.NugetMaxUnpackedBytes})
	rt.Handle(model.FormatNuget, ng)
	// Swift has no external connection in CodeArtifact: no upstream fetcher.
	sw := swift.New(a.Engine, rt.Check, a.log, a.cfg.MaxPublishBytes)
	sw.Archive.MaxUnpacked, sw.Archive.MaxEntries, sw.Archive.MaxManifestSize = l.SwiftMaxUnpackedBytes, l.SwiftMaxEntries, l.SwiftMaxManifestBytes
	sw.SetIndexBytes(a.budgets.SwiftIndex)
	a.caches["swift_index"] = sw.IndexStats
	rt.Handle(model.FormatSwift, sw)
}
