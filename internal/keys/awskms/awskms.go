// Package awskms is the key provider backed by AWS KMS (or anything serving
// its API, such as a second wharf): each domain's data keys are generated and
// unwrapped by KMS under the domain's key ARN, so the key material never
// leaves KMS and disabling the key there makes the domain unreadable here.
package awskms

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/keys"
)

// API is the part of the KMS client the provider calls.
type API interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Provider implements keys.Provider with KMS GenerateDataKey and Decrypt.
// Nothing is cached: every wrap and unwrap asks KMS, which is what lets a key
// disabled in KMS take effect on the next read.
type Provider struct {
	Client API
}

var _ keys.Provider = (*Provider)(nil)

// GenerateDataKey implements keys.Provider: a 256-bit AES key from KMS and
// its ciphertext blob (which names the key; KMS alone can open it).
func (p *Provider) GenerateDataKey(ctx context.Context, keyARN string) (plaintext, wrapped []byte, err error) {
	out, err := p.Client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyARN, KeySpec: types.DataKeySpecAes256})
	if err != nil {
		return nil, nil, kmsError(err, keyARN)
	}
	if len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0 {
		return nil, nil, apperr.New(apperr.Internal, "KMS GenerateDataKey under %s returned a %d-byte key", keyARN, len(out.Plaintext))
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// Decrypt implements keys.Provider. KeyId is passed so KMS refuses a blob
// wrapped under another key (IncorrectKeyException) rather than opening it.
func (p *Provider) Decrypt(ctx context.Context, keyARN string, wrapped []byte) ([]byte, error) {
	out, err := p.Client.Decrypt(ctx, &kms.DecryptInput{KeyId: &keyARN, CiphertextBlob: wrapped})
	if err != nil {
		return nil, kmsError(err, keyARN)
	}
	return out.Plaintext, nil
}

// kmsError keeps KMS's own exception name in the message, so whoever reads
// a failed request (a client, the log) sees which key and why.
func kmsError(err error, keyARN string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return apperr.New(apperr.Internal, "KMS is unreachable for key %s: %v", keyARN, err).Wrap(err)
	}
	switch ae.ErrorCode() {
	case "InvalidCiphertextException", "IncorrectKeyException":
		return apperr.New(apperr.Validation, "KMS %s: %s", ae.ErrorCode(), ae.ErrorMessage()).
			WithReason("InvalidCiphertextException").Wrap(errors.Join(keys.ErrInvalidCiphertext, err))
	case "DisabledException", "KMSInvalidStateException", "NotFoundException", "AccessDeniedException",
		"KeyUnavailableException", "InvalidKeyUsageException":
		return apperr.New(apperr.Validation, "The KMS key %s cannot be used (KMS %s: %s); "+
			"the domain's packages can be neither read nor published until it can", keyARN, ae.ErrorCode(), ae.ErrorMessage()).
			WithReason("ENCRYPTION_KEY_ERROR").Wrap(err)
	}
	return apperr.New(apperr.Internal, "KMS %s for key %s: %s", ae.ErrorCode(), keyARN, ae.ErrorMessage()).Wrap(err)
}
