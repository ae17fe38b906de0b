package config

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
)

// ScaleOut is where blobs and domain keys live when wharf runs as replicas:
// an S3 bucket instead of DATA/blobs, AWS KMS instead of the local master key.
// Credentials are never flags: the AWS SDK's standard chain (environment,
// shared files and the named profile, instance or task roles) provides them.
type ScaleOut struct {
	// Blobs is "" for DATA/blobs on local disk, or s3://BUCKET[/PREFIX].
	Blobs       string
	S3Endpoint  string // "" for AWS's own endpoint (or AWS_ENDPOINT_URL_S3)
	S3Region    string // "" for the SDK's default region
	S3PathStyle bool   // BUCKET in the path instead of the host name
	S3Profile   string // shared-config profile for S3's credentials
	// KMS is "local" (the master key derives one key per key ARN) or "aws"
	// (every domain key ARN is a key of the configured AWS KMS).
	KMS         string
	KMSEndpoint string
	KMSRegion   string
	KMSProfile  string
}

func (s *ScaleOut) register(fs *flag.FlagSet) {
	fs.StringVar(&s.Blobs, "blobs", "", "blob storage: empty for DATA/blobs on local disk, or s3://BUCKET/PREFIX (replicas sharing one bucket); also WHARF_BLOBS")
	fs.StringVar(&s.S3Endpoint, "s3-endpoint", "", "S3 endpoint URL for an S3-compatible server (default: AWS's, or AWS_ENDPOINT_URL_S3)")
	fs.StringVar(&s.S3Region, "s3-region", "", "the bucket's region (default: the AWS SDK's, e.g. AWS_REGION)")
	fs.BoolVar(&s.S3PathStyle, "s3-path-style", false, "address the bucket in the URL path (http://host/bucket/key) instead of the host name (http://bucket.host/key)")
	fs.StringVar(&s.S3Profile, "s3-profile", "", "AWS shared-config profile whose credentials S3 requests use (default: the SDK's credential chain)")
	fs.StringVar(&s.KMS, "kms", "local", "domain key provider: local (derived from the master key) or aws (each domain's encryption key ARN is an AWS KMS key)")
	fs.StringVar(&s.KMSEndpoint, "kms-endpoint", "", "AWS KMS endpoint URL, with --kms aws (default: AWS's, or AWS_ENDPOINT_URL_KMS)")
	fs.StringVar(&s.KMSRegion, "kms-region", "", "AWS KMS region, with --kms aws (default: the AWS SDK's, e.g. AWS_REGION)")
	fs.StringVar(&s.KMSProfile, "kms-profile", "", "AWS shared-config profile whose credentials KMS requests use, with --kms aws")
}

// S3Location splits --blobs s3://BUCKET/PREFIX; ok is false for local disk.
func (s *ScaleOut) S3Location() (bucket, prefix string, ok bool) {
	u, err := url.Parse(s.Blobs)
	if s.Blobs == "" || err != nil || u.Scheme != "s3" {
		return "", "", false
	}
	return u.Host, strings.Trim(u.Path, "/"), true
}

func (s *ScaleOut) validate() []error {
	var errs []error
	if s.Blobs != "" {
		if _, _, ok := s.S3Location(); !ok || !bucketRe(s.Blobs) {
			errs = append(errs, fmt.Errorf("--blobs must be empty (DATA/blobs) or s3://BUCKET/PREFIX, got %q", s.Blobs))
		}
	} else if s.S3Endpoint != "" || s.S3Region != "" || s.S3PathStyle || s.S3Profile != "" {
		errs = append(errs, errors.New("--s3-endpoint, --s3-region, --s3-path-style and --s3-profile need --blobs s3://BUCKET/PREFIX"))
	}
	for _, e := range []struct{ name, v string }{{"--s3-endpoint", s.S3Endpoint}, {"--kms-endpoint", s.KMSEndpoint}} {
		if e.v == "" {
			continue
		}
		if u, err := url.Parse(e.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL, got %q", e.name, e.v))
		}
	}
	switch s.KMS {
	case "local":
		if s.KMSEndpoint != "" || s.KMSRegion != "" || s.KMSProfile != "" {
			errs = append(errs, errors.New("--kms-endpoint, --kms-region and --kms-profile need --kms aws"))
		}
	case "aws":
	default:
		errs = append(errs, fmt.Errorf("--kms must be local or aws, got %q", s.KMS))
	}
	return errs
}

// bucketRe: S3 bucket names are 3-63 of [a-z0-9.-].
func bucketRe(blobs string) bool {
	u, _ := url.Parse(blobs)
	b := u.Host
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return u.User == nil && u.RawQuery == "" && u.Fragment == ""
}
