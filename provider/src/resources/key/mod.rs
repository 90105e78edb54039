//! `sovereign_key`: a customer-managed, single-region KMS key — rotated yearly by default, or
//! HSM-backed in a CloudHSM custom key store — with a generated key policy.
//!
//! A folder rather than one file (STYLE asks for one file per resource): the key is five AWS objects and
//! settings, each a part of its own (`parts.rs`: the key; `settings.rs`: rotation, description, key policy;
//! `alias.rs`; `tags.rs`), and the layer in `framework::parts` does rollback, progress and deletion order.

mod alias;
mod parts;
pub mod policy;
mod schema;
mod settings;
pub mod tags;

use aws_sdk_kms::types::KeySpec;

pub use policy::key_policy;

use crate::aws::AwsResultExt;
use crate::framework::{
    AttributePath, Context, Diagnostic, Diagnostics, ManagedResource, PartResult, Parts,
    PlanChange, Schema, Value, async_trait,
};
use crate::resources::check_arn_location;
use crate::resources::common::tags::TagsPart;
use crate::resources::residency::{ArnRule, Residency, SovereignResource};
use crate::sovereign::SovereignData;

pub const TYPE_NAME: &str = "sovereign_key";
/// Rotation period when `rotation_period_days` is not set (KMS's own default).
pub const DEFAULT_ROTATION_DAYS: i64 = 365;
pub const DEFAULT_DELETION_WINDOW_DAYS: i64 = 30;

pub struct KeyResource {
    parts: Parts<SovereignData>,
}

impl KeyResource {
    pub fn new() -> KeyResource {
        KeyResource {
            parts: Parts::new(parts::Key)
                .then(settings::Rotation)
                .then(settings::Description)
                .then(settings::KeyPolicy)
                .then(alias::Alias)
                .then(TagsPart(tags::KmsTags)),
        }
    }
}

impl Default for KeyResource {
    fn default() -> Self {
        KeyResource::new()
    }
}

/// The KMS client of the provider.
fn kms(ctx: &Context<SovereignData>) -> &aws_sdk_kms::Client {
    &ctx.provider.clients.kms
}

/// The key id in `value` and how errors name the key; `None` until CreateKey answered.
fn key_what(value: &Value) -> Option<(String, String)> {
    let id = value.get_str("id")?;
    Some((id.to_string(), format!("KMS key {id}")))
}

/// [`key_what`] for the parts after the root, which always find the key made.
fn key_ids(value: &Value) -> PartResult<(String, String)> {
    key_what(value).ok_or_else(|| {
        Diagnostic::error(
            "KMS key id missing",
            "The state holds no key id. This is a bug in the provider.",
        )
    })
}

impl SovereignResource for KeyResource {
    const RESIDENCY: Residency = Residency {
        regional: true,
        tagged: true,
        arns: &[ArnRule {
            attribute: "allowed_principals",
            service: "iam",
            noun: "principal",
            same_region: false,
        }],
        zones: &[],
    };
}

#[async_trait]
impl ManagedResource<SovereignData> for KeyResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::key_schema()
    }

    fn parts(&self) -> &Parts<SovereignData> {
        &self.parts
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // Checks that need no provider: the HSM and rotation rules.
        let store = config.attr("custom_key_store_id");
        if config.get_bool("require_hsm") == Some(true) && store.is_null() {
            diags.error_at(
                AttributePath::new("require_hsm"),
                "HSM-backed key required",
                "require_hsm = true, but custom_key_store_id is not set: only a key in a CloudHSM custom key store is \
                 HSM-backed. Set custom_key_store_id to the key store (cks-…), or drop require_hsm.",
            );
        }
        if !store.is_null() && !config.attr("rotation_period_days").is_null() {
            diags.error_at(
                AttributePath::new("rotation_period_days"),
                "Rotation not possible in a custom key store",
                "KMS cannot rotate keys in a CloudHSM custom key store, so rotation_period_days cannot be set together \
                 with custom_key_store_id. Remove rotation_period_days (rotate by creating a new key), or drop the \
                 key store.",
            );
        }
    }

    async fn plan(
        &self,
        ctx: &Context<SovereignData>,
        plan: &mut PlanChange,
        _diags: &mut Diagnostics,
    ) {
        let store = plan.planned.attr("custom_key_store_id").clone();
        // rotation: default 365 for AWS_KMS keys, none in a custom key store.
        if plan.config.attr("rotation_period_days").is_null() {
            let rotation = match &store {
                Value::Null => Value::int(DEFAULT_ROTATION_DAYS),
                Value::Unknown => Value::Unknown,
                _ => Value::Null,
            };
            plan.planned.set_attr("rotation_period_days", rotation);
        }
        let (origin, hsm) = match &store {
            Value::Null => (Value::from("AWS_KMS"), Value::from(false)),
            Value::Unknown => (Value::Unknown, Value::Unknown),
            _ => (Value::from("AWS_CLOUDHSM"), Value::from(true)),
        };
        plan.planned.set_attr("origin", origin);
        plan.planned.set_attr("hsm_backed", hsm);
        policy::plan_policy(ctx.provider.as_ref(), plan);
        if plan.is_create() {
            plan.planned.set_attr("key_state", Value::Unknown);
        } else if plan.prior.get_str("key_state").is_some() {
            plan.planned
                .set_attr("key_state", plan.prior.attr("key_state").clone());
        }
    }

    async fn import(
        &self,
        ctx: &Context<SovereignData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let data = ctx.provider.as_ref();
        if id.starts_with("arn:")
            && !check_arn_location(
                data,
                id,
                "kms",
                "KMS key",
                true,
                AttributePath::root(),
                diags,
            )
        {
            return None;
        }
        if id.starts_with("alias/") || id.contains(":alias/") {
            diags.error(
                "Import by key id or ARN",
                format!("{id:?} is an alias; import sovereign_key by its key id or key ARN."),
            );
            return None;
        }
        let described = kms(ctx).describe_key().key_id(id).send().await.found(
            "DescribeKey",
            &format!("KMS key {id}"),
            &["NotFoundException"],
        );
        let meta = match described {
            Ok(Some(out)) => out.key_metadata,
            // Terraform reports "Cannot import non-existent remote object" after read returns null.
            Ok(None) => None,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let Some(meta) = meta else {
            return Some(Value::object([("id", Value::from(id))]));
        };
        if meta.multi_region() == Some(true) {
            diags.error(
                "Multi-Region key refused",
                format!(
                    "KMS key {id} is a multi-Region key: its material can be replicated to other regions, so \
                     sovereign_key does not manage it."
                ),
            );
            return None;
        }
        if meta.key_spec() != Some(&KeySpec::SymmetricDefault) {
            diags.error(
                "Unsupported key",
                format!("KMS key {id} is not a symmetric encryption key (SYMMETRIC_DEFAULT)."),
            );
            return None;
        }
        Some(Value::object([("id", Value::from(meta.key_id()))]))
    }
}
