# Everything the module offers: a customer-managed KMS key, a cached public proxy,
# tags, and resource policies on the domain and the repository that split
# publishing (a CI role assumed through the CI's OIDC federation) from reading
# (the whole account: build servers take the build_reader role).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # As the seed's usage: the CI role publishes, the account reads (the
  # account id delegates to each identity's own policies, as IAM does).
  publishers = var.publisher_arns != null ? var.publisher_arns : [aws_iam_role.ci_publish.arn]
  readers    = var.reader_arns != null ? var.reader_arns : [data.aws_caller_identity.current.account_id]

  ci_oidc_provider_arn = var.ci_oidc_provider_arn != null ? var.ci_oidc_provider_arn : aws_iam_openid_connect_provider.ci[0].arn
  ci_oidc_host         = trimprefix(var.ci_oidc_url, "https://")

  # Bring your own key (kms_key_arn), or let the example create one.
  kms_key_arn = var.kms_key_arn != null ? var.kms_key_arn : aws_kms_key.codeartifact[0].arn
}

# Only created when no key is passed in. Against wharf it is created in
# wharf's KMS (the provider's kms endpoint points there too).
resource "aws_kms_key" "codeartifact" {
  count = var.kms_key_arn == null ? 1 : 0

  description             = "CodeArtifact domain ${var.domain_name}"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags                    = var.tags
}

module "codeartifact" {
  source = "../.."

  domain_name            = var.domain_name
  kms_key_arn            = local.kms_key_arn
  repository_name        = var.repository_name
  repository_description = var.repository_description

  # Front the repo with a cached, audited proxy of a public registry.
  external_connection = var.external_connection

  domain_policy_document     = local.domain_access
  repository_policy_document = local.repo_access

  tags = var.tags
}

# Repository policy: CI publishes, everyone in the organisation reads.
#
# The documents are built with jsonencode, not aws_iam_policy_document: the CI
# role's ARN is known only once the role exists, and a data source with an
# unknown input is read at apply time, so its .json is wholly unknown when
# planning, null included. The module (as any module that creates a resource
# only when an optional input is set) decides from the document whether to
# create the policy, and that decision must be known when planning; a
# jsonencode result is known not to be null even while its content is not.
locals {
  repo_access = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "PublishFromCI"
        Effect    = "Allow"
        Principal = { AWS = local.publishers }
        Action = [
          "codeartifact:PublishPackageVersion",
          "codeartifact:PutPackageMetadata",
        ]
        Resource = "*"
      },
      {
        Sid       = "ReadForOrg"
        Effect    = "Allow"
        Principal = { AWS = local.readers }
        Action = [
          "codeartifact:ReadFromRepository",
          "codeartifact:GetPackageVersionAsset",
        ]
        Resource = "*"
      },
    ]
  })

  # Domain policy: both groups may obtain tokens and endpoints; only readers
  # may list what the domain holds. Publishing itself is granted per
  # repository above.
  domain_access = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TokensForPublishers"
        Effect    = "Allow"
        Principal = { AWS = local.publishers }
        Action = [
          "codeartifact:GetAuthorizationToken",
          "codeartifact:GetRepositoryEndpoint",
        ]
        Resource = "*"
      },
      {
        Sid       = "ReadForOrg"
        Effect    = "Allow"
        Principal = { AWS = local.readers }
        Action = [
          "codeartifact:GetAuthorizationToken",
          "codeartifact:GetRepositoryEndpoint",
          "codeartifact:ListRepositoriesInDomain",
        ]
        Resource = "*"
      },
    ]
  })
}

# The CI's OpenID Connect issuer (GitHub Actions by default). Pass
# ci_oidc_provider_arn when the account already has it.
resource "aws_iam_openid_connect_provider" "ci" {
  count = var.ci_oidc_provider_arn == null ? 1 : 0

  url             = var.ci_oidc_url
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.ci_oidc_thumbprints
  tags            = var.tags
}

# CI publish role: assumed with the CI job's OIDC token, only by the
# repository and branch ci_subject names.
data "aws_iam_policy_document" "ci_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.ci_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.ci_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "${local.ci_oidc_host}:sub"
      values   = [var.ci_subject]
    }
  }
}

resource "aws_iam_role" "ci_publish" {
  name               = "ci-publish"
  assume_role_policy = data.aws_iam_policy_document.ci_trust.json
  tags               = var.tags
}

# The role's own side of the grant: tokens, endpoints, reading and publishing.
# Within the account either side suffices; both are declared so the grant
# survives moving the repository to another account.
resource "aws_iam_role_policy" "ci_publish" {
  name   = "codeartifact-publish"
  role   = aws_iam_role.ci_publish.id
  policy = data.aws_iam_policy_document.ci_publish.json
}

data "aws_iam_policy_document" "ci_publish" {
  statement {
    actions = [
      "codeartifact:GetAuthorizationToken",
      "codeartifact:GetRepositoryEndpoint",
      "codeartifact:ReadFromRepository",
      "codeartifact:PublishPackageVersion",
      "codeartifact:PutPackageMetadata",
      "sts:GetServiceBearerToken",
    ]
    resources = ["*"]
  }
}

# Build servers read: a role the account's administrators (and instance
# profiles, on AWS) assume, allowed to log in and read but never publish.
data "aws_iam_policy_document" "reader_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_iam_role" "build_reader" {
  name               = "build-reader"
  assume_role_policy = data.aws_iam_policy_document.reader_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "build_reader" {
  name   = "codeartifact-read"
  role   = aws_iam_role.build_reader.id
  policy = data.aws_iam_policy_document.build_reader.json
}

data "aws_iam_policy_document" "build_reader" {
  statement {
    actions = [
      "codeartifact:GetAuthorizationToken",
      "codeartifact:GetRepositoryEndpoint",
      "codeartifact:ReadFromRepository",
      "codeartifact:GetPackageVersionAsset",
      "sts:GetServiceBearerToken",
    ]
    resources = ["*"]
  }
}
