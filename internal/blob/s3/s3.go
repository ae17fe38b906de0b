// Package s3 stores blobs in an S3-compatible object store (AWS S3, SeaweedFS,
// MinIO, Ceph RGW, ...) through aws-sdk-go-v2.
//
// Layout under the configured bucket and prefix:
//
//	<prefix><ns-escaped>/<sha256 hex>    committed objects
//	<prefix>.incoming/<random>           large objects being written
//
// The namespace is escaped as the fs backend escapes it (every byte outside
// [A-Za-z0-9_-] becomes %XX), so no namespace can name ".incoming", reach
// another namespace, or contain "/" or ".." that a server might normalise.
//
// Why two write paths: an object's key is the SHA-256 of its content, known
// only after the last byte, while S3 fixes a key when an upload starts.
//   - Small objects (up to PartSize, i.e. nearly every package) are held in one
//     bounded buffer and written with a single PutObject under their final key
//     at Commit.
//   - Larger ones stream as a multipart upload (feature/s3/manager, a fixed
//     number of part buffers: constant memory however large the object) under
//     a temporary key, then Commit copies them server-side to the final key and
//     deletes the temporary one.
//
// Both paths are safe when replicas put the same content at once: a PUT or a
// copy replaces an object atomically, and every writer of a key writes the
// same bytes (the key names them), so readers see one whole object or none.
package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

const (
	incomingDir = ".incoming/"
	// staleAfter is how old a leftover temporary object or multipart upload
	// must be before New removes it: generous, so a slow upload by another
	// replica survives.
	staleAfter = 24 * time.Hour
	maxNSLen   = 200
	// DefaultPartSize is the multipart part size and the largest object
	// written with one PutObject. 8 MiB holds nearly every package in one
	// request; with partConcurrency parts in flight a large upload holds
	// about 3 × 8 MiB whatever its size.
	DefaultPartSize = 8 << 20
	partConcurrency = 2
	// maxCopySize is the largest object CopyObject copies in one request;
	// larger ones are copied part by part (UploadPartCopy).
	maxCopySize  = 5 << 30
	copyPartSize = 1 << 30
)

// Store is an S3 blob.Store and blob.Backend.
type Store struct {
	client   *s3.Client
	uploader *manager.Uploader
	bucket   string
	prefix   string
	partSize int64
}

var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Backend = (*Store)(nil)
	_ blob.Lister  = (*Store)(nil)
)

// Options configure New.
type Options struct {
	// PartSize overrides DefaultPartSize (at least 5 MiB, S3's minimum part).
	PartSize int64
}

// New returns a store of the objects under prefix in bucket, checks that the
// bucket is reachable, and removes temporary objects and multipart uploads
// that crashed writers left more than a day ago.
func New(ctx context.Context, client *s3.Client, bucket, prefix string, o Options) (*Store, error) {
	if bucket == "" {
		return nil, errors.New("blob/s3: a bucket is required")
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	ps := o.PartSize
	if ps == 0 {
		ps = DefaultPartSize
	}
	if ps < manager.MinUploadPartSize {
		return nil, fmt.Errorf("blob/s3: part size %d is under S3's minimum of %d", ps, manager.MinUploadPartSize)
	}
	s := &Store{client: client, bucket: bucket, prefix: prefix, partSize: ps}
	s.uploader = manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = ps
		u.Concurrency = partConcurrency
	})
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
		return nil, fmt.Errorf("blob/s3: bucket %s: %w", bucket, err)
	}
	s.removeStale(ctx, time.Now().Add(-staleAfter))
	return s, nil
}

// removeStale deletes what writers that crashed long ago left behind. Errors
// are ignored: this is housekeeping, and the next start tries again.
func (s *Store) removeStale(ctx context.Context, before time.Time) {
	in := s.prefix + incomingDir
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &in})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			if o.LastModified != nil && o.LastModified.Before(before) {
				s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: o.Key})
			}
		}
	}
	ups, err := s.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &in})
	if err != nil {
		return
	}
	for _, u := range ups.Uploads {
		if u.Initiated != nil && u.Initiated.Before(before) {
			s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId})
		}
	}
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string) (model.Hashes, int64, error) {
	return blob.PutContent(ctx, s, ns, r, expectSHA256)
}

// Create implements blob.Backend.
func (s *Store) Create(ctx context.Context, ns string) (blob.Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, err := s.nsPrefix(ns)
	if err != nil {
		return nil, err
	}
	return &pending{s: s, ctx: ctx, nsPrefix: dir}, nil
}

// Open implements blob.Store and blob.Backend.
func (s *Store) Open(ctx context.Context, ns, key string) (io.ReadCloser, int64, error) {
	k, err := s.objectKey(ctx, ns, key)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return nil, 0, s.s3Err(err, ns, key)
	}
	size := aws.ToInt64(out.ContentLength)
	// net/http fails a body shorter than its Content-Length with
	// io.ErrUnexpectedEOF; exactReader also refuses one that is longer.
	return &exactReader{rc: out.Body, left: size}, size, nil
}

// Stat implements blob.Store and blob.Backend.
func (s *Store) Stat(ctx context.Context, ns, key string) (int64, error) {
	k, err := s.objectKey(ctx, ns, key)
	if err != nil {
		return 0, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return 0, s.s3Err(err, ns, key)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Delete implements blob.Store and blob.Backend; S3 deletes are idempotent.
func (s *Store) Delete(ctx context.Context, ns, key string) error {
	k, err := s.objectKey(ctx, ns, key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &k}); err != nil {
		if isNotFound(err) {
			return nil
		}
		return s.s3Err(err, ns, key)
	}
	return nil
}

func (s *Store) s3Err(err error, ns, key string) error {
	if isNotFound(err) {
		return apperr.NotFoundf("asset", key, "blob %s not found in %s", key, ns)
	}
	var ctxErr error
	switch {
	case errors.Is(err, context.Canceled):
		ctxErr = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil {
		return ctxErr
	}
	return apperr.New(apperr.Internal, "blob/s3: %s", key).Wrap(err)
}

// isNotFound: GetObject answers NoSuchKey, HeadObject (no body) a bare 404.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

func (s *Store) objectKey(ctx context.Context, ns, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	dir, err := s.nsPrefix(ns)
	if err != nil {
		return "", err
	}
	key, err = blob.NormalizeSHA256(key)
	if err != nil {
		return "", err
	}
	return dir + key, nil
}

func (s *Store) nsPrefix(ns string) (string, error) {
	esc := blob.EscapeNamespace(ns)
	if ns == "" || len(esc) > maxNSLen {
		return "", apperr.Validationf("invalid blob namespace %q", ns)
	}
	return s.prefix + esc + "/", nil
}

// Namespaces implements blob.Lister: the namespace "directories" directly
// under the prefix (one delimited listing), less the temporary uploads'.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	var out []string
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket, Prefix: aws.String(s.prefix), Delimiter: aws.String("/"),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s.listErr(err, "namespaces")
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), s.prefix), "/")
			if name+"/" == incomingDir {
				continue
			}
			if ns, ok := blob.UnescapeNamespace(name); ok {
				out = append(out, ns)
			}
		}
	}
	return out, nil
}

// List implements blob.Lister, paging through ns's objects. An object's
// LastModified is when it was last stored: both commit paths write the
// final key again for content already present (a PutObject or a copy).
// Temporary upload objects live under <prefix>.incoming/, outside every
// namespace; anything else that is not a committed key (a directory marker
// some servers show, an object put there by hand) is skipped, never offered
// to the collector.
func (s *Store) List(ctx context.Context, ns string, fn func(key string, stored time.Time) error) error {
	dir, err := s.nsPrefix(ns)
	if err != nil {
		return err
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &dir})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return s.listErr(err, ns)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), dir)
			if !blob.ValidSHA256(key) || o.LastModified == nil {
				continue
			}
			if err := fn(key, *o.LastModified); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) listErr(err error, what string) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return apperr.New(apperr.Internal, "blob/s3: list %s", what).Wrap(err)
}

// pending buffers up to partSize bytes; past that it streams the object into
// a multipart upload of a temporary key running in its own goroutine.
type pending struct {
	s        *Store
	ctx      context.Context
	nsPrefix string
	buf      []byte
	done     bool

	// Set once the object outgrew buf.
	tmpKey string
	pw     *io.PipeWriter
	result chan error
	size   int64
}

var errAborted = errors.New("blob/s3: upload aborted")

func (p *pending) Write(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("blob/s3: write after commit or abort")
	}
	if p.pw == nil {
		if int64(len(p.buf)+len(b)) <= p.s.partSize {
			if p.buf == nil {
				p.buf = make([]byte, 0, min(p.s.partSize, 64<<10))
			}
			p.buf = append(p.buf, b...)
			return len(b), nil
		}
		if err := p.spill(); err != nil {
			return 0, err
		}
	}
	n, err := p.pw.Write(b)
	p.size += int64(n)
	return n, err
}

// spill starts the multipart upload and hands it what was buffered.
func (p *pending) spill() error {
	var r [16]byte
	rand.Read(r[:])
	p.tmpKey = p.s.prefix + incomingDir + hex.EncodeToString(r[:])
	pr, pw := io.Pipe()
	p.pw, p.result = pw, make(chan error, 1)
	go func() {
		_, err := p.s.uploader.Upload(p.ctx, &s3.PutObjectInput{Bucket: &p.s.bucket, Key: &p.tmpKey, Body: pr})
		// Unblock a writer if the upload failed before reading everything.
		pr.CloseWithError(cmpErr(err, errAborted))
		p.result <- err
	}()
	buffered := p.buf
	p.buf = nil
	n, err := pw.Write(buffered)
	p.size += int64(n)
	return err
}

func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func (p *pending) Commit(key string) error {
	if p.done {
		return errors.New("blob/s3: commit after commit or abort")
	}
	if !blob.ValidSHA256(key) {
		return apperr.Validationf("invalid blob key %q", key)
	}
	p.done = true
	final := p.nsPrefix + key
	if p.pw == nil {
		body := p.buf
		p.buf = nil
		_, err := p.s.client.PutObject(p.ctx, &s3.PutObjectInput{
			Bucket: &p.s.bucket, Key: &final, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		})
		if err != nil {
			return p.s.s3Err(err, "", key)
		}
		return nil
	}
	p.pw.Close()
	if err := <-p.result; err != nil {
		return p.s.s3Err(err, "", key)
	}
	defer p.s.client.DeleteObject(context.WithoutCancel(p.ctx), &s3.DeleteObjectInput{Bucket: &p.s.bucket, Key: &p.tmpKey})
	// Copied even when the key is already stored (by an earlier put or
	// another replica): the copy holds the same bytes, and it renews the
	// object's LastModified, which List reports as when it was last stored —
	// the blob collector must not take an object a writer just committed
	// again for an old orphan.
	if err := p.s.copyObject(p.ctx, p.tmpKey, final, p.size); err != nil {
		return p.s.s3Err(err, "", key)
	}
	return nil
}

func (p *pending) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.buf = nil
	if p.pw != nil {
		// The uploader sees the error, aborts the multipart upload and returns.
		p.pw.CloseWithError(errAborted)
		<-p.result
		// A small object may have been sent as one PutObject before the
		// reader failed: remove it (idempotent when absent).
		p.s.client.DeleteObject(context.WithoutCancel(p.ctx), &s3.DeleteObjectInput{Bucket: &p.s.bucket, Key: &p.tmpKey})
	}
	return nil
}

// copyObject copies src to dst inside the bucket, server-side.
func (s *Store) copyObject(ctx context.Context, src, dst string, size int64) error {
	source := s.bucket + "/" + src
	if size <= maxCopySize {
		_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &s.bucket, Key: &dst, CopySource: &source})
		return err
	}
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &dst})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	var once sync.Once
	abort := func() {
		once.Do(func() {
			s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &dst, UploadId: up.UploadId})
		})
	}
	for off, n := int64(0), int32(1); off < size; off, n = off+copyPartSize, n+1 {
		end := min(off+copyPartSize, size) - 1
		rng := fmt.Sprintf("bytes=%d-%d", off, end)
		out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: &s.bucket, Key: &dst, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			CopySource: &source, CopySourceRange: &rng,
		})
		if err != nil {
			abort()
			return err
		}
		parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &dst, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		abort()
	}
	return err
}

// exactReader fails a body that runs past the size the server announced.
type exactReader struct {
	rc   io.ReadCloser
	left int64
}

func (e *exactReader) Read(b []byte) (int, error) {
	n, err := e.rc.Read(b)
	e.left -= int64(n)
	if e.left < 0 {
		return n, blob.Corrupt("object longer than its Content-Length")
	}
	if err == io.EOF && e.left > 0 {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (e *exactReader) Close() error { return e.rc.Close() }
