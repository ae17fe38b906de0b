package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// With --kms aws, a domain key ARN that is not one of wharf's own KMS keys is
// the external KMS's: CreateDomain accepts it, and the first publish asks
// that KMS (here another wharf), whose answer for a disabled key comes back
// to the client. With the local provider the same ARN is "not found".
func TestDomainKeyInExternalKMS(t *testing.T) {
	ctx := context.Background()
	external := apptest.Start(t)
	kc := kms.NewFromConfig(external.AWSConfig())
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(key.KeyMetadata.Arn)

	local := apptest.Start(t).CodeArtifact()
	_, err = local.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("dom"), EncryptionKey: &arn})
	if err == nil || !strings.Contains(err.Error(), "KMS key not found") {
		t.Fatalf("local provider, a key it does not hold: %v", err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", apptest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", apptest.SecretAccessKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ca := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) {
		c.ScaleOut.KMS, c.ScaleOut.KMSEndpoint, c.ScaleOut.KMSRegion = "aws", external.URL, apptest.Region
	}}).CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("dom"), EncryptionKey: &arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("dom"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &arn}); err != nil {
		t.Fatal(err)
	}
	body := "hello"
	_, err = ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("dom"), Repository: aws.String("repo"),
		Format: "generic", Namespace: aws.String("n"), Package: aws.String("p"), PackageVersion: aws.String("1"),
		AssetName: aws.String("f"), AssetContent: strings.NewReader(body),
		AssetSHA256: aws.String("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")})
	if err == nil || !strings.Contains(err.Error(), "DisabledException") {
		t.Fatalf("publish under a key disabled in the external KMS: %v", err)
	}
}
