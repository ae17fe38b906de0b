// Package console is wharf's browser console at /console/: server-rendered
// pages (html/template, no script, no CDN) to browse domains, repositories
// and their upstream graph, packages, versions and a package's audit trail,
// and the commands that connect each package manager. Signing in takes an
// access key; every page is read through the service layer as that key's
// principal, so resource policies apply exactly as on the API.
package console

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// consolePage is how many rows a console list shows (the newest, for versions).
const consolePage = 1000

// Console serves /console/.
type Console struct {
	Svc       *service.Service
	Keys      Keys
	PublicURL string // base of repository endpoints ("" = the request's host)
	Log       *slog.Logger
	Now       func() time.Time
	tmpl      map[string]*template.Template
	mux       *http.ServeMux
}

// New builds the console.
func New(svc *service.Service, keys Keys, publicURL string, log *slog.Logger) *Console {
	c := &Console{Svc: svc, Keys: keys, PublicURL: publicURL, Log: log, Now: time.Now, tmpl: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"nsOrDash": func(ns string) string {
			if ns == "" {
				return "-"
			}
			return ns
		},
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
		"pkgName": displayName,
		"dict3": func(owner, domain string, n *graphNode) map[string]any {
			return map[string]any{"Owner": owner, "Domain": domain, "Node": n}
		},
	}
	for _, page := range []string{"signin", "domains", "domain", "repository", "package", "version", "error"} {
		c.tmpl[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /console/{$}", c.page(c.domains))
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("POST /console/signout", c.signOut)
	m.HandleFunc("GET /console/d/{owner}/{domain}/{$}", c.page(c.domain))
	m.HandleFunc("GET /console/d/{owner}/{domain}/r/{repo}/{$}", c.page(c.repository))
	m.HandleFunc("GET /console/d/{owner}/{domain}/r/{repo}/p/{format}/{ns}/{name}/{$}", c.page(c.pkg))
	m.HandleFunc("GET /console/d/{owner}/{domain}/r/{repo}/p/{format}/{ns}/{name}/v/{version}", c.page(c.version))
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, http.StatusNotFound, "error", map[string]any{"Message": "No console page at " + r.URL.Path})
	})
	c.mux = m
	return c
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

type view func(r *http.Request, caller service.Caller) (page string, data map[string]any, err error)

// page wraps a view: no session → the sign-in page; errors → an error page
// with the status the API would answer.
func (c *Console) page(v view) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := session(r, c.Keys, c.Now())
		if !ok {
			c.render(w, http.StatusOK, "signin", map[string]any{})
			return
		}
		name, data, err := v(r, service.Caller{Principal: p})
		if err != nil {
			status := http.StatusInternalServerError
			msg := "internal error"
			if ae := apperr.As(err); ae != nil {
				msg = ae.Message
				switch ae.Kind {
				case apperr.NotFound:
					status = http.StatusNotFound
				case apperr.AccessDenied:
					status = http.StatusForbidden
				case apperr.Validation:
					status = http.StatusBadRequest
				}
			} else {
				c.Log.ErrorContext(r.Context(), "console page", "path", r.URL.Path, "err", err)
			}
			c.render(w, status, "error", map[string]any{"Message": msg, "Principal": p.ARN})
			return
		}
		data["Principal"] = p.ARN
		c.render(w, http.StatusOK, name, data)
	}
}

func (c *Console) render(w http.ResponseWriter, status int, page string, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.tmpl[page].Execute(w, data); err != nil {
		c.Log.Warn("rendering console page", "page", page, "err", err)
	}
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		c.render(w, http.StatusBadRequest, "signin", map[string]any{"Error": "bad form"})
		return
	}
	cookie, _, err := signIn(r.Context(), c.Keys, strings.TrimSpace(r.PostFormValue("access_key_id")), strings.TrimSpace(r.PostFormValue("secret_access_key")), c.Now())
	if err != nil {
		c.render(w, http.StatusUnauthorized, "signin", map[string]any{"Error": err.Error()})
		return
	}
	http.SetCookie(w, cookie)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/console/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (c *Console) domains(r *http.Request, caller service.Caller) (string, map[string]any, error) {
	ds, _, err := c.Svc.ListDomains(r.Context(), caller, service.Page{Limit: 1000})
	return "domains", map[string]any{"Domains": ds}, err
}

// graphNode is a repository in the upstream graph, drawn as a tree.
type graphNode struct {
	Name      string
	External  []string
	Upstreams []*graphNode
	Repeat    bool // already drawn above (a diamond or a cycle)
	Missing   bool // the upstream no longer exists
}

func (c *Console) domain(r *http.Request, caller service.Caller) (string, map[string]any, error) {
	owner, domain := r.PathValue("owner"), r.PathValue("domain")
	repos, _, err := c.Svc.ListRepositoriesInDomain(r.Context(), caller, owner, domain, "", "", service.Page{Limit: 1000})
	if err != nil {
		return "", nil, err
	}
	byName := map[string]model.Repository{}
	isUpstream := map[string]bool{}
	for _, rp := range repos {
		byName[rp.Name] = rp
		for _, u := range rp.Upstreams {
			isUpstream[u] = true
		}
	}
	var build func(name string, path map[string]bool) *graphNode
	build = func(name string, path map[string]bool) *graphNode {
		rp, ok := byName[name]
		n := &graphNode{Name: name, Missing: !ok, Repeat: path[name]}
		if !ok || n.Repeat {
			return n
		}
		for _, ec := range rp.ExternalConnections {
			n.External = append(n.External, ec.Name)
		}
		path[name] = true
		for _, u := range rp.Upstreams {
			n.Upstreams = append(n.Upstreams, build(u, path))
		}
		delete(path, name)
		return n
	}
	var roots []*graphNode
	for _, rp := range repos {
		if !isUpstream[rp.Name] {
			roots = append(roots, build(rp.Name, map[string]bool{}))
		}
	}
	if len(roots) == 0 { // every repository is someone's upstream: a cycle; draw them all
		for _, rp := range repos {
			roots = append(roots, build(rp.Name, map[string]bool{}))
		}
	}
	type instr struct{ Repo, Commands string }
	var instrs []instr
	base := c.base(r)
	for _, rp := range repos {
		instrs = append(instrs, instr{rp.Name, connectCommands(base, owner, domain, rp.Name)})
	}
	return "domain", map[string]any{"Owner": owner, "Domain": domain, "Repos": repos, "Graph": roots, "Instructions": instrs}, nil
}

// connectCommands is how each package manager is pointed at a repository:
// `aws codeartifact login` where the aws CLI has a --tool for it (the same
// text it writes), else the endpoint and token as the README's sections say.
func connectCommands(base, owner, domain, repo string) string {
	common := " --domain " + domain + " --domain-owner " + owner + " --repository " + repo + " --endpoint-url " + base
	ep := func(f model.Format) string { return base + service.EndpointPath(owner, domain, f, repo) }
	token := "$(aws codeartifact get-authorization-token --domain " + domain + " --domain-owner " + owner + " --query authorizationToken --output text --endpoint-url " + base + ")"
	return strings.Join([]string{
		"aws codeartifact login --tool npm" + common + "     # writes ~/.npmrc",
		"aws codeartifact login --tool pip" + common + "     # sets pip's index-url",
		"aws codeartifact login --tool twine" + common + "   # writes ~/.pypirc",
		"aws codeartifact login --tool dotnet" + common + "  # adds the NuGet source (--tool nuget for nuget.exe)",
		"aws codeartifact login --tool swift" + common + " --namespace SCOPE   # swift package-registry set",
		"# Maven: repository URL " + ep(model.FormatMaven) + ", user aws, password from: aws codeartifact get-authorization-token --domain " + domain + " --domain-owner " + owner + " --query authorizationToken --output text --endpoint-url " + base,
		"# Cargo: in ~/.cargo/config.toml [registries." + domain + "] index = \"sparse+" + ep(model.FormatCargo) + "\", credential-provider = \"cargo:token\"; then",
		"export CARGO_REGISTRIES_" + strings.ToUpper(strings.ReplaceAll(domain, "-", "_")) + "_TOKEN=\"Bearer " + token + "\"",
		"# RubyGems: Gemfile source \"" + ep(model.FormatRuby) + "\"; gem push --host " + strings.TrimSuffix(ep(model.FormatRuby), "/") + " with ~/.gem/credentials :codeartifact_api_key: \"Bearer <token>\"",
		"bundle config set --global " + ep(model.FormatRuby) + " \"aws:" + token + "\"",
	}, "\n")
}

func (c *Console) base(r *http.Request) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (c *Console) repository(r *http.Request, caller service.Caller) (string, map[string]any, error) {
	ref := service.RepoRef{DomainOwner: r.PathValue("owner"), Domain: r.PathValue("domain"), Repository: r.PathValue("repo")}
	repo, err := c.Svc.DescribeRepository(r.Context(), caller, ref)
	if err != nil {
		return "", nil, err
	}
	pkgs, _, err := c.Svc.ListPackages(r.Context(), caller, ref, service.PackageFilter{}, service.Page{Limit: 1000})
	if err != nil {
		return "", nil, err
	}
	return "repository", map[string]any{"Owner": ref.DomainOwner, "Domain": ref.Domain, "Repo": repo, "Packages": pkgs}, nil
}

func pkgRef(r *http.Request) service.PackageRef {
	ns := r.PathValue("ns")
	if ns == "-" {
		ns = ""
	}
	return service.PackageRef{RepoRef: service.RepoRef{DomainOwner: r.PathValue("owner"), Domain: r.PathValue("domain"), Repository: r.PathValue("repo")},
		Format: r.PathValue("format"), Namespace: ns, Package: r.PathValue("name")}
}

func (c *Console) pkg(r *http.Request, caller service.Caller) (string, map[string]any, error) {
	ref := pkgRef(r)
	p, err := c.Svc.DescribePackage(r.Context(), caller, ref)
	if err != nil {
		return "", nil, err
	}
	// The newest consolePage versions: a page costs its own rows, a package
	// may have a million.
	versions, _, _, err := c.Svc.ListPackageVersions(r.Context(), caller, ref, service.VersionFilter{SortBy: store.SortByPublishedTime}, service.Page{Limit: consolePage})
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return "", nil, err
	}
	trail, err := c.Svc.PackageAudit(r.Context(), caller, ref, 500)
	if err != nil {
		return "", nil, err
	}
	return "package", map[string]any{"Ref": ref, "Package": p, "Versions": versions, "Audit": trail, "NS": r.PathValue("ns")}, nil
}

func (c *Console) version(r *http.Request, caller service.Caller) (string, map[string]any, error) {
	ref := pkgRef(r)
	version, err := url.PathUnescape(r.PathValue("version"))
	if err != nil {
		return "", nil, apperr.Validationf("bad version in path")
	}
	v, assets, err := c.Svc.ListPackageVersionAssets(r.Context(), caller, ref, version)
	if err != nil {
		return "", nil, err
	}
	sort.Slice(assets, func(i, j int) bool { return assets[i].Name < assets[j].Name })
	full, err := c.Svc.ListPackageVersionDependencies(r.Context(), caller, ref, version)
	if err != nil {
		return "", nil, err
	}
	readme, err := c.Svc.GetPackageVersionReadme(r.Context(), caller, ref, version)
	if err != nil {
		return "", nil, err
	}
	return "version", map[string]any{"Ref": ref, "NS": r.PathValue("ns"), "Version": v, "Assets": assets,
		"Dependencies": full.Dependencies, "Readme": readme.Readme}, nil
}

func displayName(format model.Format, ns, name string) string {
	switch {
	case ns == "":
		return name
	case format == model.FormatNpm:
		return "@" + ns + "/" + name
	case format == model.FormatMaven:
		return ns + ":" + name
	default:
		return ns + "/" + name
	}
}
