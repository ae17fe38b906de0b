variable "domain_name" {
  description = "CodeArtifact domain name."
  type        = string
  default     = "example-complete"
}

variable "repository_name" {
  description = "Primary repository name."
  type        = string
  default     = "team-payments-npm"
}

variable "repository_description" {
  description = "Description of the primary repository."
  type        = string
  default     = "npm packages for the payments domain"
}

variable "external_connection" {
  description = "Public registry the managed upstream repository proxies."
  type        = string
  default     = "public:npmjs"
}

variable "kms_key_arn" {
  description = "Existing customer-managed KMS key ARN. Null creates one with aws_kms_key."
  type        = string
  default     = null
}

variable "publisher_arns" {
  description = "IAM principal ARNs allowed to publish. Null means the ci_publish role this example creates."
  type        = list(string)
  default     = null
}

variable "reader_arns" {
  description = "IAM principal ARNs (or account ids) allowed to read. Null means the caller's account (each identity's own policies decide, e.g. the build_reader role's)."
  type        = list(string)
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default = {
    Environment = "prod"
    Team        = "payments"
    ManagedBy   = "terraform"
  }
}

variable "ci_oidc_url" {
  description = "Issuer URL of the CI's OpenID Connect tokens."
  type        = string
  default     = "https://token.actions.githubusercontent.com"
}

variable "ci_oidc_thumbprints" {
  description = "SHA-1 thumbprints of the CI issuer's TLS certificate chain."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

variable "ci_oidc_provider_arn" {
  description = "An existing IAM OIDC provider for the CI issuer. Null creates one."
  type        = string
  default     = null
}

variable "ci_subject" {
  description = "The CI token subject (sub claim) allowed to assume the publish role; wildcards allowed."
  type        = string
  default     = "repo:example-org/payments-api:ref:refs/heads/main"
}
