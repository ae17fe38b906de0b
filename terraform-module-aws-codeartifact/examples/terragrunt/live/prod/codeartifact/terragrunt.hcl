# Module config for prod: only the inputs that differ per environment.

include "root" {
  path = find_in_parent_folders()
}

terraform {
  # In your own repository: "git::https://<your-git-host>/terraform-modules//terraform-module-aws-codeartifact?ref=v1.0.0"
  source = "${get_repo_root()}//terraform-module-aws-codeartifact"
}

inputs = {
  domain_name     = "kloudvin-prod"
  kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  repository_name = "team-payments-npm"

  external_connection = "public:npmjs"
  tags = {
    Environment = "prod"
    ManagedBy   = "terragrunt"
  }
}
