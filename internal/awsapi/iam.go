package awsapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

const iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// IAM serves IAM's Query protocol (XML) for the operations the Terraform AWS
// provider and the aws CLI use on users, roles, policies, access keys and
// OIDC providers. Every operation is authorized as iam:ACTION on the entity's
// ARN by Authorize (IAM's decision procedure; the account root always may).
type IAM struct {
	Svc       *iam.Service
	Authorize func(ctx context.Context, c service.Caller, action, resource string) error
	Log       *slog.Logger
}

type iamTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func xTags(ts []iam.Tag) []iamTag {
	out := make([]iamTag, len(ts))
	for i, t := range ts {
		out[i] = iamTag{t.Key, t.Value}
	}
	return out
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// policyEscape percent-encodes a policy document as IAM returns it in XML
// (RFC 3986 unreserved characters stay); the provider and botocore decode it.
func policyEscape(doc string) string {
	var b strings.Builder
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

type iamUser struct {
	Path       string   `xml:"Path"`
	UserName   string   `xml:"UserName"`
	UserID     string   `xml:"UserId"`
	Arn        string   `xml:"Arn"`
	CreateDate string   `xml:"CreateDate"`
	Tags       []iamTag `xml:"Tags>member,omitempty"`
}

func xUser(u iam.User) iamUser {
	return iamUser{u.Path, u.UserName, u.UserID, u.Arn, isoTime(u.CreateDate), xTags(u.Tags)}
}

type iamRole struct {
	Path                     string   `xml:"Path"`
	RoleName                 string   `xml:"RoleName"`
	RoleID                   string   `xml:"RoleId"`
	Arn                      string   `xml:"Arn"`
	CreateDate               string   `xml:"CreateDate"`
	AssumeRolePolicyDocument string   `xml:"AssumeRolePolicyDocument"`
	Description              string   `xml:"Description,omitempty"`
	MaxSessionDuration       int      `xml:"MaxSessionDuration"`
	Tags                     []iamTag `xml:"Tags>member,omitempty"`
}

func xRole(r iam.Role) iamRole {
	return iamRole{r.Path, r.RoleName, r.RoleID, r.Arn, isoTime(r.CreateDate), policyEscape(r.AssumeRolePolicyDocument),
		r.Description, r.MaxSessionDuration, xTags(r.Tags)}
}

type iamPolicy struct {
	PolicyName                    string   `xml:"PolicyName"`
	PolicyID                      string   `xml:"PolicyId"`
	Arn                           string   `xml:"Arn"`
	Path                          string   `xml:"Path"`
	DefaultVersionID              string   `xml:"DefaultVersionId"`
	AttachmentCount               int      `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int      `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool     `xml:"IsAttachable"`
	Description                   string   `xml:"Description,omitempty"`
	CreateDate                    string   `xml:"CreateDate"`
	UpdateDate                    string   `xml:"UpdateDate"`
	Tags                          []iamTag `xml:"Tags>member,omitempty"`
}

func xPolicy(p iam.ManagedPolicy) iamPolicy {
	return iamPolicy{p.PolicyName, p.PolicyID, p.Arn, p.Path, p.DefaultVersionID, p.AttachmentCount, 0, true,
		p.Description, isoTime(p.CreateDate), isoTime(p.UpdateDate), xTags(p.Tags)}
}

type iamPolicyVersion struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

func xVersion(v iam.PolicyVersion, withDoc bool) iamPolicyVersion {
	out := iamPolicyVersion{VersionID: v.VersionID, IsDefaultVersion: v.IsDefaultVersion, CreateDate: isoTime(v.CreateDate)}
	if withDoc {
		out.Document = policyEscape(v.Document)
	}
	return out
}

type iamAttached struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type iamKeyMeta struct {
	UserName        string `xml:"UserName,omitempty"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

func keyStatus(k model.AccessKey) string {
	if k.Inactive() {
		return "Inactive"
	}
	return "Active"
}

// iamParams reads the query parameters IAM's lists and maps use.
type iamParams struct{ url.Values }

// list reads Name.member.1, Name.member.2, ...
func (p iamParams) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := p.Values[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func (p iamParams) tags() []iam.Tag {
	var out []iam.Tag
	for i := 1; ; i++ {
		k, ok := p.Values[fmt.Sprintf("Tags.member.%d.Key", i)]
		if !ok {
			return out
		}
		out = append(out, iam.Tag{Key: k[0], Value: p.Get(fmt.Sprintf("Tags.member.%d.Value", i))})
	}
}

func (p iamParams) required(names ...string) error {
	for _, n := range names {
		if p.Get(n) == "" {
			return apperr.New(apperr.Validation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(n)).WithReason(iam.CodeValidation)
		}
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Serve handles a verified IAM request.
func (h *IAM) Serve(w http.ResponseWriter, r *http.Request, c service.Caller) {
	values, err := queryParams(r)
	if err != nil {
		writeQueryError(w, r, h.Log, http.StatusBadRequest, "MalformedQueryString", "could not parse the request parameters")
		return
	}
	p := iamParams{values}
	action := p.Get("Action")
	if action == "" {
		writeQueryError(w, r, h.Log, http.StatusBadRequest, "MissingAction", "Action is required")
		return
	}
	op, ok := iamOps[action]
	if !ok {
		writeQueryError(w, r, h.Log, http.StatusBadRequest, "InvalidAction", "wharf's IAM does not serve "+action)
		return
	}
	acct := c.Principal.Account
	if resource := op.resource(acct, p); h.Authorize != nil {
		if err := h.Authorize(r.Context(), c, "iam:"+action, resource); err != nil {
			h.writeErr(w, r, err)
			return
		}
	}
	if err := p.required(op.required...); err != nil {
		h.writeErr(w, r, err)
		return
	}
	result, err := op.run(r.Context(), h.Svc, c.Principal, p)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, iamNamespace)
	if result != nil {
		if err := xml.NewEncoder(&buf).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			h.writeErr(w, r, err)
			return
		}
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, w.Header().Get("X-Amzn-RequestId"), action)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(buf.Bytes())
}

func (h *IAM) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status, code := http.StatusBadRequest, e.Reason
	switch e.Kind {
	case apperr.NotFound:
		status = http.StatusNotFound
		if code == "" {
			code = iam.CodeNoSuchEntity
		}
	case apperr.Conflict:
		status = http.StatusConflict
		if code == "" {
			code = iam.CodeEntityExists
		}
	case apperr.QuotaExceeded:
		status, code = http.StatusConflict, iam.CodeLimitExceeded
	case apperr.AccessDenied:
		status, code = http.StatusForbidden, "AccessDenied"
	case apperr.Unauthenticated:
		status = http.StatusForbidden
	case apperr.Validation:
		if code == "" {
			code = iam.CodeValidation
		}
	default:
		h.Log.ErrorContext(r.Context(), "internal error", "err", err)
		writeQueryError(w, r, h.Log, http.StatusInternalServerError, "ServiceFailure", "An internal error occurred; the request id identifies it in wharf's log")
		return
	}
	writeQueryError(w, r, h.Log, status, code, e.Message)
}

type iamOp struct {
	required []string
	// resource is the ARN the action is authorized on.
	resource func(acct string, p iamParams) string
	run      func(ctx context.Context, s *iam.Service, caller model.Principal, p iamParams) (any, error)
}

func userARN(acct string, p iamParams) string {
	return "arn:aws:iam::" + acct + ":user/" + p.Get("UserName")
}
func roleARN(acct string, p iamParams) string {
	return "arn:aws:iam::" + acct + ":role/" + p.Get("RoleName")
}
func policyParam(_ string, p iamParams) string { return p.Get("PolicyArn") }
func oidcParam(_ string, p iamParams) string {
	return p.Get("OpenIDConnectProviderArn")
}
func anyResource(string, iamParams) string { return "*" }

type isTruncated struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// Page sizes of IAM's list operations (MaxItems).
const (
	iamDefaultMaxItems = 100
	iamMaxMaxItems     = 1000
)

// iamPage cuts one page of items IAM's way: at most MaxItems (1..1000,
// default 100) of them, after Marker. The marker is the key of the last item
// of the previous page (items are ordered by key), so a page boundary holds
// when items before it are added or deleted between calls; clients treat it
// as opaque.
func iamPage[T any](p iamParams, items []T, key func(T) string) ([]T, isTruncated, error) {
	max := iamDefaultMaxItems
	if v := p.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > iamMaxMaxItems {
			return nil, isTruncated{}, apperr.New(apperr.Validation, "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", v, iamMaxMaxItems).WithReason(iam.CodeValidation)
		}
		max = n
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	if m := p.Get("Marker"); m != "" {
		after, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return nil, isTruncated{}, apperr.New(apperr.Validation, "Invalid Marker").WithReason(iam.CodeValidation)
		}
		i, _ := slices.BinarySearchFunc(sorted, string(after), func(it T, k string) int { return strings.Compare(key(it), k) })
		for i < len(sorted) && key(sorted[i]) <= string(after) {
			i++
		}
		sorted = sorted[i:]
	}
	if len(sorted) <= max {
		return sorted, isTruncated{}, nil
	}
	sorted = sorted[:max]
	return sorted, isTruncated{IsTruncated: true, Marker: base64.RawURLEncoding.EncodeToString([]byte(key(sorted[max-1])))}, nil
}

// pathPrefix keeps the entities whose path starts with PathPrefix (ListUsers,
// ListRoles, ListPolicies).
func pathPrefix[T any](p iamParams, items []T, path func(T) string) []T {
	pre := p.Get("PathPrefix")
	if pre == "" {
		return items
	}
	var out []T
	for _, it := range items {
		if strings.HasPrefix(path(it), pre) {
			out = append(out, it)
		}
	}
	return out
}

var iamOps = map[string]iamOp{
	// Users.
	"CreateUser": {[]string{"UserName"}, userARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		u, err := s.CreateUser(ctx, c.Account, p.Get("UserName"), p.Get("Path"), p.tags())
		return struct {
			User iamUser `xml:"User"`
		}{xUser(u)}, err
	}},
	"GetUser": {nil, func(acct string, p iamParams) string {
		if p.Get("UserName") == "" {
			return "*"
		}
		return userARN(acct, p)
	}, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		name := p.Get("UserName")
		if name == "" {
			a, _ := model.ParseARN(c.ARN)
			if a.Resource == "root" {
				return struct {
					User iamUser `xml:"User"`
				}{iamUser{Path: "/", UserID: c.Account, Arn: c.ARN, CreateDate: isoTime(time.Unix(0, 0))}}, nil
			}
			name = a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		}
		u, err := s.GetUser(ctx, c.Account, name)
		return struct {
			User iamUser `xml:"User"`
		}{xUser(u)}, err
	}},
	"ListUsers": {nil, anyResource, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		us, err := s.ListUsers(ctx, c.Account)
		if err != nil {
			return nil, err
		}
		us, more, err := iamPage(p, pathPrefix(p, us, func(u iam.User) string { return u.Path }), func(u iam.User) string { return strings.ToLower(u.UserName) })
		out := struct {
			Users []iamUser `xml:"Users>member"`
			isTruncated
		}{Users: []iamUser{}, isTruncated: more}
		for _, u := range us {
			out.Users = append(out.Users, xUser(u))
		}
		return out, err
	}},
	"DeleteUser": {[]string{"UserName"}, userARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeleteUser(ctx, c.Account, p.Get("UserName"))
	}},
	"TagUser": {[]string{"UserName"}, userARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.TagUser(ctx, c.Account, p.Get("UserName"), p.tags(), nil)
	}},
	"UntagUser": {[]string{"UserName"}, userARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.TagUser(ctx, c.Account, p.Get("UserName"), nil, p.list("TagKeys"))
	}},
	"ListUserTags": {[]string{"UserName"}, userARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		u, err := s.GetUser(ctx, c.Account, p.Get("UserName"))
		if err != nil {
			return nil, err
		}
		return tagList(p, u.Tags)
	}},
	"ListGroupsForUser": {[]string{"UserName"}, userARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		_, err := s.GetUser(ctx, c.Account, p.Get("UserName"))
		return struct {
			Groups struct{} `xml:"Groups"`
			isTruncated
		}{}, err
	}},

	// Roles.
	"CreateRole": {[]string{"RoleName", "AssumeRolePolicyDocument"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		msd, err := optInt(p, "MaxSessionDuration")
		if err != nil {
			return nil, err
		}
		r, err := s.CreateRole(ctx, c.Account, iam.Role{RoleName: p.Get("RoleName"), Path: p.Get("Path"),
			AssumeRolePolicyDocument: p.Get("AssumeRolePolicyDocument"), Description: p.Get("Description"),
			MaxSessionDuration: msd, Tags: p.tags()})
		return roleResult(r), err
	}},
	"GetRole": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		r, err := s.GetRole(ctx, c.Account, p.Get("RoleName"))
		return roleResult(r), err
	}},
	"ListRoles": {nil, anyResource, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		rs, err := s.ListRoles(ctx, c.Account)
		if err != nil {
			return nil, err
		}
		rs, more, err := iamPage(p, pathPrefix(p, rs, func(r iam.Role) string { return r.Path }), func(r iam.Role) string { return strings.ToLower(r.RoleName) })
		out := struct {
			Roles []iamRole `xml:"Roles>member"`
			isTruncated
		}{Roles: []iamRole{}, isTruncated: more}
		for _, r := range rs {
			out.Roles = append(out.Roles, xRole(r))
		}
		return out, err
	}},
	"DeleteRole": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeleteRole(ctx, c.Account, p.Get("RoleName"))
	}},
	"UpdateAssumeRolePolicy": {[]string{"RoleName", "PolicyDocument"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		_, err := s.UpdateRole(ctx, c.Account, p.Get("RoleName"), func(r *iam.Role) error { r.AssumeRolePolicyDocument = p.Get("PolicyDocument"); return nil })
		return nil, err
	}},
	"UpdateRole": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		msd, err := optInt(p, "MaxSessionDuration")
		if err != nil {
			return nil, err
		}
		_, err = s.UpdateRole(ctx, c.Account, p.Get("RoleName"), func(r *iam.Role) error {
			if _, ok := p.Values["Description"]; ok {
				r.Description = p.Get("Description")
			}
			if msd != 0 {
				r.MaxSessionDuration = msd
			}
			return nil
		})
		return struct{}{}, err
	}},
	"UpdateRoleDescription": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		r, err := s.UpdateRole(ctx, c.Account, p.Get("RoleName"), func(r *iam.Role) error { r.Description = p.Get("Description"); return nil })
		return roleResult(r), err
	}},
	"TagRole": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		_, err := s.UpdateRole(ctx, c.Account, p.Get("RoleName"), func(r *iam.Role) error { r.Tags = mergeTags(r.Tags, p.tags(), nil); return nil })
		return nil, err
	}},
	"UntagRole": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		_, err := s.UpdateRole(ctx, c.Account, p.Get("RoleName"), func(r *iam.Role) error { r.Tags = mergeTags(r.Tags, nil, p.list("TagKeys")); return nil })
		return nil, err
	}},
	"ListRoleTags": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		r, err := s.GetRole(ctx, c.Account, p.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		return tagList(p, r.Tags)
	}},
	"ListInstanceProfilesForRole": {[]string{"RoleName"}, roleARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		// wharf has no instance profiles; the provider asks before deleting a role.
		_, err := s.GetRole(ctx, c.Account, p.Get("RoleName"))
		return struct {
			InstanceProfiles struct{} `xml:"InstanceProfiles"`
			isTruncated
		}{}, err
	}},

	// Inline policies.
	"PutRolePolicy":            inlinePut("role"),
	"GetRolePolicy":            inlineGet("role"),
	"DeleteRolePolicy":         inlineDelete("role"),
	"ListRolePolicies":         inlineList("role"),
	"PutUserPolicy":            inlinePut("user"),
	"GetUserPolicy":            inlineGet("user"),
	"DeleteUserPolicy":         inlineDelete("user"),
	"ListUserPolicies":         inlineList("user"),
	"AttachRolePolicy":         attach("role", true),
	"DetachRolePolicy":         attach("role", false),
	"AttachUserPolicy":         attach("user", true),
	"DetachUserPolicy":         attach("user", false),
	"ListAttachedRolePolicies": attachedList("role"),
	"ListAttachedUserPolicies": attachedList("user"),

	// Managed policies.
	"CreatePolicy": {[]string{"PolicyName", "PolicyDocument"}, func(acct string, p iamParams) string {
		return iam.PolicyARN(acct, orSlash(p.Get("Path")), p.Get("PolicyName"))
	}, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		mp, err := s.CreatePolicy(ctx, c.Account, p.Get("PolicyName"), p.Get("Path"), p.Get("PolicyDocument"), p.Get("Description"), p.tags())
		return policyResult(mp), err
	}},
	"GetPolicy": {[]string{"PolicyArn"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		mp, err := s.GetPolicy(ctx, c.Account, p.Get("PolicyArn"))
		return policyResult(mp), err
	}},
	"ListPolicies": {nil, anyResource, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		if p.Get("Scope") == "AWS" {
			return struct {
				Policies struct{} `xml:"Policies"`
				isTruncated
			}{}, nil
		}
		ps, err := s.ListPolicies(ctx, c.Account)
		if err != nil {
			return nil, err
		}
		// The page is cut before each policy is read in full.
		ps, more, err := iamPage(p, pathPrefix(p, ps, func(mp iam.ManagedPolicy) string { return mp.Path }), func(mp iam.ManagedPolicy) string { return strings.ToLower(mp.PolicyName) })
		out := struct {
			Policies []iamPolicy `xml:"Policies>member"`
			isTruncated
		}{Policies: []iamPolicy{}, isTruncated: more}
		for _, mp := range ps {
			full, gerr := s.GetPolicy(ctx, c.Account, mp.Arn)
			if gerr == nil {
				mp = full
			}
			out.Policies = append(out.Policies, xPolicy(mp))
		}
		return out, err
	}},
	"DeletePolicy": {[]string{"PolicyArn"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeletePolicy(ctx, c.Account, p.Get("PolicyArn"))
	}},
	"GetPolicyVersion": {[]string{"PolicyArn", "VersionId"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		v, err := s.GetPolicyVersion(ctx, c.Account, p.Get("PolicyArn"), p.Get("VersionId"))
		return struct {
			PolicyVersion iamPolicyVersion `xml:"PolicyVersion"`
		}{xVersion(v, true)}, err
	}},
	"ListPolicyVersions": {[]string{"PolicyArn"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		vs, err := s.ListPolicyVersions(ctx, c.Account, p.Get("PolicyArn"))
		if err != nil {
			return nil, err
		}
		// v1..v5 and later: ordered by number, not by text.
		vs, more, err := iamPage(p, vs, func(v iam.PolicyVersion) string { return fmt.Sprintf("%020s", strings.TrimPrefix(v.VersionID, "v")) })
		out := struct {
			Versions []iamPolicyVersion `xml:"Versions>member"`
			isTruncated
		}{Versions: []iamPolicyVersion{}, isTruncated: more}
		for _, v := range vs {
			out.Versions = append(out.Versions, xVersion(v, false))
		}
		return out, err
	}},
	"CreatePolicyVersion": {[]string{"PolicyArn", "PolicyDocument"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		v, err := s.CreatePolicyVersion(ctx, c.Account, p.Get("PolicyArn"), p.Get("PolicyDocument"), p.Get("SetAsDefault") == "true")
		return struct {
			PolicyVersion iamPolicyVersion `xml:"PolicyVersion"`
		}{xVersion(v, false)}, err
	}},
	"SetDefaultPolicyVersion": {[]string{"PolicyArn", "VersionId"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.SetDefaultPolicyVersion(ctx, c.Account, p.Get("PolicyArn"), p.Get("VersionId"))
	}},
	"DeletePolicyVersion": {[]string{"PolicyArn", "VersionId"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeletePolicyVersion(ctx, c.Account, p.Get("PolicyArn"), p.Get("VersionId"))
	}},
	"TagPolicy": {[]string{"PolicyArn"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.TagPolicy(ctx, c.Account, p.Get("PolicyArn"), p.tags(), nil)
	}},
	"UntagPolicy": {[]string{"PolicyArn"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.TagPolicy(ctx, c.Account, p.Get("PolicyArn"), nil, p.list("TagKeys"))
	}},
	"ListPolicyTags": {[]string{"PolicyArn"}, policyParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		mp, err := s.GetPolicy(ctx, c.Account, p.Get("PolicyArn"))
		if err != nil {
			return nil, err
		}
		return tagList(p, mp.Tags)
	}},

	// Access keys.
	"CreateAccessKey": {nil, keyUserARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		k, name, err := s.CreateAccessKey(ctx, c, p.Get("UserName"))
		return struct {
			AccessKey iamKeyMeta `xml:"AccessKey"`
		}{iamKeyMeta{name, k.AccessKeyID, keyStatus(k), k.SecretAccessKey, isoTime(k.CreatedAt)}}, err
	}},
	"ListAccessKeys": {nil, keyUserARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		ks, name, err := s.ListAccessKeys(ctx, c, p.Get("UserName"))
		if err != nil {
			return nil, err
		}
		ks, more, err := iamPage(p, ks, func(k model.AccessKey) string { return k.AccessKeyID })
		out := struct {
			AccessKeyMetadata []iamKeyMeta `xml:"AccessKeyMetadata>member"`
			isTruncated
		}{AccessKeyMetadata: []iamKeyMeta{}, isTruncated: more}
		for _, k := range ks {
			out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamKeyMeta{UserName: name, AccessKeyID: k.AccessKeyID, Status: keyStatus(k), CreateDate: isoTime(k.CreatedAt)})
		}
		return out, err
	}},
	"UpdateAccessKey": {[]string{"AccessKeyId", "Status"}, keyUserARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.UpdateAccessKey(ctx, c, p.Get("UserName"), p.Get("AccessKeyId"), p.Get("Status"))
	}},
	"DeleteAccessKey": {[]string{"AccessKeyId"}, keyUserARN, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeleteAccessKey(ctx, c, p.Get("UserName"), p.Get("AccessKeyId"))
	}},

	// OIDC providers.
	"CreateOpenIDConnectProvider": {[]string{"Url"}, func(acct string, p iamParams) string {
		return iam.OIDCProviderARN(acct, p.Get("Url"))
	}, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		o, err := s.CreateOIDCProvider(ctx, c.Account, iam.OIDCProvider{URL: p.Get("Url"), ClientIDList: p.list("ClientIDList"), ThumbprintList: p.list("ThumbprintList"), Tags: p.tags()})
		return struct {
			OpenIDConnectProviderArn string   `xml:"OpenIDConnectProviderArn"`
			Tags                     []iamTag `xml:"Tags>member,omitempty"`
		}{o.Arn, xTags(o.Tags)}, err
	}},
	"GetOpenIDConnectProvider": {[]string{"OpenIDConnectProviderArn"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		o, err := s.GetOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"))
		return struct {
			URL            string   `xml:"Url"`
			ClientIDList   []string `xml:"ClientIDList>member"`
			ThumbprintList []string `xml:"ThumbprintList>member"`
			CreateDate     string   `xml:"CreateDate"`
			Tags           []iamTag `xml:"Tags>member,omitempty"`
		}{oidcURLOut(o.URL), o.ClientIDList, o.ThumbprintList, isoTime(o.CreateDate), xTags(o.Tags)}, err
	}},
	"ListOpenIDConnectProviders": {nil, anyResource, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		os, err := s.ListOIDCProviders(ctx, c.Account)
		type entry struct {
			Arn string `xml:"Arn"`
		}
		out := struct {
			List []entry `xml:"OpenIDConnectProviderList>member"`
		}{List: []entry{}}
		for _, o := range os {
			out.List = append(out.List, entry{o.Arn})
		}
		return out, err
	}},
	"DeleteOpenIDConnectProvider": {[]string{"OpenIDConnectProviderArn"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeleteOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"))
	}},
	"UpdateOpenIDConnectProviderThumbprint": {[]string{"OpenIDConnectProviderArn"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.UpdateOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"), func(o *iam.OIDCProvider) { o.ThumbprintList = p.list("ThumbprintList") })
	}},
	"AddClientIDToOpenIDConnectProvider": {[]string{"OpenIDConnectProviderArn", "ClientID"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.UpdateOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"), func(o *iam.OIDCProvider) {
			for _, id := range o.ClientIDList {
				if id == p.Get("ClientID") {
					return
				}
			}
			o.ClientIDList = append(o.ClientIDList, p.Get("ClientID"))
		})
	}},
	"RemoveClientIDFromOpenIDConnectProvider": {[]string{"OpenIDConnectProviderArn", "ClientID"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.UpdateOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"), func(o *iam.OIDCProvider) {
			kept := o.ClientIDList[:0]
			for _, id := range o.ClientIDList {
				if id != p.Get("ClientID") {
					kept = append(kept, id)
				}
			}
			o.ClientIDList = kept
		})
	}},
	"TagOpenIDConnectProvider": {[]string{"OpenIDConnectProviderArn"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.UpdateOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"), func(o *iam.OIDCProvider) { o.Tags = mergeTags(o.Tags, p.tags(), nil) })
	}},
	"UntagOpenIDConnectProvider": {[]string{"OpenIDConnectProviderArn"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.UpdateOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"), func(o *iam.OIDCProvider) { o.Tags = mergeTags(o.Tags, nil, p.list("TagKeys")) })
	}},
	"ListOpenIDConnectProviderTags": {[]string{"OpenIDConnectProviderArn"}, oidcParam, func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		o, err := s.GetOIDCProvider(ctx, c.Account, p.Get("OpenIDConnectProviderArn"))
		if err != nil {
			return nil, err
		}
		return tagList(p, o.Tags)
	}},
}

func keyUserARN(acct string, p iamParams) string {
	if p.Get("UserName") == "" {
		return "*"
	}
	return userARN(acct, p)
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func optInt(p iamParams, name string) (int, error) {
	v := p.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, apperr.New(apperr.Validation, "%s must be an integer", name).WithReason(iam.CodeValidation)
	}
	return n, nil
}

func mergeTags(have, add []iam.Tag, remove []string) []iam.Tag {
	out := []iam.Tag{}
	for _, t := range have {
		drop := false
		for _, a := range add {
			drop = drop || strings.EqualFold(a.Key, t.Key)
		}
		for _, k := range remove {
			drop = drop || strings.EqualFold(k, t.Key)
		}
		if !drop {
			out = append(out, t)
		}
	}
	return append(out, add...)
}

func tagList(p iamParams, ts []iam.Tag) (any, error) {
	ts, more, err := iamPage(p, ts, func(t iam.Tag) string { return t.Key })
	return struct {
		Tags []iamTag `xml:"Tags>member"`
		isTruncated
	}{Tags: xTags(ts), isTruncated: more}, err
}

func roleResult(r iam.Role) any {
	return struct {
		Role iamRole `xml:"Role"`
	}{xRole(r)}
}

func policyResult(p iam.ManagedPolicy) any {
	return struct {
		Policy iamPolicy `xml:"Policy"`
	}{xPolicy(p)}
}

func ownerParam(kind string) string {
	if kind == "role" {
		return "RoleName"
	}
	return "UserName"
}

func ownerARN(kind string) func(string, iamParams) string {
	if kind == "role" {
		return roleARN
	}
	return userARN
}

func inlinePut(kind string) iamOp {
	return iamOp{[]string{ownerParam(kind), "PolicyName", "PolicyDocument"}, ownerARN(kind), func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.PutInlinePolicy(ctx, c.Account, kind, p.Get(ownerParam(kind)), p.Get("PolicyName"), p.Get("PolicyDocument"))
	}}
}

func inlineGet(kind string) iamOp {
	return iamOp{[]string{ownerParam(kind), "PolicyName"}, ownerARN(kind), func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		ip, err := s.GetInlinePolicy(ctx, c.Account, kind, p.Get(ownerParam(kind)), p.Get("PolicyName"))
		if kind == "role" {
			return struct {
				RoleName       string `xml:"RoleName"`
				PolicyName     string `xml:"PolicyName"`
				PolicyDocument string `xml:"PolicyDocument"`
			}{p.Get("RoleName"), ip.PolicyName, policyEscape(ip.PolicyDocument)}, err
		}
		return struct {
			UserName       string `xml:"UserName"`
			PolicyName     string `xml:"PolicyName"`
			PolicyDocument string `xml:"PolicyDocument"`
		}{p.Get("UserName"), ip.PolicyName, policyEscape(ip.PolicyDocument)}, err
	}}
}

func inlineDelete(kind string) iamOp {
	return iamOp{[]string{ownerParam(kind), "PolicyName"}, ownerARN(kind), func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		return nil, s.DeleteInlinePolicy(ctx, c.Account, kind, p.Get(ownerParam(kind)), p.Get("PolicyName"))
	}}
}

func inlineList(kind string) iamOp {
	return iamOp{[]string{ownerParam(kind)}, ownerARN(kind), func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		names, err := s.ListInlinePolicies(ctx, c.Account, kind, p.Get(ownerParam(kind)))
		if err != nil {
			return nil, err
		}
		names, more, err := iamPage(p, names, strings.ToLower)
		if names == nil {
			names = []string{}
		}
		return struct {
			PolicyNames []string `xml:"PolicyNames>member"`
			isTruncated
		}{PolicyNames: names, isTruncated: more}, err
	}}
}

func attach(kind string, on bool) iamOp {
	return iamOp{[]string{ownerParam(kind), "PolicyArn"}, ownerARN(kind), func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		if on {
			return nil, s.Attach(ctx, c.Account, kind, p.Get(ownerParam(kind)), p.Get("PolicyArn"))
		}
		return nil, s.Detach(ctx, c.Account, kind, p.Get(ownerParam(kind)), p.Get("PolicyArn"))
	}}
}

func attachedList(kind string) iamOp {
	return iamOp{[]string{ownerParam(kind)}, ownerARN(kind), func(ctx context.Context, s *iam.Service, c model.Principal, p iamParams) (any, error) {
		as, err := s.ListAttached(ctx, c.Account, kind, p.Get(ownerParam(kind)))
		if err != nil {
			return nil, err
		}
		as, more, err := iamPage(p, as, func(a iam.AttachedPolicy) string { return a.PolicyArn })
		out := struct {
			AttachedPolicies []iamAttached `xml:"AttachedPolicies>member"`
			isTruncated
		}{AttachedPolicies: []iamAttached{}, isTruncated: more}
		for _, a := range as {
			out.AttachedPolicies = append(out.AttachedPolicies, iamAttached{a.PolicyName, a.PolicyArn})
		}
		return out, err
	}}
}

// oidcURLOut is a provider's Url as GetOpenIDConnectProvider answers it: without
// its https:// scheme, as AWS answers. AWS refuses URLs with a port; wharf keeps
// them (an issuer on a loopback port, in tests and air-gapped CI), and answers
// those with their scheme, since "host:port" alone is not a URL that clients can
// parse back (the Terraform provider compares the two with url.Parse and would
// otherwise replace the provider on every plan). See docs/compatibility.md I13.
func oidcURLOut(u string) string {
	bare := strings.TrimPrefix(u, "https://")
	host, _, _ := strings.Cut(bare, "/")
	if strings.Contains(host, ":") {
		return u
	}
	return bare
}
