package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	catypes "github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/apptest"
)

func kmsClient(s *apptest.Server) *kms.Client { return kms.NewFromConfig(s.AWSConfig()) }

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// wantAPIError checks err is a typed SDK error T (when T is not smithy.APIError
// itself) with the given error code.
func wantAPIError[T error](t *testing.T, err error, code, what string) {
	t.Helper()
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("%s: got %v (%T), want %T", what, err, err, typed)
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("%s: got %v, want error code %s", what, err, code)
	}
}

func newKey(t *testing.T, c *kms.Client, desc string) *types.KeyMetadata {
	t.Helper()
	out := must[*kms.CreateKeyOutput](t, "CreateKey")(c.CreateKey(t.Context(), &kms.CreateKeyInput{
		Description: aws.String(desc),
		Tags:        []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("platform")}},
	}))
	return out.KeyMetadata
}

func TestKMSKeyLifecycle(t *testing.T) {
	s := apptest.Start(t)
	c := kmsClient(s)
	ctx := t.Context()

	md := newKey(t, c, "codeartifact domain key")
	if md.KeyState != types.KeyStateEnabled || !md.Enabled || md.Origin != types.OriginTypeAwsKms ||
		md.KeySpec != types.KeySpecSymmetricDefault || md.KeyUsage != types.KeyUsageTypeEncryptDecrypt ||
		aws.ToBool(md.MultiRegion) || md.KeyManager != types.KeyManagerTypeCustomer ||
		aws.ToString(md.AWSAccountId) != apptest.Account || md.CreationDate == nil {
		t.Errorf("CreateKey metadata = %+v", md)
	}
	wantARN := "arn:aws:kms:" + apptest.Region + ":" + apptest.Account + ":key/" + aws.ToString(md.KeyId)
	if aws.ToString(md.Arn) != wantARN {
		t.Errorf("Arn = %s, want %s", aws.ToString(md.Arn), wantARN)
	}
	id := aws.ToString(md.KeyId)

	// DescribeKey by id and by ARN.
	for _, ref := range []string{id, wantARN} {
		d := must[*kms.DescribeKeyOutput](t, "DescribeKey "+ref)(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)}))
		if aws.ToString(d.KeyMetadata.Description) != "codeartifact domain key" || aws.ToString(d.KeyMetadata.KeyId) != id {
			t.Errorf("DescribeKey(%s) = %+v", ref, d.KeyMetadata)
		}
	}

	// The default policy lets the account's IAM decide; PutKeyPolicy replaces it.
	pol := must[*kms.GetKeyPolicyOutput](t, "GetKeyPolicy")(c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default")}))
	var doc map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil || !strings.Contains(aws.ToString(pol.Policy), "arn:aws:iam::"+apptest.Account+":root") {
		t.Errorf("default policy = %s (%v)", aws.ToString(pol.Policy), err)
	}
	// A policy that would lock the caller out of the key's policy is refused
	// (KMS's lockout safety check): the key policy is evaluated on every use.
	lockout := `{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`
	_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default"), Policy: aws.String(lockout)})
	wantAPIError[*types.MalformedPolicyDocumentException](t, err, "MalformedPolicyDocumentException", "PutKeyPolicy locking the caller out")
	newPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + apptest.Account + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"a","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`
	must[*kms.PutKeyPolicyOutput](t, "PutKeyPolicy")(c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default"), Policy: aws.String(newPolicy)}))
	pol = must[*kms.GetKeyPolicyOutput](t, "GetKeyPolicy after put")(c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id)}))
	if aws.ToString(pol.Policy) != newPolicy {
		t.Errorf("policy after put = %s", aws.ToString(pol.Policy))
	}
	_, err = c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(id), Policy: aws.String("{not json")})
	wantAPIError[*types.MalformedPolicyDocumentException](t, err, "MalformedPolicyDocumentException", "PutKeyPolicy bad JSON")

	// Rotation.
	rot := must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)}))
	if rot.KeyRotationEnabled {
		t.Error("a new key rotates")
	}
	must[*kms.EnableKeyRotationOutput](t, "EnableKeyRotation")(c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(id), RotationPeriodInDays: aws.Int32(180)}))
	rot = must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)}))
	if !rot.KeyRotationEnabled || aws.ToInt32(rot.RotationPeriodInDays) != 180 {
		t.Errorf("rotation = %v every %d days, want on, 180", rot.KeyRotationEnabled, aws.ToInt32(rot.RotationPeriodInDays))
	}
	_, err = c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(id), RotationPeriodInDays: aws.Int32(10)})
	wantAPIError[smithy.APIError](t, err, "ValidationException", "EnableKeyRotation 10 days")
	must[*kms.DisableKeyRotationOutput](t, "DisableKeyRotation")(c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: aws.String(id)}))
	rot = must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)}))
	if rot.KeyRotationEnabled {
		t.Error("rotation still on after DisableKeyRotation")
	}

	// Tags.
	must[*kms.TagResourceOutput](t, "TagResource")(c.TagResource(ctx, &kms.TagResourceInput{KeyId: aws.String(id), Tags: []types.Tag{
		{TagKey: aws.String("env"), TagValue: aws.String("test")}, {TagKey: aws.String("team"), TagValue: aws.String("infra")}}}))
	must[*kms.UntagResourceOutput](t, "UntagResource")(c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: aws.String(id), TagKeys: []string{"env"}}))
	tags := must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(id)}))
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "team" || aws.ToString(tags.Tags[0].TagValue) != "infra" || tags.Truncated {
		t.Errorf("tags = %+v, want team=infra", tags.Tags)
	}

	must[*kms.UpdateKeyDescriptionOutput](t, "UpdateKeyDescription")(c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: aws.String(id), Description: aws.String("renamed")}))
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}))
	if aws.ToString(d.KeyMetadata.Description) != "renamed" {
		t.Errorf("description = %q", aws.ToString(d.KeyMetadata.Description))
	}

	// Aliases: create, resolve, list (all and by key), retarget, delete.
	other := newKey(t, c, "second")
	must[*kms.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/codeartifact"), TargetKeyId: aws.String(id)}))
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/codeartifact"), TargetKeyId: aws.String(id)})
	wantAPIError[*types.AlreadyExistsException](t, err, "AlreadyExistsException", "CreateAlias again")
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/mine"), TargetKeyId: aws.String(id)})
	wantAPIError[*types.InvalidAliasNameException](t, err, "InvalidAliasNameException", "CreateAlias alias/aws/")
	aliasARN := "arn:aws:kms:" + apptest.Region + ":" + apptest.Account + ":alias/codeartifact"
	for _, ref := range []string{"alias/codeartifact", aliasARN} {
		d := must[*kms.DescribeKeyOutput](t, "DescribeKey "+ref)(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)}))
		if aws.ToString(d.KeyMetadata.KeyId) != id {
			t.Errorf("DescribeKey(%s) = key %s, want %s", ref, aws.ToString(d.KeyMetadata.KeyId), id)
		}
	}
	must[*kms.CreateAliasOutput](t, "CreateAlias second")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/second"), TargetKeyId: other.Arn}))
	all := must[*kms.ListAliasesOutput](t, "ListAliases")(c.ListAliases(ctx, &kms.ListAliasesInput{}))
	if len(all.Aliases) != 2 || aws.ToString(all.Aliases[0].AliasName) != "alias/codeartifact" ||
		aws.ToString(all.Aliases[0].AliasArn) != aliasARN || aws.ToString(all.Aliases[0].TargetKeyId) != id {
		t.Errorf("ListAliases = %+v", all.Aliases)
	}
	paged := must[*kms.ListAliasesOutput](t, "ListAliases limit 1")(c.ListAliases(ctx, &kms.ListAliasesInput{Limit: aws.Int32(1)}))
	if len(paged.Aliases) != 1 || !paged.Truncated || paged.NextMarker == nil {
		t.Fatalf("ListAliases limit 1 = %+v", paged)
	}
	paged = must[*kms.ListAliasesOutput](t, "ListAliases page 2")(c.ListAliases(ctx, &kms.ListAliasesInput{Limit: aws.Int32(1), Marker: paged.NextMarker}))
	if len(paged.Aliases) != 1 || aws.ToString(paged.Aliases[0].AliasName) != "alias/second" || paged.Truncated {
		t.Errorf("ListAliases page 2 = %+v", paged)
	}
	byKey := must[*kms.ListAliasesOutput](t, "ListAliases by key")(c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: other.KeyId}))
	if len(byKey.Aliases) != 1 || aws.ToString(byKey.Aliases[0].AliasName) != "alias/second" {
		t.Errorf("ListAliases by key = %+v", byKey.Aliases)
	}
	must[*kms.UpdateAliasOutput](t, "UpdateAlias")(c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/second"), TargetKeyId: aws.String(id)}))
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey alias/second")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/second")}))
	if aws.ToString(d.KeyMetadata.KeyId) != id {
		t.Errorf("alias/second -> %s after UpdateAlias, want %s", aws.ToString(d.KeyMetadata.KeyId), id)
	}
	must[*kms.DeleteAliasOutput](t, "DeleteAlias")(c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/second")}))
	_, err = c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/second")})
	wantAPIError[*types.NotFoundException](t, err, "NotFoundException", "DeleteAlias again")
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/second")})
	wantAPIError[*types.NotFoundException](t, err, "NotFoundException", "DescribeKey deleted alias")

	keys := must[*kms.ListKeysOutput](t, "ListKeys")(c.ListKeys(ctx, &kms.ListKeysInput{}))
	if len(keys.Keys) != 2 {
		t.Errorf("ListKeys = %d keys, want 2", len(keys.Keys))
	}

	// Encrypt / Decrypt / GenerateDataKey, bound to the encryption context.
	ec := map[string]string{"domain": "acme"}
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/codeartifact"), Plaintext: []byte("hello, wharf"), EncryptionContext: ec}))
	if aws.ToString(enc.KeyId) != wantARN || bytes.Contains(enc.CiphertextBlob, []byte("hello")) {
		t.Errorf("Encrypt = key %s, blob %q", aws.ToString(enc.KeyId), enc.CiphertextBlob)
	}
	dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
	if string(dec.Plaintext) != "hello, wharf" || aws.ToString(dec.KeyId) != wantARN {
		t.Errorf("Decrypt = %q under %s", dec.Plaintext, aws.ToString(dec.KeyId))
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"domain": "evil"}})
	wantAPIError[*types.InvalidCiphertextException](t, err, "InvalidCiphertextException", "Decrypt with another context")
	tampered := bytes.Clone(enc.CiphertextBlob)
	tampered[len(tampered)-1] ^= 1
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec})
	wantAPIError[*types.InvalidCiphertextException](t, err, "InvalidCiphertextException", "Decrypt tampered")
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec, KeyId: other.KeyId})
	wantAPIError[*types.IncorrectKeyException](t, err, "IncorrectKeyException", "Decrypt naming another key")
	dk := must[*kms.GenerateDataKeyOutput](t, "GenerateDataKey")(c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(id), KeySpec: types.DataKeySpecAes256}))
	if len(dk.Plaintext) != 32 {
		t.Errorf("data key is %d bytes, want 32", len(dk.Plaintext))
	}
	dec = must[*kms.DecryptOutput](t, "Decrypt data key")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob}))
	if !bytes.Equal(dec.Plaintext, dk.Plaintext) {
		t.Error("the decrypted data key differs from the plaintext one")
	}

	// Disabled keys refuse cryptography until enabled again.
	must[*kms.DisableKeyOutput](t, "DisableKey")(c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(id)}))
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey disabled")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}))
	if d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != types.KeyStateDisabled {
		t.Errorf("after DisableKey: enabled=%v state=%s", d.KeyMetadata.Enabled, d.KeyMetadata.KeyState)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")})
	wantAPIError[*types.DisabledException](t, err, "DisabledException", "Encrypt with a disabled key")
	must[*kms.EnableKeyOutput](t, "EnableKey")(c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(id)}))

	// Deletion: scheduled, refused twice, cancelled (the key comes back Disabled).
	sched := must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)}))
	if sched.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(sched.PendingWindowInDays) != 7 || sched.DeletionDate == nil {
		t.Errorf("ScheduleKeyDeletion = %+v", sched)
	}
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey pending")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}))
	if d.KeyMetadata.KeyState != types.KeyStatePendingDeletion || d.KeyMetadata.Enabled || d.KeyMetadata.DeletionDate == nil {
		t.Errorf("pending key metadata = %+v", d.KeyMetadata)
	}
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id)})
	wantAPIError[*types.KMSInvalidStateException](t, err, "KMSInvalidStateException", "ScheduleKeyDeletion twice")
	if !strings.Contains(err.Error(), "is pending deletion") { // Terraform's delete matches this text
		t.Errorf("second ScheduleKeyDeletion says %v", err)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")})
	wantAPIError[*types.KMSInvalidStateException](t, err, "KMSInvalidStateException", "Encrypt with a pending key")
	must[*kms.CancelKeyDeletionOutput](t, "CancelKeyDeletion")(c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: aws.String(id)}))
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey cancelled")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}))
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.DeletionDate != nil {
		t.Errorf("after CancelKeyDeletion: %+v", d.KeyMetadata)
	}
	_, err = c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: aws.String(id)})
	wantAPIError[*types.KMSInvalidStateException](t, err, "KMSInvalidStateException", "CancelKeyDeletion of a key not pending")
}

func TestKMSErrors(t *testing.T) {
	s := apptest.Start(t)
	c := kmsClient(s)
	ctx := t.Context()

	_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("11111111-2222-3333-4444-555555555555")})
	wantAPIError[*types.NotFoundException](t, err, "NotFoundException", "DescribeKey missing")
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/x"), TargetKeyId: aws.String("11111111-2222-3333-4444-555555555555")})
	wantAPIError[*types.NotFoundException](t, err, "NotFoundException", "CreateAlias to a missing key")
	_, err = c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
	wantAPIError[*types.UnsupportedOperationException](t, err, "UnsupportedOperationException", "CreateKey RSA")
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: aws.String("k"), Message: []byte("m"), SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	wantAPIError[*types.UnsupportedOperationException](t, err, "UnsupportedOperationException", "Sign")
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("not a wharf ciphertext blob at all, honestly")})
	wantAPIError[*types.InvalidCiphertextException](t, err, "InvalidCiphertextException", "Decrypt garbage")

	// Keys are per account: another account's ARN is refused, not looked up.
	md := newKey(t, c, "mine")
	foreign := strings.Replace(aws.ToString(md.Arn), apptest.Account, "999999999999", 1)
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(foreign)})
	wantAPIError[smithy.APIError](t, err, "AccessDeniedException", "DescribeKey of another account's ARN")

	// A wrong secret gets a json-protocol auth error.
	bad := kms.NewFromConfig(s.AWSConfig(apptest.AccessKeyID, "wrong-secret"))
	_, err = bad.ListKeys(ctx, &kms.ListKeysInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || !strings.Contains(api.ErrorCode(), "Signature") {
		t.Errorf("ListKeys with a wrong secret: %v, want a signature error", err)
	}
}

func TestKMSPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := apptest.Start(t, apptest.Options{DataDir: dir})
	c := kmsClient(s)
	ctx := context.Background()
	md := newKey(t, c, "durable")
	id := aws.ToString(md.KeyId)
	must[*kms.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/durable"), TargetKeyId: md.KeyId}))
	must[*kms.EnableKeyRotationOutput](t, "EnableKeyRotation")(c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: md.KeyId}))
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("still here")}))
	s.Stop()

	s2 := apptest.Start(t, apptest.Options{DataDir: dir})
	c2 := kmsClient(s2)
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey after restart")(c2.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/durable")}))
	if aws.ToString(d.KeyMetadata.KeyId) != id || aws.ToString(d.KeyMetadata.Description) != "durable" || d.KeyMetadata.KeyState != types.KeyStateEnabled {
		t.Errorf("after restart: %+v", d.KeyMetadata)
	}
	rot := must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c2.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)}))
	if !rot.KeyRotationEnabled || aws.ToInt32(rot.RotationPeriodInDays) != 365 {
		t.Errorf("rotation after restart = %v, %d days", rot.KeyRotationEnabled, aws.ToInt32(rot.RotationPeriodInDays))
	}
	tags := must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(c2.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(id)}))
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "team" {
		t.Errorf("tags after restart = %+v", tags.Tags)
	}
	dec := must[*kms.DecryptOutput](t, "Decrypt after restart")(c2.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))
	if string(dec.Plaintext) != "still here" {
		t.Errorf("Decrypt after restart = %q", dec.Plaintext)
	}
}

func TestCreateDomainChecksWharfKMSKeys(t *testing.T) {
	s := apptest.Start(t)
	c, ca := kmsClient(s), s.CodeArtifact()
	ctx := t.Context()

	missing := "arn:aws:kms:" + apptest.Region + ":" + apptest.Account + ":key/11111111-2222-3333-4444-555555555555"
	_, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("nokey"), EncryptionKey: aws.String(missing)})
	var ve *catypes.ValidationException
	if !errors.As(err, &ve) || aws.ToString(ve.Message) != "KMS key not found" || ve.Reason != catypes.ValidationExceptionReasonEncryptionKeyError {
		t.Fatalf("CreateDomain with a missing wharf key: %v, want ValidationException \"KMS key not found\" (ENCRYPTION_KEY_ERROR)", err)
	}
	_, err = ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("noalias"),
		EncryptionKey: aws.String("arn:aws:kms:" + apptest.Region + ":" + apptest.Account + ":alias/none")})
	if !errors.As(err, &ve) || aws.ToString(ve.Message) != "KMS key not found" {
		t.Fatalf("CreateDomain with a missing wharf alias: %v", err)
	}

	md := newKey(t, c, "domain key")
	must[*kms.DisableKeyOutput](t, "DisableKey")(c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: md.KeyId}))
	_, err = ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("disabled"), EncryptionKey: md.Arn})
	if !errors.As(err, &ve) || ve.Reason != catypes.ValidationExceptionReasonEncryptionKeyError {
		t.Fatalf("CreateDomain with a disabled key: %v, want ValidationException (ENCRYPTION_KEY_ERROR)", err)
	}
	must[*kms.EnableKeyOutput](t, "EnableKey")(c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: md.KeyId}))
	out := must[*codeartifact.CreateDomainOutput](t, "CreateDomain with a wharf key")(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme"), EncryptionKey: md.Arn}))
	if aws.ToString(out.Domain.EncryptionKey) != aws.ToString(md.Arn) {
		t.Errorf("domain key = %s, want %s", aws.ToString(out.Domain.EncryptionKey), aws.ToString(md.Arn))
	}

	// A key of another account or region is not wharf's to check: recorded as given.
	foreign := "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
	out = must[*codeartifact.CreateDomainOutput](t, "CreateDomain with a foreign key")(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("foreign"), EncryptionKey: aws.String(foreign)}))
	if aws.ToString(out.Domain.EncryptionKey) != foreign {
		t.Errorf("foreign domain key = %s", aws.ToString(out.Domain.EncryptionKey))
	}
}

// TestKMSWithAWSCLI drives the KMS subset with botocore's json protocol.
func TestKMSWithAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	s := apptest.Start(t)
	run := func(args ...string) (string, error) {
		home := t.TempDir()
		cmd := exec.Command(cli, append(args, "--endpoint-url", s.URL, "--output", "json")...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + home,
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
			"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_ACCESS_KEY_ID=" + apptest.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + apptest.SecretAccessKey,
			"AWS_DEFAULT_REGION=" + apptest.Region, "AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
		}
		if root := os.Getenv("PYENV_ROOT"); root != "" {
			cmd.Env = append(cmd.Env, "PYENV_ROOT="+root)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("kms", "create-key", "--description", "from the CLI")
	if err != nil {
		t.Fatalf("aws kms create-key: %v\n%s", err, out)
	}
	var created struct {
		KeyMetadata struct{ KeyId, Arn, KeyState string }
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.KeyMetadata.KeyState != "Enabled" {
		t.Fatalf("create-key output %s (%v)", out, err)
	}
	if out, err := run("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", created.KeyMetadata.KeyId); err != nil {
		t.Fatalf("aws kms create-alias: %v\n%s", err, out)
	}
	out, err = run("kms", "describe-key", "--key-id", "alias/cli")
	if err != nil || !strings.Contains(out, created.KeyMetadata.Arn) {
		t.Fatalf("aws kms describe-key alias/cli: %v\n%s", err, out)
	}
	out, err = run("kms", "describe-key", "--key-id", "alias/none")
	if err == nil || !strings.Contains(out, "NotFoundException") {
		t.Fatalf("aws kms describe-key alias/none: %v\n%s, want NotFoundException", err, out)
	}
}

// An unsigned KMS call is refused in the json protocol's error shape.
func TestKMSUnsignedIsRefusedInJSON(t *testing.T) {
	s := apptest.Start(t)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("error body is not JSON: %v", err)
	}
	if resp.StatusCode != http.StatusForbidden || body.Type == "" || body.Type != resp.Header.Get("X-Amzn-ErrorType") {
		t.Errorf("unsigned ListKeys: %d %+v (X-Amzn-ErrorType %q)", resp.StatusCode, body, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
