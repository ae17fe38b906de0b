package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScaleOutFlags(t *testing.T) {
	env := map[string]string{"WHARF_BLOBS": "s3://acme-blobs/prod/wharf", "WHARF_KMS": "aws"}
	c, err := ParseServe([]string{"--s3-endpoint", "http://127.0.0.1:9000", "--s3-path-style", "--kms-region", "eu-west-1"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	b, p, ok := c.ScaleOut.S3Location()
	if !ok || b != "acme-blobs" || p != "prod/wharf" || !c.ScaleOut.S3PathStyle || c.ScaleOut.KMS != "aws" || c.ScaleOut.KMSRegion != "eu-west-1" {
		t.Fatalf("parsed %+v", c.ScaleOut)
	}
	for _, bad := range [][]string{
		{"--blobs", "/var/lib/blobs"},
		{"--blobs", "s3://A_B/x"},
		{"--blobs", "s3://user:pw@bucket/x"},
		{"--s3-endpoint", "http://x"}, // without --blobs
		{"--blobs", "s3://bucket", "--s3-endpoint", "ftp://x"},
		{"--kms", "vault"},
		{"--kms-region", "eu-west-1"}, // without --kms aws
	} {
		if _, err := ParseServe(bad, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// The README's production configuration is a valid file.
func TestReadmeProductionConfig(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "# /etc/wharf/wharf.yaml")
	if !ok {
		t.Fatal("README has no production configuration block")
	}
	yaml, _, _ := strings.Cut(rest, "```")
	path := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(path, []byte("#"+yaml), 0o600); err != nil { // the rest of the comment line
		t.Fatal(err)
	}
	c, err := CheckFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.ScaleOut.S3Location(); !ok || c.ScaleOut.KMS != "aws" || c.Database == "" {
		t.Fatalf("README production config parsed as %+v", c.ScaleOut)
	}
}
