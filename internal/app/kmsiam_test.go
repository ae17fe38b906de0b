package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	catypes "github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// KMS operations are IAM decisions: the key policy must allow, naming the
// caller or delegating to its account's identity policies (the default
// policy's "Enable IAM User Permissions"); an explicit Deny anywhere refuses;
// CreateKey/ListKeys/ListAliases are identity-only.
func TestKMSUnderIAM(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := kms.NewFromConfig(srv.AWSConfig())
	key := aws.ToString(must(admin.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("default policy")})).KeyMetadata.Arn)

	nobody := newUser(t, srv, apptest.Account, "nobody")
	nk := kms.NewFromConfig(srv.AWSConfig(nobody.AccessKeyID, nobody.SecretAccessKey))
	denied := func(what string, err error) {
		t.Helper()
		// The SDK models no AccessDeniedException type for KMS: the code is compared.
		if err == nil || !strings.Contains(err.Error(), "api error AccessDeniedException") {
			t.Fatalf("%s: want AccessDeniedException, got %v", what, err)
		}
	}
	_, err := nk.CreateKey(ctx, &kms.CreateKeyInput{})
	denied("CreateKey without permissions", err)
	_, err = nk.ListKeys(ctx, &kms.ListKeysInput{})
	denied("ListKeys without permissions", err)
	_, err = nk.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key)})
	denied("DescribeKey without permissions", err)
	if !strings.Contains(err.Error(), "user/nobody is not authorized to perform: kms:DescribeKey on resource: "+key) {
		t.Fatalf("refusal does not name principal, action and key: %v", err)
	}

	// The default key policy delegates to identity policies.
	dev := newUser(t, srv, apptest.Account, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"`+key+`"}]}`)
	dk := kms.NewFromConfig(srv.AWSConfig(dev.AccessKeyID, dev.SecretAccessKey))
	blob := must(dk.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("secret")})).CiphertextBlob
	if pt := must(dk.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})).Plaintext; string(pt) != "secret" {
		t.Fatalf("Decrypt = %q", pt)
	}
	_, err = dk.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key)})
	denied("DescribeKey outside the identity policy", err)
	_, err = dk.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(key)})
	denied("ScheduleKeyDeletion outside the identity policy", err)

	// A key policy without the delegation: identity policies no longer suffice,
	// naming the user does.
	must(admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":["kms:PutKeyPolicy","kms:GetKeyPolicy","kms:DescribeKey"],"Resource":"*"},
	  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/nobody"},"Action":"kms:Encrypt","Resource":"*"}]}`)}))
	_, err = dk.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x")})
	denied("Encrypt allowed by identity only, key policy silent", err)
	if !strings.Contains(err.Error(), "no resource-based policy allows the kms:Encrypt action") {
		t.Fatalf("refusal reason: %v", err)
	}
	must(nk.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x")}))
	_, err = admin.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x")})
	denied("root, key policy not delegating Encrypt", err)

	// An explicit Deny in the key policy binds even a named principal.
	must(admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"},
	  {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/dev"},"Action":"kms:Decrypt","Resource":"*"}]}`)}))
	must(dk.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x")}))
	_, err = dk.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})
	denied("Decrypt denied by the key policy", err)

	// A key policy IAM's evaluation cannot decide is refused when put.
	_, err = admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*","Condition":{"NoSuchOperator":{"kms:ViaService":"x"}}}]}`)})
	var malformed *kmstypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) {
		t.Fatalf("undecidable key policy: %v", err)
	}

	// CreateDomain with a key needs kms:DescribeKey on it.
	ca := srv.CodeArtifact(dev.AccessKeyID, dev.SecretAccessKey)
	// dev's identity policy grants no CodeArtifact permission: one is added.
	must(srv.IAM().PutUserPolicy(ctx, putUserPolicy("dev", "ca", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:CreateDomain","Resource":"*"}]}`)))
	_, err = ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("keyed"), EncryptionKey: aws.String(key)})
	var cad *catypes.AccessDeniedException
	if !errors.As(err, &cad) || !strings.Contains(err.Error(), "kms:DescribeKey") {
		t.Fatalf("CreateDomain without kms:DescribeKey on its key: %v", err)
	}
	must(srv.IAM().PutUserPolicy(ctx, putUserPolicy("dev", "describe", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"`+key+`"}]}`)))
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("keyed"), EncryptionKey: aws.String(key)}))
}

func putUserPolicy(user, name, doc string) *iamsdk.PutUserPolicyInput {
	return &iamsdk.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}
}
