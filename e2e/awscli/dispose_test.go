package awscli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDisposeRemovesAssetsAndBlob: dispose through the aws CLI deletes the
// version's assets (list-package-version-assets lists none, the domain's
// assetSizeBytes shrinks) and removes the blob file from the data
// directory, while a blob another version still references stays.
func TestDisposeRemovesAssetsAndBlob(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is not on PATH; it ships with this machine image (pip install awscli elsewhere)")
	}
	bin := wharfBinary(t)
	data := t.TempDir()
	url, _ := startWharf(t, bin, data)
	home := t.TempDir()
	c := cli{t: t, url: url, env: cleanEnv(map[string]string{
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(data, "admin-credentials"), "AWS_PROFILE": "wharf",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "HOME": home,
	})}
	c.run(nil, "codeartifact", "create-domain", "--domain", "acme")
	c.run(nil, "codeartifact", "create-repository", "--domain", "acme", "--repository", "files")

	write := func(name, content string) (path, sum string) {
		path = filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte(content))
		return path, hex.EncodeToString(h[:])
	}
	publish := func(version, asset, path, sum string) {
		c.run(nil, "codeartifact", "publish-package-version", "--domain", "acme", "--repository", "files",
			"--format", "generic", "--namespace", "tools", "--package", "cli", "--package-version", version,
			"--asset-name", asset, "--asset-content", path, "--asset-sha256", sum)
	}
	onlyPath, onlySum := write("cli-1.bin", "the bytes of version 1 only")
	otherPath, otherSum := write("notes.txt", "notes of version 2")
	publish("1.0.0", "cli-1.bin", onlyPath, onlySum)
	publish("2.0.0", "notes.txt", otherPath, otherSum)
	// An unfinished 3.0.0 carries the same bytes as 1.0.0 (one blob, two references).
	c.run(nil, "codeartifact", "publish-package-version", "--domain", "acme", "--repository", "files",
		"--format", "generic", "--namespace", "tools", "--package", "cli", "--package-version", "3.0.0",
		"--asset-name", "cli-1.bin", "--asset-content", onlyPath, "--asset-sha256", onlySum, "--unfinished")

	blobFile := func(sum string) string {
		return filepath.Join(data, "blobs", "000000000000%2Facme", "sha256", sum[0:2], sum[2:4], sum)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if !exists(blobFile(onlySum)) || !exists(blobFile(otherSum)) {
		t.Fatalf("blob files not where the disk store keeps them: %s", blobFile(onlySum))
	}
	var dom struct {
		Domain struct{ AssetSizeBytes int64 }
	}
	c.run(&dom, "codeartifact", "describe-domain", "--domain", "acme")
	before := dom.Domain.AssetSizeBytes

	dispose := func(version string) {
		var out struct {
			SuccessfulVersions map[string]struct{ Status string }
		}
		c.run(&out, "codeartifact", "dispose-package-versions", "--domain", "acme", "--repository", "files",
			"--format", "generic", "--namespace", "tools", "--package", "cli", "--versions", version)
		if out.SuccessfulVersions[version].Status != "Disposed" {
			t.Fatalf("dispose-package-versions %s: %+v", version, out)
		}
	}
	// 1.0.0's blob is still referenced by the unfinished 3.0.0: it stays.
	dispose("1.0.0")
	var assets struct{ Assets []struct{ Name string } }
	c.run(&assets, "codeartifact", "list-package-version-assets", "--domain", "acme", "--repository", "files",
		"--format", "generic", "--namespace", "tools", "--package", "cli", "--package-version", "1.0.0")
	if len(assets.Assets) != 0 {
		t.Fatalf("list-package-version-assets after dispose: %+v; want none", assets.Assets)
	}
	if !exists(blobFile(onlySum)) {
		t.Fatal("dispose removed a blob another version still references")
	}
	// Disposing 3.0.0 drops the last reference: the file goes.
	dispose("3.0.0")
	if exists(blobFile(onlySum)) {
		t.Fatal("the blob file of the disposed versions is still in the data directory")
	}
	if !exists(blobFile(otherSum)) {
		t.Fatal("dispose removed 2.0.0's blob")
	}
	c.run(&dom, "codeartifact", "describe-domain", "--domain", "acme")
	if want := before - int64(len("the bytes of version 1 only")); dom.Domain.AssetSizeBytes != want {
		t.Fatalf("assetSizeBytes after dispose = %d; want %d (was %d)", dom.Domain.AssetSizeBytes, want, before)
	}
	var repo struct {
		Repository struct{ AssetSizeBytes *int64 }
	}
	c.run(&repo, "codeartifact", "describe-repository", "--domain", "acme", "--repository", "files")
	if r := repo.Repository.AssetSizeBytes; r != nil && *r != dom.Domain.AssetSizeBytes {
		t.Fatalf("describe-repository assetSizeBytes = %d; want %d", *r, dom.Domain.AssetSizeBytes)
	}
}
