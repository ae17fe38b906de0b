// Package streamcheck lets a format check an upload while it streams to the
// blob store, so that an upload that fails the check is never committed: the
// blob store reads a Reader that feeds every byte to the check and reports
// the end of the stream only once the check has passed.
package streamcheck

import (
	"errors"
	"io"
)

// Reader is the stream the blob store reads.
type Reader struct {
	r    io.Reader
	pw   *io.PipeWriter
	done chan error
	// AtEOF, when set, runs when r ends, before the check's verdict is
	// awaited (e.g. the body must have nothing after the file); its error
	// fails the stream.
	AtEOF func() error
	fail  error
}

// CheckError is a check's failure as the stream reports it (errors.As).
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// New starts check reading a copy of r. check must read its input to the
// end or return an error; the rest is drained for it.
func New(r io.Reader, check func(io.Reader) error) *Reader {
	pr, pw := io.Pipe()
	c := &Reader{r: r, pw: pw, done: make(chan error, 1)}
	go func() {
		err := check(pr)
		if err != nil {
			pr.CloseWithError(err) // the next write, and so the store's read, fails
		} else {
			_, _ = io.Copy(io.Discard, pr)
		}
		c.done <- err
	}()
	return c
}

func (c *Reader) Read(p []byte) (int, error) {
	if c.fail != nil {
		return 0, c.fail
	}
	n, err := c.r.Read(p)
	if n > 0 {
		if _, werr := c.pw.Write(p[:n]); werr != nil {
			c.fail = c.verdict(werr)
			return 0, c.fail
		}
	}
	if errors.Is(err, io.EOF) {
		if c.AtEOF != nil {
			if aerr := c.AtEOF(); aerr != nil {
				c.fail = aerr
				c.Stop()
				return 0, c.fail
			}
		}
		_ = c.pw.Close()
		if cerr := c.wait(); cerr != nil {
			c.fail = &CheckError{Err: cerr}
			return 0, c.fail
		}
		return n, io.EOF
	}
	if err != nil {
		c.fail = err
		return n, err
	}
	return n, nil
}

// verdict is the check's error after a failed write (the check closed the
// pipe with it).
func (c *Reader) verdict(werr error) error {
	if cerr := c.wait(); cerr != nil {
		return &CheckError{Err: cerr}
	}
	return werr
}

func (c *Reader) wait() error {
	if c.done == nil {
		return nil
	}
	err := <-c.done
	c.done = nil
	return err
}

// Stop ends the check if the store stopped reading early; call it (deferred)
// after the store returns.
func (c *Reader) Stop() {
	_ = c.pw.CloseWithError(errors.New("stopped"))
	_ = c.wait()
}

// Err is the error the stream failed with, if any (the check's is a *CheckError).
func (c *Reader) Err() error { return c.fail }
