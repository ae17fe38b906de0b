# Both ways of using the module, with a mocked AWS provider (no AWS, no server):
# `tofu test` in the module directory, or `go test ./e2e/tfmodule -run TestModuleModes`.

mock_provider "aws" {
  mock_resource "aws_codeartifact_domain" {
    defaults = {
      arn   = "arn:aws:codeartifact:us-east-1:111122223333:domain/shared"
      owner = "111122223333"
    }
  }
  mock_resource "aws_codeartifact_repository" {
    defaults = {
      arn = "arn:aws:codeartifact:us-east-1:111122223333:repository/shared/team-a"
    }
  }
}

variables {
  domain_name     = "shared"
  kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  repository_name = "team-a"
}

run "creates_the_domain_by_default" {
  command = apply

  assert {
    condition     = length(aws_codeartifact_domain.this) == 1 && aws_codeartifact_domain.this[0].encryption_key == var.kms_key_arn
    error_message = "the domain must be created with the KMS key"
  }
  assert {
    condition     = output.domain_arn == "arn:aws:codeartifact:us-east-1:111122223333:domain/shared" && output.domain_owner == "111122223333" && output.domain_name == "shared"
    error_message = "domain outputs must come from the domain"
  }
  assert {
    condition     = length(aws_codeartifact_repository.upstream) == 0 && output.upstream_repository_name == null && length(aws_codeartifact_repository.this.upstream) == 0
    error_message = "no external connection means no managed upstream"
  }
  assert {
    condition     = aws_codeartifact_repository.this.description == "Managed by Terraform" && length(aws_codeartifact_domain_permissions_policy.this) == 0 && length(aws_codeartifact_repository_permissions_policy.this) == 0
    error_message = "defaults must be the original interface's"
  }
}

run "external_connection_adds_the_managed_upstream_last" {
  command = plan

  variables {
    external_connection        = "public:npmjs"
    upstreams                  = ["shared-libs"]
    repository_policy_document = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    tags                       = { Team = "a" }
  }

  assert {
    condition     = aws_codeartifact_repository.upstream[0].repository == "team-a-upstream" && aws_codeartifact_repository.upstream[0].external_connections[0].external_connection_name == "public:npmjs"
    error_message = "the managed upstream must hold the external connection"
  }
  assert {
    condition     = [for u in aws_codeartifact_repository.this.upstream : u.repository_name] == ["shared-libs", "team-a-upstream"]
    error_message = "caller's upstreams first, managed upstream last"
  }
  assert {
    condition     = aws_codeartifact_repository.upstream[0].description == "Public proxy (public:npmjs) for team-a"
    error_message = "the managed upstream's description"
  }
  assert {
    condition     = aws_codeartifact_repository.upstream[0].tags["Team"] == "a" && aws_codeartifact_repository.this.tags["Team"] == "a"
    error_message = "tags apply to both repositories"
  }
  assert {
    condition     = length(aws_codeartifact_repository_permissions_policy.this) == 1
    error_message = "repository policy must be attached"
  }
}

run "joins_an_existing_domain" {
  command = apply

  variables {
    create_domain       = false
    domain_owner        = "111122223333"
    external_connection = "public:pypi"
  }

  assert {
    condition     = length(aws_codeartifact_domain.this) == 0
    error_message = "create_domain = false must not create a domain"
  }
  assert {
    condition     = aws_codeartifact_repository.this.domain == "shared" && aws_codeartifact_repository.this.domain_owner == "111122223333" && aws_codeartifact_repository.upstream[0].domain_owner == "111122223333"
    error_message = "repositories must name the existing domain and its owner"
  }
  assert {
    condition     = output.domain_arn == "arn:aws:codeartifact:us-east-1:111122223333:domain/shared" && output.domain_owner == "111122223333" && output.domain_name == "shared"
    error_message = "domain outputs must still work when joining a domain"
  }
}

run "a_joining_instance_cannot_own_the_domain_policy" {
  command = plan

  variables {
    create_domain          = false
    domain_policy_document = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }

  expect_failures = [aws_codeartifact_domain_permissions_policy.this]
}
