package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	prommodel "github.com/prometheus/common/model"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// scrape reads /metrics and parses the text exposition format.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(prommodel.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value returns the counter value, or histogram sample count, of the series of
// family name whose labels include want (0 when there is none).
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	var sum float64
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		}
	}
	return sum
}

func TestMetricsFollowRequests(t *testing.T) {
	up := startNpmUpstream(t, map[string][]string{"left-pad": {"1.0.0", "1.1.0"}})
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": up.URL()}})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	before := scrape(t, srv.URL)
	if v := value(before, "wharf_http_requests_total", map[string]string{"operation": "CreateDomain"}); v != 0 {
		t.Fatalf("CreateDomain counted before any call: %v", v)
	}

	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("npm-store")}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}}))
	_, err := ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err)

	base := "/acme-" + apptest.Account + "/npm/app/"
	for i := 0; i < 2; i++ { // a miss, then a fresh cache hit
		if status, body := npmGet(t, srv, "acme", base+"left-pad"); status != http.StatusOK {
			t.Fatalf("packument: %d %s", status, body)
		}
	}
	status, tgz := npmGet(t, srv, "acme", base+"left-pad/-/left-pad-1.1.0.tgz")
	if status != http.StatusOK {
		t.Fatalf("tarball: %d %s", status, tgz)
	}
	if status, _ := npmGet(t, srv, "acme", base+"no-such-package"); status != http.StatusNotFound {
		t.Fatalf("missing package: %d", status)
	}
	// A bad token is counted as rejected.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+base+"left-pad", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	m := scrape(t, srv.URL)
	checks := []struct {
		name    string
		labels  map[string]string
		want    float64
		atLeast bool
	}{
		{"wharf_http_requests_total", map[string]string{"surface": "codeartifact", "operation": "CreateDomain", "code": "200"}, 1, false},
		{"wharf_http_requests_total", map[string]string{"surface": "codeartifact", "operation": "CreateRepository", "code": "200"}, 2, false},
		{"wharf_http_requests_total", map[string]string{"surface": "codeartifact", "operation": "DescribeDomain", "code": "404"}, 1, false},
		{"wharf_http_request_duration_seconds", map[string]string{"surface": "codeartifact", "operation": "CreateDomain"}, 1, false},
		{"wharf_http_requests_total", map[string]string{"surface": "package", "operation": "npm", "code": "200"}, 3, false},
		{"wharf_http_requests_total", map[string]string{"surface": "package", "operation": "npm", "code": "404"}, 1, false},
		{"wharf_http_requests_total", map[string]string{"surface": "package", "operation": "npm", "code": "401"}, 1, false},
		{"wharf_http_response_bytes_total", map[string]string{"surface": "package", "operation": "npm"}, float64(len(tgz)), true},
		{"wharf_http_request_bytes_total", map[string]string{"surface": "codeartifact", "operation": "CreateRepository"}, 1, true},
		{"wharf_token_validations_total", map[string]string{"result": "valid"}, 4, false},
		{"wharf_token_validations_total", map[string]string{"result": "rejected"}, 1, false},
		{"wharf_upstream_metadata_cache_total", map[string]string{"connection": "public:npmjs", "result": "miss"}, 2, false}, // left-pad, no-such-package
		{"wharf_upstream_metadata_cache_total", map[string]string{"connection": "public:npmjs", "result": "hit"}, 1, true},
		{"wharf_upstream_requests_total", map[string]string{"connection": "public:npmjs"}, float64(up.requests.Load()), false},
		{"wharf_upstream_asset_fetches_total", map[string]string{"connection": "public:npmjs"}, 1, false},
		{"wharf_upstream_request_duration_seconds", map[string]string{"connection": "public:npmjs"}, float64(up.requests.Load()), false},
		{"wharf_blob_operation_duration_seconds", map[string]string{"operation": "put"}, 1, false},
		{"wharf_blob_operation_duration_seconds", map[string]string{"operation": "open"}, 1, true},
		{"wharf_store_operation_duration_seconds", map[string]string{"operation": "GetToken"}, 4, false}, // a malformed token never reaches the store
		{"wharf_store_operation_duration_seconds", map[string]string{"operation": "CreateVersion"}, 1, true},
	}
	for _, c := range checks {
		got := value(m, c.name, c.labels)
		if (c.atLeast && got < c.want) || (!c.atLeast && got != c.want) {
			t.Errorf("%s%v = %v, want %s%v", c.name, c.labels, got, map[bool]string{true: ">= "}[c.atLeast], c.want)
		}
	}
	checkDashboard(t, m)
	// No label carries a package name: cardinality stays bounded.
	for name, f := range m {
		for _, s := range f.Metric {
			for _, l := range s.Label {
				if l.GetValue() == "left-pad" || l.GetValue() == "no-such-package" {
					t.Errorf("%s has a package name in label %s", name, l.GetName())
				}
			}
		}
	}
}

// checkDashboard: every metric the committed Grafana dashboard queries is
// exposed by a wharf that has served the traffic of TestMetricsFollowRequests.
func checkDashboard(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	raw, err := os.ReadFile("../../docs/grafana/wharf-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	ident := regexp.MustCompile(`\b(wharf_[a-z_]+|process_[a-z_]+|go_[a-z_]+)\b`)
	queried := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range ident.FindAllString(tg.Expr, -1) {
				queried++
				family := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if f, ok := fams[strings.TrimSuffix(name, suffix)]; ok && f.GetType() == dto.MetricType_HISTOGRAM {
						family = strings.TrimSuffix(name, suffix)
					}
				}
				if _, ok := fams[family]; !ok {
					t.Errorf("panel %q queries %s, which wharf does not expose", p.Title, name)
				}
			}
		}
	}
	if queried < 15 {
		t.Fatalf("only %d metric references found in the dashboard", queried)
	}
}
