package pypi_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestRefusedUploadsKeepNoBytes: uploads refused for a wrong md5_digest or
// because the file already exists leave no blob behind.
func TestRefusedUploadsKeepNoBytes(t *testing.T) {
	srv := apptest.Start(t)
	const dom = "pyorphans"
	ca := setup(t, srv, dom, []string{"repo-a"}, nil, nil)
	tok := token(t, ca, dom)
	ep := endpoint(t, ca, dom, "repo-a")
	const file = "orph-1.0-py3-none-any.whl"
	post := func(content []byte, md5hex string) int {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range map[string]string{":action": "file_upload", "protocol_version": "1", "name": "orph", "version": "1.0",
			"filetype": "bdist_wheel", "pyversion": "py3", "metadata_version": "2.1", "md5_digest": md5hex} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("content", file)
		_, _ = fw.Write(content)
		_ = mw.Close()
		req, _ := http.NewRequest("POST", ep, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.SetBasicAuth("aws", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	kept := func(content []byte) bool {
		sum := sha256.Sum256(content)
		name := hex.EncodeToString(sum[:])
		found := false
		_ = filepath.WalkDir(srv.DataDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == name {
				found = true
			}
			return nil
		})
		return found
	}

	bad := []byte("wheel with a wrong md5")
	if st := post(bad, strings.Repeat("0", 32)); st != http.StatusBadRequest {
		t.Fatalf("wrong md5_digest: %d, want 400", st)
	}
	if kept(bad) {
		t.Fatalf("the upload refused for its md5_digest kept its bytes")
	}
	// Real wheels: an upload must be a distribution of what the form claims.
	wheel := func(value string) []byte {
		b, err := os.ReadFile(dist{Name: "orph", Version: "1.0", Module: "orph", Value: value}.wheel(t, t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := wheel("the first wheel")
	if st := post(good, md5hex(good)); st != http.StatusOK {
		t.Fatalf("upload: %d", st)
	}
	if !kept(good) {
		t.Fatalf("the accepted upload's blob is not under the data directory: the checks prove nothing")
	}
	other := wheel("another wheel of the same name")
	if st := post(other, md5hex(other)); st != http.StatusConflict {
		t.Fatalf("re-upload of an existing file: %d, want 409", st)
	}
	if kept(other) {
		t.Fatalf("the refused re-upload kept its bytes")
	}
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}
