data "sovereign_jurisdiction" "eu" {
  id = "eu"
}

# e.g. feed the jurisdiction's regions into a validation of your own variables.
output "eu_aws_regions" {
  value = data.sovereign_jurisdiction.eu.aws_regions
}

output "eu_endpoint_suffixes" {
  value = data.sovereign_jurisdiction.eu.endpoint_suffixes
}
