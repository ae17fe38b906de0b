locals {
  # An existing domain has no resource in this configuration; its ARN and owner
  # are read off the primary repository (arn:<partition>:codeartifact:<region>:<owner>:repository/<domain>/<repo>).
  repository_arn_parts = split(":", aws_codeartifact_repository.this.arn)
}

output "domain_name" {
  description = "The name of the CodeArtifact domain."
  value       = local.domain
}

output "domain_arn" {
  description = "ARN of the CodeArtifact domain."
  value = (var.create_domain ? one(aws_codeartifact_domain.this[*].arn) : try(format(
    "arn:%s:codeartifact:%s:%s:domain/%s",
    local.repository_arn_parts[1], local.repository_arn_parts[3], local.repository_arn_parts[4], local.domain,
  ), null))
}

output "domain_owner" {
  description = "AWS account ID that owns the domain (used as --domain-owner in CLI logins)."
  value       = var.create_domain ? one(aws_codeartifact_domain.this[*].owner) : aws_codeartifact_repository.this.domain_owner
}

output "repository_name" {
  description = "Name of the primary repository to use with 'aws codeartifact login'."
  value       = aws_codeartifact_repository.this.repository
}

output "repository_arn" {
  description = "ARN of the primary repository."
  value       = aws_codeartifact_repository.this.arn
}

output "upstream_repository_name" {
  description = "Name of the managed public-proxy upstream repository, or null when no external connection is configured."
  value       = try(aws_codeartifact_repository.upstream[0].repository, null)
}
