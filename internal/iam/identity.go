package iam

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
)

// userOf resolves the user a key operation is about: the named one, or the
// caller itself when no name is given (IAM's rule for the key operations).
func (s *Service) userOf(ctx context.Context, caller model.Principal, name string) (model.Principal, string, error) {
	if name == "" {
		a, err := model.ParseARN(caller.ARN)
		if err == nil && a.Resource == "root" {
			return caller, "", nil
		}
		if err == nil && strings.HasPrefix(a.Resource, "user/") {
			name = a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		} else {
			return model.Principal{}, "", validation("Must specify userName when calling with non-User credentials")
		}
	}
	u, err := s.GetUser(ctx, caller.Account, name)
	if err != nil {
		return model.Principal{}, "", err
	}
	return model.Principal{Account: caller.Account, ARN: u.Arn, UserID: u.UserID}, u.UserName, nil
}

// CreateAccessKey makes a new key for a user (at most two each).
func (s *Service) CreateAccessKey(ctx context.Context, caller model.Principal, userName string) (model.AccessKey, string, error) {
	p, name, err := s.userOf(ctx, caller, userName)
	if err != nil {
		return model.AccessKey{}, "", err
	}
	keys, err := s.Store.ListAccessKeys(ctx, p.ARN)
	if err != nil {
		return model.AccessKey{}, "", err
	}
	if len(keys) >= MaxAccessKeysPerUser {
		return model.AccessKey{}, "", apperr.New(apperr.QuotaExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser).WithReason(CodeLimitExceeded)
	}
	k, err := auth.NewAccessKey(ctx, s.Store, p)
	return k, name, err
}

// ListAccessKeys lists a user's keys.
func (s *Service) ListAccessKeys(ctx context.Context, caller model.Principal, userName string) ([]model.AccessKey, string, error) {
	p, name, err := s.userOf(ctx, caller, userName)
	if err != nil {
		return nil, "", err
	}
	keys, err := s.Store.ListAccessKeys(ctx, p.ARN)
	return keys, name, err
}

func (s *Service) keyOf(ctx context.Context, caller model.Principal, userName, id string) (model.AccessKey, error) {
	p, _, err := s.userOf(ctx, caller, userName)
	if err != nil {
		return model.AccessKey{}, err
	}
	k, err := s.Store.GetAccessKey(ctx, id)
	if err != nil || k.Principal.ARN != p.ARN || k.SessionTokenHash != "" {
		return model.AccessKey{}, apperr.New(apperr.NotFound, "The Access Key with id %s cannot be found.", id).WithReason(CodeNoSuchEntity)
	}
	return k, nil
}

// UpdateAccessKey sets a key Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, caller model.Principal, userName, id, status string) error {
	if status != "Active" && status != "Inactive" {
		return validation("Status must be Active or Inactive")
	}
	k, err := s.keyOf(ctx, caller, userName, id)
	if err != nil {
		return err
	}
	k.Status = status
	return s.Store.PutAccessKey(ctx, k)
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, caller model.Principal, userName, id string) error {
	if _, err := s.keyOf(ctx, caller, userName, id); err != nil {
		return err
	}
	return s.Store.DeleteAccessKey(ctx, id)
}

// Identity loads what IAM's evaluation needs about a caller: the policies of
// the user, or of the role behind a session, and its tags. The account root
// has none. A user IAM does not know has no policies; a session of a deleted
// role is refused (ErrSessionRoleGone).
func (s *Service) Identity(ctx context.Context, p model.Principal, roleARN string, sessionTags map[string]string) (policy.Identity, error) {
	id := policy.Identity{Principal: p, RoleARN: roleARN}
	a, err := model.ParseARN(p.ARN)
	if err != nil || a.Resource == "root" {
		return id, nil
	}
	var parent string
	var tags []Tag
	switch {
	case strings.HasPrefix(a.Resource, "user/"):
		name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		u, err := s.GetUser(ctx, p.Account, name)
		if apperr.Is(err, apperr.NotFound) || (err == nil && u.Arn != p.ARN) {
			return id, nil // a key of a user IAM does not know: no permissions
		}
		if err != nil {
			return id, err
		}
		parent, tags = "user/"+u.UserName, u.Tags
	case strings.HasPrefix(a.Resource, "assumed-role/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
		r, err := s.GetRole(ctx, p.Account, name)
		// A session belongs to the role it was issued for (its unique id),
		// not to whatever role carries the name now: a deleted role's
		// sessions, even with a new role of the same name, act no more.
		if apperr.Is(err, apperr.NotFound) || (err == nil && (!strings.HasPrefix(p.UserID, r.RoleID+":") || (roleARN != "" && r.Arn != roleARN))) {
			return id, ErrSessionRoleGone
		}
		if err != nil {
			return id, err
		}
		id.RoleARN = r.Arn
		parent, tags = "role/"+r.RoleName, r.Tags
	default:
		return id, nil
	}
	id.Tags = map[string]string{}
	for _, t := range tags {
		id.Tags[t.Key] = t.Value
	}
	for k, v := range sessionTags {
		id.Tags[k] = v
	}
	inline, err := list[InlinePolicy](ctx, s, p.Account, kindInline, parent)
	if err != nil {
		return id, err
	}
	for _, ip := range inline {
		pol, err := policy.ParseIdentity(ip.PolicyDocument)
		if err != nil {
			// Valid when put; unparsable now must not open access.
			pol = denyAll
		}
		id.Policies = append(id.Policies, pol)
	}
	attached, err := list[AttachedPolicy](ctx, s, p.Account, kindAttachment, parent)
	if err != nil {
		return id, err
	}
	for _, at := range attached {
		mp, err := s.loadPolicy(ctx, p.Account, at.PolicyArn)
		if apperr.Is(err, apperr.NotFound) {
			continue // policy gone: nothing to grant
		}
		if err != nil {
			return id, err
		}
		var v PolicyVersion
		if err := s.get(ctx, p.Account, kindVersion, "policy/"+mp.PolicyName, mp.DefaultVersionID, "policy version", &v); err != nil {
			return id, err
		}
		pol, err := policy.ParseIdentity(v.Document)
		if err != nil {
			pol = denyAll
		}
		id.Policies = append(id.Policies, pol)
	}
	return id, nil
}

// ErrSessionRoleGone refuses a session whose role was deleted.
var ErrSessionRoleGone = apperr.New(apperr.AccessDenied, "the role this session was issued for no longer exists")

var denyAll = &policy.Policy{Identity: true, Statements: []policy.Statement{{Effect: policy.EffectDeny, Actions: []string{"*"}, Resources: []string{"*"}}}}
