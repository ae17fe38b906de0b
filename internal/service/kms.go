package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/store"
)

// KMS implements wharf's KMS subset: customer-managed symmetric keys with their
// policies (evaluated on every use, see Authorize), rotation settings, tags and
// aliases, and Encrypt/Decrypt/GenerateDataKey under them. Key material is not
// stored: Crypter derives it from wharf's master secret and the key ARN.
//
// A caller sees its own account's keys only; within the account, IAM's
// decision with the key policy (Authorize) says what it may do with them.
//
// Errors carry the KMS exception name in apperr.Error.Reason when it is not
// implied by the Kind (see awsapi's KMS error writer).
//
// Where the rest of KMS lives: the wire layer (AWS json 1.1, TrentService.*)
// is internal/awsapi/kms.go; the decision on a key (key policy with identity
// policies) is Service.AuthorizeKMS in authorize.go; the key providers that
// wrap domain data keys for envelope encryption are internal/keys (Local, from
// the master secret) and internal/keys/awskms (an external AWS KMS, --kms aws);
// keys, aliases and their policies are rows of the metadata store (kms.go in
// internal/store/sqlite and postgres), cached under their own generation by
// internal/store/cached.
type KMS struct {
	Store   store.Store
	Crypter Crypter
	Region  string
	Now     func() time.Time
	// Authorize decides a kms: action on a key (Service.AuthorizeKMS: the
	// key policy and the caller's identity policies). nil: a caller may use
	// every key of its own account, the rule before wharf had IAM.
	Authorize func(ctx context.Context, c Caller, action string, key model.KMSKey) error
	// External: domain keys wharf does not hold belong to an external KMS
	// (--kms aws), which answers for them when they are used.
	External bool
}

type kmsActionKey struct{}

// WithKMSAction names the kms: action a request performs, which every key it
// resolves (KMS.Key) is authorized for. The KMS API sets it from the
// operation; without one, resolving a key is decided as kms:DescribeKey (what
// CreateDomain needs of the caller to check a domain's key).
func WithKMSAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, kmsActionKey{}, action)
}

func kmsAction(ctx context.Context) string {
	if a, ok := ctx.Value(kmsActionKey{}).(string); ok {
		return a
	}
	return "kms:DescribeKey"
}

// Crypter seals and opens bytes under a key ARN (keys.Local satisfies it).
type Crypter interface {
	Encrypt(ctx context.Context, keyARN string, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, keyARN string, ciphertext []byte) ([]byte, error)
}

// KMS constants wharf supports.
const (
	KMSKeyUsage           = "ENCRYPT_DECRYPT"
	KMSKeySpec            = "SYMMETRIC_DEFAULT"
	KMSOrigin             = "AWS_KMS"
	KMSAlgorithm          = "SYMMETRIC_DEFAULT"
	KMSDefaultRotation    = 365
	KMSDefaultWindowDays  = 30
	kmsMaxTags            = 50
	kmsMaxPolicy          = 32768
	kmsMaxDescription     = 8192
	kmsMaxPlaintext       = 4096
	kmsDefaultPolicyName  = "default"
	kmsCiphertextMagic    = 'w'
	kmsCiphertextVersion  = 1
	kmsCiphertextIDLength = 36
	kmsContextTag         = "wharf/kms/encryption-context/v1"
)

// kmsErr builds an error whose Reason names the KMS exception.
func kmsErr(k apperr.Kind, exception, format string, args ...any) *apperr.Error {
	return apperr.New(k, format, args...).WithReason(exception)
}

func kmsValidation(format string, args ...any) *apperr.Error {
	return kmsErr(apperr.Validation, "ValidationException", format, args...)
}

func (k *KMS) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

// KMSKeyInput is CreateKey's input.
type KMSKeyInput struct {
	Description, KeyUsage, KeySpec, Origin, Policy string
	MultiRegion                                    bool
	Tags                                           []model.Tag
	// BypassPolicyLockoutSafetyCheck skips the check that Policy lets the
	// caller put the key's policy again (lockoutCheck).
	BypassPolicyLockoutSafetyCheck bool
}

// lockoutCheck is KMS's policy lockout safety check: a key policy that
// would not let the caller change it again (kms:PutKeyPolicy) is refused
// unless the caller bypasses the check, so an account does not lock itself
// out of its key by mistake.
func (k *KMS) lockoutCheck(ctx context.Context, c Caller, key model.KMSKey, bypass bool) error {
	if bypass || k.Authorize == nil {
		return nil
	}
	if k.Authorize(ctx, c, "kms:PutKeyPolicy", key) != nil {
		return kmsErr(apperr.Validation, "MalformedPolicyDocumentException",
			"The new key policy will not allow you to update the key policy in the future.")
	}
	return nil
}

// CreateKey creates an Enabled key in the caller's account.
func (k *KMS) CreateKey(ctx context.Context, c Caller, in KMSKeyInput) (model.KMSKey, error) {
	if in.KeyUsage != "" && in.KeyUsage != KMSKeyUsage {
		return model.KMSKey{}, kmsErr(apperr.NotImplemented, "UnsupportedOperationException", "wharf's KMS creates %s keys only, not KeyUsage %s", KMSKeyUsage, in.KeyUsage)
	}
	if in.KeySpec != "" && in.KeySpec != KMSKeySpec {
		return model.KMSKey{}, kmsErr(apperr.NotImplemented, "UnsupportedOperationException", "wharf's KMS creates %s keys only, not KeySpec %s", KMSKeySpec, in.KeySpec)
	}
	if in.Origin != "" && in.Origin != KMSOrigin {
		return model.KMSKey{}, kmsErr(apperr.NotImplemented, "UnsupportedOperationException", "wharf's KMS creates keys of origin %s only, not %s", KMSOrigin, in.Origin)
	}
	if in.MultiRegion {
		return model.KMSKey{}, kmsErr(apperr.NotImplemented, "UnsupportedOperationException", "wharf's KMS does not create multi-Region keys")
	}
	if err := validKMSDescription(in.Description); err != nil {
		return model.KMSKey{}, err
	}
	policy := in.Policy
	if policy == "" {
		policy = DefaultKeyPolicy(c.Principal.Account)
	} else if err := validKeyPolicy(policy); err != nil {
		return model.KMSKey{}, err
	}
	if err := validKMSTags(in.Tags, 0); err != nil {
		return model.KMSKey{}, err
	}
	id, err := newUUID()
	if err != nil {
		return model.KMSKey{}, err
	}
	key := model.KMSKey{
		Account: c.Principal.Account, Region: k.Region, KeyID: id, Description: in.Description,
		KeyUsage: KMSKeyUsage, KeySpec: KMSKeySpec, Origin: KMSOrigin, State: model.KMSKeyEnabled,
		Policy: policy, RotationPeriodDays: KMSDefaultRotation, CreatedAt: k.now(),
	}
	if in.Policy != "" {
		if err := k.lockoutCheck(ctx, c, key, in.BypassPolicyLockoutSafetyCheck); err != nil {
			return model.KMSKey{}, err
		}
	}
	// Tags first: a key never shows without the tags it was created with.
	if len(in.Tags) > 0 {
		if err := k.Store.SetTags(ctx, key.ARN(), in.Tags); err != nil {
			return model.KMSKey{}, err
		}
	}
	if err := k.Store.PutKMSKey(ctx, key); err != nil {
		return model.KMSKey{}, err
	}
	return key, nil
}

// DefaultKeyPolicy is the policy KMS gives a key created without one: the
// account's IAM policies decide.
func DefaultKeyPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", apperr.New(apperr.Internal, "random").Wrap(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

func validKMSDescription(d string) error {
	if len(d) > kmsMaxDescription {
		return kmsValidation("Description must be at most %d characters", kmsMaxDescription)
	}
	return nil
}

// validKeyPolicy checks a key policy is one IAM's evaluation can decide
// (policy.ParseKey), of acceptable size: it is evaluated on every use of the
// key (Service.AuthorizeKMS).
func validKeyPolicy(p string) error {
	if len(p) > kmsMaxPolicy {
		return kmsErr(apperr.Validation, "MalformedPolicyDocumentException", "the key policy exceeds %d characters", kmsMaxPolicy)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(p), &doc); err != nil {
		return kmsErr(apperr.Validation, "MalformedPolicyDocumentException", "the key policy is not a JSON object: %v", err)
	}
	if _, err := policy.ParseKey(p); err != nil {
		return kmsErr(apperr.Validation, "MalformedPolicyDocumentException", "%s", apperr.As(err).Message)
	}
	return nil
}

func validKMSTags(tags []model.Tag, existing int) error {
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 128 || utf8.RuneCountInString(t.Value) > 256 {
			return kmsErr(apperr.Validation, "TagException", "tag keys must be 1-128 characters and values at most 256")
		}
		if strings.HasPrefix(t.Key, "aws:") {
			return kmsErr(apperr.Validation, "TagException", "tag keys must not begin with aws:")
		}
	}
	if existing+len(tags) > kmsMaxTags {
		return kmsErr(apperr.QuotaExceeded, "TagException", "a key has at most %d tags", kmsMaxTags)
	}
	return nil
}

// Key resolves a key id, key ARN, alias name or alias ARN in the caller's
// account. A pending-deletion key whose date has passed is deleted here and
// reported missing: deletion is lazy.
func (k *KMS) Key(ctx context.Context, c Caller, keyID string) (model.KMSKey, error) {
	account := c.Principal.Account
	id := keyID
	if id == "" {
		return model.KMSKey{}, kmsValidation("KeyId is required")
	}
	if strings.HasPrefix(id, "arn:") {
		a, err := model.ParseARN(id)
		if err != nil || a.Service != "kms" {
			return model.KMSKey{}, kmsNotFound("Invalid keyId '%s'", keyID)
		}
		if a.Account != account {
			return model.KMSKey{}, kmsErr(apperr.AccessDenied, "AccessDeniedException",
				"%s is not authorized to use %s: wharf's KMS serves a key to its own account only",
				c.Principal.ARN, keyID)
		}
		if a.Region != k.Region {
			return model.KMSKey{}, kmsNotFound("Key '%s' does not exist", keyID)
		}
		id = a.Resource
		if rest, ok := strings.CutPrefix(id, "key/"); ok {
			id = rest
		} else if !strings.HasPrefix(id, "alias/") {
			return model.KMSKey{}, kmsNotFound("Invalid keyId '%s'", keyID)
		}
	}
	if strings.HasPrefix(id, "alias/") {
		al, err := k.Store.GetKMSAlias(ctx, account, id)
		if apperr.Is(err, apperr.NotFound) {
			return model.KMSKey{}, kmsNotFound("Alias '%s' is not found.", k.aliasARN(account, id))
		}
		if err != nil {
			return model.KMSKey{}, err
		}
		id = al.TargetKeyID
	}
	key, err := k.Store.GetKMSKey(ctx, account, id)
	if apperr.Is(err, apperr.NotFound) {
		return model.KMSKey{}, kmsNotFound("Key '%s' does not exist", model.KMSKeyARN(k.Region, account, id))
	}
	if err != nil {
		return model.KMSKey{}, err
	}
	if k.expired(key) {
		if err := k.Store.DeleteKMSKey(ctx, account, key.KeyID); err != nil && !apperr.Is(err, apperr.NotFound) {
			return model.KMSKey{}, err
		}
		return model.KMSKey{}, kmsNotFound("Key '%s' does not exist", key.ARN())
	}
	if k.Authorize != nil {
		if err := k.Authorize(ctx, c, kmsAction(ctx), key); err != nil {
			return model.KMSKey{}, err
		}
	}
	return key, nil
}

func (k *KMS) expired(key model.KMSKey) bool {
	return key.State == model.KMSKeyPendingDeletion && !key.DeletionDate.IsZero() && !k.now().Before(key.DeletionDate)
}

func kmsNotFound(format string, args ...any) error {
	return kmsErr(apperr.NotFound, "NotFoundException", format, args...)
}

func (k *KMS) aliasARN(account, name string) string {
	return model.KMSAlias{Account: account, Region: k.Region, Name: name}.ARN()
}

// mutable loads a key an update may change: not pending deletion.
func (k *KMS) mutable(ctx context.Context, c Caller, keyID string) (model.KMSKey, error) {
	key, err := k.Key(ctx, c, keyID)
	if err != nil {
		return model.KMSKey{}, err
	}
	if key.State == model.KMSKeyPendingDeletion {
		return model.KMSKey{}, pendingDeletion(key)
	}
	return key, nil
}

// usable loads a key for a cryptographic operation: Enabled.
func (k *KMS) usable(ctx context.Context, c Caller, keyID string) (model.KMSKey, error) {
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return model.KMSKey{}, err
	}
	if key.State == model.KMSKeyDisabled {
		return model.KMSKey{}, kmsErr(apperr.Validation, "DisabledException", "%s is disabled.", key.ARN())
	}
	return key, nil
}

func pendingDeletion(key model.KMSKey) error {
	return kmsErr(apperr.Validation, "KMSInvalidStateException", "%s is pending deletion.", key.ARN())
}

// KeyPolicy returns the key's policy; "default" is the only policy name.
func (k *KMS) KeyPolicy(ctx context.Context, c Caller, keyID, name string) (string, error) {
	key, err := k.Key(ctx, c, keyID)
	if err != nil {
		return "", err
	}
	if name != "" && name != kmsDefaultPolicyName {
		return "", kmsNotFound("No such policy exists")
	}
	return key.Policy, nil
}

// PutKeyPolicy replaces the key's policy.
func (k *KMS) PutKeyPolicy(ctx context.Context, c Caller, keyID, name, policy string, bypassLockoutCheck bool) error {
	if name != "" && name != kmsDefaultPolicyName {
		return kmsNotFound("No such policy exists")
	}
	if err := validKeyPolicy(policy); err != nil {
		return err
	}
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return err
	}
	key.Policy = policy
	if err := k.lockoutCheck(ctx, c, key, bypassLockoutCheck); err != nil {
		return err
	}
	return k.Store.PutKMSKey(ctx, key)
}

// SetRotation enables (with a period in days, 0 keeping the current one) or disables rotation.
func (k *KMS) SetRotation(ctx context.Context, c Caller, keyID string, enabled bool, periodDays int) error {
	if periodDays != 0 && (periodDays < 90 || periodDays > 2560) {
		return kmsValidation("RotationPeriodInDays must be between 90 and 2560")
	}
	key, err := k.usable(ctx, c, keyID)
	if err != nil {
		return err
	}
	key.RotationEnabled = enabled
	if enabled && periodDays != 0 {
		key.RotationPeriodDays = periodDays
	}
	if key.RotationPeriodDays == 0 {
		key.RotationPeriodDays = KMSDefaultRotation
	}
	return k.Store.PutKMSKey(ctx, key)
}

// UpdateDescription replaces the key's description.
func (k *KMS) UpdateDescription(ctx context.Context, c Caller, keyID, description string) error {
	if err := validKMSDescription(description); err != nil {
		return err
	}
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return err
	}
	key.Description = description
	return k.Store.PutKMSKey(ctx, key)
}

// SetEnabled enables or disables the key.
func (k *KMS) SetEnabled(ctx context.Context, c Caller, keyID string, enabled bool) error {
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return err
	}
	key.State = model.KMSKeyDisabled
	if enabled {
		key.State = model.KMSKeyEnabled
	}
	return k.Store.PutKMSKey(ctx, key)
}

// ScheduleDeletion puts the key in PendingDeletion for windowDays (0: 30).
func (k *KMS) ScheduleDeletion(ctx context.Context, c Caller, keyID string, windowDays int) (model.KMSKey, error) {
	if windowDays == 0 {
		windowDays = KMSDefaultWindowDays
	}
	if windowDays < 7 || windowDays > 30 {
		return model.KMSKey{}, kmsValidation("PendingWindowInDays must be between 7 and 30")
	}
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return model.KMSKey{}, err
	}
	key.State, key.PendingWindowDays = model.KMSKeyPendingDeletion, windowDays
	key.DeletionDate = k.now().Add(time.Duration(windowDays) * 24 * time.Hour)
	if err := k.Store.PutKMSKey(ctx, key); err != nil {
		return model.KMSKey{}, err
	}
	return key, nil
}

// CancelDeletion takes a key out of PendingDeletion; as in KMS it comes back Disabled.
func (k *KMS) CancelDeletion(ctx context.Context, c Caller, keyID string) (model.KMSKey, error) {
	key, err := k.Key(ctx, c, keyID)
	if err != nil {
		return model.KMSKey{}, err
	}
	if key.State != model.KMSKeyPendingDeletion {
		return model.KMSKey{}, kmsErr(apperr.Validation, "KMSInvalidStateException", "%s is not pending deletion.", key.ARN())
	}
	key.State, key.DeletionDate, key.PendingWindowDays = model.KMSKeyDisabled, time.Time{}, 0
	if err := k.Store.PutKMSKey(ctx, key); err != nil {
		return model.KMSKey{}, err
	}
	return key, nil
}

// ListKeys lists the caller's keys (pending deletion included, expired ones not).
func (k *KMS) ListKeys(ctx context.Context, c Caller, p Page) ([]model.KMSKey, string, error) {
	keys, next, err := k.Store.ListKMSKeys(ctx, c.Principal.Account, p.store())
	if apperr.Is(err, apperr.Validation) {
		return nil, "", kmsErr(apperr.Validation, "InvalidMarkerException", "invalid Marker")
	}
	if err != nil {
		return nil, "", err
	}
	return slices.DeleteFunc(keys, k.expired), next, nil
}

// Tags returns the key's tags, ordered by key.
func (k *KMS) Tags(ctx context.Context, c Caller, keyID string) ([]model.Tag, error) {
	key, err := k.Key(ctx, c, keyID)
	if err != nil {
		return nil, err
	}
	return k.Store.ListTags(ctx, key.ARN())
}

// Tag adds or overwrites tags.
func (k *KMS) Tag(ctx context.Context, c Caller, keyID string, tags []model.Tag) error {
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return err
	}
	have, err := k.Store.ListTags(ctx, key.ARN())
	if err != nil {
		return err
	}
	fresh := 0
	for _, t := range tags {
		if !slices.ContainsFunc(have, func(h model.Tag) bool { return h.Key == t.Key }) {
			fresh++
		}
	}
	if err := validKMSTags(tags, len(have)+fresh-len(tags)); err != nil {
		return err
	}
	return k.Store.SetTags(ctx, key.ARN(), tags)
}

// Untag removes tags by key.
func (k *KMS) Untag(ctx context.Context, c Caller, keyID string, tagKeys []string) error {
	key, err := k.mutable(ctx, c, keyID)
	if err != nil {
		return err
	}
	return k.Store.RemoveTags(ctx, key.ARN(), tagKeys)
}

var aliasNameRe = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)

func validAliasName(name string) error {
	if len(name) > 256 || !aliasNameRe.MatchString(name) {
		return kmsValidation("AliasName %q must be alias/ followed by letters, digits, /, _ or -, at most 256 characters", name)
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return kmsErr(apperr.Validation, "InvalidAliasNameException", "alias/aws/ is reserved for AWS managed keys")
	}
	return nil
}

// aliasTarget resolves an alias's target: a key id or key ARN, not pending deletion.
func (k *KMS) aliasTarget(ctx context.Context, c Caller, target string) (model.KMSKey, error) {
	if strings.HasPrefix(target, "alias/") || strings.Contains(target, ":alias/") {
		return model.KMSKey{}, kmsValidation("TargetKeyId must be a key id or key ARN, not an alias")
	}
	return k.mutable(ctx, c, target)
}

// CreateAlias names a key.
func (k *KMS) CreateAlias(ctx context.Context, c Caller, name, target string) error {
	if err := validAliasName(name); err != nil {
		return err
	}
	key, err := k.aliasTarget(ctx, c, target)
	if err != nil {
		return err
	}
	now := k.now()
	err = k.Store.CreateKMSAlias(ctx, model.KMSAlias{Account: key.Account, Region: k.Region, Name: name,
		TargetKeyID: key.KeyID, CreatedAt: now, UpdatedAt: now})
	if apperr.Is(err, apperr.Conflict) {
		return kmsErr(apperr.Conflict, "AlreadyExistsException", "An alias with the name %s already exists", k.aliasARN(key.Account, name))
	}
	return err
}

// UpdateAlias points an existing alias at another key.
func (k *KMS) UpdateAlias(ctx context.Context, c Caller, name, target string) error {
	if err := validAliasName(name); err != nil {
		return err
	}
	key, err := k.aliasTarget(ctx, c, target)
	if err != nil {
		return err
	}
	err = k.Store.UpdateKMSAlias(ctx, model.KMSAlias{Account: key.Account, Name: name, TargetKeyID: key.KeyID, UpdatedAt: k.now()})
	if apperr.Is(err, apperr.NotFound) {
		return kmsNotFound("Alias '%s' is not found.", k.aliasARN(key.Account, name))
	}
	return err
}

// DeleteAlias removes an alias.
func (k *KMS) DeleteAlias(ctx context.Context, c Caller, name string) error {
	if err := validAliasName(name); err != nil {
		return err
	}
	err := k.Store.DeleteKMSAlias(ctx, c.Principal.Account, name)
	if apperr.Is(err, apperr.NotFound) {
		return kmsNotFound("Alias '%s' is not found.", k.aliasARN(c.Principal.Account, name))
	}
	return err
}

// ListAliases lists the caller's aliases by name, only those of keyID when given.
// marker is the last name of the previous page.
func (k *KMS) ListAliases(ctx context.Context, c Caller, keyID, marker string, limit int) ([]model.KMSAlias, string, error) {
	target := ""
	if keyID != "" {
		key, err := k.Key(ctx, c, keyID)
		if err != nil {
			return nil, "", err
		}
		target = key.KeyID
	}
	var all []model.KMSAlias
	for cursor := ""; ; {
		page, next, err := k.Store.ListKMSAliases(ctx, c.Principal.Account, store.Page{Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, "", err
		}
		for _, a := range page {
			if (target == "" || a.TargetKeyID == target) && a.Name > marker {
				all = append(all, a)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if limit > 0 && len(all) > limit {
		return all[:limit], all[limit-1].Name, nil
	}
	return all, "", nil
}

// Ciphertext blobs are: 'w', version, the 36-character key id, then the
// Crypter's sealed bytes of SHA-256(tag, encryption context) || plaintext.
// Naming the key inside lets Decrypt work without a KeyId, as in KMS; the
// context digest inside the authenticated plaintext binds the context.

func contextDigest(ec map[string]string) []byte {
	keys := make([]string, 0, len(ec))
	for key := range ec {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(kmsContextTag))
	for _, key := range keys {
		// Length prefixes keep {"a":"bc"} and {"ab":"c"} apart.
		fmt.Fprintf(h, "%d:%s%d:%s", len(key), key, len(ec[key]), ec[key])
	}
	return h.Sum(nil)
}

func checkAlgorithm(alg string) error {
	if alg != "" && alg != KMSAlgorithm {
		return kmsErr(apperr.Validation, "InvalidKeyUsageException", "wharf's KMS keys support %s only, not %s", KMSAlgorithm, alg)
	}
	return nil
}

// Encrypt seals plaintext under the key, bound to the encryption context.
func (k *KMS) Encrypt(ctx context.Context, c Caller, keyID string, plaintext []byte, ec map[string]string, alg string) ([]byte, model.KMSKey, error) {
	if len(plaintext) == 0 || len(plaintext) > kmsMaxPlaintext {
		return nil, model.KMSKey{}, kmsValidation("Plaintext must be 1 to %d bytes", kmsMaxPlaintext)
	}
	if err := checkAlgorithm(alg); err != nil {
		return nil, model.KMSKey{}, err
	}
	key, err := k.usable(ctx, c, keyID)
	if err != nil {
		return nil, model.KMSKey{}, err
	}
	sealed, err := k.Crypter.Encrypt(ctx, key.ARN(), append(contextDigest(ec), plaintext...))
	if err != nil {
		return nil, model.KMSKey{}, err
	}
	blob := append([]byte{kmsCiphertextMagic, kmsCiphertextVersion}, key.KeyID...)
	return append(blob, sealed...), key, nil
}

// Decrypt opens a blob Encrypt or GenerateDataKey made. keyID, when given,
// must name the key the blob was sealed under.
func (k *KMS) Decrypt(ctx context.Context, c Caller, blob []byte, ec map[string]string, keyID, alg string) ([]byte, model.KMSKey, error) {
	if err := checkAlgorithm(alg); err != nil {
		return nil, model.KMSKey{}, err
	}
	invalid := kmsErr(apperr.Validation, "InvalidCiphertextException", "the ciphertext is invalid, was altered, or its encryption context does not match")
	hdr := 2 + kmsCiphertextIDLength
	if len(blob) <= hdr || blob[0] != kmsCiphertextMagic || blob[1] != kmsCiphertextVersion {
		return nil, model.KMSKey{}, invalid
	}
	id := string(blob[2:hdr])
	key, err := k.usable(ctx, c, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, model.KMSKey{}, invalid
	}
	if err != nil {
		return nil, model.KMSKey{}, err
	}
	if keyID != "" {
		want, err := k.Key(ctx, c, keyID)
		if err != nil {
			return nil, model.KMSKey{}, err
		}
		if want.KeyID != key.KeyID {
			return nil, model.KMSKey{}, kmsErr(apperr.Validation, "IncorrectKeyException", "the ciphertext was not encrypted under %s", want.ARN())
		}
	}
	pt, err := k.Crypter.Decrypt(ctx, key.ARN(), blob[hdr:])
	if err != nil {
		return nil, model.KMSKey{}, invalid
	}
	digest := contextDigest(ec)
	if len(pt) < len(digest) || string(pt[:len(digest)]) != string(digest) {
		return nil, model.KMSKey{}, invalid
	}
	return pt[len(digest):], key, nil
}

// GenerateDataKey returns a fresh random data key and the same key encrypted
// under keyID. Exactly one of keySpec (AES_256, AES_128) and numberOfBytes (1-1024).
func (k *KMS) GenerateDataKey(ctx context.Context, c Caller, keyID, keySpec string, numberOfBytes int, ec map[string]string) (plaintext, blob []byte, key model.KMSKey, err error) {
	n := numberOfBytes
	switch {
	case keySpec != "" && n != 0:
		return nil, nil, model.KMSKey{}, kmsValidation("specify either KeySpec or NumberOfBytes, not both")
	case keySpec == "AES_256":
		n = 32
	case keySpec == "AES_128":
		n = 16
	case keySpec != "":
		return nil, nil, model.KMSKey{}, kmsValidation("KeySpec must be AES_256 or AES_128")
	case n == 0:
		return nil, nil, model.KMSKey{}, kmsValidation("KeySpec or NumberOfBytes is required")
	case n < 1 || n > 1024:
		return nil, nil, model.KMSKey{}, kmsValidation("NumberOfBytes must be between 1 and 1024")
	}
	plaintext = make([]byte, n)
	if _, err := rand.Read(plaintext); err != nil {
		return nil, nil, model.KMSKey{}, apperr.New(apperr.Internal, "random").Wrap(err)
	}
	blob, key, err = k.Encrypt(ctx, c, keyID, plaintext, ec, "")
	if err != nil {
		return nil, nil, model.KMSKey{}, err
	}
	return plaintext, blob, key, nil
}

// DomainKeyError says why a domain may not use encryptionKey, nil when it may.
// A key or alias ARN of this wharf's KMS (this region, the caller's account)
// must name an existing Enabled key; ARNs of keys wharf does not hold (another
// account or region: a real AWS key) are accepted as recorded.
func (k *KMS) DomainKeyError(ctx context.Context, c Caller, encryptionKey string) error {
	a, err := model.ParseARN(encryptionKey)
	if err != nil || a.Region != k.Region || a.Account != c.Principal.Account {
		return nil
	}
	if strings.HasPrefix(a.Resource, "alias/aws/") || encryptionKey == DefaultEncryptionKey(k.Region, c.Principal.Account) {
		return nil // an AWS managed key, or wharf's stand-in for one
	}
	notFound := apperr.New(apperr.Validation, "KMS key not found").WithReason("ENCRYPTION_KEY_ERROR")
	key, err := k.Key(ctx, c, encryptionKey)
	switch {
	case apperr.Is(err, apperr.NotFound) && k.External:
		return nil // the external KMS's key: its state is KMS's to tell, at first use
	case apperr.Is(err, apperr.NotFound):
		return notFound
	case err != nil:
		return err
	case key.State != model.KMSKeyEnabled:
		return apperr.New(apperr.Validation, "KMS key %s is %s", key.ARN(), key.State).WithReason("ENCRYPTION_KEY_ERROR")
	}
	return nil
}

// PageTags cuts tags (ordered by key) after marker to at most limit, returning
// the next marker ("" at the end).
func PageTags(tags []model.Tag, marker string, limit int) ([]model.Tag, string) {
	start := 0
	if marker != "" {
		start = sort.Search(len(tags), func(i int) bool { return tags[i].Key > marker })
	}
	tags = tags[start:]
	if limit > 0 && len(tags) > limit {
		return tags[:limit], tags[limit-1].Key
	}
	return tags, ""
}
