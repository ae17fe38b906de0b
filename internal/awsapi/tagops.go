package awsapi

import (
	"context"

	"github.com/wharf-dev/wharf/internal/service"
)

// registerTagOps registers tagging, for every resource type that has tags.
func (h *CodeArtifact) registerTagOps() {
	s := h.Svc
	h.Register("TagResource", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		arn, err := req.Required("resourceArn")
		if err != nil {
			return nil, err
		}
		var in struct {
			Tags []tagJSON `json:"tags"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		return struct{}{}, s.TagResource(ctx, c, arn, tagsFromWire(in.Tags))
	})
	h.Register("UntagResource", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		arn, err := req.Required("resourceArn")
		if err != nil {
			return nil, err
		}
		var in struct {
			TagKeys []string `json:"tagKeys"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		return struct{}{}, s.UntagResource(ctx, c, arn, in.TagKeys)
	})
	h.Register("ListTagsForResource", func(ctx context.Context, c service.Caller, req *Request) (any, error) {
		arn, err := req.Required("resourceArn")
		if err != nil {
			return nil, err
		}
		tags, err := s.ListTagsForResource(ctx, c, arn)
		if err != nil {
			return nil, err
		}
		return struct {
			Tags []tagJSON `json:"tags"`
		}{tagsToWire(tags)}, nil
	})
}
