package sqlcommon

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// AccessKeyCols are the access_keys columns ScanAccessKey reads, in order.
const AccessKeyCols = `access_key_id, secret_access_key, principal_account, principal_arn, principal_user_id,
	created_at, status, session_token_hash, role_arn, session_tags, expires_at`

// AccessKeyArgs are k's values for AccessKeyCols, in order.
func AccessKeyArgs(k model.AccessKey) ([]any, error) {
	status := k.Status
	if status == "" {
		status = "Active"
	}
	tags := ""
	if len(k.SessionTags) > 0 {
		b, err := json.Marshal(k.SessionTags)
		if err != nil {
			return nil, err
		}
		tags = string(b)
	}
	return []any{k.AccessKeyID, k.SecretAccessKey, k.Principal.Account, k.Principal.ARN, k.Principal.UserID,
		Millis(k.CreatedAt), status, k.SessionTokenHash, k.RoleARN, tags, Millis(k.ExpiresAt)}, nil
}

// ScanAccessKey reads a row of AccessKeyCols.
func ScanAccessKey(row Scanner) (model.AccessKey, error) {
	var k model.AccessKey
	var created, expires *int64
	var tags string
	if err := row.Scan(&k.AccessKeyID, &k.SecretAccessKey, &k.Principal.Account, &k.Principal.ARN, &k.Principal.UserID,
		&created, &k.Status, &k.SessionTokenHash, &k.RoleARN, &tags, &expires); err != nil {
		return model.AccessKey{}, err
	}
	if tags != "" {
		if err := json.Unmarshal([]byte(tags), &k.SessionTags); err != nil {
			return model.AccessKey{}, fmt.Errorf("access key %s: session tags: %w", k.AccessKeyID, err)
		}
	}
	k.CreatedAt, k.ExpiresAt = FromMillis(created), FromMillis(expires)
	return k, nil
}

// TagsJSON is the stored form of session tags: "" for none.
func TagsJSON(tags map[string]string) (string, error) {
	if len(tags) == 0 {
		return "", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// ParseTagsJSON reads what TagsJSON stored.
func ParseTagsJSON(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var tags map[string]string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("session tags: %w", err)
	}
	return tags, nil
}

// AccessKeyNotFound is the error for a missing access key.
func AccessKeyNotFound(id string) error {
	return apperr.NotFoundf("access-key", id, "access key %s not found", id)
}

// IAMEntityCols are the iam_entities columns ScanIAMEntity reads, in order.
const IAMEntityCols = `account, kind, parent, name, body, created_at`

// IAMNameKey is the case-insensitive key of an IAM name.
func IAMNameKey(name string) string { return strings.ToLower(name) }

// ScanIAMEntity reads a row of IAMEntityCols.
func ScanIAMEntity(row Scanner) (model.IAMEntity, error) {
	var e model.IAMEntity
	var body string
	var created *int64
	if err := row.Scan(&e.Account, &e.Kind, &e.Parent, &e.Name, &body, &created); err != nil {
		return model.IAMEntity{}, err
	}
	e.Body, e.CreatedAt = []byte(body), FromMillis(created)
	return e, nil
}

// IAMEntityNotFound is the error for a missing IAM entity.
func IAMEntityNotFound(kind, name string) error {
	return apperr.NotFoundf("iam-"+kind, name, "%s %s not found", kind, name)
}

// IAMEntityExists is the error for creating an IAM entity twice.
func IAMEntityExists(kind, name string) error {
	return apperr.Conflictf("iam-"+kind, name, "%s %s already exists", kind, name)
}
