locals {
  # When an external connection is requested we stand up a dedicated upstream
  # repository that holds the public proxy (a repo may carry only one external
  # connection), then chain the primary repository on top of it.
  enable_public_proxy = var.external_connection != null
  upstream_repo_name  = "${var.repository_name}-upstream"

  # The primary repo's upstreams = any caller-provided internal upstreams,
  # followed by our managed public-proxy repo when enabled.
  upstreams = concat(
    var.upstreams,
    local.enable_public_proxy ? [local.upstream_repo_name] : []
  )

  # With create_domain = false the module joins a domain created elsewhere (by
  # another configuration, or by one instance of this module in a for_each), so
  # many teams can each own a repository in one shared domain.
  domain = var.create_domain ? one(aws_codeartifact_domain.this[*].domain) : var.domain_name

  # Repositories only name an owner when joining an existing domain; null lets
  # the provider use the caller's account, as the original interface did.
  repository_domain_owner = var.create_domain ? null : var.domain_owner
}

# The domain: encryption + storage-dedup boundary for all repositories within.
resource "aws_codeartifact_domain" "this" {
  count = var.create_domain ? 1 : 0

  domain         = var.domain_name
  encryption_key = var.kms_key_arn
  tags           = var.tags
}

# The domain originally had no count; this keeps existing state in place on upgrade.
moved {
  from = aws_codeartifact_domain.this
  to   = aws_codeartifact_domain.this[0]
}

# Optional resource policy on the domain (e.g. allow other accounts to create
# repos / list packages within the shared domain).
resource "aws_codeartifact_domain_permissions_policy" "this" {
  count = var.domain_policy_document != null ? 1 : 0

  domain          = local.domain
  policy_document = var.domain_policy_document

  lifecycle {
    precondition {
      condition     = var.create_domain
      error_message = "domain_policy_document can only be set when create_domain is true: the domain's policy belongs to the configuration that creates the domain."
    }
  }
}

# Dedicated upstream repository that owns the public external connection.
# Builds never hit this directly; the primary repo proxies through it so every
# external package is fetched once and cached inside the domain.
resource "aws_codeartifact_repository" "upstream" {
  count = local.enable_public_proxy ? 1 : 0

  repository   = local.upstream_repo_name
  domain       = local.domain
  domain_owner = local.repository_domain_owner
  description  = "Public proxy (${var.external_connection}) for ${var.repository_name}"

  external_connections {
    external_connection_name = var.external_connection
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.upstream_repo_name) <= 100
      error_message = "repository_name must be at most 91 chars when external_connection is set: the managed upstream repository \"<repository_name>-upstream\" must fit CodeArtifact's 100-char limit."
    }
  }
}

# The primary repository your tooling authenticates to and pulls/publishes from.
resource "aws_codeartifact_repository" "this" {
  repository   = var.repository_name
  domain       = local.domain
  domain_owner = local.repository_domain_owner
  description  = var.repository_description

  dynamic "upstream" {
    for_each = local.upstreams
    content {
      repository_name = upstream.value
    }
  }

  tags = var.tags

  # Ensure the managed upstream proxy exists before we reference it.
  depends_on = [aws_codeartifact_repository.upstream]

  lifecycle {
    precondition {
      condition     = length(local.upstreams) <= 10
      error_message = "upstreams must hold at most 9 repositories when external_connection is set (the managed upstream repository is appended, and CodeArtifact allows 10 direct upstreams)."
    }
    precondition {
      condition     = length(distinct(local.upstreams)) == length(local.upstreams) && !contains(local.upstreams, var.repository_name)
      error_message = "upstreams must not repeat a repository, name the primary repository itself, or name the managed \"<repository_name>-upstream\" repository."
    }
  }
}

# Least-privilege resource policy on the primary repository (read vs. publish).
resource "aws_codeartifact_repository_permissions_policy" "this" {
  count = var.repository_policy_document != null ? 1 : 0

  repository      = aws_codeartifact_repository.this.repository
  domain          = local.domain
  domain_owner    = local.repository_domain_owner
  policy_document = var.repository_policy_document
}
