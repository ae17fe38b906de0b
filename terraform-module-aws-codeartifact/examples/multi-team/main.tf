# Hub and spoke: one shared domain, one repository per team, each team's
# repository fronted by its own cached public registry and able to read the
# platform team's first-party packages.
#
# The platform instance creates the domain (create_domain defaults to true);
# every team instance joins it with create_domain = false. Referencing the
# platform instance's outputs orders the teams after the domain on apply and
# before it on destroy.

module "platform" {
  source = "../.."

  domain_name            = var.domain_name
  kms_key_arn            = var.kms_key_arn
  repository_name        = "platform-shared"
  repository_description = "First-party packages shared by every team"
  tags                   = var.tags
}

module "team" {
  source   = "../.."
  for_each = var.teams

  create_domain = false
  domain_name   = module.platform.domain_name
  domain_owner  = module.platform.domain_owner
  # Required by the interface; ignored when joining a domain (its key was fixed at creation).
  kms_key_arn = var.kms_key_arn

  repository_name        = each.key
  repository_description = each.value.description
  external_connection    = each.value.external_connection
  upstreams              = [module.platform.repository_name]

  tags = merge(var.tags, { Team = each.value.team })
}

variable "domain_name" {
  description = "The shared CodeArtifact domain."
  type        = string
  default     = "kloudvin-pkgs"
}

variable "kms_key_arn" {
  description = "Central customer-managed KMS key ARN encrypting the shared domain."
  type        = string
}

variable "teams" {
  description = "One repository per team, keyed by repository name."
  type = map(object({
    team                = string
    description         = string
    external_connection = string
  }))
  default = {
    team-payments-npm = {
      team                = "payments"
      description         = "npm packages for the payments squad"
      external_connection = "public:npmjs"
    }
    team-risk-pypi = {
      team                = "risk"
      description         = "Python packages for the risk squad"
      external_connection = "public:pypi"
    }
    team-core-maven = {
      team                = "core"
      description         = "Maven artifacts for the core squad"
      external_connection = "public:maven-central"
    }
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default = {
    Environment = "prod"
    ManagedBy   = "terraform"
  }
}

output "domain_name" {
  value = module.platform.domain_name
}

output "domain_arn" {
  value = module.platform.domain_arn
}

output "domain_owner" {
  value = module.platform.domain_owner
}

output "platform_repository_name" {
  value = module.platform.repository_name
}

output "teams" {
  description = "Per team: its repository, the managed upstream proxy, and the domain as the team instance sees it."
  value = {
    for name, m in module.team : name => {
      repository_name          = m.repository_name
      repository_arn           = m.repository_arn
      upstream_repository_name = m.upstream_repository_name
      domain_name              = m.domain_name
      domain_arn               = m.domain_arn
      domain_owner             = m.domain_owner
    }
  }
}
