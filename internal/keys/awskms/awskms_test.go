package awskms_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/keys"
	"github.com/wharf-dev/wharf/internal/keys/awskms"
)

// The provider against a real KMS API: wharf's own, served by a running wharf
// and called through aws-sdk-go-v2's KMS client.
func TestAgainstWharfKMS(t *testing.T) {
	srv := apptest.Start(t)
	client := kms.NewFromConfig(srv.AWSConfig())
	ctx := context.Background()
	k1, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn1, arn2 := aws.ToString(k1.KeyMetadata.Arn), aws.ToString(k2.KeyMetadata.Arn)
	p := &awskms.Provider{Client: client}

	dek, wrapped, err := p.GenerateDataKey(ctx, arn1)
	if err != nil || len(dek) != 32 || len(wrapped) == 0 || bytes.Contains(wrapped, dek) {
		t.Fatalf("GenerateDataKey: %d-byte key, %d-byte blob, %v", len(dek), len(wrapped), err)
	}
	back, err := p.Decrypt(ctx, arn1, wrapped)
	if err != nil || !bytes.Equal(back, dek) {
		t.Fatalf("Decrypt: %v", err)
	}

	// Under another key, or altered: the envelope layer's "corrupt" signal.
	if _, err := p.Decrypt(ctx, arn2, wrapped); !errors.Is(err, keys.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt under another key: %v, want ErrInvalidCiphertext", err)
	}
	bad := bytes.Clone(wrapped)
	bad[len(bad)-1] ^= 1
	if _, err := p.Decrypt(ctx, arn1, bad); !errors.Is(err, keys.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt of an altered blob: %v, want ErrInvalidCiphertext", err)
	}

	// Disabled: both operations fail, naming KMS's exception; enabled: fine.
	if _, err := client.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &arn1}); err != nil {
		t.Fatal(err)
	}
	_, err = p.Decrypt(ctx, arn1, wrapped)
	if apperr.KindOf(err) != apperr.Validation || !strings.Contains(err.Error(), "DisabledException") || !strings.Contains(err.Error(), arn1) {
		t.Fatalf("Decrypt with the key disabled: %v", err)
	}
	if _, _, err := p.GenerateDataKey(ctx, arn1); err == nil || !strings.Contains(err.Error(), "DisabledException") {
		t.Fatalf("GenerateDataKey with the key disabled: %v", err)
	}
	if _, err := client.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &arn1}); err != nil {
		t.Fatal(err)
	}
	if back, err := p.Decrypt(ctx, arn1, wrapped); err != nil || !bytes.Equal(back, dek) {
		t.Fatalf("Decrypt after enabling: %v", err)
	}

	// Pending deletion: refused, with KMS's own state error.
	if _, err := client.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &arn1, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Decrypt(ctx, arn1, wrapped); err == nil || !strings.Contains(err.Error(), "KMSInvalidStateException") {
		t.Fatalf("Decrypt with the key pending deletion: %v", err)
	}
	if _, err := client.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: &arn1}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &arn1}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Decrypt(ctx, arn1, wrapped); err != nil {
		t.Fatalf("Decrypt after cancelling the deletion: %v", err)
	}
}
