variable "region" {
  description = "AWS region for the training data; must be inside the EU (see sovereign.toml)."
  type        = string
  default     = "eu-central-1"
}

variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "ml-training"
}
