//! GPU/accelerator instance facts for `sovereign_gpu_cluster`: the families SPEC allows, the dated on-demand price
//! table (`data/gpu_prices.toml`) and per-type facts (`data/gpu_instance_types.toml`), both compiled in.
//!
//! A price is a fact with a source and a date, or it is missing: a (region, type) the table does not list answers
//! `None`, never an estimate, so a budget that cannot be proven is refused by the caller. The tables are parsed
//! once; a malformed table fails this module's tests and, at run time, behaves as an empty table (no price, no
//! facts) rather than panicking.
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const PRICES_TOML: &str = include_str!("../data/gpu_prices.toml");
const INSTANCE_TYPES_TOML: &str = include_str!("../data/gpu_instance_types.toml");

/// The GPU/accelerator families `sovereign_gpu_cluster` accepts (SPEC §4), as SPEC spells them: `p6-*` stands for
/// every `p6-…` family (`p6-b200`, `p6-b300`).
pub const GPU_FAMILIES: &[&str] = &[
    "p4d", "p4de", "p5", "p5e", "p5en", "p6-*", "g5", "g6", "g6e", "g6f", "g7", "g7e", "gr6",
    "trn1", "trn1n", "trn2", "inf2",
];

/// The family of an instance type: `"p6-b200.48xlarge"` → `"p6-b200"`. `None` unless the name is `family.size`
/// with both parts non-empty.
pub fn family_of(instance_type: &str) -> Option<&str> {
    let (family, size) = instance_type.split_once('.')?;
    if family.is_empty() || size.is_empty() || size.contains('.') {
        return None;
    }
    Some(family)
}

/// Whether `instance_type` belongs to one of [`GPU_FAMILIES`].
pub fn is_allowed_family(instance_type: &str) -> bool {
    let Some(family) = family_of(instance_type) else {
        return false;
    };
    GPU_FAMILIES
        .iter()
        .any(|allowed| match allowed.strip_suffix('*') {
            Some(prefix) => family.len() > prefix.len() && family.starts_with(prefix),
            None => family == *allowed,
        })
}

/// An on-demand price: USD per hour, Linux, shared tenancy, no pre-installed software.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Price {
    pub usd_per_hour: f64,
    /// The public dataset(s) the figure comes from: repository, file, commit and date.
    pub source: String,
    /// The date of the newest dated dataset behind the figure (YYYY-MM-DD).
    pub date: String,
}

/// The on-demand price of `instance_type` in `region`, or `None` where the table has no public figure (including
/// every type of the European Sovereign Cloud, which prices in EUR).
pub fn on_demand_price(region: &str, instance_type: &str) -> Option<&'static Price> {
    tables().prices.get(region)?.get(instance_type)
}

/// The date the price table was assembled (YYYY-MM-DD); empty if the embedded table could not be read.
pub fn price_table_date() -> &'static str {
    &tables().price_table_date
}

/// Every price row as `(region, instance_type, price)`, ordered by region, then type.
pub fn on_demand_prices() -> impl Iterator<Item = (&'static str, &'static str, &'static Price)> {
    tables().prices.iter().flat_map(|(region, types)| {
        types
            .iter()
            .map(move |(t, p)| (region.as_str(), t.as_str(), p))
    })
}

/// What drives an instance type's accelerators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Accelerator {
    Nvidia,
    Trainium,
    Inferentia,
}

/// What the plan needs to know about one instance type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstanceTypeFacts {
    pub name: String,
    pub family: String,
    pub accelerator: Accelerator,
    /// The GPU or Neuron device (`"A10G"`, `"Trainium2"`), where the source names it.
    #[serde(default)]
    pub accelerator_model: Option<String>,
    /// Nitro Enclaves support; `None` where the source does not say.
    #[serde(default)]
    pub nitro_enclaves: Option<bool>,
}

/// The recorded facts of `instance_type`, if the table lists it.
pub fn instance_type_facts(instance_type: &str) -> Option<&'static InstanceTypeFacts> {
    tables().instance_types.get(instance_type)
}

/// Whether `instance_type` supports Nitro Enclaves: `None` for a type the table does not list or whose support is
/// unknown. It depends on the size, not only the family (`g6f.large` has none, `g6f.xlarge` has).
pub fn nitro_enclaves_support(instance_type: &str) -> Option<bool> {
    instance_type_facts(instance_type)?.nitro_enclaves
}

/// The accelerator kind of `instance_type`: from the facts table, else from its family when that is an allowed
/// family (the family decides it: `trn*` Trainium, `inf*` Inferentia, the `p`/`g` families NVIDIA).
pub fn accelerator_of(instance_type: &str) -> Option<Accelerator> {
    if let Some(facts) = instance_type_facts(instance_type) {
        return Some(facts.accelerator);
    }
    if !is_allowed_family(instance_type) {
        return None;
    }
    let family = family_of(instance_type)?;
    Some(if family.starts_with("trn") {
        Accelerator::Trainium
    } else if family.starts_with("inf") {
        Accelerator::Inferentia
    } else {
        Accelerator::Nvidia
    })
}

// ------------------------------------------------------------------------------------------------ the tables

struct Tables {
    price_table_date: String,
    /// region → instance type → price
    prices: BTreeMap<String, BTreeMap<String, Price>>,
    instance_types: BTreeMap<String, InstanceTypeFacts>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        // Both files are compiled in and checked by the tests below, so an error here is a build defect: answer
        // "unknown" for everything (the provider then refuses budgets it cannot prove) instead of panicking.
        let (price_table_date, prices) = parse_prices(PRICES_TOML).unwrap_or_default();
        let instance_types = parse_instance_types(INSTANCE_TYPES_TOML).unwrap_or_default();
        Tables {
            price_table_date,
            prices,
            instance_types,
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrices {
    meta: PricesMeta,
    price: Vec<PriceRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesMeta {
    date: String,
    currency: String,
    #[allow(dead_code)] // documentation for readers of the file
    assembled_from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceRow {
    region: String,
    instance_type: String,
    usd_per_hour: f64,
    date: String,
    source: String,
}

type PriceMap = BTreeMap<String, BTreeMap<String, Price>>;

fn parse_prices(text: &str) -> Result<(String, PriceMap), String> {
    let raw: RawPrices = toml::from_str(text).map_err(|e| e.to_string())?;
    if raw.meta.currency != "USD" {
        return Err(format!(
            "currency {:?}: the table holds USD only",
            raw.meta.currency
        ));
    }
    check_date(&raw.meta.date).map_err(|e| format!("meta.date: {e}"))?;
    let mut prices = PriceMap::new();
    for row in raw.price {
        let at = format!("{} {}", row.region, row.instance_type);
        if family_of(&row.instance_type).is_none() {
            return Err(format!("{at}: not an instance type"));
        }
        if !(row.usd_per_hour.is_finite() && row.usd_per_hour > 0.0) {
            return Err(format!(
                "{at}: usd_per_hour {} is not a positive price",
                row.usd_per_hour
            ));
        }
        if row.source.trim().is_empty() {
            return Err(format!("{at}: no source"));
        }
        check_date(&row.date).map_err(|e| format!("{at}: {e}"))?;
        let price = Price {
            usd_per_hour: row.usd_per_hour,
            source: row.source,
            date: row.date,
        };
        if prices
            .entry(row.region)
            .or_default()
            .insert(row.instance_type, price)
            .is_some()
        {
            return Err(format!("{at}: listed twice"));
        }
    }
    Ok((raw.meta.date, prices))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstanceTypes {
    #[allow(dead_code)] // documentation for readers of the file
    meta: toml::Table,
    instance_type: Vec<InstanceTypeFacts>,
}

fn parse_instance_types(text: &str) -> Result<BTreeMap<String, InstanceTypeFacts>, String> {
    let raw: RawInstanceTypes = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for facts in raw.instance_type {
        if family_of(&facts.name) != Some(facts.family.as_str()) {
            return Err(format!(
                "{}: family {:?} does not match the name",
                facts.name, facts.family
            ));
        }
        if let Some(previous) = out.insert(facts.name.clone(), facts) {
            return Err(format!("{}: listed twice", previous.name));
        }
    }
    Ok(out)
}

fn check_date(date: &str) -> Result<(), String> {
    let b = date.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!("date {date:?} is not YYYY-MM-DD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of `data/gpu_prices.toml`: every figure of shared/reference/ec2.md §5 (55 in the first table, 18 in the
    /// second, 12 on its "More EU regions" line).
    const PRICE_ROWS: usize = 85;

    #[test]
    fn the_price_table_parses_and_every_row_has_a_source_and_a_date() {
        let (date, prices) = parse_prices(PRICES_TOML).unwrap();
        assert_eq!(date, "2026-12-03");
        assert_eq!(price_table_date(), "2026-12-03");
        let rows: Vec<_> = prices.values().flat_map(|t| t.values()).collect();
        assert_eq!(rows.len(), PRICE_ROWS);
        assert_eq!(on_demand_prices().count(), PRICE_ROWS);
        for (region, instance_type, price) in on_demand_prices() {
            assert!(
                price.source.contains(" at commit "),
                "{region} {instance_type}: {}",
                price.source
            );
            assert!(
                ["2026-01-21", "2026-07-20"].contains(&price.date.as_str()),
                "{region} {instance_type}"
            );
            assert!(
                is_allowed_family(instance_type),
                "{instance_type} is priced but not allowed"
            );
            assert!(
                instance_type_facts(instance_type).is_some(),
                "{instance_type} is priced but has no facts"
            );
        }
    }

    #[test]
    fn the_instance_type_table_parses() {
        let facts = parse_instance_types(INSTANCE_TYPES_TOML).unwrap();
        assert_eq!(facts.len(), 61);
        // Every allowed family has at least one recorded type.
        for family in GPU_FAMILIES {
            let prefix = family.trim_end_matches('*');
            assert!(
                facts.values().any(|f| f.family == *family
                    || (family.ends_with('*') && f.family.starts_with(prefix))),
                "no facts for family {family}"
            );
        }
    }

    #[test]
    fn a_malformed_table_is_an_error_not_a_panic() {
        let meta = "[meta]\ndate = \"2026-12-03\"\ncurrency = \"USD\"\nassembled_from = \"x\"\n";
        let row = |price: &str, source: &str, date: &str| {
            format!(
                "{meta}[[price]]\nregion = \"eu-central-1\"\ninstance_type = \"g5.xlarge\"\nusd_per_hour = {price}\n\
                 source = \"{source}\"\ndate = \"{date}\"\n"
            )
        };
        assert!(parse_prices(&row("1.0", "s", "2026-01-01")).is_ok());
        assert!(
            parse_prices(&row("0.0", "s", "2026-01-01"))
                .unwrap_err()
                .contains("not a positive price")
        );
        assert!(
            parse_prices(&row("1.0", " ", "2026-01-01"))
                .unwrap_err()
                .contains("no source")
        );
        assert!(
            parse_prices(&row("1.0", "s", "Jan 2026"))
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(parse_prices(&row("\"1.0\"", "s", "2026-01-01")).is_err());
        let twice = format!(
            "{}{}",
            row("1.0", "s", "2026-01-01"),
            &row("2.0", "s", "2026-01-01")[meta.len()..]
        );
        assert!(parse_prices(&twice).unwrap_err().contains("listed twice"));
        assert!(parse_prices("not toml [").is_err());
        assert!(parse_instance_types("[meta]\n[[instance_type]]\nname = \"g5.xlarge\"\nfamily = \"g6\"\naccelerator = \"nvidia\"\n").is_err());
    }

    #[test]
    fn prices_are_looked_up_by_region_and_type() {
        let g5 = on_demand_price("eu-central-1", "g5.xlarge").unwrap();
        assert_eq!(g5.usd_per_hour, 1.258);
        assert_eq!(g5.date, "2026-01-21");
        assert!(
            g5.source.contains("skypilot-catalog") && g5.source.contains("tsaol/aws-gpu"),
            "{}",
            g5.source
        );
        assert_eq!(
            on_demand_price("us-gov-west-1", "p5.48xlarge")
                .unwrap()
                .usd_per_hour,
            66.048
        );
        assert_eq!(
            on_demand_price("us-east-1", "p4d.24xlarge")
                .unwrap()
                .usd_per_hour,
            21.957642
        );
        assert_eq!(
            on_demand_price("us-gov-east-1", "p6-b300.48xlarge")
                .unwrap()
                .usd_per_hour,
            170.9
        );
        assert_eq!(
            on_demand_price("eu-south-2", "g6e.48xlarge")
                .unwrap()
                .usd_per_hour,
            31.75027
        );
        assert_eq!(
            on_demand_price("eu-west-3", "inf2.48xlarge")
                .unwrap()
                .usd_per_hour,
            18.17377
        );
        // Not sold on demand there, or no public price: missing, never guessed.
        assert_eq!(on_demand_price("eu-central-1", "p5.48xlarge"), None);
        assert_eq!(on_demand_price("eu-north-1", "p5e.48xlarge"), None);
        assert_eq!(on_demand_price("us-east-1", "trn2.48xlarge"), None);
        assert_eq!(on_demand_price("eu-central-1", "g5.2xlarge"), None);
        assert_eq!(on_demand_price("eu-central-1", "m5.large"), None);
        for (_, instance_type, _) in on_demand_prices() {
            assert_eq!(on_demand_price("eusc-de-east-1", instance_type), None);
        }
    }

    #[test]
    fn families() {
        assert_eq!(family_of("p6-b200.48xlarge"), Some("p6-b200"));
        assert_eq!(family_of("g5.xlarge"), Some("g5"));
        assert_eq!(family_of("g5"), None);
        assert_eq!(family_of(".xlarge"), None);
        assert_eq!(family_of("g5."), None);
        assert_eq!(family_of("g5.x.large"), None);
        for allowed in [
            "p6-b300.48xlarge",
            "p6-b200.48xlarge",
            "p4d.24xlarge",
            "p5en.48xlarge",
            "g6f.large",
            "gr6.4xlarge",
            "trn1n.32xlarge",
            "inf2.xlarge",
            "g7e.2xlarge",
        ] {
            assert!(is_allowed_family(allowed), "{allowed}");
        }
        // `p6-*` is a `p6-…` family: not `p6` itself, not `p6e-gb200` (the UltraServer family SPEC does not list).
        for refused in [
            "m5.large",
            "p6.48xlarge",
            "p6-.48xlarge",
            "p6e-gb200.36xlarge",
            "p3.2xlarge",
            "inf1.xlarge",
            "trn2u.48xlarge",
            "g5",
            "",
            "G5.xlarge",
        ] {
            assert!(!is_allowed_family(refused), "{refused}");
        }
    }

    #[test]
    fn nitro_enclaves_per_type() {
        assert_eq!(nitro_enclaves_support("p6-b200.48xlarge"), Some(false));
        assert_eq!(nitro_enclaves_support("g5.xlarge"), Some(true));
        assert_eq!(nitro_enclaves_support("trn1.32xlarge"), Some(false));
        assert_eq!(nitro_enclaves_support("trn1n.32xlarge"), Some(false));
        assert_eq!(nitro_enclaves_support("g6f.large"), Some(false));
        assert_eq!(nitro_enclaves_support("g6f.xlarge"), Some(true));
        assert_eq!(nitro_enclaves_support("p6-b300.48xlarge"), Some(true));
        assert_eq!(nitro_enclaves_support("p6e-gb200.36xlarge"), None);
        assert_eq!(nitro_enclaves_support("g5.96xlarge"), None);
        assert_eq!(nitro_enclaves_support("m5.large"), None);
    }

    #[test]
    fn accelerators() {
        let p5 = instance_type_facts("p5.48xlarge").unwrap();
        assert_eq!(
            (
                p5.family.as_str(),
                p5.accelerator,
                p5.accelerator_model.as_deref()
            ),
            ("p5", Accelerator::Nvidia, Some("H100"))
        );
        assert_eq!(accelerator_of("trn2.48xlarge"), Some(Accelerator::Trainium));
        assert_eq!(accelerator_of("inf2.xlarge"), Some(Accelerator::Inferentia));
        assert_eq!(accelerator_of("gr6.4xlarge"), Some(Accelerator::Nvidia));
        // An allowed family's type not (yet) in the table: the family decides.
        assert_eq!(accelerator_of("trn2.96xlarge"), Some(Accelerator::Trainium));
        assert_eq!(
            accelerator_of("p6-b400.48xlarge"),
            Some(Accelerator::Nvidia)
        );
        assert_eq!(accelerator_of("m5.large"), None);
    }
}
