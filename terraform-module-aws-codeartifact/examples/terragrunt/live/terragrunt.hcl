# Root config, inherited by every module under live/: the backend and the
# provider are defined once here instead of in each module.

remote_state {
  backend  = "s3"
  generate = { path = "backend.tf", if_exists = "overwrite" }
  config = {
    bucket         = "kloudvin-terraform-state"
    key            = "${path_relative_to_include()}/terraform.tfstate"
    region         = "us-east-1"
    encrypt        = true
    dynamodb_table = "kloudvin-terraform-locks"
  }
}

# WHARF_ENDPOINT=http://127.0.0.1:PORT points every module at wharf instead of AWS.
generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-PROVIDER
    provider "aws" {
      region = "${get_env("AWS_REGION", "us-east-1")}"
    %{~if get_env("WHARF_ENDPOINT", "") != ""}
      skip_credentials_validation = true
      skip_metadata_api_check     = true
      skip_region_validation      = true
      endpoints {
        codeartifact = "${get_env("WHARF_ENDPOINT", "")}"
        sts          = "${get_env("WHARF_ENDPOINT", "")}"
      }
    %{~endif}
    }
  PROVIDER
}
