// Package maven_test drives wharf's maven endpoints with the real mvn: deploy
// to one repository, resolve through another whose upstream it is. Maven
// Central is not reachable, so mvn's plugins come from Debian's
// /usr/share/maven-repo, linked into each build's local repository.
package maven_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

const (
	domain      = "mvnco"
	debianRepo  = "/usr/share/maven-repo"
	deployPlug  = "org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file"
	depCopyPlug = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:copy"
	group       = "dev.wharfdemo"
)

func TestMvnDeployAndResolveThroughUpstream(t *testing.T) {
	if _, err := exec.LookPath("mvn"); err != nil {
		t.Fatalf("mvn is not installed: %v", err)
	}
	for _, p := range []string{deployPlug, depCopyPlug} {
		parts := strings.Split(p, ":")
		dir := filepath.Join(debianRepo, strings.ReplaceAll(parts[0], ".", "/"), parts[1], parts[2])
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("plugin %s missing from %s (scripts/install-deps.sh installs it): %v", p, debianRepo, err)
		}
	}
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"team-core", "consumer"} {
		in := &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(r)}
		if r == "consumer" {
			in.Upstreams = []types.UpstreamRepository{{RepositoryName: aws.String("team-core")}}
		}
		if _, err := ca.CreateRepository(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	tokOut, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(tokOut.AuthorizationToken)
	ep := func(repo string) string {
		out, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String(domain), Repository: aws.String(repo), Format: types.PackageFormatMaven})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.RepositoryEndpoint)
	}
	core, consumer := ep("team-core"), ep("consumer")
	work := t.TempDir()

	jar := writeJar(t, work, "hello.jar", "release")
	snapJar := writeJar(t, work, "hello-snap.jar", "snapshot")

	// Build 1 deploys a release and a SNAPSHOT to team-core.
	deployer := newBuild(t, work, "deployer", tok, consumer)
	for _, d := range []struct{ version, file string }{{"1.0", jar}, {"1.1-SNAPSHOT", snapJar}} {
		deployer.mvn(t, deployPlug, "-Dfile="+d.file, "-DgroupId="+group, "-DartifactId=hello", "-Dversion="+d.version,
			"-Dpackaging=jar", "-DgeneratePom=true", "-DrepositoryId=wharf-deploy", "-Durl="+core)
	}

	// Build 2, with its own empty local repository, resolves both from consumer
	// (whose upstream is team-core).
	resolver := newBuild(t, work, "resolver", tok, consumer)
	out := filepath.Join(work, "out")
	for _, v := range []string{"1.0", "1.1-SNAPSHOT"} {
		resolver.mvn(t, depCopyPlug, "-Dartifact="+group+":hello:"+v, "-DoutputDirectory="+out, "-Dmdep.useBaseVersion=true")
	}
	for src, dst := range map[string]string{jar: "hello-1.0.jar", snapJar: "hello-1.1-SNAPSHOT.jar"} {
		want, _ := os.ReadFile(src)
		got, err := os.ReadFile(filepath.Join(out, dst))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("resolved %s differs from the deployed jar (err %v)", dst, err)
		}
	}

	// What the deploy left on team-core, as served over the layout.
	base := core + strings.ReplaceAll(group, ".", "/") + "/hello/"
	meta := fetch(t, "GET", base+"maven-metadata.xml", tok, http.StatusOK)
	for _, want := range []string{"<release>1.0</release>", "<version>1.0</version>", "<version>1.1-SNAPSHOT</version>", "<latest>1.1-SNAPSHOT</latest>"} {
		if !strings.Contains(meta, want) {
			t.Fatalf("maven-metadata.xml lacks %s:\n%s", want, meta)
		}
	}
	if sum := fetch(t, "GET", base+"maven-metadata.xml.sha1", tok, http.StatusOK); sum != sha1hex([]byte(meta)) {
		t.Fatalf("metadata sha1 %s does not match its document", sum)
	}
	snapMeta := fetch(t, "GET", base+"1.1-SNAPSHOT/maven-metadata.xml", tok, http.StatusOK)
	if !strings.Contains(snapMeta, "<buildNumber>1</buildNumber>") || !strings.Contains(snapMeta, "<extension>jar</extension>") {
		t.Fatalf("SNAPSHOT metadata:\n%s", snapMeta)
	}
	jarBytes, _ := os.ReadFile(jar)
	for alg, want := range map[string]string{"sha1": sha1hex(jarBytes)} {
		if got := fetch(t, "GET", base+"1.0/hello-1.0.jar."+alg, tok, http.StatusOK); got != want {
			t.Fatalf("%s of the jar: %s, want %s", alg, got, want)
		}
	}
	for _, alg := range []string{"md5", "sha256", "sha512"} {
		if got := fetch(t, "GET", base+"1.0/hello-1.0.pom."+alg, tok, http.StatusOK); len(got) < 32 {
			t.Fatalf("%s of the pom: %q", alg, got)
		}
	}
	fetch(t, "HEAD", base+"1.0/hello-1.0.jar", tok, http.StatusOK)

	// The consumer retained the release it resolved.
	vs, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String("consumer"),
		Format: types.PackageFormatMaven, Namespace: aws.String(group), Package: aws.String("hello")})
	if err != nil {
		t.Logf("ListPackageVersions (control plane, may not be wired yet): %v", err)
	} else if len(vs.Versions) == 0 {
		t.Fatalf("consumer retained no versions of hello")
	}

	t.Run("bad input", func(t *testing.T) {
		cases := []struct {
			name, method, path, body string
			status                   int
		}{
			{"traversal", "GET", "dev/wharfdemo/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "", http.StatusBadRequest},
			{"encoded traversal", "PUT", "dev/wharfdemo/hello/1.0/%2e%2e%2fhello-1.0.jar", "x", http.StatusBadRequest},
			{"encoded slash", "GET", "dev/wharfdemo%2fhello/1.0/hello-1.0.jar", "", http.StatusBadRequest},
			{"checksum mismatch", "PUT", "dev/wharfdemo/hello/1.0/hello-1.0.jar.sha1", strings.Repeat("0", 40), http.StatusBadRequest},
			{"checksum match", "PUT", "dev/wharfdemo/hello/1.0/hello-1.0.jar.sha1", sha1hex(jarBytes), http.StatusCreated},
			{"overwrite with other bytes", "PUT", "dev/wharfdemo/hello/1.0/hello-1.0.jar", "other", http.StatusConflict},
			{"malformed pom", "PUT", "dev/wharfdemo/hello/2.0/hello-2.0.pom", "<project><artifactId>", http.StatusBadRequest},
			{"pom of other coordinates", "PUT", "dev/wharfdemo/hello/2.0/hello-2.0.pom",
				"<project><groupId>dev.wharfdemo</groupId><artifactId>other</artifactId><version>2.0</version></project>", http.StatusBadRequest},
			{"malformed metadata", "PUT", "dev/wharfdemo/hello/maven-metadata.xml", "<metadata><versioning>", http.StatusBadRequest},
			{"file outside its version", "PUT", "dev/wharfdemo/hello/2.0/evil.jar", "x", http.StatusBadRequest},
		}
		for _, c := range cases {
			req, _ := http.NewRequest(c.method, core+c.path, strings.NewReader(c.body))
			req.SetBasicAuth("aws", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("%s: %s %s: %d, want %d (%s)", c.name, c.method, c.path, resp.StatusCode, c.status, b)
			}
		}
		fetch(t, "GET", base+"2.0/hello-2.0.pom", tok, http.StatusNotFound)
		// Without credentials: a Basic challenge, so Maven sends its <server> password.
		resp, err := http.Get(base + "maven-metadata.xml")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="wharf"` {
			t.Fatalf("anonymous: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
}

// build is one Maven build: its own local repository (Debian's plugins linked
// in) and settings.xml with wharf credentials and the consumer as the mirror of
// everything.
type build struct{ dir, settings string }

func newBuild(t *testing.T, work, name, tok, mirror string) *build {
	t.Helper()
	dir := filepath.Join(work, name)
	local := filepath.Join(dir, "m2")
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(debianRepo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "dev" {
			t.Fatalf("%s has a top-level dev/: the test's groupId would land in it", debianRepo)
		}
		if err := os.Symlink(filepath.Join(debianRepo, e.Name()), filepath.Join(local, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	settings := filepath.Join(dir, "settings.xml")
	doc := fmt.Sprintf(`<settings>
  <localRepository>%s</localRepository>
  <servers>
    <server><id>wharf-deploy</id><username>aws</username><password>%s</password></server>
    <server><id>wharf</id><username>aws</username><password>%s</password></server>
  </servers>
  <mirrors>
    <mirror><id>wharf</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>wharf</id>
      <repositories>
        <!-- The mirror inherits the policies of what it mirrors: this one lets SNAPSHOTs through. -->
        <repository><id>wharf</id><url>%s</url><releases><enabled>true</enabled></releases><snapshots><enabled>true</enabled></snapshots></repository>
      </repositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>wharf</activeProfile></activeProfiles>
</settings>
`, local, tok, tok, mirror, mirror)
	if err := os.WriteFile(settings, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return &build{dir: dir, settings: settings}
}

func (b *build) mvn(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mvn", append([]string{"-B", "-e", "-s", b.settings, "-Dmaven.repo.local=" + filepath.Join(b.dir, "m2")}, args...)...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "MAVEN_OPTS=-Djava.net.preferIPv4Stack=true", "HOME="+b.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mvn %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeJar(t *testing.T, dir, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("META-INF/MANIFEST.MF")
	_, _ = io.WriteString(w, "Manifest-Version: 1.0\n")
	w, _ = zw.Create("hello.txt")
	_, _ = io.WriteString(w, content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fetch(t *testing.T, method, u, tok string, status int) string {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	req.SetBasicAuth("aws", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d (%s)", method, u, resp.StatusCode, status, b)
	}
	return string(b)
}

func sha1hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}
