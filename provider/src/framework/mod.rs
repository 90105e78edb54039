//! The framework layer: what every resource, data source and the provider are written against.
//! It knows nothing of AWS; it knows Terraform's semantics (values, schemas, plans, diagnostics)
//! and turns the tfplugin6 gRPC calls into calls of the traits below (see [`service`]).
//!
//! # Writing a resource
//!
//! A resource that owns cloud objects is a [`ManagedResource`]: a schema, a short plan and an ordered list of
//! [`Parts`] (one folder per resource, one file per part or two, e.g. `resources/key/`); [`Managed`] adapts it
//! to [`Resource<D>`] and does rollback, progress recording, drift and deletion order. A resource with no
//! objects of its own (or a data source) implements the protocol-facing trait directly.
//!
//! The protocol-facing trait is [`Resource<D>`], where `D` is the
//! provider's configured state (the [`Provider::Data`] type, which implements [`ProviderData`]):
//!
//! ```text
//! use async_trait::async_trait;
//! use sovereign_provider::framework::*;
//!
//! pub struct BucketResource;
//!
//! #[async_trait]
//! impl Resource<SovereignData> for BucketResource {
//!     fn type_name(&self) -> &'static str { "sovereign_bucket" }
//!
//!     fn schema(&self) -> Schema {
//!         Schema::new(Block::new()
//!             .description("A region-locked S3 bucket.")
//!             .attribute(Attribute::required("name", Type::String).requires_replace()
//!                 .validator(Validator::StringLength { min: 3, max: 63 }))
//!             .attribute(Attribute::optional("versioning", Type::Bool).default_value(true))
//!             .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
//!             .attribute(Attribute::computed("arn", Type::String).use_state_for_unknown())
//!             .attribute(Attribute::optional("tags", Type::map(Type::String)))
//!             .attribute(Attribute::computed("tags_all", Type::map(Type::String)))
//!             .block(NestedBlock::list("object_lock", Block::new()
//!                 .attribute(Attribute::required("mode", Type::String)
//!                     .validator(Validator::one_of(["COMPLIANCE", "GOVERNANCE"]))))
//!                 .items(0, 1))
//!             .block(timeouts_block(&[Operation::Create, Operation::Delete])))
//!     }
//!
//!     async fn modify_plan(&self, ctx: &Context<SovereignData>, plan: &mut PlanChange, diags: &mut Diagnostics) {
//!         // plan.planned already has defaults, unknown computed values, tags_all and requires_replace.
//!         if plan.planned.get_str("name") == Some("forbidden") {
//!             diags.error_at(AttributePath::new("name"), "Name refused", "…");
//!         }
//!     }
//!
//!     async fn create(&self, ctx: &Context<SovereignData>, planned: &Value, _config: &Value,
//!                     diags: &mut Diagnostics) -> Option<Value> {
//!         let name = planned.get_str("name")?;           // known: Required and planned
//!         let timeout = timeout_for(planned, Operation::Create, Duration::from_secs(600));
//!         match ctx.run(timeout, ctx.provider.s3.create_bucket(name)).await { … }
//!         let mut state = planned.clone();                // start from the plan,
//!         state.set_attr("id", Value::from(name));        // fill every unknown,
//!         Some(state)                                     // return wholly known.
//!     }
//!     async fn read(…) -> Option<Value>   { /* None = gone (Terraform plans a re-create) */ }
//!     async fn update(…) -> Option<Value> { … }
//!     async fn delete(…)                  { /* already gone is fine */ }
//!     // import(): default = passthrough of the id into `id`, then Terraform calls read().
//! }
//! ```
//!
//! Rules the framework applies for you (see [`plan`]): Terraform's proposed state is the start;
//! defaults fill null config; `tags_all` = `ProviderData::default_tags()` overlaid with `tags`
//! (when the schema has `tags` and Computed `tags_all`); Computed attributes with null config become
//! unknown on create and on any change (or keep prior state with `use_state_for_unknown()` — use it
//! for `id`, `arn` and other stable identifiers); `requires_replace()` attributes and blocks that
//! change are reported. Schema validators run on ValidateResourceConfig before `validate()`.
//! Every value returned is normalized to the schema (missing attributes → null, absent list/set
//! blocks → empty), and apply/read results are checked to be wholly known.
//!
//! Errors: add to `diags` (with `error_at(AttributePath::new("attr"), summary, detail)` for an
//! attribute) and return `None`. Long operations: wrap in `ctx.run(timeout, fut)`, which stops on
//! StopProvider (Ctrl-C) and on the timeout.
//!
//! The provider implements [`Provider`] (schema, `configure` → `Data`, resource and data source lists)
//! and `main` runs `sovereign_provider::framework::serve(MyProvider)`.

pub mod diagnostics;
pub mod empty;
pub mod managed;
pub mod msgpack;
pub mod parts;
pub mod plan;
pub mod schema;
pub mod service;
pub mod timeouts;
pub mod traits;
pub mod value;
pub mod wait;

pub use async_trait::async_trait;
pub use diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use managed::{Managed, ManagedResource};
pub use parts::{Applied, Keyed, KeyedPart, Part, PartResult, Parts, Presence};
pub use plan::{merge_tags, plan_resource};
pub use schema::{Attribute, Block, Mode, NestedBlock, Nesting, PlanModifier, Schema, Validator};
pub use timeouts::{Operation, parse_go_duration, timeout_for, timeouts_block};
pub use traits::{Context, DataSource, Interrupted, PlanChange, Provider, ProviderData, Resource};
pub use value::{Number, Type, Value};
pub use wait::Waiter;

/// Runs `provider` as a Terraform plugin (handshake, mTLS, gRPC) until Terraform shuts it down.
/// `main` is `fn main() -> ExitCode { sovereign_provider::framework::serve(MyProvider::new()) }`.
pub fn serve<P: Provider>(provider: P) -> std::process::ExitCode {
    let address = format!(
        "registry.terraform.io/sovereign-ml/{}",
        provider.type_name()
    );
    crate::protocol::serve(
        service::ProviderService::new(provider),
        crate::protocol::ServeOptions {
            provider_address: address,
        },
    )
}
