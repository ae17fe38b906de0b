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

output "kms_key_arn" {
  value = local.kms_key_arn
}

output "login_command" {
  description = "How a developer points npm at the repository."
  value       = "aws codeartifact login --tool npm --domain ${module.codeartifact.domain_name} --domain-owner ${module.codeartifact.domain_owner} --repository ${module.codeartifact.repository_name}"
}
