# Module config for dev: only the inputs that differ per environment.

include "root" {
  path = find_in_parent_folders()
}

terraform {
  # In your own repository: "git::https://<your-git-host>/terraform-modules//terraform-module-aws-codeartifact?ref=v1.0.0"
  source = "${get_repo_root()}//terraform-module-aws-codeartifact"
}

inputs = {
  domain_name     = "kloudvin-dev"
  kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
  repository_name = "team-payments-npm"

  external_connection = "public:npmjs"
  tags = {
    Environment = "dev"
    ManagedBy   = "terragrunt"
  }
}
