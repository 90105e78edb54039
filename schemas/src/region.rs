//! Region and zone names of the three clouds.
use std::fmt;

use crate::catalog::catalog;

/// A cloud whose regions the catalog knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cloud {
    Aws,
    Azure,
    Google,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Azure, Cloud::Google];

    /// The cloud of a Terraform provider local name or resource type prefix
    /// (`aws`, `azurerm`, `azapi`, `google`, `google-beta`, `sovereign`).
    pub fn from_provider(name: &str) -> Option<Cloud> {
        let name = name.rsplit('/').next().unwrap_or(name);
        match name {
            "aws" | "awscc" | "sovereign" => Some(Cloud::Aws),
            "azurerm" | "azapi" | "azuread" => Some(Cloud::Azure),
            "google" | "google-beta" => Some(Cloud::Google),
            _ => None,
        }
    }

    /// The cloud of a resource type such as `aws_s3_bucket` or `google_storage_bucket`.
    pub fn from_resource_type(resource_type: &str) -> Option<Cloud> {
        let prefix = resource_type
            .bytes()
            .position(|b| b == b'_')
            .map_or(resource_type, |end| &resource_type[..end]);
        if resource_type.starts_with("google_") {
            return Some(Cloud::Google);
        }
        Cloud::from_provider(prefix)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Azure => "Azure",
            Cloud::Google => "Google Cloud",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Normalises a region as the cloud's APIs accept it: Azure display names ("West Europe") become
/// programmatic names (`westeurope`); Google multi-regions are case-insensitive (`EU`).
pub fn normalize_region(cloud: Cloud, region: &str) -> String {
    let trimmed = region.trim();
    match cloud {
        Cloud::Aws => trimmed.to_string(),
        Cloud::Azure => trimmed
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect(),
        Cloud::Google => trimmed.to_ascii_lowercase(),
    }
}

/// The region a zone lies in: AWS `eu-central-1a` → `eu-central-1`, Google `europe-west3-b` →
/// `europe-west3`. `None` when the zone does not name its region (Azure zones are "1", "2", "3";
/// AWS zone ids such as `euc1-az1`).
pub fn region_of_zone(cloud: Cloud, zone: &str) -> Option<String> {
    let zone = zone.trim();
    match cloud {
        Cloud::Aws => {
            // Local Zones and Wavelength zones: eu-central-1-ham-1a → eu-central-1.
            let base = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
            let region = if catalog().aws_partition_of(base).is_some() {
                base.to_string()
            } else {
                let parts: Vec<&str> = zone.split('-').collect();
                let candidate = (3..=parts.len()).rev().find_map(|n| {
                    let c = parts[..n].join("-");
                    let c = c
                        .trim_end_matches(|ch: char| ch.is_ascii_lowercase())
                        .to_string();
                    catalog().aws_regions.contains_key(&c).then_some(c)
                });
                candidate?
            };
            (region != zone).then_some(region)
        }
        Cloud::Google => {
            let (region, suffix) = zone.rsplit_once('-')?;
            (suffix.len() == 1 && suffix.chars().all(|c| c.is_ascii_lowercase()))
                .then(|| region.to_string())
        }
        Cloud::Azure => None,
    }
}

/// Guesses the cloud of a bare region name (for values whose provider is unknown, e.g. a backend).
pub fn guess_cloud(region: &str) -> Option<Cloud> {
    let c = catalog();
    if c.aws_regions.contains_key(region) || c.aws_partition_of(region).is_some() {
        return Some(Cloud::Aws);
    }
    if c.google_regions.contains_key(&region.to_ascii_lowercase()) {
        return Some(Cloud::Google);
    }
    if c.azure_regions
        .contains_key(&normalize_region(Cloud::Azure, region))
    {
        return Some(Cloud::Azure);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_display_names_normalise() {
        assert_eq!(normalize_region(Cloud::Azure, "West Europe"), "westeurope");
        assert_eq!(normalize_region(Cloud::Google, "EU"), "eu");
    }

    #[test]
    fn zones_map_to_regions() {
        assert_eq!(
            region_of_zone(Cloud::Aws, "eu-central-1a").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(
            region_of_zone(Cloud::Aws, "us-gov-west-1b").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region_of_zone(Cloud::Aws, "eu-central-1-ham-1a").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(region_of_zone(Cloud::Aws, "euc1-az1"), None);
        assert_eq!(
            region_of_zone(Cloud::Google, "europe-west3-b").as_deref(),
            Some("europe-west3")
        );
        assert_eq!(region_of_zone(Cloud::Azure, "1"), None);
    }

    #[test]
    fn clouds_from_names() {
        assert_eq!(Cloud::from_resource_type("aws_s3_bucket"), Some(Cloud::Aws));
        assert_eq!(
            Cloud::from_resource_type("azurerm_storage_account"),
            Some(Cloud::Azure)
        );
        assert_eq!(
            Cloud::from_resource_type("google_storage_bucket"),
            Some(Cloud::Google)
        );
        assert_eq!(
            Cloud::from_resource_type("sovereign_bucket"),
            Some(Cloud::Aws)
        );
        assert_eq!(
            Cloud::from_provider("registry.terraform.io/hashicorp/google-beta"),
            Some(Cloud::Google)
        );
        assert_eq!(guess_cloud("eu-west-2"), Some(Cloud::Aws));
        assert_eq!(guess_cloud("West Europe"), Some(Cloud::Azure));
        assert_eq!(guess_cloud("europe-west6"), Some(Cloud::Google));
    }
}
