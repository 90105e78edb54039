//! The traits a provider implements: [`Provider`], [`Resource`], [`DataSource`] and [`ProviderData`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::schema::Schema;
use super::value::Value;

/// What `configure` produces and every resource operation receives (AWS clients, region, policy...).
pub trait ProviderData: Send + Sync + 'static {
    /// Provider-level `default_tags`, merged under each resource's `tags` into `tags_all`.
    fn default_tags(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
}

/// The per-call context of resource and data source operations.
pub struct Context<D> {
    /// The configured provider.
    pub provider: Arc<D>,
    /// Cancelled when Terraform calls StopProvider (e.g. the user pressed Ctrl-C).
    pub cancel: CancellationToken,
}

impl<D> Clone for Context<D> {
    fn clone(&self) -> Self {
        Context {
            provider: Arc::clone(&self.provider),
            cancel: self.cancel.clone(),
        }
    }
}

/// Why [`Context::run`] gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    #[error("the operation was cancelled because Terraform asked the provider to stop")]
    Cancelled,
    #[error("the operation did not finish within {0:?}")]
    TimedOut(Duration),
}

impl Interrupted {
    /// A diagnostic for `what` ("creating bucket x").
    pub fn to_diagnostic(&self, what: &str) -> Diagnostic {
        Diagnostic::error(format!("Interrupted while {what}"), self.to_string())
    }
}

impl<D> Context<D> {
    /// Runs `work` until it finishes, the timeout passes, or StopProvider cancels it.
    pub async fn run<T>(
        &self,
        timeout: Duration,
        work: impl Future<Output = T>,
    ) -> Result<T, Interrupted> {
        tokio::select! {
            out = work => Ok(out),
            () = self.cancel.cancelled() => Err(Interrupted::Cancelled),
            () = tokio::time::sleep(timeout) => Err(Interrupted::TimedOut(timeout)),
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// A planned change, as handed to [`Resource::modify_plan`] after the generic plan rules ran.
#[derive(Debug, Clone)]
pub struct PlanChange {
    /// Prior state; `Value::Null` when creating (also when re-planning a replacement).
    pub prior: Value,
    /// The configuration (may contain unknowns).
    pub config: Value,
    /// The planned new state; edit it to plan computed values.
    pub planned: Value,
    /// Attribute paths whose change forces replacement (already filled from `RequiresReplace`).
    pub requires_replace: Vec<AttributePath>,
}

impl PlanChange {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
    /// True when attribute `name` is planned to differ from prior state.
    pub fn changed(&self, name: &str) -> bool {
        self.prior.attr(name) != self.planned.attr(name)
    }
    /// Forces replacement when `path` changes (idempotent).
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

/// A managed resource type (`resource "sovereign_x" "name" {}`).
///
/// Values handed in and out are objects of `schema()`'s block (see `Block::normalize`: returned
/// values are normalized, so missing attributes become null).
#[async_trait]
pub trait Resource<D: ProviderData>: Send + Sync + 'static {
    /// Full type name, e.g. `sovereign_bucket`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Extra configuration checks beyond the schema's validators. The provider is not configured yet
    /// and `config` may contain unknown values.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Resource-specific planning after the generic rules (defaults, computed → unknown,
    /// UseStateForUnknown, RequiresReplace, tags_all). Not called for destroy.
    async fn modify_plan(
        &self,
        _ctx: &Context<D>,
        _plan: &mut PlanChange,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Creates the object; returns the new state (wholly known) or `None` after adding an error.
    /// On error after a partial create, return the partial state so Terraform records it (tainted).
    async fn create(
        &self,
        ctx: &Context<D>,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

    /// Refreshes `state`; `None` without errors means the object is gone (Terraform plans a re-create).
    async fn read(&self, ctx: &Context<D>, state: &Value, diags: &mut Diagnostics)
    -> Option<Value>;

    /// Updates in place; returns the new state (wholly known).
    async fn update(
        &self,
        ctx: &Context<D>,
        prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

    /// Deletes the object. An object that is already gone is not an error.
    async fn delete(&self, ctx: &Context<D>, prior: &Value, diags: &mut Diagnostics);

    /// `terraform import` / `import {}` by id: the default passes the id through as `id`, leaving
    /// everything else null; Terraform then calls `read` to fill the state.
    async fn import(&self, _ctx: &Context<D>, id: &str, _diags: &mut Diagnostics) -> Option<Value> {
        Some(Value::object([("id", Value::from(id))]))
    }
}

/// A data source type (`data "sovereign_x" "name" {}`).
#[async_trait]
pub trait DataSource<D: ProviderData>: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads the data; returns the full object (config attributes plus computed ones, wholly known).
    async fn read(
        &self,
        ctx: &Context<D>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
}

/// The provider: its configuration schema, how it is configured, and its resource types.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    type Data: ProviderData;

    /// Provider type name, e.g. `sovereign`.
    fn type_name(&self) -> &'static str;

    /// Schema of the `provider "sovereign" {}` block.
    fn schema(&self) -> Schema;

    /// Extra checks of the provider configuration (may contain unknowns).
    async fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Configures the provider from its configuration (may contain unknowns when it depends on
    /// other resources). `terraform_version` is e.g. "1.15.5". Return `None` after adding an error.
    async fn configure(
        &self,
        terraform_version: &str,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Self::Data>;

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;
}
