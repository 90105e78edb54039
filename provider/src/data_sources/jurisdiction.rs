//! `data "sovereign_jurisdiction"`: what the catalog knows about a jurisdiction.

use sovereign_schemas::catalog;

use crate::framework::{
    Attribute, AttributePath, Block, Context, DataSource, Diagnostics, Schema, Type, Value,
    async_trait,
};
use crate::sovereign::SovereignData;

pub struct JurisdictionDataSource;

fn ids() -> String {
    catalog().jurisdiction_ids().collect::<Vec<_>>().join(", ")
}

#[async_trait]
impl DataSource<SovereignData> for JurisdictionDataSource {
    fn type_name(&self) -> &'static str {
        "sovereign_jurisdiction"
    }

    fn schema(&self) -> Schema {
        let list = || Type::list(Type::String);
        Schema::new(
            Block::new()
                .description(
                    "A jurisdiction of the catalog the provider and sovereign-lint share: its regions in each cloud and \
                     its regional AWS endpoint suffixes.",
                )
                .attribute(
                    Attribute::required("id", Type::String)
                        .description(format!("Jurisdiction id: one of {}.", ids())),
                )
                .attribute(Attribute::computed("name", Type::String).description("Human-readable name."))
                .attribute(Attribute::computed("aws_regions", list()).description("AWS regions inside."))
                .attribute(Attribute::computed("azure_regions", list()).description("Azure regions inside."))
                .attribute(Attribute::computed("google_regions", list()).description("Google Cloud regions inside."))
                .attribute(Attribute::computed("endpoint_suffixes", list()).description(
                    "Regional AWS endpoint suffixes (`REGION.DNS_SUFFIX` and the dual-stack form): a host \
                     `SERVICE.SUFFIX` is sovereign.",
                )),
        )
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(id) = config.get_str("id")
            && catalog().jurisdiction(id).is_none()
        {
            unknown_id(id, diags);
        }
    }

    async fn read(
        &self,
        _ctx: &Context<SovereignData>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = config.get_str("id")?;
        let Some(j) = catalog().jurisdiction(id) else {
            unknown_id(id, diags);
            return None;
        };
        Some(jurisdiction_value(j))
    }
}

fn unknown_id(id: &str, diags: &mut Diagnostics) {
    diags.error_at(
        AttributePath::new("id"),
        "Unknown jurisdiction",
        format!(
            "Jurisdiction {id:?} is not in the catalog. Valid ids: {}.",
            ids()
        ),
    );
}

/// The data source's value for a catalog jurisdiction.
pub fn jurisdiction_value(j: &sovereign_schemas::Jurisdiction) -> Value {
    Value::object([
        ("id", Value::from(j.id.as_str())),
        ("name", Value::from(j.name.as_str())),
        (
            "aws_regions",
            Value::string_list(j.aws_regions.iter().cloned()),
        ),
        (
            "azure_regions",
            Value::string_list(j.azure_regions.iter().cloned()),
        ),
        (
            "google_regions",
            Value::string_list(j.google_regions.iter().cloned()),
        ),
        (
            "endpoint_suffixes",
            Value::string_list(j.endpoint_suffixes()),
        ),
    ])
}
