variable "name" {
  description = "Name prefix of every object: the network, the key alias, the buckets (`NAME-datasets`, `NAME-checkpoints`, `NAME-audit`: bucket names are global, make it unique, e.g. with the region) and the GPU cluster."
  type        = string
}

variable "availability_zones" {
  description = "Availability Zones of the provider's region, one private subnet each; the GPU cluster runs in the first (cluster placement: one zone)."
  type        = list(string)
}

variable "cidr_block" {
  description = "Private IPv4 range of the network, /16 to /24 (RFC 1918)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "interface_endpoints" {
  description = "AWS services the network reaches through interface endpoints with private DNS (short names such as `kms`, `sts`, `ecr.dkr`)."
  type        = list(string)
  default     = ["kms", "sts", "ecr.api", "ecr.dkr", "logs"]
}

variable "instance_type" {
  description = "GPU/accelerator instance type of the training nodes (e.g. `g5.xlarge`, `p5.48xlarge`)."
  type        = string
  default     = "g5.xlarge"
}

variable "node_count" {
  description = "Training nodes to run. 0 (the default) applies the network, key and buckets without paying for GPUs."
  type        = number
  default     = 0
}

variable "ami_id" {
  description = "AMI of the training nodes, in the provider's region."
  type        = string
}

variable "root_volume_size_gb" {
  description = "Root volume size of each node in GiB (gp3, encrypted with the stack's key)."
  type        = number
  default     = 100
}

variable "max_hourly_cost_usd" {
  description = "Budget: the plan is refused when node_count × the on-demand price of instance_type exceeds it."
  type        = number
  default     = 50
}

variable "ttl_hours" {
  description = "Hours the GPU cluster may run; afterwards the next plan terminates every node."
  type        = number
  default     = 24
}

variable "user_data" {
  description = "User data of every training node (plain text), e.g. a script that starts the job."
  type        = string
  default     = null
}

variable "iam_instance_profile" {
  description = "Instance profile (name or ARN) of the training nodes; null = none."
  type        = string
  default     = null
}

variable "key_principals" {
  description = "IAM ARNs (e.g. the training role) that may use the stack's key besides the account root."
  type        = list(string)
  default     = []
}

variable "audit_retention_days" {
  description = "COMPLIANCE-mode object lock retention of the audit bucket, in days: nobody can delete a log sooner."
  type        = number
  default     = 365
}

variable "restrict_buckets_to_vpc_endpoint" {
  description = "Deny every request to the datasets and checkpoints buckets that does not come through the network's S3 gateway endpoint. Off by default: it also denies Terraform's own requests unless Terraform runs behind that endpoint (see README)."
  type        = bool
  default     = false
}

variable "data_classification" {
  description = "Value of the `data-classification` tag of every object."
  type        = string
  default     = "restricted"
}

variable "tags" {
  description = "Extra tags of every object; merged over the provider's default_tags."
  type        = map(string)
  default     = {}
}
