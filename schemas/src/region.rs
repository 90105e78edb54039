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

/// The region a zone lies in: AWS `eu-central-1a` → `eu-central-1`, AWS zone ids `euc1-az2` and
/// Local Zone ids `usw2-lax1-az1` by the catalog's zone id prefixes, Google `europe-west3-b` →
/// `europe-west3`. `None` when the zone does not name a region the catalog knows (Azure zones are
/// "1", "2", "3"; a zone id with an unknown prefix).
pub fn region_of_zone(cloud: Cloud, zone: &str) -> Option<String> {
    let zone = zone.trim();
    match cloud {
        Cloud::Aws => {
            if let Some(prefix) = aws_zone_id_prefix(zone) {
                return catalog()
                    .aws_region_of_zone_id_prefix(prefix)
                    .map(str::to_string);
            }
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

/// The prefix of an AWS zone id (`euc1` of `euc1-az2` or `usw2-lax1-az1`), `None` for other names.
pub fn aws_zone_id_prefix(zone: &str) -> Option<&str> {
    let mut labels = zone.split('-');
    let prefix = labels.next()?;
    let last = zone.rsplit('-').next()?;
    let alnum = |l: &str| {
        l.bytes().any(|b| b.is_ascii_digit())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let count = zone.split('-').count();
    let ok = (2..=3).contains(&count)
        && alnum(prefix)
        && prefix.ends_with(|c: char| c.is_ascii_digit())
        && last
            .strip_prefix("az")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && zone.split('-').all(alnum);
    ok.then_some(prefix)
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
        for (display, name) in [
            ("West Europe", "westeurope"),
            ("westeurope", "westeurope"),
            ("Germany West Central", "germanywestcentral"),
            ("  germany west central ", "germanywestcentral"),
            ("GERMANYWESTCENTRAL", "germanywestcentral"),
        ] {
            assert_eq!(normalize_region(Cloud::Azure, display), name, "{display}");
        }
        for (code, name) in [
            ("EUR4", "eur4"),
            ("NAM4", "nam4"),
            ("Asia1", "asia1"),
            ("US", "us"),
        ] {
            assert_eq!(normalize_region(Cloud::Google, code), name);
        }
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
        assert_eq!(
            region_of_zone(Cloud::Aws, "euc1-az1").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(
            region_of_zone(Cloud::Aws, "usw2-lax1-az1").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_of_zone(Cloud::Aws, "usgw1-az2").as_deref(),
            Some("us-gov-west-1")
        );
        // A zone id of a region whose prefix is not established resolves to nothing.
        assert_eq!(region_of_zone(Cloud::Aws, "xyz9-az1"), None);
        assert_eq!(aws_zone_id_prefix("eu-central-1a"), None);
        assert_eq!(aws_zone_id_prefix("euc1-az"), None);
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
