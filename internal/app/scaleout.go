package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	blobfs "github.com/wharf-dev/wharf/internal/blob/fs"
	blobs3 "github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/coord"
	"github.com/wharf-dev/wharf/internal/coord/pglock"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/keys/awskms"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/store"
)

// blobBackend opens where blobs live: DATA/blobs, or the --blobs S3 bucket.
func blobBackend(ctx context.Context, cfg *config.Config) (blob.Backend, error) {
	bucket, prefix, ok := cfg.ScaleOut.S3Location()
	if !ok {
		disk, err := blobfs.New(filepath.Join(cfg.DataDir, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("opening blob store: %w", err)
		}
		return disk, nil
	}
	so := cfg.ScaleOut
	ac, err := awsConfig(ctx, so.S3Region, so.S3Profile)
	if err != nil {
		return nil, fmt.Errorf("--blobs %s: %w", so.Blobs, err)
	}
	client := s3.NewFromConfig(ac, func(o *s3.Options) {
		if so.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(so.S3Endpoint)
		}
		o.UsePathStyle = so.S3PathStyle
	})
	return blobs3.New(ctx, client, bucket, prefix, blobs3.Options{})
}

// awsConfig is the SDK's standard configuration (environment, shared files,
// instance and task roles), narrowed to a region and profile when given.
func awsConfig(ctx context.Context, region, profile string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	return awsconfig.LoadDefaultConfig(ctx, opts...)
}

// domainKeyProvider returns what wraps domains' data keys: the local provider,
// or with --kms aws a router sending every key ARN to AWS KMS except those
// that only this wharf knows (its stand-in for the aws/codeartifact default
// key, and keys of its own KMS subset), which the local provider keeps.
func domainKeyProvider(ctx context.Context, cfg *config.Config, local *keys.Local, st store.Store) (keys.Provider, error) {
	if cfg.ScaleOut.KMS != "aws" {
		return local, nil
	}
	so := cfg.ScaleOut
	ac, err := awsConfig(ctx, so.KMSRegion, so.KMSProfile)
	if err != nil {
		return nil, fmt.Errorf("--kms aws: %w", err)
	}
	client := kms.NewFromConfig(ac, func(o *kms.Options) {
		if so.KMSEndpoint != "" {
			o.BaseEndpoint = aws.String(so.KMSEndpoint)
		}
	})
	return &routedKeys{local: local, aws: &awskms.Provider{Client: client}, st: st}, nil
}

type routedKeys struct {
	local keys.Provider
	aws   keys.Provider
	st    store.Store
}

func (r *routedKeys) pick(ctx context.Context, keyARN string) (keys.Provider, error) {
	a, err := model.ParseARN(keyARN)
	if err != nil || a.Service != "kms" {
		return r.local, nil
	}
	if keyARN == service.DefaultEncryptionKey(a.Region, a.Account) {
		return r.local, nil
	}
	if id, ok := strings.CutPrefix(a.Resource, "key/"); ok {
		_, err := r.st.GetKMSKey(ctx, a.Account, id)
		switch {
		case err == nil:
			return r.local, nil
		case !apperr.Is(err, apperr.NotFound):
			return nil, err
		}
	}
	return r.aws, nil
}

func (r *routedKeys) GenerateDataKey(ctx context.Context, keyARN string) ([]byte, []byte, error) {
	p, err := r.pick(ctx, keyARN)
	if err != nil {
		return nil, nil, err
	}
	return p.GenerateDataKey(ctx, keyARN)
}

func (r *routedKeys) Decrypt(ctx context.Context, keyARN string, wrapped []byte) ([]byte, error) {
	p, err := r.pick(ctx, keyARN)
	if err != nil {
		return nil, err
	}
	return p.Decrypt(ctx, keyARN, wrapped)
}

// clusterLock is what makes replicas on one PostgreSQL fetch a cold upstream
// asset once between them; with SQLite one process owns the data and
// in-process coalescing suffices.
func (a *App) clusterLock() (coord.Locker, error) {
	if a.cfg.Database == "" {
		return coord.Local{}, nil
	}
	l, err := pglock.New(context.Background(), a.cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("cluster lock: %w", err)
	}
	a.pglock = l
	return l, nil
}

func (a *App) closeClusterLock() {
	if a.pglock != nil {
		a.pglock.Close()
	}
}
