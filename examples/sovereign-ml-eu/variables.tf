variable "region" {
  description = "AWS region of every resource; must be an EU region (the provider refuses others at plan time)."
  type        = string
  default     = "eu-central-1"
}

variable "project" {
  description = "Name prefix of the key alias and the buckets (bucket names are global: make it unique)."
  type        = string
  default     = "sovereign-ml"
}

variable "data_principals" {
  description = "IAM role ARNs that may use the data key besides the account root (e.g. the training role)."
  type        = list(string)
  default     = []
}

variable "vpc_endpoint_ids" {
  description = "S3 VPC endpoints the datasets bucket accepts requests from; empty = no endpoint restriction."
  type        = list(string)
  default     = []
}

variable "endpoint" {
  description = "A private AWS-compatible endpoint for KMS, S3 and STS (e.g. a local test server); null = AWS's regional endpoints."
  type        = string
  default     = null
}

variable "allowed_endpoint_hosts" {
  description = "Hosts accepted for `endpoint` besides regional AWS endpoints in the EU (e.g. [\"127.0.0.1\"] for a local server)."
  type        = list(string)
  default     = []
}
