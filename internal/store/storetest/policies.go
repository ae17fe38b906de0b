package storetest

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func testPolicies(t *testing.T, s store.Store) {
	arn := model.DomainARN(region, owner, "d")
	_, err := s.GetPolicy(ctx(t), arn)
	wantKind(t, err, apperr.NotFound, "GetPolicy missing")
	_, err = s.DeletePolicy(ctx(t), arn, "")
	wantKind(t, err, apperr.NotFound, "DeletePolicy missing")

	p1 := model.Policy{ResourceARN: arn, Document: `{"Version":"2012-10-17"}`, Revision: "rev1"}
	err = s.PutPolicy(ctx(t), p1, "some-revision")
	wantKind(t, err, apperr.Conflict, "PutPolicy expecting a revision when there is none")
	_, err = s.GetPolicy(ctx(t), arn)
	wantKind(t, err, apperr.NotFound, "refused PutPolicy stored something")

	ok(t, s.PutPolicy(ctx(t), p1, ""), "PutPolicy create")
	got, err := s.GetPolicy(ctx(t), arn)
	ok(t, err, "GetPolicy")
	deepEqual(t, "GetPolicy", got, p1)

	p2 := model.Policy{ResourceARN: arn, Document: `{"Version":"2012-10-17","Statement":[]}`, Revision: "rev2"}
	err = s.PutPolicy(ctx(t), p2, "")
	wantKind(t, err, apperr.Conflict, "PutPolicy create when one exists")
	err = s.PutPolicy(ctx(t), p2, "stale")
	wantKind(t, err, apperr.Conflict, "PutPolicy stale revision")
	got, err = s.GetPolicy(ctx(t), arn)
	ok(t, err, "GetPolicy after refusals")
	deepEqual(t, "GetPolicy after refusals", got, p1)

	ok(t, s.PutPolicy(ctx(t), p2, "rev1"), "PutPolicy swap")
	got, err = s.GetPolicy(ctx(t), arn)
	ok(t, err, "GetPolicy after swap")
	deepEqual(t, "GetPolicy after swap", got, p2)
	err = s.PutPolicy(ctx(t), p1, "rev1")
	wantKind(t, err, apperr.Conflict, "PutPolicy with the replaced revision")

	// Policies are per ARN.
	repoARN := model.RepositoryARN(region, owner, "d", "r")
	_, err = s.GetPolicy(ctx(t), repoARN)
	wantKind(t, err, apperr.NotFound, "GetPolicy other ARN")
	pr := model.Policy{ResourceARN: repoARN, Document: "{}", Revision: "r-1"}
	ok(t, s.PutPolicy(ctx(t), pr, ""), "PutPolicy repository")

	_, err = s.DeletePolicy(ctx(t), arn, "rev1")
	wantKind(t, err, apperr.Conflict, "DeletePolicy stale revision")
	deleted, err := s.DeletePolicy(ctx(t), arn, "rev2")
	ok(t, err, "DeletePolicy matching revision")
	deepEqual(t, "DeletePolicy result", deleted, p2)
	_, err = s.GetPolicy(ctx(t), arn)
	wantKind(t, err, apperr.NotFound, "GetPolicy after delete")
	_, err = s.DeletePolicy(ctx(t), arn, "")
	wantKind(t, err, apperr.NotFound, "DeletePolicy twice")

	deleted, err = s.DeletePolicy(ctx(t), repoARN, "")
	ok(t, err, "DeletePolicy unconditional")
	deepEqual(t, "DeletePolicy unconditional result", deleted, pr)

	// After deletion, create-only works again.
	ok(t, s.PutPolicy(ctx(t), p1, ""), "PutPolicy after delete")
}

func testTags(t *testing.T, s store.Store) {
	arn := model.RepositoryARN(region, owner, "d", "r")
	otherARN := model.RepositoryARN(region, owner, "d", "r2")
	tags, err := s.ListTags(ctx(t), arn)
	ok(t, err, "ListTags none")
	if len(tags) != 0 {
		t.Errorf("ListTags none = %v", tags)
	}

	ok(t, s.SetTags(ctx(t), arn, []model.Tag{{Key: "team", Value: "a"}, {Key: "Env", Value: "prod"}, {Key: "cost", Value: ""}}), "SetTags")
	ok(t, s.SetTags(ctx(t), otherARN, []model.Tag{{Key: "team", Value: "z"}}), "SetTags other ARN")
	tags, err = s.ListTags(ctx(t), arn)
	ok(t, err, "ListTags")
	deepEqual(t, "ListTags ordered by key", tags, []model.Tag{{Key: "Env", Value: "prod"}, {Key: "cost", Value: ""}, {Key: "team", Value: "a"}})

	ok(t, s.SetTags(ctx(t), arn, []model.Tag{{Key: "team", Value: "b"}, {Key: "alpha", Value: "1"}}), "SetTags overwrite")
	tags, err = s.ListTags(ctx(t), arn)
	ok(t, err, "ListTags after overwrite")
	deepEqual(t, "ListTags after overwrite", tags,
		[]model.Tag{{Key: "Env", Value: "prod"}, {Key: "alpha", Value: "1"}, {Key: "cost", Value: ""}, {Key: "team", Value: "b"}})

	ok(t, s.RemoveTags(ctx(t), arn, []string{"cost", "absent", "Env"}), "RemoveTags")
	tags, err = s.ListTags(ctx(t), arn)
	ok(t, err, "ListTags after remove")
	deepEqual(t, "ListTags after remove", tags, []model.Tag{{Key: "alpha", Value: "1"}, {Key: "team", Value: "b"}})

	ok(t, s.RemoveTags(ctx(t), arn, nil), "RemoveTags none")
	ok(t, s.SetTags(ctx(t), arn, nil), "SetTags none")

	tags, err = s.ListTags(ctx(t), otherARN)
	ok(t, err, "ListTags other ARN")
	deepEqual(t, "other ARN untouched", tags, []model.Tag{{Key: "team", Value: "z"}})
}
