# Everything the module offers: a customer-managed KMS key, a cached public proxy,
# tags, and resource policies on the domain and the repository that split
# publishing (a CI role assumed through the CI's OIDC federation) from reading
# (the whole account: build servers take the build_reader role).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # As the seed's usage: the CI role publishes, the account reads (the
  # account id delegates to each identity's own policies, as IAM does).
  # The role's ARN is spelled from its name (known when planning) rather than
  # read from aws_iam_role.ci_publish.arn (known only after apply): the module
  # decides from the policy documents whether to create its policies, and a
  # document that is unknown at plan time would leave that count unknown. The
  # reference to the role's name still orders the role before the policies.
  ci_publish_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${aws_iam_role.ci_publish.name}"
  publishers          = var.publisher_arns != null ? var.publisher_arns : [local.ci_publish_role_arn]
  readers             = var.reader_arns != null ? var.reader_arns : [data.aws_caller_identity.current.account_id]

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

  domain_policy_document     = data.aws_iam_policy_document.domain_access.json
  repository_policy_document = data.aws_iam_policy_document.repo_access.json

  tags = var.tags
}

# Repository policy: CI publishes, everyone in the organisation reads.
data "aws_iam_policy_document" "repo_access" {
  statement {
    sid    = "PublishFromCI"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = local.publishers
    }
    actions = [
      "codeartifact:PublishPackageVersion",
      "codeartifact:PutPackageMetadata",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "ReadForOrg"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = local.readers
    }
    actions = [
      "codeartifact:ReadFromRepository",
      "codeartifact:GetPackageVersionAsset",
    ]
    resources = ["*"]
  }
}

# Domain policy: both groups may obtain tokens and endpoints; only readers may
# list what the domain holds. Publishing itself is granted per repository above.
data "aws_iam_policy_document" "domain_access" {
  statement {
    sid    = "TokensForPublishers"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = local.publishers
    }
    actions = [
      "codeartifact:GetAuthorizationToken",
      "codeartifact:GetRepositoryEndpoint",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "ReadForOrg"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = local.readers
    }
    actions = [
      "codeartifact:GetAuthorizationToken",
      "codeartifact:GetRepositoryEndpoint",
      "codeartifact:ListRepositoriesInDomain",
    ]
    resources = ["*"]
  }
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
