// Package iam is wharf's IAM: users, roles with trust policies, inline and
// managed identity policies, attachments, access keys and OIDC identity
// providers of each account, and the identity each request is decided for
// (Identity). It knows nothing of HTTP (awsapi serves it as IAM's Query
// protocol) and stores everything through store.Store.
//
// Errors are *apperr.Error whose Reason is IAM's error code (NoSuchEntity,
// EntityAlreadyExists, DeleteConflict, MalformedPolicyDocument, LimitExceeded,
// ValidationError).
package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/store"
)

// IAM error codes.
const (
	CodeNoSuchEntity      = "NoSuchEntity"
	CodeEntityExists      = "EntityAlreadyExists"
	CodeDeleteConflict    = "DeleteConflict"
	CodeMalformedPolicy   = "MalformedPolicyDocument"
	CodeLimitExceeded     = "LimitExceeded"
	CodeValidation        = "ValidationError"
	CodeInvalidInput      = "InvalidInput"
	MaxAccessKeysPerUser  = 2
	MaxPolicyVersions     = 5
	DefaultMaxSession     = 3600
	MinMaxSessionDuration = 3600
	MaxMaxSessionDuration = 43200
)

// Entity kinds in the store.
const (
	kindUser       = "user"
	kindRole       = "role"
	kindPolicy     = "policy"
	kindVersion    = "policy-version"
	kindInline     = "inline-policy"
	kindAttachment = "attachment"
	kindOIDC       = "oidc-provider"
)

// Tag is an IAM tag.
type Tag struct{ Key, Value string }

// User is an IAM user.
type User struct {
	Path, UserName, UserID, Arn string
	CreateDate                  time.Time
	Tags                        []Tag
}

// Role is an IAM role.
type Role struct {
	Path, RoleName, RoleID, Arn string
	CreateDate                  time.Time
	AssumeRolePolicyDocument    string
	Description                 string
	MaxSessionDuration          int
	Tags                        []Tag
}

// ManagedPolicy is a customer managed policy.
type ManagedPolicy struct {
	PolicyName, PolicyID, Arn, Path string
	DefaultVersionID                string
	AttachmentCount                 int
	Description                     string
	CreateDate, UpdateDate          time.Time
	Tags                            []Tag
	NextVersion                     int
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	Document         string
	VersionID        string
	IsDefaultVersion bool
	CreateDate       time.Time
}

// InlinePolicy is a policy embedded in a user or role.
type InlinePolicy struct {
	PolicyName, PolicyDocument string
}

// AttachedPolicy names a managed policy attached to a user or role.
type AttachedPolicy struct {
	PolicyName, PolicyArn string
}

// OIDCProvider is an OpenID Connect identity provider.
type OIDCProvider struct {
	Arn            string
	URL            string // as registered, with https://
	ClientIDList   []string
	ThumbprintList []string
	CreateDate     time.Time
	Tags           []Tag
}

// Service is IAM over a store.
type Service struct {
	Store store.Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

var (
	nameRe       = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathRe       = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	thumbprintRe = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)
)

func noSuch(typ, name string) error {
	return apperr.New(apperr.NotFound, "The %s with name %s cannot be found.", typ, name).WithReason(CodeNoSuchEntity)
}

func validation(format string, args ...any) error {
	return apperr.New(apperr.Validation, format, args...).WithReason(CodeValidation)
}

func malformed(err error) error {
	msg := err.Error()
	if e := apperr.As(err); e != nil {
		msg = e.Message
	}
	return apperr.New(apperr.Validation, "%s", msg).WithReason(CodeMalformedPolicy)
}

func conflict(format string, args ...any) error {
	return apperr.New(apperr.Conflict, format, args...).WithReason(CodeDeleteConflict)
}

// translate turns the store's NotFound/Conflict into IAM's codes.
func translate(err error, typ, name string) error {
	switch {
	case err == nil:
		return nil
	case apperr.Is(err, apperr.NotFound):
		return noSuch(typ, name)
	case apperr.Is(err, apperr.Conflict):
		return apperr.New(apperr.Conflict, "%s with name %s already exists.", typ, name).WithReason(CodeEntityExists)
	}
	return err
}

func checkName(field, v string, re *regexp.Regexp) error {
	if !re.MatchString(v) {
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, field, re.String())
	}
	return nil
}

func normPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if len(p) > 512 || !pathRe.MatchString(p) {
		return "", validation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return p, nil
}

func checkTags(tags []Tag) error {
	if len(tags) > 50 {
		return apperr.New(apperr.Validation, "a resource can have at most 50 tags").WithReason(CodeLimitExceeded)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return validation("tag keys are 1-128 characters, values at most 256")
		}
		if seen[strings.ToLower(t.Key)] {
			return apperr.New(apperr.Validation, "Duplicate tag keys found. Please note that Tag keys are case insensitive.").WithReason(CodeInvalidInput)
		}
		seen[strings.ToLower(t.Key)] = true
	}
	return nil
}

// mergeTags applies add over have (keys case-insensitive), then removes keys.
func mergeTags(have, add []Tag, remove []string) []Tag {
	out := []Tag{}
	drop := map[string]bool{}
	for _, k := range remove {
		drop[strings.ToLower(k)] = true
	}
	for _, t := range add {
		drop[strings.ToLower(t.Key)] = true
	}
	for _, t := range have {
		if !drop[strings.ToLower(t.Key)] {
			out = append(out, t)
		}
	}
	for _, t := range add {
		if !containsFold(remove, t.Key) {
			out = append(out, t)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// uniqueID is an IAM unique id: a 4-letter prefix and 17 characters.
func uniqueID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

func (s *Service) get(ctx context.Context, account, kind, parent, name, typ string, v any) error {
	e, err := s.Store.GetIAMEntity(ctx, account, kind, parent, name)
	if err != nil {
		return translate(err, typ, name)
	}
	return json.Unmarshal(e.Body, v)
}

func (s *Service) create(ctx context.Context, account, kind, parent, name, typ string, v any, created time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return translate(s.Store.CreateIAMEntity(ctx, model.IAMEntity{Account: account, Kind: kind, Parent: parent, Name: name, Body: b, CreatedAt: created}), typ, name)
}

func (s *Service) put(ctx context.Context, account, kind, parent, name string, v any, created time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Store.PutIAMEntity(ctx, model.IAMEntity{Account: account, Kind: kind, Parent: parent, Name: name, Body: b, CreatedAt: created})
}

func list[T any](ctx context.Context, s *Service, account, kind, parent string) ([]T, error) {
	es, err := s.Store.ListIAMEntities(ctx, account, kind, parent)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(es))
	for _, e := range es {
		var v T
		if err := json.Unmarshal(e.Body, &v); err != nil {
			return nil, fmt.Errorf("iam: stored %s %s: %w", kind, e.Name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// ---- Users ----------------------------------------------------------------

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, account, name, path string, tags []Tag) (User, error) {
	if err := checkName("userName", name, nameRe); err != nil {
		return User{}, err
	}
	path, err := normPath(path)
	if err != nil {
		return User{}, err
	}
	if err := checkTags(tags); err != nil {
		return User{}, err
	}
	u := User{Path: path, UserName: name, UserID: uniqueID("AIDA"), Arn: "arn:aws:iam::" + account + ":user" + path + name, CreateDate: s.now(), Tags: tags}
	return u, s.create(ctx, account, kindUser, "", name, "user", u, u.CreateDate)
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, account, name string) (User, error) {
	var u User
	err := s.get(ctx, account, kindUser, "", name, "user", &u)
	return u, err
}

// ListUsers lists an account's users.
func (s *Service) ListUsers(ctx context.Context, account string) ([]User, error) {
	return list[User](ctx, s, account, kindUser, "")
}

// TagUser / UntagUser change a user's tags.
func (s *Service) TagUser(ctx context.Context, account, name string, add []Tag, remove []string) error {
	u, err := s.GetUser(ctx, account, name)
	if err != nil {
		return err
	}
	u.Tags = mergeTags(u.Tags, add, remove)
	if err := checkTags(u.Tags); err != nil {
		return err
	}
	return s.put(ctx, account, kindUser, "", u.UserName, u, u.CreateDate)
}

// DeleteUser deletes a user that has no access keys and no policies left, as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, account, name string) error {
	u, err := s.GetUser(ctx, account, name)
	if err != nil {
		return err
	}
	keys, err := s.Store.ListAccessKeys(ctx, u.Arn)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return conflict("Cannot delete entity, must delete access keys first.")
	}
	if err := s.noPolicies(ctx, account, "user/"+u.UserName); err != nil {
		return err
	}
	return translate(s.Store.DeleteIAMEntity(ctx, account, kindUser, "", u.UserName), "user", name)
}

func (s *Service) noPolicies(ctx context.Context, account, parent string) error {
	in, err := s.Store.ListIAMEntities(ctx, account, kindInline, parent)
	if err != nil {
		return err
	}
	if len(in) > 0 {
		return conflict("Cannot delete entity, must delete policies first.")
	}
	at, err := s.Store.ListIAMEntities(ctx, account, kindAttachment, parent)
	if err != nil {
		return err
	}
	if len(at) > 0 {
		return conflict("Cannot delete entity, must detach all policies first.")
	}
	return nil
}

// ---- Roles ----------------------------------------------------------------

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, account string, r Role) (Role, error) {
	if err := checkName("roleName", r.RoleName, nameRe); err != nil {
		return Role{}, err
	}
	path, err := normPath(r.Path)
	if err != nil {
		return Role{}, err
	}
	if err := checkTrust(r.AssumeRolePolicyDocument); err != nil {
		return Role{}, err
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = DefaultMaxSession
	}
	if r.MaxSessionDuration < MinMaxSessionDuration || r.MaxSessionDuration > MaxMaxSessionDuration {
		return Role{}, validation("The requested MaxSessionDuration %d is not between 3600 and 43200 seconds.", r.MaxSessionDuration)
	}
	if len(r.Description) > 1000 {
		return Role{}, validation("description is at most 1000 characters")
	}
	if err := checkTags(r.Tags); err != nil {
		return Role{}, err
	}
	r.Path, r.RoleID, r.CreateDate = path, uniqueID("AROA"), s.now()
	r.Arn = "arn:aws:iam::" + account + ":role" + path + r.RoleName
	return r, s.create(ctx, account, kindRole, "", r.RoleName, "role", r, r.CreateDate)
}

// checkTrust validates a trust policy: a resource policy (Principal required).
func checkTrust(doc string) error {
	if doc == "" {
		return validation("AssumeRolePolicyDocument is required")
	}
	if _, err := policy.Parse(doc); err != nil {
		return malformed(err)
	}
	return nil
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, account, name string) (Role, error) {
	var r Role
	err := s.get(ctx, account, kindRole, "", name, "role", &r)
	return r, err
}

// ListRoles lists an account's roles.
func (s *Service) ListRoles(ctx context.Context, account string) ([]Role, error) {
	return list[Role](ctx, s, account, kindRole, "")
}

// UpdateRole changes a role's trust policy, description, session limit or tags (nil: unchanged).
func (s *Service) UpdateRole(ctx context.Context, account, name string, fn func(r *Role) error) (Role, error) {
	r, err := s.GetRole(ctx, account, name)
	if err != nil {
		return Role{}, err
	}
	if err := fn(&r); err != nil {
		return Role{}, err
	}
	if err := checkTrust(r.AssumeRolePolicyDocument); err != nil {
		return Role{}, err
	}
	if r.MaxSessionDuration < MinMaxSessionDuration || r.MaxSessionDuration > MaxMaxSessionDuration {
		return Role{}, validation("The requested MaxSessionDuration %d is not between 3600 and 43200 seconds.", r.MaxSessionDuration)
	}
	if err := checkTags(r.Tags); err != nil {
		return Role{}, err
	}
	return r, s.put(ctx, account, kindRole, "", r.RoleName, r, r.CreateDate)
}

// DeleteRole deletes a role without policies; its sessions stop working
// because their identity is gone (Identity refuses them).
func (s *Service) DeleteRole(ctx context.Context, account, name string) error {
	r, err := s.GetRole(ctx, account, name)
	if err != nil {
		return err
	}
	if err := s.noPolicies(ctx, account, "role/"+r.RoleName); err != nil {
		return err
	}
	return translate(s.Store.DeleteIAMEntity(ctx, account, kindRole, "", r.RoleName), "role", name)
}

// ---- Inline policies ------------------------------------------------------

// owner returns the parent key of a user or role, checking it exists.
func (s *Service) owner(ctx context.Context, account, kind, name string) (string, error) {
	switch kind {
	case kindUser:
		u, err := s.GetUser(ctx, account, name)
		return "user/" + u.UserName, err
	case kindRole:
		r, err := s.GetRole(ctx, account, name)
		return "role/" + r.RoleName, err
	}
	return "", fmt.Errorf("iam: bad owner kind %q", kind)
}

// PutInlinePolicy creates or replaces a user's or role's inline policy.
func (s *Service) PutInlinePolicy(ctx context.Context, account, kind, owner, name, doc string) error {
	if err := checkName("policyName", name, policyNameRe); err != nil {
		return err
	}
	if _, err := policy.ParseIdentity(doc); err != nil {
		return malformed(err)
	}
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return err
	}
	return s.put(ctx, account, kindInline, parent, name, InlinePolicy{PolicyName: name, PolicyDocument: doc}, s.now())
}

// GetInlinePolicy returns one inline policy.
func (s *Service) GetInlinePolicy(ctx context.Context, account, kind, owner, name string) (InlinePolicy, error) {
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return InlinePolicy{}, err
	}
	var p InlinePolicy
	err = s.get(ctx, account, kindInline, parent, name, "policy", &p)
	return p, err
}

// ListInlinePolicies lists the names of a user's or role's inline policies.
func (s *Service) ListInlinePolicies(ctx context.Context, account, kind, owner string) ([]string, error) {
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return nil, err
	}
	ps, err := list[InlinePolicy](ctx, s, account, kindInline, parent)
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.PolicyName
	}
	return names, err
}

// DeleteInlinePolicy deletes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, account, kind, owner, name string) error {
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return err
	}
	return translate(s.Store.DeleteIAMEntity(ctx, account, kindInline, parent, name), "policy", name)
}

// ---- Managed policies -----------------------------------------------------

// PolicyARN is a customer managed policy's ARN.
func PolicyARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + path + name
}

// policyName extracts the name of a customer managed policy ARN of account.
func policyName(account, arn string) (string, error) {
	a, err := model.ParseARN(arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "policy/") {
		return "", apperr.New(apperr.Validation, "ARN %s is not valid.", arn).WithReason(CodeInvalidInput)
	}
	if a.Account != account {
		// AWS managed policies (account "aws") and other accounts' policies are
		// not stored in wharf.
		return "", noSuch("policy", arn)
	}
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:], nil
}

// CreatePolicy creates a managed policy with version v1 as default.
func (s *Service) CreatePolicy(ctx context.Context, account, name, path, doc, description string, tags []Tag) (ManagedPolicy, error) {
	if err := checkName("policyName", name, policyNameRe); err != nil {
		return ManagedPolicy{}, err
	}
	path, err := normPath(path)
	if err != nil {
		return ManagedPolicy{}, err
	}
	if _, err := policy.ParseIdentity(doc); err != nil {
		return ManagedPolicy{}, malformed(err)
	}
	if err := checkTags(tags); err != nil {
		return ManagedPolicy{}, err
	}
	now := s.now()
	p := ManagedPolicy{PolicyName: name, PolicyID: uniqueID("ANPA"), Arn: PolicyARN(account, path, name), Path: path,
		DefaultVersionID: "v1", Description: description, CreateDate: now, UpdateDate: now, Tags: tags, NextVersion: 2}
	if err := s.create(ctx, account, kindPolicy, "", name, "policy", p, now); err != nil {
		return ManagedPolicy{}, err
	}
	return p, s.put(ctx, account, kindVersion, "policy/"+name, "v1", PolicyVersion{Document: doc, VersionID: "v1", IsDefaultVersion: true, CreateDate: now}, now)
}

// loadPolicy returns a managed policy by ARN without its attachment count
// (which costs a scan of the account's attachments).
func (s *Service) loadPolicy(ctx context.Context, account, arn string) (ManagedPolicy, error) {
	name, err := policyName(account, arn)
	if err != nil {
		return ManagedPolicy{}, err
	}
	var p ManagedPolicy
	if err := s.get(ctx, account, kindPolicy, "", name, "policy", &p); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return ManagedPolicy{}, noSuch("policy", arn)
		}
		return ManagedPolicy{}, err
	}
	if p.Arn != arn {
		return ManagedPolicy{}, noSuch("policy", arn)
	}
	return p, nil
}

// GetPolicy returns a managed policy by ARN, with its attachment count.
func (s *Service) GetPolicy(ctx context.Context, account, arn string) (ManagedPolicy, error) {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return ManagedPolicy{}, err
	}
	at, err := s.attachmentsOf(ctx, account, arn)
	p.AttachmentCount = len(at)
	return p, err
}

func (s *Service) attachmentsOf(ctx context.Context, account, arn string) ([]model.IAMEntity, error) {
	all, err := s.Store.ListIAMEntities(ctx, account, kindAttachment, "*")
	var out []model.IAMEntity
	for _, e := range all {
		if e.Name == arn {
			out = append(out, e)
		}
	}
	return out, err
}

// ListPolicies lists the account's managed policies.
func (s *Service) ListPolicies(ctx context.Context, account string) ([]ManagedPolicy, error) {
	return list[ManagedPolicy](ctx, s, account, kindPolicy, "")
}

// TagPolicy changes a managed policy's tags.
func (s *Service) TagPolicy(ctx context.Context, account, arn string, add []Tag, remove []string) error {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return err
	}
	p.Tags = mergeTags(p.Tags, add, remove)
	if err := checkTags(p.Tags); err != nil {
		return err
	}
	return s.put(ctx, account, kindPolicy, "", p.PolicyName, p, p.CreateDate)
}

// GetPolicyVersion returns one version of a managed policy.
func (s *Service) GetPolicyVersion(ctx context.Context, account, arn, version string) (PolicyVersion, error) {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return PolicyVersion{}, err
	}
	var v PolicyVersion
	if err := s.get(ctx, account, kindVersion, "policy/"+p.PolicyName, version, "policy version", &v); err != nil {
		return PolicyVersion{}, noSuch("policy version", version)
	}
	v.IsDefaultVersion = v.VersionID == p.DefaultVersionID
	return v, nil
}

// ListPolicyVersions lists a managed policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, account, arn string) ([]PolicyVersion, error) {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return nil, err
	}
	vs, err := list[PolicyVersion](ctx, s, account, kindVersion, "policy/"+p.PolicyName)
	for i := range vs {
		vs[i].IsDefaultVersion = vs[i].VersionID == p.DefaultVersionID
	}
	sort.Slice(vs, func(i, j int) bool { return versionNumber(vs[i].VersionID) > versionNumber(vs[j].VersionID) })
	return vs, err
}

func versionNumber(v string) int {
	var n int
	_, _ = fmt.Sscanf(v, "v%d", &n)
	return n
}

// CreatePolicyVersion adds a version (at most five exist), optionally as the default.
func (s *Service) CreatePolicyVersion(ctx context.Context, account, arn, doc string, setDefault bool) (PolicyVersion, error) {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return PolicyVersion{}, err
	}
	if _, err := policy.ParseIdentity(doc); err != nil {
		return PolicyVersion{}, malformed(err)
	}
	vs, err := s.Store.ListIAMEntities(ctx, account, kindVersion, "policy/"+p.PolicyName)
	if err != nil {
		return PolicyVersion{}, err
	}
	if len(vs) >= MaxPolicyVersions {
		return PolicyVersion{}, apperr.New(apperr.QuotaExceeded, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.").WithReason(CodeLimitExceeded)
	}
	now := s.now()
	v := PolicyVersion{Document: doc, VersionID: fmt.Sprintf("v%d", p.NextVersion), CreateDate: now, IsDefaultVersion: setDefault}
	if err := s.put(ctx, account, kindVersion, "policy/"+p.PolicyName, v.VersionID, v, now); err != nil {
		return PolicyVersion{}, err
	}
	p.NextVersion++
	p.UpdateDate = now
	if setDefault {
		p.DefaultVersionID = v.VersionID
	}
	return v, s.put(ctx, account, kindPolicy, "", p.PolicyName, p, p.CreateDate)
}

// SetDefaultPolicyVersion makes a version the default.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, account, arn, version string) error {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return err
	}
	if _, err := s.GetPolicyVersion(ctx, account, arn, version); err != nil {
		return err
	}
	p.DefaultVersionID, p.UpdateDate = version, s.now()
	return s.put(ctx, account, kindPolicy, "", p.PolicyName, p, p.CreateDate)
}

// DeletePolicyVersion deletes a non-default version.
func (s *Service) DeletePolicyVersion(ctx context.Context, account, arn, version string) error {
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return err
	}
	if version == p.DefaultVersionID {
		return conflict("Cannot delete the default version of a policy.")
	}
	return translate(s.Store.DeleteIAMEntity(ctx, account, kindVersion, "policy/"+p.PolicyName, version), "policy version", version)
}

// DeletePolicy deletes a managed policy that is attached nowhere and has no
// versions besides the default, as IAM requires.
func (s *Service) DeletePolicy(ctx context.Context, account, arn string) error {
	p, err := s.GetPolicy(ctx, account, arn)
	if err != nil {
		return err
	}
	if p.AttachmentCount > 0 {
		return conflict("Cannot delete a policy attached to entities.")
	}
	vs, err := s.Store.ListIAMEntities(ctx, account, kindVersion, "policy/"+p.PolicyName)
	if err != nil {
		return err
	}
	if len(vs) > 1 {
		return conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	for _, v := range vs {
		if err := s.Store.DeleteIAMEntity(ctx, account, kindVersion, "policy/"+p.PolicyName, v.Name); err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
	}
	return translate(s.Store.DeleteIAMEntity(ctx, account, kindPolicy, "", p.PolicyName), "policy", arn)
}

// ---- Attachments ----------------------------------------------------------

// Attach attaches a managed policy to a user or role.
func (s *Service) Attach(ctx context.Context, account, kind, owner, arn string) error {
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return err
	}
	p, err := s.loadPolicy(ctx, account, arn)
	if err != nil {
		return err
	}
	return s.put(ctx, account, kindAttachment, parent, arn, AttachedPolicy{PolicyName: p.PolicyName, PolicyArn: arn}, s.now())
}

// Detach detaches a managed policy.
func (s *Service) Detach(ctx context.Context, account, kind, owner, arn string) error {
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteIAMEntity(ctx, account, kindAttachment, parent, arn); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return apperr.New(apperr.NotFound, "Policy %s was not found.", arn).WithReason(CodeNoSuchEntity)
		}
		return err
	}
	return nil
}

// ListAttached lists the managed policies attached to a user or role.
func (s *Service) ListAttached(ctx context.Context, account, kind, owner string) ([]AttachedPolicy, error) {
	parent, err := s.owner(ctx, account, kind, owner)
	if err != nil {
		return nil, err
	}
	return list[AttachedPolicy](ctx, s, account, kindAttachment, parent)
}

// ---- OIDC providers -------------------------------------------------------

// oidcKey is a provider URL without its scheme: the ARN's resource suffix and
// the prefix of its condition keys.
func oidcKey(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimSuffix(u, "/")
}

// OIDCProviderARN is the ARN of the provider registered for url.
func OIDCProviderARN(account, url string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + oidcKey(url)
}

func oidcKeyOfARN(account, arn string) (string, error) {
	a, err := model.ParseARN(arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "oidc-provider/") {
		return "", apperr.New(apperr.Validation, "ARN %s is not valid.", arn).WithReason(CodeInvalidInput)
	}
	if a.Account != account {
		return "", noSuch("OpenIDConnect provider", arn)
	}
	return strings.TrimPrefix(a.Resource, "oidc-provider/"), nil
}

func checkOIDC(p OIDCProvider) error {
	if !strings.HasPrefix(p.URL, "https://") && !strings.HasPrefix(p.URL, "http://") {
		return validation("Url must begin with https://")
	}
	if len(p.ClientIDList) > 100 || len(p.ThumbprintList) > 5 {
		return apperr.New(apperr.Validation, "at most 100 client ids and 5 thumbprints").WithReason(CodeLimitExceeded)
	}
	for _, t := range p.ThumbprintList {
		if !thumbprintRe.MatchString(t) {
			return validation("thumbprint %q must be 40 hexadecimal characters (a SHA-1 fingerprint)", t)
		}
	}
	for _, c := range p.ClientIDList {
		if c == "" || len(c) > 255 {
			return validation("client ids are 1-255 characters")
		}
	}
	return checkTags(p.Tags)
}

// CreateOIDCProvider registers an OpenID Connect provider.
func (s *Service) CreateOIDCProvider(ctx context.Context, account string, p OIDCProvider) (OIDCProvider, error) {
	if err := checkOIDC(p); err != nil {
		return OIDCProvider{}, err
	}
	p.CreateDate, p.Arn = s.now(), OIDCProviderARN(account, p.URL)
	if err := s.create(ctx, account, kindOIDC, "", oidcKey(p.URL), "OpenIDConnect provider", p, p.CreateDate); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return OIDCProvider{}, apperr.New(apperr.Conflict, "Provider with url %s already exists.", p.URL).WithReason(CodeEntityExists)
		}
		return OIDCProvider{}, err
	}
	return p, nil
}

// GetOIDCProvider returns a provider by ARN.
func (s *Service) GetOIDCProvider(ctx context.Context, account, arn string) (OIDCProvider, error) {
	key, err := oidcKeyOfARN(account, arn)
	if err != nil {
		return OIDCProvider{}, err
	}
	var p OIDCProvider
	if err := s.get(ctx, account, kindOIDC, "", key, "OpenIDConnect provider", &p); err != nil {
		return OIDCProvider{}, apperr.New(apperr.NotFound, "OpenIDConnect Provider not found for arn %s", arn).WithReason(CodeNoSuchEntity)
	}
	return p, nil
}

// ListOIDCProviders lists an account's providers.
func (s *Service) ListOIDCProviders(ctx context.Context, account string) ([]OIDCProvider, error) {
	return list[OIDCProvider](ctx, s, account, kindOIDC, "")
}

// UpdateOIDCProvider changes a provider's client ids, thumbprints or tags.
func (s *Service) UpdateOIDCProvider(ctx context.Context, account, arn string, fn func(p *OIDCProvider)) error {
	p, err := s.GetOIDCProvider(ctx, account, arn)
	if err != nil {
		return err
	}
	fn(&p)
	if err := checkOIDC(p); err != nil {
		return err
	}
	return s.put(ctx, account, kindOIDC, "", oidcKey(p.URL), p, p.CreateDate)
}

// DeleteOIDCProvider deletes a provider.
func (s *Service) DeleteOIDCProvider(ctx context.Context, account, arn string) error {
	key, err := oidcKeyOfARN(account, arn)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteIAMEntity(ctx, account, kindOIDC, "", key); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return apperr.New(apperr.NotFound, "OpenIDConnect Provider not found for arn %s", arn).WithReason(CodeNoSuchEntity)
		}
		return err
	}
	return nil
}

// FindOIDCProvider returns the provider registered for an issuer URL (as a
// token's iss claim spells it) in account.
func (s *Service) FindOIDCProvider(ctx context.Context, account, issuer string) (OIDCProvider, error) {
	return s.GetOIDCProvider(ctx, account, OIDCProviderARN(account, issuer))
}
