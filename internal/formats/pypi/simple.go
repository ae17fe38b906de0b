package pypi

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Media types of the simple repository API (PEP 691).
const (
	TypeJSON   = "application/vnd.pypi.simple.v1+json"
	TypeHTMLv1 = "application/vnd.pypi.simple.v1+html"
	TypeHTML   = "text/html"
)

// File is one distribution file on a project page.
type File struct {
	Filename       string
	URL            string // absolute, with no fragment
	SHA256         string // lowercase hex, "" when unknown
	RequiresPython string
	Yanked         bool
	YankedReason   string
}

// Negotiate picks the simple API representation for an Accept header: PEP 691
// JSON when the client prefers it, else HTML (v1 type when asked for, else
// text/html). A missing or */* Accept gets text/html, which every client reads.
func Negotiate(accept string) string {
	best, bestQ := TypeHTML, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(k) == "q" {
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%g", &q); err != nil {
					q = 0
				}
			}
		}
		switch mt {
		case TypeJSON, TypeHTMLv1, TypeHTML:
		case "application/vnd.pypi.simple.latest+json":
			mt = TypeJSON
		case "application/vnd.pypi.simple.latest+html":
			mt = TypeHTMLv1
		case "*/*", "text/*", "application/*":
			mt = TypeHTML
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = mt, q
		}
	}
	return best
}

// RenderProject writes a project page in the negotiated type.
func RenderProject(mediaType, project string, files []File) []byte {
	sort.Slice(files, func(i, j int) bool { return files[i].Filename < files[j].Filename })
	if mediaType == TypeJSON {
		type jfile struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python,omitempty"`
			Yanked         any               `json:"yanked"`
		}
		doc := struct {
			Meta  map[string]string `json:"meta"`
			Name  string            `json:"name"`
			Files []jfile           `json:"files"`
		}{Meta: map[string]string{"api-version": "1.0"}, Name: project, Files: []jfile{}}
		for _, f := range files {
			jf := jfile{Filename: f.Filename, URL: f.URL, Hashes: map[string]string{}, RequiresPython: f.RequiresPython, Yanked: false}
			if f.SHA256 != "" {
				jf.Hashes["sha256"] = f.SHA256
			}
			if f.Yanked {
				jf.Yanked = true
				if f.YankedReason != "" {
					jf.Yanked = f.YankedReason
				}
			}
			doc.Files = append(doc.Files, jf)
		}
		b, _ := json.Marshal(doc)
		return b
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.0\">\n")
	fmt.Fprintf(&b, "    <title>Links for %s</title>\n  </head>\n  <body>\n    <h1>Links for %s</h1>\n", html.EscapeString(project), html.EscapeString(project))
	for _, f := range files {
		href := f.URL
		if f.SHA256 != "" {
			href += "#sha256=" + f.SHA256
		}
		attrs := ""
		if f.RequiresPython != "" {
			attrs += fmt.Sprintf(" data-requires-python=\"%s\"", html.EscapeString(f.RequiresPython))
		}
		if f.Yanked {
			attrs += fmt.Sprintf(" data-yanked=\"%s\"", html.EscapeString(f.YankedReason))
		}
		fmt.Fprintf(&b, "    <a href=\"%s\"%s>%s</a><br/>\n", html.EscapeString(href), attrs, html.EscapeString(f.Filename))
	}
	b.WriteString("  </body>\n</html>\n")
	return []byte(b.String())
}

// RenderIndex writes the root index (all projects) in the negotiated type.
func RenderIndex(mediaType string, projects []string) []byte {
	sort.Strings(projects)
	if mediaType == TypeJSON {
		type p struct {
			Name string `json:"name"`
		}
		doc := struct {
			Meta     map[string]string `json:"meta"`
			Projects []p               `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.0"}, Projects: []p{}}
		for _, n := range projects {
			doc.Projects = append(doc.Projects, p{n})
		}
		b, _ := json.Marshal(doc)
		return b
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.0\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	for _, n := range projects {
		fmt.Fprintf(&b, "    <a href=\"%s/\">%s</a><br/>\n", url.PathEscape(n), html.EscapeString(n))
	}
	b.WriteString("  </body>\n</html>\n")
	return []byte(b.String())
}

var (
	anchorRe = regexp.MustCompile(`(?is)<a\s([^>]*)>(.*?)</a\s*>`)
	attrRe   = regexp.MustCompile(`(?is)([a-z0-9_:-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	sha256Re = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// ParseProject reads an upstream project page, PEP 691 JSON or PEP 503 HTML
// (by content type, falling back to sniffing), resolving file URLs against
// pageURL. Files without a usable name are skipped; a body that is neither is
// an error.
func ParseProject(body []byte, contentType, pageURL string) ([]File, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("page URL %q: %w", pageURL, err)
	}
	ct := strings.ToLower(contentType)
	trimmed := strings.TrimSpace(string(body))
	if strings.Contains(ct, "json") || strings.HasPrefix(trimmed, "{") {
		return parseJSON(body, base)
	}
	return parseHTML(trimmed, base)
}

func parseJSON(body []byte, base *url.URL) ([]File, error) {
	var doc struct {
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python"`
			Yanked         any               `json:"yanked"`
		} `json:"files"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("malformed PEP 691 project page: %w", err)
	}
	var out []File
	for _, jf := range doc.Files {
		u, err := base.Parse(jf.URL)
		if err != nil || jf.Filename == "" {
			continue
		}
		u.Fragment = ""
		f := File{Filename: jf.Filename, URL: u.String(), RequiresPython: jf.RequiresPython}
		if h := jf.Hashes["sha256"]; sha256Re.MatchString(h) {
			f.SHA256 = strings.ToLower(h)
		}
		switch y := jf.Yanked.(type) {
		case bool:
			f.Yanked = y
		case string:
			f.Yanked, f.YankedReason = true, y
		}
		out = append(out, f)
	}
	return out, nil
}

func parseHTML(body string, base *url.URL) ([]File, error) {
	if !strings.Contains(strings.ToLower(body), "<a") && !strings.Contains(strings.ToLower(body), "<html") {
		return nil, fmt.Errorf("malformed PEP 503 project page: no HTML")
	}
	var out []File
	for _, m := range anchorRe.FindAllStringSubmatch(body, -1) {
		attrs := map[string]string{}
		present := map[string]bool{}
		for _, a := range attrRe.FindAllStringSubmatch(m[1], -1) {
			k := strings.ToLower(a[1])
			present[k] = true
			attrs[k] = html.UnescapeString(a[2] + a[3] + a[4])
		}
		href := attrs["href"]
		if href == "" {
			continue
		}
		u, err := base.Parse(href)
		if err != nil {
			continue
		}
		f := File{RequiresPython: attrs["data-requires-python"]}
		if k, v, ok := strings.Cut(u.Fragment, "="); ok && k == "sha256" && sha256Re.MatchString(v) {
			f.SHA256 = strings.ToLower(v)
		}
		u.Fragment = ""
		f.URL = u.String()
		name := strings.TrimSpace(html.UnescapeString(m[2]))
		if p := strings.LastIndex(u.Path, "/"); p >= 0 && u.Path[p+1:] != "" {
			if seg, err := url.PathUnescape(u.Path[p+1:]); err == nil {
				name = seg // the link's file name is authoritative, text is decoration
			}
		}
		f.Filename = name
		if present["data-yanked"] {
			f.Yanked, f.YankedReason = true, attrs["data-yanked"]
		}
		out = append(out, f)
	}
	return out, nil
}
