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

output "ci_publish_role_arn" {
  description = "Role CI jobs assume with their OIDC token (aws sts assume-role-with-web-identity) to publish."
  value       = aws_iam_role.ci_publish.arn
}

output "build_reader_role_arn" {
  description = "Role build servers assume to read through the repository."
  value       = aws_iam_role.build_reader.arn
}
