# Import by VPC id; the VPC must be in the provider's region. Subnets, endpoints, security groups, the route
# table and the flow log are found in it.
terraform import sovereign_network.training vpc-0a1b2c3d4e5f67890
