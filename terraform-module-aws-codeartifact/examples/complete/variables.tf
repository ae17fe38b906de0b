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
  description = "IAM principal ARNs allowed to publish (e.g. the CI role). Null means the caller's account root."
  type        = list(string)
  default     = null
}

variable "reader_arns" {
  description = "IAM principal ARNs (or account roots) allowed to read. Null means the caller's account root."
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
