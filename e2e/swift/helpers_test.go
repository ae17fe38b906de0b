// Package swift_test checks the Swift package registry endpoint with
// requests shaped as SwiftPM's RegistryClient sends them (there is no swift
// client on these machines): the headers, Accept media types and multipart
// layout of `swift package-registry publish` and `swift package resolve`.
package swift_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Accept headers SwiftPM sends (RegistryClient.acceptHeader(mediaType:)).
const (
	acceptJSON  = "application/vnd.swift.registry.v1+json"
	acceptSwift = "application/vnd.swift.registry.v1+swift"
	acceptZip   = "application/vnd.swift.registry.v1+zip"
)

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// get is a read as SwiftPM makes it: the token as Bearer (what
// `swift package-registry login --token` stores, which is what
// `aws codeartifact login --tool swift` runs), the Accept of the resource.
func get(t *testing.T, url, tok, accept string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Accept", accept)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

// publishBody is the body RegistryClient.publish builds, byte for byte:
// source-archive (binary), the optional signature, metadata
// (quoted-printable declared, the JSON as is), the closing boundary.
func publishBody(boundary string, archive, signature []byte, metadata string) []byte {
	var b bytes.Buffer
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n")
	b.Write(archive)
	if signature != nil {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive-signature\"\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
		b.Write(signature)
	}
	if metadata != "" {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + metadata)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes()
}

// publish is `swift package-registry publish`: PUT {scope}/{name}/{version}
// with the headers RegistryClient sets.
func publish(t *testing.T, ep, tok, scope, name, version string, archive []byte, metadata string) response {
	t.Helper()
	boundary := strings.ToUpper(hex.EncodeToString(randBytes(16)))
	req, _ := http.NewRequest(http.MethodPut, ep+scope+"/"+name+"/"+version, bytes.NewReader(publishBody(boundary, archive, nil, metadata)))
	req.Header.Set("Content-Type", `multipart/form-data;boundary="`+boundary+`"`)
	req.Header.Set("Accept", acceptJSON)
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Prefer", "respond-async")
	req.Header.Set("Authorization", "Bearer "+tok)
	return do(t, req)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// sourceArchive is what `swift package archive-source` (and publish) makes:
// one top directory named after the package, Package.swift in it.
func sourceArchive(t *testing.T, top string, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(top + "/" + files[i])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
