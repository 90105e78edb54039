variable "name" {
  description = "Name prefix of the stack's objects (bucket names are global: make it unique)."
  type        = string
  default     = "sovereign-ml-noncompliant"
}

variable "instance_type" {
  description = "GPU instance type of the training nodes."
  type        = string
  default     = "g5.xlarge"
}

variable "node_count" {
  description = "Training nodes; 0 applies the network, key and buckets without GPUs."
  type        = number
  default     = 0
}

variable "ami_id" {
  description = "AMI of the training nodes in eu-central-1 (e.g. a Deep Learning AMI copied into the account)."
  type        = string
  default     = "ami-04681a1dbd79675a5"
}

variable "endpoint" {
  description = "A private AWS-compatible endpoint for EC2, KMS, S3 and STS (e.g. a local test server); null = AWS's regional endpoints."
  type        = string
  default     = null
}

variable "allowed_endpoint_hosts" {
  description = "Hosts accepted for `endpoint` besides the jurisdiction's regional AWS endpoints (e.g. [\"127.0.0.1\"] for a local server)."
  type        = list(string)
  default     = []
}
