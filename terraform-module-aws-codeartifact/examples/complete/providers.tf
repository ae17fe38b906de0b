# The same configuration applies to real AWS (leave endpoint unset) and to wharf
# (set endpoint to its URL, e.g. http://127.0.0.1:8080, and export the access key
# wharf printed as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
provider "aws" {
  region = var.region

  # Checks that only real AWS can answer are skipped when pointed at wharf.
  # wharf serves STS GetCallerIdentity, so the account ID is still looked up,
  # and IAM and KMS subsets, so the roles and aws_kms_key work against it too.
  skip_credentials_validation = var.endpoint != null
  skip_metadata_api_check     = var.endpoint != null
  skip_region_validation      = var.endpoint != null

  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      codeartifact = endpoints.value
      iam          = endpoints.value
      kms          = endpoints.value
      sts          = endpoints.value
    }
  }
}

variable "region" {
  description = "AWS region (wharf answers as us-east-1 by default)."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Base URL of a wharf server (http://127.0.0.1:PORT). Null talks to real AWS."
  type        = string
  default     = null
}
