terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Originally pinned "~> 5.0", which refuses provider v6 (the current major).
      # Every argument used here exists unchanged in v5 and v6.
      version = ">= 5.0, < 7.0"
    }
  }
}
