resource "sovereign_key" "volumes" {
  description = "GPU root volumes"
  tags = {
    data-classification = "restricted"
  }
}

resource "sovereign_network" "training" {
  name               = "ml-training"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["eu-central-1a", "eu-central-1b"]
  tags = {
    data-classification = "restricted"
  }
}

# Four GPU nodes next to each other (cluster placement: one zone), at most 6 USD an hour, gone after two days.
resource "sovereign_gpu_cluster" "finetune" {
  name                = "llm-finetune"
  instance_type       = "g5.xlarge"
  node_count          = 4
  ami_id              = "ami-0123456789abcdef0"
  subnet_ids          = [sovereign_network.training.subnet_ids_by_zone["eu-central-1a"]]
  security_group_ids  = [sovereign_network.training.workload_security_group_id]
  kms_key_arn         = sovereign_key.volumes.arn
  root_volume_size_gb = 200
  max_hourly_cost_usd = 6
  ttl_hours           = 48

  user_data = <<-EOT
    #!/bin/bash
    /opt/train/start.sh
  EOT

  tags = {
    data-classification = "restricted"
    job                 = "llm-finetune"
  }
}

output "private_ips" {
  value = sovereign_gpu_cluster.finetune.private_ips
}
