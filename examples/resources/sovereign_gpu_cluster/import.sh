# Import by cluster name (the placement group's name; the launch template is sovereign-NAME).
terraform import sovereign_gpu_cluster.finetune llm-finetune
