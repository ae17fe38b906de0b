package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/blob/envelope"
	blobs3 "github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/s3test"
)

var (
	srvOnce sync.Once
	srvDir  string
	srv     *s3test.Server
	srvErr  error
	prefixN atomic.Int64
)

// One S3 server (internal/s3test) serves the whole package, started
// by the first test that needs it (not for -test.list); every store gets its
// own prefix, so each subtest starts empty.
func TestMain(m *testing.M) {
	code := m.Run()
	if srv != nil {
		srv.Stop()
	}
	if srvDir != "" {
		os.RemoveAll(srvDir)
	}
	os.Exit(code)
}

func server(t testing.TB) *s3test.Server {
	t.Helper()
	srvOnce.Do(func() {
		if srvDir, srvErr = os.MkdirTemp("", "wharf-s3test-"); srvErr == nil {
			srv, srvErr = s3test.Launch(srvDir)
		}
	})
	if srvErr != nil {
		s3test.Need(t, srvErr)
	}
	return srv
}

func newStoreWith(t testing.TB, client func(*s3test.Server) *awss3.Client, partSize int64) *blobs3.Store {
	s := server(t)
	prefix := fmt.Sprintf("t%d/blobs", prefixN.Add(1))
	st, err := blobs3.New(context.Background(), client(s), s.Bucket, prefix, blobs3.Options{PartSize: partSize})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func pathStyle(s *s3test.Server) *awss3.Client   { return s.Client() }
func virtualHost(s *s3test.Server) *awss3.Client { return s.VirtualHostClient() }

// The smallest part size S3 allows, so the suite's 1 MiB blobs stay in the
// one-request path and the large tests below cross into multipart.
const smallPart = 5 << 20

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(tb testing.TB) blob.Store { return newStoreWith(tb, pathStyle, smallPart) })
}

func TestConformanceVirtualHost(t *testing.T) {
	blobtest.Run(t, func(tb testing.TB) blob.Store { return newStoreWith(tb, virtualHost, smallPart) })
}

// TestLister: blob.Lister, what the blob collector's periodic pass enumerates
// (largeSize crosses into multipart, whose temporary keys are never listed).
func TestLister(t *testing.T) {
	blobtest.RunLister(t, func(tb testing.TB) blob.Backend { return newStoreWith(tb, pathStyle, smallPart) }, smallPart+1)
}

func TestListerVirtualHost(t *testing.T) {
	blobtest.RunLister(t, func(tb testing.TB) blob.Backend { return newStoreWith(tb, virtualHost, smallPart) }, smallPart+1)
}

// TestConformanceEnvelope: envelope encryption over S3, unchanged.
func TestConformanceEnvelope(t *testing.T) {
	kp, err := keys.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keyFor := func(context.Context, string) (string, error) {
		return "arn:aws:kms:us-east-1:000000000000:key/test", nil
	}
	blobtest.Run(t, func(tb testing.TB) blob.Store {
		return envelope.New(newStoreWith(tb, pathStyle, smallPart), kp, keyFor)
	})
}

// TestMultipart: blobs past the part size go through a multipart upload and
// a server-side copy; failures on that path leave nothing, not even the
// temporary object.
func TestMultipart(t *testing.T) {
	st := newStoreWith(t, pathStyle, smallPart)
	ctx := context.Background()
	for _, n := range []int{smallPart, smallPart + 1, 3*smallPart + 12345} {
		data := blobtest.Data(uint64(n), n)
		h, size, err := st.Put(ctx, blobtest.NS, bytes.NewReader(data), "")
		if err != nil || size != int64(n) {
			t.Fatalf("Put(%d): %d, %v", n, size, err)
		}
		if got := blobtest.ReadAll(t, st, blobtest.NS, h.SHA256); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes read back as %d different bytes", n, len(got))
		}
		// Same content again: accepted, and still whole.
		if _, _, err := st.Put(ctx, blobtest.NS, bytes.NewReader(data), h.SHA256); err != nil {
			t.Fatal(err)
		}
	}
	// Mismatch and a reader failing mid-way past the first part.
	big := blobtest.Data(99, 2*smallPart+7)
	if _, _, err := st.Put(ctx, blobtest.NS, bytes.NewReader(big), strings.Repeat("0", 64)); err == nil {
		t.Fatal("mismatching SHA-256 accepted")
	}
	if _, _, err := st.Put(ctx, blobtest.NS, io.MultiReader(bytes.NewReader(big), errReader{}), ""); err == nil {
		t.Fatal("failing reader accepted")
	}
	s := server(t)
	out, err := s.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &s.Bucket, Prefix: aws.String("")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		if strings.Contains(aws.ToString(o.Key), ".incoming/") {
			t.Errorf("temporary object left behind: %s", aws.ToString(o.Key))
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("connection reset") }

// TestConcurrentReplicasSameLargeContent: two stores (as two replicas) put
// the same multipart-sized content at once, several times; every Put succeeds
// and the object reads back whole.
func TestConcurrentReplicasSameLargeContent(t *testing.T) {
	s := server(t)
	prefix := fmt.Sprintf("t%d/blobs", prefixN.Add(1))
	var stores []*blobs3.Store
	for range 2 {
		st, err := blobs3.New(context.Background(), s.Client(), s.Bucket, prefix, blobs3.Options{PartSize: smallPart})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, st)
	}
	data := blobtest.Data(5, 2*smallPart+99)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, _, err := stores[i%2].Put(context.Background(), blobtest.NS, bytes.NewReader(data), blobtest.Digests(data).SHA256)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range stores {
		if got := blobtest.ReadAll(t, st, blobtest.NS, blobtest.Digests(data).SHA256); !bytes.Equal(got, data) {
			t.Fatal("content read back wrong")
		}
	}
}

func BenchmarkStore(b *testing.B) {
	blobtest.Bench(b, func(tb testing.TB) blob.Store { return newStoreWith(tb, pathStyle, 0) })
}

// TestListerSkipsOtherKeys: what is under the prefix but is not a committed
// blob — a temporary upload object, a name that is not a SHA-256, a
// directory no namespace escapes to — is never offered to the collector.
func TestListerSkipsOtherKeys(t *testing.T) {
	s := server(t)
	prefix := fmt.Sprintf("t%d/blobs", prefixN.Add(1))
	st, err := blobs3.New(context.Background(), s.Client(), s.Bucket, prefix, blobs3.Options{PartSize: smallPart})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sha := blobtest.Digests([]byte("x")).SHA256
	for _, k := range []string{
		".incoming/0123456789abcdef0123456789abcdef",
		"000000000000%2Fblobtest/not-a-digest",
		"000000000000%2Fblobtest/" + strings.ToUpper(sha),
		"000000000000%2Fblobtest/sub/" + sha,
		"bad%zz/" + sha,
		"plain.dot/" + sha,
	} {
		if _, err := s.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: &s.Bucket, Key: aws.String(prefix + "/" + k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	nss, err := st.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nss) != 1 || nss[0] != blobtest.NS {
		t.Errorf("Namespaces = %q, want only %q", nss, blobtest.NS)
	}
	err = st.List(ctx, blobtest.NS, func(key string, _ time.Time) error {
		t.Errorf("List offered %q", key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
