package npm

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for ae, want := range map[string]bool{
		"":                      false,
		"gzip":                  true,
		"gzip, deflate, br":     true,
		"deflate, GZIP;q=0.5":   true,
		"br;q=1.0, gzip;q=0":    false,
		"gzip;q=0.000":          false,
		"x-gzip":                true,
		"identity":              false,
		"*":                     false, // wharf answers identity to a bare wildcard
		"gzipped, deflate":      false,
		"deflate,gzip ; q=0.01": true,
	} {
		if got := acceptsGzip(ae); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", ae, got, want)
		}
	}
}

func TestETagListMatches(t *testing.T) {
	tags := []string{`"abc"`, `"abc-gz"`}
	for list, want := range map[string]bool{
		`"abc"`:             true,
		`W/"abc"`:           true,
		`"x", "abc-gz"`:     true,
		`*`:                 true,
		`"abcd"`:            false,
		`abc`:               false,
		`"x" , W/"y", "ab"`: false,
	} {
		if got := etagListMatches(list, tags...); got != want {
			t.Errorf("etagListMatches(%q) = %v, want %v", list, got, want)
		}
	}
}

func TestRenderedServe(t *testing.T) {
	body := bytes.Repeat([]byte(`{"name":"x","versions":{}}`), 100)
	d := newRendered(body, "application/json", false, nil)
	get := func(h ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		w := httptest.NewRecorder()
		d.serve(w, r)
		return w
	}
	plain := get()
	if plain.Code != 200 || !bytes.Equal(plain.Body.Bytes(), body) || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("identity: %d %q", plain.Code, plain.Header())
	}
	zipped := get("Accept-Encoding", "gzip")
	if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Fatalf("gzip: %q", zipped.Header())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, body) {
		t.Fatal("gzip body does not decompress to the identity body")
	}
	for _, tag := range []string{plain.Header().Get("ETag"), zipped.Header().Get("ETag")} {
		if w := get("If-None-Match", tag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Fatalf("If-None-Match %s: %d", tag, w.Code)
		}
	}
	if w := get("If-None-Match", `"other"`); w.Code != 200 {
		t.Fatalf("If-None-Match other: %d", w.Code)
	}
	if v := plain.Header().Get("Vary"); v != "Accept, Accept-Encoding, Authorization" {
		t.Fatalf("Vary %q", v)
	}
}
