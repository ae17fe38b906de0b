package streamcheck

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	good := func(r io.Reader) error { _, err := io.ReadAll(r); return err }
	r := New(strings.NewReader("hello"), good)
	b, err := io.ReadAll(r)
	r.Stop()
	if err != nil || string(b) != "hello" || r.Err() != nil {
		t.Fatalf("%q %v %v", b, err, r.Err())
	}
	// A check failing early fails the store's read.
	early := func(r io.Reader) error { return errors.New("bad magic") }
	r = New(bytes.NewReader(make([]byte, 1<<20)), early)
	_, err = io.ReadAll(r)
	r.Stop()
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Error() != "bad magic" {
		t.Fatalf("early: %v", err)
	}
	// A check failing at the end turns the EOF into the failure.
	late := func(r io.Reader) error { _, _ = io.ReadAll(r); return errors.New("no manifest") }
	r = New(strings.NewReader("x"), late)
	_, err = io.ReadAll(r)
	r.Stop()
	if !errors.As(err, &ce) {
		t.Fatalf("late: %v", err)
	}
	// AtEOF can fail the stream.
	r = New(strings.NewReader("x"), good)
	r.AtEOF = func() error { return errors.New("trailing data") }
	_, err = io.ReadAll(r)
	r.Stop()
	if err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("AtEOF: %v", err)
	}
	// The store stopping early does not leak the check.
	r = New(strings.NewReader("abc"), good)
	_, _ = r.Read(make([]byte, 1))
	r.Stop()
}
