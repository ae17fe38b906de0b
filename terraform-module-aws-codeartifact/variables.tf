variable "domain_name" {
  description = "CodeArtifact domain name (the encryption/storage boundary). Lowercase, must be unique within the account/region."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,48}[a-z0-9]$", var.domain_name))
    error_message = "domain_name must be 3-50 chars, lowercase, start with a letter, and contain only a-z, 0-9, and hyphens."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key used to encrypt all assets in the domain. Set on creation and immutable thereafter."
  type        = string

  # Originally only the prefix was checked, so "arn:aws:kms:" passed and failed at apply.
  # A key ARN or a key alias ARN, both of which CreateDomain accepts.
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$", var.kms_key_arn))
    error_message = "kms_key_arn must be a valid KMS key ARN (arn:aws:kms:<region>:<account-id>:key/<key-id> or :alias/<name>)."
  }
}

variable "repository_name" {
  description = "Name of the primary repository your build tools log in to and pull/publish from."
  type        = string

  # CodeArtifact's RepositoryName rule: the first character must be a letter or digit.
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$", var.repository_name))
    error_message = "repository_name must be 2-100 chars using letters, numbers, and . _ - only, starting with a letter or number."
  }
}

variable "repository_description" {
  description = "Human-readable description for the primary repository."
  type        = string
  default     = "Managed by Terraform"

  validation {
    condition     = var.repository_description == null || can(regex("^\\P{C}{0,1000}$", var.repository_description))
    error_message = "repository_description must be at most 1000 chars with no control characters (such as newlines)."
  }
}

variable "external_connection" {
  description = "Public registry to proxy and cache via a dedicated upstream repo (e.g. public:npmjs, public:pypi, public:maven-central). Null disables the public proxy."
  type        = string
  default     = null

  # Originally `var.external_connection == null || contains(...)`. Before
  # Terraform 1.12 `||` evaluates both sides, and contains() refuses null, so
  # every plan that kept the default failed. Same rule, as a conditional.
  validation {
    condition = var.external_connection == null ? true : contains([
      "public:npmjs",
      "public:pypi",
      "public:maven-central",
      "public:maven-googleandroid",
      "public:maven-gradleplugins",
      "public:maven-commonsware",
      "public:maven-clojars",
      "public:nuget-org",
      "public:ruby-gems-org",
      "public:crates-io",
    ], var.external_connection)
    error_message = "external_connection must be null or a supported public:<registry> connection name."
  }
}

variable "upstreams" {
  description = "Names of additional internal repositories (within the same domain) to chain as upstreams, ordered by search priority. The managed public proxy is appended automatically when external_connection is set."
  type        = list(string)
  default     = []

  validation {
    condition     = try(length(var.upstreams) <= 10 && alltrue([for u in var.upstreams : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$", u))]), false)
    error_message = "upstreams must hold at most 10 repository names (CodeArtifact's direct-upstream limit), each 2-100 chars using letters, numbers, and . _ - only, starting with a letter or number."
  }
}

variable "domain_policy_document" {
  description = "Optional JSON resource policy attached to the domain (e.g. cross-account CreateRepository / ListRepositories grants). Null to omit."
  type        = string
  default     = null

  validation {
    condition     = var.domain_policy_document == null || (can(jsondecode(var.domain_policy_document)) && try(length(var.domain_policy_document) <= 7168, false))
    error_message = "domain_policy_document must be null or a JSON policy document of at most 7168 chars."
  }
}

variable "repository_policy_document" {
  description = "Optional JSON resource policy attached to the primary repository (scope ReadFromRepository vs. PublishPackageVersion to principals). Null to omit."
  type        = string
  default     = null

  validation {
    condition     = var.repository_policy_document == null || (can(jsondecode(var.repository_policy_document)) && try(length(var.repository_policy_document) <= 7168, false))
    error_message = "repository_policy_document must be null or a JSON policy document of at most 7168 chars."
  }
}

variable "tags" {
  description = "Tags applied to the domain and all repositories."
  type        = map(string)
  default     = {}

  validation {
    condition = var.tags == null || try(length(var.tags) <= 50 && alltrue([
      for k, v in var.tags : can(regex("^\\P{C}{1,128}$", k)) && can(regex("^\\P{C}{0,256}$", v)) && !startswith(lower(k), "aws:")
    ]), false)
    error_message = "tags must hold at most 50 tags; keys 1-128 chars not starting with \"aws:\", values at most 256 chars, without control characters."
  }
}

# --- Additions to the original interface (optional; defaults keep the original behaviour) ---

variable "create_domain" {
  description = "Create the domain (true, the original behaviour) or join an existing domain named domain_name (false), so one shared domain can hold a repository per team via for_each. When false, kms_key_arn is still required but ignored (the domain's key was fixed when it was created) and domain_policy_document must be null."
  type        = bool
  default     = true
  nullable    = false
}

variable "domain_owner" {
  description = "Account ID that owns the existing domain when create_domain is false (cross-account hub-and-spoke). Null means the caller's account. Ignored when create_domain is true."
  type        = string
  default     = null

  validation {
    condition     = var.domain_owner == null || can(regex("^[0-9]{12}$", var.domain_owner))
    error_message = "domain_owner must be null or a 12-digit AWS account ID."
  }
}
