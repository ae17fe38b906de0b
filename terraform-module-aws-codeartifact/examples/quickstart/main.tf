# Quickstart: only the three required inputs.
module "codeartifact" {
  source = "../.."

  domain_name     = var.domain_name     # CodeArtifact domain name; lowercase, 3-50 chars, unique per account/region.
  kms_key_arn     = var.kms_key_arn     # Customer-managed KMS key ARN encrypting all domain assets.
  repository_name = var.repository_name # Primary repository tools log in to for pull/publish.
}

variable "domain_name" {
  description = "CodeArtifact domain name."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key ARN encrypting the domain."
  type        = string
}

variable "repository_name" {
  description = "Primary repository name."
  type        = string
}

output "domain_name" {
  value = module.codeartifact.domain_name
}

output "domain_arn" {
  value = module.codeartifact.domain_arn
}

output "domain_owner" {
  value = module.codeartifact.domain_owner
}

output "repository_name" {
  value = module.codeartifact.repository_name
}

output "repository_arn" {
  value = module.codeartifact.repository_arn
}

output "upstream_repository_name" {
  value = module.codeartifact.upstream_repository_name
}
