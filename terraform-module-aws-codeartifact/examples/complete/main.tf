# Everything the module offers: a customer-managed KMS key, a cached public proxy,
# tags, and resource policies on the domain and the repository that split
# publishing (CI only) from reading (the whole account).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  publishers   = var.publisher_arns != null ? var.publisher_arns : [local.account_root]
  readers      = var.reader_arns != null ? var.reader_arns : [local.account_root]

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
