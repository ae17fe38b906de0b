package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// IAM's list operations page with MaxItems and Marker (IsTruncated), and the
// SDK's paginators walk them to the end without repeating or losing an entry.
func TestIAMListsPage(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	admin := srv.IAM()
	var users, roles, policies []string
	for i := range 7 {
		u := fmt.Sprintf("user-%02d", i)
		must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(u), Path: aws.String(map[bool]string{true: "/ci/", false: "/"}[i%2 == 0])}))
		users = append(users, u)
		r := fmt.Sprintf("role-%02d", i)
		must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(r), AssumeRolePolicyDocument: aws.String(trustDoc(`{"AWS":"000000000000"}`)),
			Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("c"), Value: aws.String("3")}}}))
		roles = append(roles, r)
		must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("role-00"), PolicyName: aws.String(fmt.Sprintf("inline-%02d", i)), PolicyDocument: aws.String(allowAllCodeArtifact)}))
		p := fmt.Sprintf("policy-%02d", i)
		must(admin.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String(p), PolicyDocument: aws.String(allowAllCodeArtifact)}))
		policies = append(policies, p)
	}

	var got []string
	pages := 0
	for up := iamsdk.NewListUsersPaginator(admin, &iamsdk.ListUsersInput{MaxItems: aws.Int32(3)}); up.HasMorePages(); pages++ {
		out := must(up.NextPage(ctx))
		if len(out.Users) > 3 {
			t.Fatalf("page of %d users with MaxItems 3", len(out.Users))
		}
		for _, u := range out.Users {
			got = append(got, aws.ToString(u.UserName))
		}
	}
	if !slices.Equal(got, users) || pages != 3 {
		t.Fatalf("ListUsers pages: %d pages %v, want 3 pages %v", pages, got, users)
	}
	ci := must(admin.ListUsers(ctx, &iamsdk.ListUsersInput{PathPrefix: aws.String("/ci/")}))
	if len(ci.Users) != 4 || ci.IsTruncated {
		t.Fatalf("ListUsers /ci/: %d users, truncated %v", len(ci.Users), ci.IsTruncated)
	}

	got = nil
	for rp := iamsdk.NewListRolesPaginator(admin, &iamsdk.ListRolesInput{MaxItems: aws.Int32(2)}); rp.HasMorePages(); {
		for _, r := range must(rp.NextPage(ctx)).Roles {
			got = append(got, aws.ToString(r.RoleName))
		}
	}
	if !slices.Equal(got, roles) {
		t.Fatalf("ListRoles pages: %v", got)
	}

	got = nil
	for pp := iamsdk.NewListPoliciesPaginator(admin, &iamsdk.ListPoliciesInput{MaxItems: aws.Int32(4), Scope: iamtypes.PolicyScopeTypeLocal}); pp.HasMorePages(); {
		for _, p := range must(pp.NextPage(ctx)).Policies {
			got = append(got, aws.ToString(p.PolicyName))
		}
	}
	if !slices.Equal(got, policies) {
		t.Fatalf("ListPolicies pages: %v", got)
	}

	got = nil
	for ip := iamsdk.NewListRolePoliciesPaginator(admin, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("role-00"), MaxItems: aws.Int32(5)}); ip.HasMorePages(); {
		got = append(got, must(ip.NextPage(ctx)).PolicyNames...)
	}
	if len(got) != 7 || got[0] != "inline-00" || got[6] != "inline-06" {
		t.Fatalf("ListRolePolicies pages: %v", got)
	}

	first := must(admin.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("role-03"), MaxItems: aws.Int32(2)}))
	if len(first.Tags) != 2 || !first.IsTruncated || aws.ToString(first.Marker) == "" {
		t.Fatalf("ListRoleTags first page: %d tags, truncated %v, marker %q", len(first.Tags), first.IsTruncated, aws.ToString(first.Marker))
	}
	rest := must(admin.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("role-03"), MaxItems: aws.Int32(2), Marker: first.Marker}))
	if len(rest.Tags) != 1 || rest.IsTruncated || aws.ToString(rest.Tags[0].Key) != "c" {
		t.Fatalf("ListRoleTags second page: %+v", rest)
	}

	for _, bad := range []int32{0, 1001} {
		_, err := admin.ListUsers(ctx, &iamsdk.ListUsersInput{MaxItems: aws.Int32(bad)})
		wantCode(t, err, "ValidationError")
	}
}
