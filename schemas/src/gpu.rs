//! PLACEHOLDER for development in this branch only; replaced by the gpu-data branch's table.
pub const GPU_FAMILIES: &[&str] = &[
    "p4d", "p4de", "p5", "p5e", "p5en", "p6-*", "g5", "g6", "g6e", "g6f", "g7", "g7e", "gr6",
    "trn1", "trn1n", "trn2", "inf2",
];
pub fn family_of(instance_type: &str) -> Option<&str> {
    instance_type.split_once('.').map(|(f, _)| f)
}
pub fn is_allowed_family(instance_type: &str) -> bool {
    family_of(instance_type).is_some_and(|f| {
        GPU_FAMILIES
            .iter()
            .any(|g| *g == f || (g.ends_with('*') && f.starts_with(&g[..g.len() - 1])))
    })
}
#[derive(Debug, Clone)]
pub struct Price {
    pub usd_per_hour: f64,
    pub source: String,
    pub date: String,
}
pub fn on_demand_price(region: &str, instance_type: &str) -> Option<Price> {
    let usd = match (region, instance_type) {
        ("eu-central-1", "g5.xlarge") => 1.258,
        ("eu-central-1", "p4d.24xlarge") => 27.43298,
        _ => return None,
    };
    Some(Price {
        usd_per_hour: usd,
        source: "placeholder".into(),
        date: "2026-12-03".into(),
    })
}
pub fn nitro_enclaves_support(instance_type: &str) -> Option<bool> {
    match instance_type {
        "p6-b200.48xlarge" | "trn1.32xlarge" => Some(false),
        "g5.xlarge" | "p4d.24xlarge" => Some(true),
        _ => None,
    }
}
pub fn price_table_date() -> &'static str {
    "2026-12-03"
}
