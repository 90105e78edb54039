//! A resource declared as a schema and ordered [`Parts`]: [`ManagedResource`], and [`Managed`], the one adapter
//! that turns it into the protocol-facing [`Resource`] (create with rollback, update that keeps progress, read,
//! delete in reverse, plan with drift).

use async_trait::async_trait;

use super::diagnostics::Diagnostics;
use super::parts::Parts;
use super::schema::Schema;
use super::traits::{Context, PlanChange, ProviderData, Resource};
use super::value::Value;

/// A resource written as parts. Everything but `type_name`, `schema` and `parts` has a default.
#[async_trait]
pub trait ManagedResource<D: ProviderData>: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// The objects this resource owns, root first.
    fn parts(&self) -> &Parts<D>;

    /// Configuration checks that need no provider (the config may hold unknowns). Also run at plan time.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Resource-specific planning, after the schema's rules and before every part's
    /// [`Part::plan`](super::parts::Part::plan).
    async fn plan(&self, _ctx: &Context<D>, _plan: &mut PlanChange, _diags: &mut Diagnostics) {}

    /// `terraform import` id → the state `read` starts from (default: the id as `id`).
    async fn import(&self, _ctx: &Context<D>, id: &str, _diags: &mut Diagnostics) -> Option<Value> {
        Some(Value::object([("id", Value::from(id))]))
    }
}

/// The adapter from [`ManagedResource`] to [`Resource`].
pub struct Managed<R>(pub R);

impl<R> Managed<R> {
    /// Plans a managed resource: validation, the resource's own plan, then every part's drift planning.
    pub async fn plan_with<D: ProviderData>(
        resource: &R,
        ctx: &Context<D>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) where
        R: ManagedResource<D>,
    {
        resource.validate(&plan.config, diags).await;
        resource.plan(ctx, plan, diags).await;
        let prior = (!plan.prior.is_null()).then_some(&plan.prior);
        resource.parts().plan(prior, &mut plan.planned);
    }
}

#[async_trait]
impl<D: ProviderData, R: ManagedResource<D>> Resource<D> for Managed<R> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> Schema {
        self.0.schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags).await;
    }

    async fn modify_plan(&self, ctx: &Context<D>, plan: &mut PlanChange, diags: &mut Diagnostics) {
        Managed::plan_with(&self.0, ctx, plan, diags).await;
    }

    async fn create(
        &self,
        ctx: &Context<D>,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let (state, found) = self.0.parts().create(ctx, planned).await.into_parts();
        diags.extend(found);
        state
    }

    async fn read(
        &self,
        ctx: &Context<D>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        match self.0.parts().read(ctx, state).await {
            Ok(value) => value,
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context<D>,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let (state, found) = self
            .0
            .parts()
            .update(ctx, prior, planned)
            .await
            .into_parts();
        diags.extend(found);
        state
    }

    async fn delete(&self, ctx: &Context<D>, prior: &Value, diags: &mut Diagnostics) {
        if let Err(d) = self.0.parts().delete(ctx, prior).await {
            diags.push(d);
        }
    }

    async fn import(&self, ctx: &Context<D>, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        self.0.import(ctx, id, diags).await
    }
}
