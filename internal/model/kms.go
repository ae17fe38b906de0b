package model

import "time"

// KMS key states wharf's KMS subset uses (a subset of KMS's KeyState enum).
const (
	KMSKeyEnabled         = "Enabled"
	KMSKeyDisabled        = "Disabled"
	KMSKeyPendingDeletion = "PendingDeletion"
)

// KMSKey is a customer-managed symmetric key of wharf's KMS subset. Its key
// material is never stored: it is derived from wharf's master secret and the
// key ARN (internal/keys.Local), so only this metadata persists.
type KMSKey struct {
	Account     string
	Region      string
	KeyID       string // a UUID
	Description string
	KeyUsage    string // ENCRYPT_DECRYPT
	KeySpec     string // SYMMETRIC_DEFAULT
	Origin      string // AWS_KMS
	State       string // KMSKeyEnabled | KMSKeyDisabled | KMSKeyPendingDeletion
	// Policy is the key policy document, as given; IAM's decision evaluates it on every use of the key.
	Policy             string
	MultiRegion        bool
	RotationEnabled    bool
	RotationPeriodDays int
	// DeletionDate and PendingWindowDays are set while State is PendingDeletion.
	DeletionDate      time.Time
	PendingWindowDays int
	CreatedAt         time.Time
}

// ARN is the key's ARN: arn:aws:kms:REGION:ACCOUNT:key/KEYID.
func (k KMSKey) ARN() string { return KMSKeyARN(k.Region, k.Account, k.KeyID) }

// KMSKeyARN builds a KMS key ARN.
func KMSKeyARN(region, account, keyID string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + keyID
}

// KMSAlias is a friendly name (alias/NAME) for a KMS key of the same account.
type KMSAlias struct {
	Account     string
	Region      string
	Name        string // including the alias/ prefix
	TargetKeyID string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ARN is the alias's ARN: arn:aws:kms:REGION:ACCOUNT:alias/NAME.
func (a KMSAlias) ARN() string { return "arn:aws:kms:" + a.Region + ":" + a.Account + ":" + a.Name }
