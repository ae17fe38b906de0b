package sqlcommon

// The tables' columns and how rows of them become model values. Both backends
// store the same shapes (the same JSON documents, unix-millisecond times), so a
// row reads the same from either.

import (
	"encoding/json"
	"fmt"

	"github.com/wharf-dev/wharf/internal/model"
)

// Scanner is a row: *sql.Row, *sql.Rows, pgx.Row and pgx.Rows all satisfy it.
type Scanner interface{ Scan(dest ...any) error }

// DomainCols are the domains columns ScanDomain reads, in order.
const DomainCols = `owner, name, region, encryption_key, status, created_at`

// ScanDomain reads a row of DomainCols.
func ScanDomain(row Scanner) (model.Domain, error) {
	var d model.Domain
	var created *int64
	if err := row.Scan(&d.Owner, &d.Name, &d.Region, &d.EncryptionKey, &d.Status, &created); err != nil {
		return model.Domain{}, err
	}
	d.CreatedAt = FromMillis(created)
	return d, nil
}

// RepositoryCols are the repositories columns ScanRepository reads, in order.
const RepositoryCols = `domain_owner, domain_name, name, administrator_account, region, description,
	upstreams, external_connections, created_at`

// ScanRepository reads a row of RepositoryCols.
func ScanRepository(row Scanner) (model.Repository, error) {
	var r model.Repository
	var ups, ecs string
	var created *int64
	if err := row.Scan(&r.DomainOwner, &r.DomainName, &r.Name, &r.AdministratorAccount, &r.Region,
		&r.Description, &ups, &ecs, &created); err != nil {
		return model.Repository{}, err
	}
	var err error
	if r.Upstreams, err = FromJSON[string](ups); err != nil {
		return model.Repository{}, err
	}
	stored, err := FromJSON[externalConnection](ecs)
	if err != nil {
		return model.Repository{}, err
	}
	for _, e := range stored {
		r.ExternalConnections = append(r.ExternalConnections, model.ExternalConnection{Name: e.Name, Format: model.Format(e.Format)})
	}
	r.CreatedAt = FromMillis(created)
	return r, nil
}

// RepositoryLists encodes the ordered list columns of r.
func RepositoryLists(r model.Repository) (ups, ecs string, err error) {
	if ups, err = ToJSON(r.Upstreams); err != nil {
		return "", "", err
	}
	stored := make([]externalConnection, 0, len(r.ExternalConnections))
	for _, e := range r.ExternalConnections {
		stored = append(stored, externalConnection{Name: e.Name, Format: string(e.Format)})
	}
	if ecs, err = ToJSON(stored); err != nil {
		return "", "", err
	}
	return ups, ecs, nil
}

// externalConnection is the stored shape of model.ExternalConnection, kept apart
// so renaming a model field cannot silently change what is on disk.
type externalConnection struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

// PackageCols are the packages columns ScanPackage reads, in order.
const PackageCols = `domain_owner, domain_name, repository, format, namespace, name, origin_publish, origin_upstream`

// ScanPackage reads a row of PackageCols.
func ScanPackage(row Scanner) (model.Package, error) {
	var p model.Package
	var format string
	if err := row.Scan(&p.DomainOwner, &p.DomainName, &p.Repository, &format, &p.Namespace, &p.Name,
		&p.Origin.Publish, &p.Origin.Upstream); err != nil {
		return model.Package{}, err
	}
	p.Format = model.Format(format)
	return p, nil
}

// VersionCols are the package_versions columns ScanVersion reads, in order:
// the package key, the version, then VersionValues.
const VersionCols = `domain_owner, domain_name, repository, format, namespace, name, version,
	status, revision, origin_type, origin_repository, origin_external_connection,
	summary, home_page, source_code, licenses, display_name, metadata, readme, dependencies, published_at`

// ScanVersion reads a row of VersionCols.
func ScanVersion(row Scanner) (model.PackageVersion, error) {
	var v model.PackageVersion
	var format, licenses, deps string
	var published *int64
	if err := row.Scan(&v.DomainOwner, &v.DomainName, &v.Repository, &format, &v.Namespace, &v.Name, &v.Version,
		&v.Status, &v.Revision, &v.Origin.Type, &v.Origin.Repository, &v.Origin.ExternalConnection,
		&v.Summary, &v.HomePage, &v.SourceCode, &licenses, &v.DisplayName, &v.Metadata, &v.Readme, &deps,
		&published); err != nil {
		return model.PackageVersion{}, err
	}
	v.Format = model.Format(format)
	v.PublishedAt = FromMillis(published)
	var err error
	if v.Licenses, err = decodeLicenses(licenses); err != nil {
		return model.PackageVersion{}, err
	}
	stored, err := FromJSON[dependency](deps)
	if err != nil {
		return model.PackageVersion{}, err
	}
	for _, d := range stored {
		v.Dependencies = append(v.Dependencies, model.Dependency(d))
	}
	return v, nil
}

// VersionValues returns the columns after the key, in VersionCols order.
func VersionValues(v model.PackageVersion) ([]any, error) {
	licenses, err := encodeLicenses(v.Licenses)
	if err != nil {
		return nil, err
	}
	deps := make([]dependency, 0, len(v.Dependencies))
	for _, d := range v.Dependencies {
		deps = append(deps, dependency(d))
	}
	depsJSON, err := ToJSON(deps)
	if err != nil {
		return nil, err
	}
	return []any{v.Status, v.Revision, v.Origin.Type, v.Origin.Repository, v.Origin.ExternalConnection,
		v.Summary, v.HomePage, v.SourceCode, licenses, v.DisplayName, v.Metadata, v.Readme, depsJSON,
		Millis(v.PublishedAt)}, nil
}

// dependency is the stored shape of model.Dependency.
type dependency struct {
	Namespace      string `json:"namespace,omitempty"`
	Package        string `json:"package"`
	DependencyType string `json:"type,omitempty"`
	VersionReq     string `json:"versionRequirement,omitempty"`
}

// AssetCols are the assets columns ScanAsset reads, in order.
const AssetCols = `name, size, md5, sha1, sha256, sha512`

// ScanAsset reads a row of AssetCols.
func ScanAsset(row Scanner) (model.Asset, error) {
	var a model.Asset
	err := row.Scan(&a.Name, &a.Size, &a.Hashes.MD5, &a.Hashes.SHA1, &a.Hashes.SHA256, &a.Hashes.SHA512)
	return a, err
}

// PackageGroupCols are the package_groups columns ScanPackageGroup reads, in order.
const PackageGroupCols = `domain_owner, domain_name, pattern, region, contact_info, description, origin, created_at`

// ScanPackageGroup reads a row of PackageGroupCols.
func ScanPackageGroup(row Scanner) (model.PackageGroup, error) {
	var g model.PackageGroup
	var origin string
	var created *int64
	if err := row.Scan(&g.DomainOwner, &g.DomainName, &g.Pattern, &g.Region, &g.ContactInfo, &g.Description, &origin, &created); err != nil {
		return model.PackageGroup{}, err
	}
	if err := decodeGroupOrigin(origin, &g); err != nil {
		return model.PackageGroup{}, err
	}
	g.CreatedAt = FromMillis(created)
	return g, nil
}

// EncodeGroupOrigin is the origin column of g.
func EncodeGroupOrigin(g model.PackageGroup) (string, error) {
	b, err := json.Marshal(groupOrigin{g.Restrictions, g.AllowedRepositories})
	if err != nil {
		return "", fmt.Errorf("store: encode package group origin: %w", err)
	}
	return string(b), nil
}

// groupOrigin is how a group's origin configuration is stored: one JSON
// document, read and written whole.
type groupOrigin struct {
	Restrictions map[string]string   `json:"restrictions,omitempty"`
	Allowed      map[string][]string `json:"allowedRepositories,omitempty"`
}

func decodeGroupOrigin(s string, g *model.PackageGroup) error {
	var o groupOrigin
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return fmt.Errorf("store: decode package group origin: %w", err)
	}
	g.Restrictions, g.AllowedRepositories = o.Restrictions, o.Allowed
	return nil
}

// KMSKeyCols are the kms_keys columns; the backends scan them themselves,
// as SQLite stores the booleans as integers.
const KMSKeyCols = `account, key_id, region, description, key_usage, key_spec, origin, state, policy,
	multi_region, rotation_enabled, rotation_period_days, deletion_date, pending_window_days, created_at`

// KMSAliasCols are the kms_aliases columns ScanKMSAlias reads, in order.
const KMSAliasCols = `account, name, region, target_key_id, created_at, updated_at`

// ScanKMSAlias reads a row of KMSAliasCols.
func ScanKMSAlias(row Scanner) (model.KMSAlias, error) {
	var a model.KMSAlias
	var created, updated *int64
	if err := row.Scan(&a.Account, &a.Name, &a.Region, &a.TargetKeyID, &created, &updated); err != nil {
		return model.KMSAlias{}, err
	}
	a.CreatedAt, a.UpdatedAt = FromMillis(created), FromMillis(updated)
	return a, nil
}

// ScanTag reads a row of tag_key, tag_value.
func ScanTag(row Scanner) (model.Tag, error) {
	var t model.Tag
	err := row.Scan(&t.Key, &t.Value)
	return t, err
}

// Rows is a result set, as *sql.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect scans every row with scan; an empty result is an empty, non-nil
// slice. Closing rows is the caller's.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// WithoutRepository returns g with repo taken off every allowed-repositories
// list, and whether any list held it. A list left empty is dropped.
func WithoutRepository(g model.PackageGroup, repo string) (model.PackageGroup, bool) {
	changed := false
	allowed := map[string][]string{}
	for restriction, repos := range g.AllowedRepositories {
		kept := make([]string, 0, len(repos))
		for _, r := range repos {
			if r == repo {
				changed = true
				continue
			}
			kept = append(kept, r)
		}
		if len(kept) > 0 {
			allowed[restriction] = kept
		}
	}
	if !changed {
		return g, false
	}
	if len(allowed) == 0 {
		allowed = nil
	}
	g.AllowedRepositories = allowed
	return g, true
}

// licenseRow is a license with a URL in the licenses column. A license
// without one is stored as its bare name, as every license was before URLs
// were kept: rows stay readable by an older wharf unless a URL is there.
type licenseRow struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

func encodeLicenses(ls []model.License) (string, error) {
	out := make([]any, 0, len(ls))
	for _, l := range ls {
		if l.URL == "" {
			out = append(out, l.Name)
		} else {
			out = append(out, licenseRow(l))
		}
	}
	return ToJSON(out)
}

func decodeLicenses(s string) ([]model.License, error) {
	raw, err := FromJSON[json.RawMessage](s)
	if err != nil {
		return nil, err
	}
	var out []model.License
	for _, r := range raw {
		var name string
		if json.Unmarshal(r, &name) == nil {
			out = append(out, model.License{Name: name})
			continue
		}
		var l licenseRow
		if err := json.Unmarshal(r, &l); err != nil {
			return nil, fmt.Errorf("store: decode licenses: %w", err)
		}
		out = append(out, model.License(l))
	}
	return out, nil
}
