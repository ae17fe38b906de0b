package awsapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// KMS serves wharf's KMS subset in the AWS json 1.1 protocol: POST / with
// X-Amz-Target: TrentService.<Operation>. The use cases live in service.KMS;
// this file only decodes requests and spells results and errors.
type KMS struct {
	Svc *service.KMS
	Log *slog.Logger
	// AuthorizeIdentity decides the actions no key policy governs (CreateKey,
	// ListKeys, ListAliases on "*"; an alias's own side of the alias
	// operations) on the caller's identity policies; nil allows them. Actions
	// on keys are decided by Svc.Authorize as each key is resolved.
	AuthorizeIdentity func(ctx context.Context, c service.Caller, action, resource string) error

	once  sync.Once
	table map[string]kmsOp
}

const (
	kmsTargetPrefix = "TrentService."
	kmsContentType  = "application/x-amz-json-1.1"
	kmsMaxBody      = 1 << 20
)

// kmsOp decodes a request body into In and runs fn.
type kmsOp func(ctx context.Context, c service.Caller, body []byte) (any, error)

func kmsHandler[In any](fn func(ctx context.Context, c service.Caller, in In) (any, error)) kmsOp {
	return func(ctx context.Context, c service.Caller, body []byte) (any, error) {
		var in In
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, apperr.New(apperr.Validation, "could not parse the request body: %v", err).WithReason("SerializationException")
			}
		}
		return fn(ctx, c, in)
	}
}

// identityOnlyKMS are the operations IAM decides on "*" with identity
// policies alone; aliasKMS those also decided on the alias's ARN.
var (
	identityOnlyKMS = map[string]bool{"CreateKey": true, "ListKeys": true, "ListAliases": true}
	aliasKMS        = map[string]bool{"CreateAlias": true, "UpdateAlias": true, "DeleteAlias": true}
)

// authorizeOp decides the identity-only side of op (see identityOnlyKMS).
func (k *KMS) authorizeOp(ctx context.Context, c service.Caller, op string, body []byte) error {
	if k.AuthorizeIdentity == nil {
		return nil
	}
	action := "kms:" + op
	switch {
	case identityOnlyKMS[op]:
		return k.AuthorizeIdentity(ctx, c, action, "*")
	case aliasKMS[op]:
		var in struct{ AliasName string }
		if json.Unmarshal(body, &in) != nil || in.AliasName == "" {
			return nil // the operation refuses the body itself
		}
		return k.AuthorizeIdentity(ctx, c, action, model.KMSAlias{Account: c.Principal.Account, Region: k.Svc.Region, Name: in.AliasName}.ARN())
	}
	return nil
}

// Serve handles a verified KMS request from c.
func (k *KMS) Serve(w http.ResponseWriter, r *http.Request, c service.Caller) {
	target := r.Header.Get("X-Amz-Target")
	op, known := strings.CutPrefix(target, kmsTargetPrefix)
	if r.Method != http.MethodPost || !known {
		writeKMSError(w, r, k.Log, apperr.New(apperr.NotImplemented, "wharf's KMS expects POST with X-Amz-Target %s<Operation>, got %s %q", kmsTargetPrefix, r.Method, target).WithReason("UnknownOperationException"))
		return
	}
	k.once.Do(func() { k.table = k.ops() })
	fn, ok := k.table[op]
	if !ok {
		writeKMSError(w, r, k.Log, apperr.New(apperr.NotImplemented, "wharf's KMS subset does not serve %s", op).WithReason("UnsupportedOperationException"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, kmsMaxBody+1))
	if err != nil {
		writeKMSError(w, r, k.Log, apperr.New(apperr.Validation, "could not read the request body").WithReason("SerializationException").Wrap(err))
		return
	}
	if len(body) > kmsMaxBody {
		writeKMSError(w, r, k.Log, apperr.New(apperr.TooLarge, "request body over %d bytes", kmsMaxBody).WithReason("ValidationException"))
		return
	}
	// Every key the operation resolves is decided for kms:OPERATION.
	ctx := service.WithKMSAction(r.Context(), "kms:"+op)
	if err := k.authorizeOp(ctx, c, op, body); err != nil {
		writeKMSError(w, r, k.Log, err)
		return
	}
	out, err := fn(ctx, c, body)
	if err != nil {
		writeKMSError(w, r, k.Log, err)
		return
	}
	w.Header().Set("Content-Type", kmsContentType)
	if out == nil {
		out = struct{}{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// --- wire shapes -------------------------------------------------------------

type kmsTag struct {
	TagKey   string
	TagValue string
}

func kmsTagsIn(ts []kmsTag) []model.Tag {
	out := make([]model.Tag, 0, len(ts))
	for _, t := range ts {
		out = append(out, model.Tag{Key: t.TagKey, Value: t.TagValue})
	}
	return out
}

func kmsTagsOut(ts []model.Tag) []kmsTag {
	out := make([]kmsTag, 0, len(ts))
	for _, t := range ts {
		out = append(out, kmsTag{t.Key, t.Value})
	}
	return out
}

// kmsEpoch is a timestamp as the json protocol sends it: seconds since the epoch.
func kmsEpoch(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := float64(t.UnixMilli()) / 1000
	return &v
}

type keyMetadata struct {
	AWSAccountId                string
	KeyId                       string
	Arn                         string
	CreationDate                *float64
	Enabled                     bool
	Description                 string
	KeyUsage                    string
	KeyState                    string
	DeletionDate                *float64 `json:",omitempty"`
	PendingDeletionWindowInDays int      `json:",omitempty"`
	Origin                      string
	KeyManager                  string
	CustomerMasterKeySpec       string
	KeySpec                     string
	EncryptionAlgorithms        []string
	MultiRegion                 bool
}

func kmsMetadata(k model.KMSKey) keyMetadata {
	return keyMetadata{
		AWSAccountId: k.Account, KeyId: k.KeyID, Arn: k.ARN(), CreationDate: kmsEpoch(k.CreatedAt),
		Enabled: k.State == model.KMSKeyEnabled, Description: k.Description, KeyUsage: k.KeyUsage,
		KeyState: k.State, DeletionDate: kmsEpoch(k.DeletionDate), PendingDeletionWindowInDays: k.PendingWindowDays,
		Origin: k.Origin, KeyManager: "CUSTOMER", CustomerMasterKeySpec: k.KeySpec, KeySpec: k.KeySpec,
		EncryptionAlgorithms: []string{service.KMSAlgorithm}, MultiRegion: k.MultiRegion,
	}
}

type kmsKeyRef struct{ KeyId string }

type kmsMetadataOut struct{ KeyMetadata keyMetadata }

type kmsPage struct {
	Limit  int
	Marker string
}

func (p kmsPage) check() error {
	if p.Limit < 0 || p.Limit > 1000 {
		return apperr.New(apperr.Validation, "Limit must be between 1 and 1000").WithReason("ValidationException")
	}
	return nil
}

// ops is the routing table: operation name to handler.
func (k *KMS) ops() map[string]kmsOp {
	s := k.Svc
	return map[string]kmsOp{
		"CreateKey": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			Description, KeyUsage, KeySpec, CustomerMasterKeySpec, Origin, Policy string
			MultiRegion                                                           bool
			BypassPolicyLockoutSafetyCheck                                        bool
			Tags                                                                  []kmsTag
		}) (any, error) {
			spec := in.KeySpec
			if spec == "" {
				spec = in.CustomerMasterKeySpec
			}
			key, err := s.CreateKey(ctx, c, service.KMSKeyInput{
				Description: in.Description, KeyUsage: in.KeyUsage, KeySpec: spec, Origin: in.Origin,
				Policy: in.Policy, MultiRegion: in.MultiRegion, Tags: kmsTagsIn(in.Tags),
				BypassPolicyLockoutSafetyCheck: in.BypassPolicyLockoutSafetyCheck,
			})
			if err != nil {
				return nil, err
			}
			return kmsMetadataOut{kmsMetadata(key)}, nil
		}),
		"DescribeKey": kmsHandler(func(ctx context.Context, c service.Caller, in kmsKeyRef) (any, error) {
			key, err := s.Key(ctx, c, in.KeyId)
			if err != nil {
				return nil, err
			}
			return kmsMetadataOut{kmsMetadata(key)}, nil
		}),
		"ListKeys": kmsHandler(func(ctx context.Context, c service.Caller, in kmsPage) (any, error) {
			if err := in.check(); err != nil {
				return nil, err
			}
			limit := in.Limit
			if limit == 0 {
				limit = 100
			}
			keys, next, err := s.ListKeys(ctx, c, service.Page{Token: in.Marker, Limit: limit})
			if err != nil {
				return nil, err
			}
			type entry struct{ KeyId, KeyArn string }
			out := struct {
				Keys       []entry
				NextMarker string `json:",omitempty"`
				Truncated  bool
			}{Keys: []entry{}, NextMarker: next, Truncated: next != ""}
			for _, key := range keys {
				out.Keys = append(out.Keys, entry{key.KeyID, key.ARN()})
			}
			return out, nil
		}),
		"GetKeyPolicy": kmsHandler(func(ctx context.Context, c service.Caller, in struct{ KeyId, PolicyName string }) (any, error) {
			policy, err := s.KeyPolicy(ctx, c, in.KeyId, in.PolicyName)
			if err != nil {
				return nil, err
			}
			return struct{ Policy, PolicyName string }{policy, "default"}, nil
		}),
		"PutKeyPolicy": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId, PolicyName, Policy      string
			BypassPolicyLockoutSafetyCheck bool
		}) (any, error) {
			return nil, s.PutKeyPolicy(ctx, c, in.KeyId, in.PolicyName, in.Policy, in.BypassPolicyLockoutSafetyCheck)
		}),
		"GetKeyRotationStatus": kmsHandler(func(ctx context.Context, c service.Caller, in kmsKeyRef) (any, error) {
			key, err := s.Key(ctx, c, in.KeyId)
			if err != nil {
				return nil, err
			}
			out := struct {
				KeyId                string
				KeyRotationEnabled   bool
				RotationPeriodInDays int      `json:",omitempty"`
				NextRotationDate     *float64 `json:",omitempty"`
			}{KeyId: key.ARN(), KeyRotationEnabled: key.RotationEnabled}
			if key.RotationEnabled {
				out.RotationPeriodInDays = key.RotationPeriodDays
			}
			return out, nil
		}),
		"EnableKeyRotation": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId                string
			RotationPeriodInDays int
		}) (any, error) {
			return nil, s.SetRotation(ctx, c, in.KeyId, true, in.RotationPeriodInDays)
		}),
		"DisableKeyRotation": kmsHandler(func(ctx context.Context, c service.Caller, in kmsKeyRef) (any, error) {
			return nil, s.SetRotation(ctx, c, in.KeyId, false, 0)
		}),
		"UpdateKeyDescription": kmsHandler(func(ctx context.Context, c service.Caller, in struct{ KeyId, Description string }) (any, error) {
			return nil, s.UpdateDescription(ctx, c, in.KeyId, in.Description)
		}),
		"EnableKey": kmsHandler(func(ctx context.Context, c service.Caller, in kmsKeyRef) (any, error) {
			return nil, s.SetEnabled(ctx, c, in.KeyId, true)
		}),
		"DisableKey": kmsHandler(func(ctx context.Context, c service.Caller, in kmsKeyRef) (any, error) {
			return nil, s.SetEnabled(ctx, c, in.KeyId, false)
		}),
		"ScheduleKeyDeletion": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId               string
			PendingWindowInDays int
		}) (any, error) {
			key, err := s.ScheduleDeletion(ctx, c, in.KeyId, in.PendingWindowInDays)
			if err != nil {
				return nil, err
			}
			return struct {
				KeyId               string
				DeletionDate        *float64
				KeyState            string
				PendingWindowInDays int
			}{key.ARN(), kmsEpoch(key.DeletionDate), key.State, key.PendingWindowDays}, nil
		}),
		"CancelKeyDeletion": kmsHandler(func(ctx context.Context, c service.Caller, in kmsKeyRef) (any, error) {
			key, err := s.CancelDeletion(ctx, c, in.KeyId)
			if err != nil {
				return nil, err
			}
			return struct{ KeyId string }{key.ARN()}, nil
		}),
		"ListResourceTags": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId string
			kmsPage
		}) (any, error) {
			if err := in.check(); err != nil {
				return nil, err
			}
			tags, err := s.Tags(ctx, c, in.KeyId)
			if err != nil {
				return nil, err
			}
			page, next := service.PageTags(tags, in.Marker, in.Limit)
			return struct {
				Tags       []kmsTag
				NextMarker string `json:",omitempty"`
				Truncated  bool
			}{kmsTagsOut(page), next, next != ""}, nil
		}),
		"TagResource": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId string
			Tags  []kmsTag
		}) (any, error) {
			return nil, s.Tag(ctx, c, in.KeyId, kmsTagsIn(in.Tags))
		}),
		"UntagResource": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId   string
			TagKeys []string
		}) (any, error) {
			return nil, s.Untag(ctx, c, in.KeyId, in.TagKeys)
		}),
		"CreateAlias": kmsHandler(func(ctx context.Context, c service.Caller, in struct{ AliasName, TargetKeyId string }) (any, error) {
			return nil, s.CreateAlias(ctx, c, in.AliasName, in.TargetKeyId)
		}),
		"UpdateAlias": kmsHandler(func(ctx context.Context, c service.Caller, in struct{ AliasName, TargetKeyId string }) (any, error) {
			return nil, s.UpdateAlias(ctx, c, in.AliasName, in.TargetKeyId)
		}),
		"DeleteAlias": kmsHandler(func(ctx context.Context, c service.Caller, in struct{ AliasName string }) (any, error) {
			return nil, s.DeleteAlias(ctx, c, in.AliasName)
		}),
		"ListAliases": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId string
			kmsPage
		}) (any, error) {
			if err := in.check(); err != nil {
				return nil, err
			}
			limit := in.Limit
			if limit == 0 {
				limit = 50
			}
			aliases, next, err := s.ListAliases(ctx, c, in.KeyId, in.Marker, limit)
			if err != nil {
				return nil, err
			}
			type entry struct {
				AliasName, AliasArn, TargetKeyId string
				CreationDate, LastUpdatedDate    *float64
			}
			out := struct {
				Aliases    []entry
				NextMarker string `json:",omitempty"`
				Truncated  bool
			}{Aliases: []entry{}, NextMarker: next, Truncated: next != ""}
			for _, a := range aliases {
				out.Aliases = append(out.Aliases, entry{a.Name, a.ARN(), a.TargetKeyID, kmsEpoch(a.CreatedAt), kmsEpoch(a.UpdatedAt)})
			}
			return out, nil
		}),
		"Encrypt": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId               string
			Plaintext           []byte
			EncryptionContext   map[string]string
			EncryptionAlgorithm string
		}) (any, error) {
			blob, key, err := s.Encrypt(ctx, c, in.KeyId, in.Plaintext, in.EncryptionContext, in.EncryptionAlgorithm)
			if err != nil {
				return nil, err
			}
			return struct {
				CiphertextBlob             []byte
				KeyId, EncryptionAlgorithm string
			}{blob, key.ARN(), service.KMSAlgorithm}, nil
		}),
		"Decrypt": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			CiphertextBlob      []byte
			EncryptionContext   map[string]string
			KeyId               string
			EncryptionAlgorithm string
		}) (any, error) {
			pt, key, err := s.Decrypt(ctx, c, in.CiphertextBlob, in.EncryptionContext, in.KeyId, in.EncryptionAlgorithm)
			if err != nil {
				return nil, err
			}
			return struct {
				Plaintext                  []byte
				KeyId, EncryptionAlgorithm string
			}{pt, key.ARN(), service.KMSAlgorithm}, nil
		}),
		"GenerateDataKey": kmsHandler(func(ctx context.Context, c service.Caller, in struct {
			KeyId             string
			KeySpec           string
			NumberOfBytes     int
			EncryptionContext map[string]string
		}) (any, error) {
			pt, blob, key, err := s.GenerateDataKey(ctx, c, in.KeyId, in.KeySpec, in.NumberOfBytes, in.EncryptionContext)
			if err != nil {
				return nil, err
			}
			return struct {
				CiphertextBlob, Plaintext []byte
				KeyId                     string
			}{blob, pt, key.ARN()}, nil
		}),
	}
}

// --- errors ------------------------------------------------------------------

// kmsKindNames spells an apperr.Kind as a KMS exception when the error does not
// name one itself (in Reason).
var kmsKindNames = map[apperr.Kind]string{
	apperr.Validation:      "ValidationException",
	apperr.NotFound:        "NotFoundException",
	apperr.Conflict:        "AlreadyExistsException",
	apperr.AccessDenied:    "AccessDeniedException",
	apperr.QuotaExceeded:   "LimitExceededException",
	apperr.Throttling:      "ThrottlingException",
	apperr.NotImplemented:  "UnsupportedOperationException",
	apperr.TooLarge:        "ValidationException",
	apperr.Unauthenticated: "UnrecognizedClientException",
	apperr.Internal:        "KMSInternalException",
}

// writeKMSError writes err in the json protocol: {"__type": name, "message": ...}
// with X-Amzn-ErrorType, status 400 for client errors (KMS answers even
// AccessDeniedException with 400), 403 for authentication failures and 500 for
// internal ones.
func writeKMSError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := apperr.As(err)
	name := e.Reason
	if !strings.HasSuffix(name, "Exception") {
		name = kmsKindNames[e.Kind]
	}
	status, msg := http.StatusBadRequest, e.Message
	switch e.Kind {
	case apperr.Unauthenticated:
		status = http.StatusForbidden
	case apperr.Throttling:
		w.Header().Set("Retry-After", "1")
	case apperr.Internal:
		status, name = http.StatusInternalServerError, "KMSInternalException"
		log.ErrorContext(r.Context(), "internal error", "err", err)
		msg = "An internal error occurred; the request id identifies it in wharf's log"
	}
	w.Header().Set("Content-Type", kmsContentType)
	w.Header().Set("X-Amzn-ErrorType", name)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": name, "message": msg})
}
