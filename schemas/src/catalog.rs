//! The jurisdiction catalog, compiled in from `data/catalog.toml`.
use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::region::Cloud;

const CATALOG_TOML: &str = include_str!("../data/catalog.toml");

/// Where a fact comes from.
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub title: String,
    pub date: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RawPartition {
    id: String,
    dns_suffix: String,
    dualstack_suffix: String,
    region_regex: String,
    source: String,
}

/// An AWS partition: its DNS suffixes and the pattern of its region names.
#[derive(Debug, Clone)]
pub struct Partition {
    pub id: String,
    pub dns_suffix: String,
    pub dualstack_suffix: String,
    pub region_regex: Regex,
    pub source: String,
}

/// A known region of some cloud.
#[derive(Debug, Clone, Deserialize)]
pub struct RegionFact {
    #[serde(default)]
    pub partition: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// ISO 3166 alpha-2 country ("EU" for an EU multi-region, empty where not established).
    pub country: String,
    /// Azure: the sovereign cloud the region belongs to (`usgov`), absent for the public cloud.
    #[serde(default)]
    pub cloud: Option<String>,
    #[serde(default)]
    pub multi_region: bool,
    /// AWS: the first label of the region's zone ids (`euc1` in `euc1-az2`).
    #[serde(default)]
    pub zone_id_prefix: Option<String>,
    pub source: String,
}

/// A jurisdiction: the regions of each cloud that lie inside it.
#[derive(Debug, Clone, Deserialize)]
pub struct Jurisdiction {
    #[serde(skip)]
    pub id: String,
    pub name: String,
    pub aws_regions: Vec<String>,
    pub azure_regions: Vec<String>,
    pub google_regions: Vec<String>,
    /// Azure clouds whose hosts are sovereign here: `public`, `usgov`.
    pub azure_clouds: Vec<String>,
    pub sources: Vec<String>,
}

impl Jurisdiction {
    /// The regions of `cloud` inside this jurisdiction.
    pub fn regions(&self, cloud: Cloud) -> &[String] {
        match cloud {
            Cloud::Aws => &self.aws_regions,
            Cloud::Azure => &self.azure_regions,
            Cloud::Google => &self.google_regions,
        }
    }

    /// Whether `region` (already normalised, see [`crate::region::normalize_region`]) of `cloud` is inside.
    pub fn contains(&self, cloud: Cloud, region: &str) -> bool {
        self.regions(cloud).iter().any(|r| r == region)
    }

    /// Whether a region name of any cloud is inside.
    pub fn contains_any(&self, region: &str) -> bool {
        Cloud::ALL.iter().any(|cloud| self.contains(*cloud, region))
    }

    /// The AWS partitions this jurisdiction's AWS regions belong to.
    pub fn aws_partitions(&self) -> Vec<&'static str> {
        let mut partitions: Vec<&'static str> = self
            .aws_regions
            .iter()
            .filter_map(|r| catalog().aws_partition_of(r))
            .map(|p| p.id.as_str())
            .collect();
        partitions.sort_unstable();
        partitions.dedup();
        partitions
    }

    /// Regional AWS endpoint suffixes (`{region}.{dns suffix}` and the dual-stack form) of this jurisdiction.
    pub fn endpoint_suffixes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for region in &self.aws_regions {
            if let Some(p) = catalog().aws_partition_of(region) {
                out.push(format!("{region}.{}", p.dns_suffix));
                out.push(format!("{region}.{}", p.dualstack_suffix));
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
struct RawCatalog {
    meta: Meta,
    sources: BTreeMap<String, Source>,
    aws_partitions: Vec<RawPartition>,
    aws_regions: BTreeMap<String, RegionFact>,
    azure_regions: BTreeMap<String, RegionFact>,
    google_regions: BTreeMap<String, RegionFact>,
    jurisdictions: BTreeMap<String, Jurisdiction>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub version: String,
}

/// The whole catalog. Obtain it with [`catalog()`].
#[derive(Debug)]
pub struct Catalog {
    pub meta: Meta,
    pub sources: BTreeMap<String, Source>,
    pub aws_partitions: Vec<Partition>,
    pub aws_regions: BTreeMap<String, RegionFact>,
    pub azure_regions: BTreeMap<String, RegionFact>,
    pub google_regions: BTreeMap<String, RegionFact>,
    pub jurisdictions: BTreeMap<String, Jurisdiction>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| match Catalog::parse(CATALOG_TOML) {
    Ok(catalog) => catalog,
    // The catalog is compiled into the binary and checked by this crate's tests, so this is a
    // build defect, not a user error.
    Err(err) => panic!("embedded jurisdiction catalog is invalid: {err}"),
});

/// The embedded catalog.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

/// The embedded catalog's TOML text, as compiled in (evidence bundles record its digest).
pub fn catalog_source() -> &'static str {
    CATALOG_TOML
}

impl Catalog {
    fn parse(text: &str) -> Result<Catalog, String> {
        let raw: RawCatalog = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut aws_partitions = Vec::new();
        for p in raw.aws_partitions {
            let region_regex =
                Regex::new(&p.region_regex).map_err(|e| format!("partition {}: {e}", p.id))?;
            aws_partitions.push(Partition {
                id: p.id,
                dns_suffix: p.dns_suffix,
                dualstack_suffix: p.dualstack_suffix,
                region_regex,
                source: p.source,
            });
        }
        let mut jurisdictions = raw.jurisdictions;
        for (id, j) in jurisdictions.iter_mut() {
            j.id = id.clone();
        }
        Ok(Catalog {
            meta: raw.meta,
            sources: raw.sources,
            aws_partitions,
            aws_regions: raw.aws_regions,
            azure_regions: raw.azure_regions,
            google_regions: raw.google_regions,
            jurisdictions,
        })
    }

    pub fn jurisdiction(&self, id: &str) -> Option<&Jurisdiction> {
        self.jurisdictions.get(id)
    }

    pub fn jurisdiction_ids(&self) -> impl Iterator<Item = &str> {
        self.jurisdictions.keys().map(String::as_str)
    }

    /// The AWS partition a region belongs to: from the known regions, else from the partitions'
    /// region patterns (most specific first, so `us-gov-*` is GovCloud, not commercial).
    pub fn aws_partition_of(&self, region: &str) -> Option<&Partition> {
        if let Some(fact) = self.aws_regions.get(region) {
            let id = fact.partition.as_deref()?;
            return self.aws_partition(id);
        }
        // Specific patterns before the broad commercial one.
        self.aws_partitions
            .iter()
            .filter(|p| p.id != "aws")
            .find(|p| p.region_regex.is_match(region))
            .or_else(|| {
                self.aws_partitions
                    .iter()
                    .find(|p| p.id == "aws" && p.region_regex.is_match(region))
            })
    }

    /// The AWS region whose zone ids start with `prefix` (`euc1` → `eu-central-1`).
    pub fn aws_region_of_zone_id_prefix(&self, prefix: &str) -> Option<&str> {
        self.aws_regions
            .iter()
            .find(|(_, fact)| fact.zone_id_prefix.as_deref() == Some(prefix))
            .map(|(name, _)| name.as_str())
    }

    pub fn aws_partition(&self, id: &str) -> Option<&Partition> {
        self.aws_partitions.iter().find(|p| p.id == id)
    }

    /// A known region fact for `cloud`.
    pub fn region_fact(&self, cloud: Cloud, region: &str) -> Option<&RegionFact> {
        match cloud {
            Cloud::Aws => self.aws_regions.get(region),
            Cloud::Azure => self.azure_regions.get(region),
            Cloud::Google => self.google_regions.get(region),
        }
    }

    /// A short human description of a region: `Europe (London), GB`.
    pub fn describe_region(&self, cloud: Cloud, region: &str) -> Option<String> {
        let fact = self.region_fact(cloud, region)?;
        let country = if fact.country.is_empty() {
            "country not established".to_string()
        } else {
            fact.country.clone()
        };
        Some(match &fact.name {
            Some(name) => format!("{name}, {country}"),
            None => country,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_parses_and_references_known_sources() {
        let c = catalog();
        for id in ["eu", "eu-esc", "eudb", "us-gov", "de", "fr"] {
            let j = c
                .jurisdiction(id)
                .unwrap_or_else(|| panic!("missing jurisdiction {id}"));
            for s in &j.sources {
                assert!(c.sources.contains_key(s), "{id}: unknown source {s}");
            }
            for r in &j.aws_regions {
                assert!(
                    c.aws_regions.contains_key(r),
                    "{id}: unknown AWS region {r}"
                );
            }
            for r in &j.azure_regions {
                assert!(
                    c.azure_regions.contains_key(r),
                    "{id}: unknown Azure region {r}"
                );
            }
            for r in &j.google_regions {
                assert!(
                    c.google_regions.contains_key(r),
                    "{id}: unknown Google region {r}"
                );
            }
        }
        for (name, fact) in c
            .aws_regions
            .iter()
            .chain(&c.azure_regions)
            .chain(&c.google_regions)
        {
            assert!(
                c.sources.contains_key(&fact.source),
                "{name}: unknown source"
            );
        }
        for p in &c.aws_partitions {
            assert!(c.sources.contains_key(&p.source));
        }
    }

    #[test]
    fn zone_id_prefixes_are_unique_and_name_their_region() {
        let c = catalog();
        let mut seen = std::collections::BTreeSet::new();
        for (region, fact) in &c.aws_regions {
            if let Some(prefix) = &fact.zone_id_prefix {
                assert!(
                    seen.insert(prefix.clone()),
                    "{region}: prefix {prefix} repeated"
                );
                assert_eq!(
                    c.aws_region_of_zone_id_prefix(prefix),
                    Some(region.as_str())
                );
            }
        }
        assert_eq!(c.aws_region_of_zone_id_prefix("euc1"), Some("eu-central-1"));
        assert_eq!(
            c.aws_region_of_zone_id_prefix("usgw1"),
            Some("us-gov-west-1")
        );
        assert_eq!(c.aws_region_of_zone_id_prefix("nope1"), None);
    }

    /// Google multi- and dual-regions: inside a jurisdiction only when every region they store in
    /// is (SPEC §2; the catalog comment on `[google_regions]` gives the reasons).
    #[test]
    fn google_multi_regions_per_jurisdiction() {
        let c = catalog();
        let inside = |j: &str, l: &str| c.jurisdiction(j).unwrap().contains(Cloud::Google, l);
        for l in ["eu", "europe", "eur3", "eur4"] {
            assert!(inside("eu", l), "{l} in eu");
            assert!(inside("eudb", l), "{l} in eudb");
            assert!(
                !inside("de", l),
                "{l} spans several member states: not in de"
            );
            assert!(!inside("fr", l), "{l} not in fr");
        }
        for l in ["us", "nam4", "nam5", "asia", "asia1", "eur5", "eur7"] {
            for j in ["eu", "eudb", "de", "fr", "eu-esc"] {
                assert!(!inside(j, l), "{l} must not be in {j}");
            }
        }
        assert!(
            inside("eudb", "eur8"),
            "eur8: DE + CH, both in the EU Data Boundary"
        );
        assert!(!inside("eu", "eur8"), "eur8 stores in Zurich");
        for l in [
            "eu", "us", "nam4", "eur3", "eur4", "eur5", "eur7", "eur8", "asia", "asia1",
        ] {
            assert!(c.google_regions[l].multi_region, "{l} is a multi-region");
        }
    }

    #[test]
    fn commercial_aws_has_34_regions() {
        let n = catalog()
            .aws_regions
            .values()
            .filter(|f| f.partition.as_deref() == Some("aws"))
            .count();
        assert_eq!(n, 34);
    }

    #[test]
    fn jurisdiction_membership() {
        let c = catalog();
        let eu = c.jurisdiction("eu").unwrap();
        assert!(eu.contains(Cloud::Aws, "eu-central-1"));
        assert!(eu.contains(Cloud::Aws, "eusc-de-east-1"));
        assert!(
            !eu.contains(Cloud::Aws, "eu-west-2"),
            "London is not in the EU"
        );
        assert!(
            !eu.contains(Cloud::Aws, "eu-central-2"),
            "Zurich is not in the EU"
        );
        let eudb = c.jurisdiction("eudb").unwrap();
        assert!(eudb.contains(Cloud::Aws, "eu-central-2"));
        assert!(eudb.contains(Cloud::Google, "europe-west6"));
        assert!(!eudb.contains(Cloud::Azure, "uksouth"));
        let esc = c.jurisdiction("eu-esc").unwrap();
        assert_eq!(esc.aws_partitions(), vec!["aws-eusc"]);
        let gov = c.jurisdiction("us-gov").unwrap();
        assert_eq!(gov.aws_partitions(), vec!["aws-us-gov"]);
        assert!(!gov.contains(Cloud::Aws, "us-east-1"));
    }

    #[test]
    fn partitions_from_region_names() {
        let c = catalog();
        assert_eq!(
            c.aws_partition_of("us-gov-west-1").unwrap().id,
            "aws-us-gov"
        );
        assert_eq!(c.aws_partition_of("eusc-de-east-1").unwrap().id, "aws-eusc");
        assert_eq!(c.aws_partition_of("eu-west-9").unwrap().id, "aws");
        assert_eq!(c.aws_partition_of("cn-north-1").unwrap().id, "aws-cn");
        assert!(c.aws_partition_of("westeurope").is_none());
    }

    #[test]
    fn endpoint_suffixes_of_eu_esc() {
        let esc = catalog().jurisdiction("eu-esc").unwrap();
        assert_eq!(
            esc.endpoint_suffixes(),
            vec![
                "eusc-de-east-1.amazonaws.eu",
                "eusc-de-east-1.api.amazonwebservices.eu"
            ]
        );
    }
}
