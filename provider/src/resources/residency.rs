//! Sovereignty declared per resource and applied once: every resource states which of its arguments decide where
//! data lives (its region, its tags, ARNs it points at, zones), and [`sovereign`] wraps it so those checks run at
//! plan time, before any AWS call, with the attribute path Terraform underlines.

use std::sync::Arc;

use async_trait::async_trait;

use crate::framework::{
    AttributePath, Context, Diagnostics, Managed, ManagedResource, PlanChange, Resource, Schema,
    Value,
};
use crate::resources::{check_arn_location, check_required_tags, plan_region};
use crate::sovereign::SovereignData;

/// An argument holding an ARN (or a list of ARNs) that must be in the provider's partition (and region).
#[derive(Debug, Clone, Copy)]
pub struct ArnRule {
    pub attribute: &'static str,
    /// The ARN's service (`kms`, `s3`, `iam`).
    pub service: &'static str,
    /// Names the object in errors ("KMS key", "flow-log bucket").
    pub noun: &'static str,
    /// The ARN's region must be the provider's (regional objects such as KMS keys).
    pub same_region: bool,
}

/// What decides a resource's residency.
#[derive(Debug, Clone, Copy)]
pub struct Residency {
    /// Plans `region` = the provider's region and replaces the object when the provider's region moves.
    pub regional: bool,
    /// `tags_all` must hold the provider's `required_tags`.
    pub tagged: bool,
    pub arns: &'static [ArnRule],
    /// Arguments holding Availability Zone names (a string or a list) that must be zones of the provider's region.
    pub zones: &'static [&'static str],
}

/// A managed resource of this provider, with its residency declaration.
pub trait SovereignResource: ManagedResource<SovereignData> {
    const RESIDENCY: Residency;
}

/// Wraps a resource: the residency checks at plan time, then [`Managed`].
pub fn sovereign<R: SovereignResource>(resource: R) -> Arc<dyn Resource<SovereignData>> {
    Arc::new(Sovereign(Managed(resource)))
}

struct Sovereign<R>(Managed<R>);

/// True when `zone` is an Availability Zone of `region` (`eu-central-1a`); Local and Wavelength Zones
/// (`eu-central-1-ham-1a`), which may lie elsewhere, are not.
pub fn zone_in_region(zone: &str, region: &str) -> bool {
    zone.strip_prefix(region)
        .is_some_and(|suffix| suffix.len() == 1 && suffix.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Applies `residency` to a plan.
pub fn check_residency(
    residency: &Residency,
    data: &SovereignData,
    plan: &mut PlanChange,
    diags: &mut Diagnostics,
) {
    for rule in residency.arns {
        let value = plan.config.attr(rule.attribute);
        let items: Vec<(AttributePath, &str)> = match value {
            Value::String(s) => vec![(AttributePath::new(rule.attribute), s.as_str())],
            other => other
                .as_list()
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    Some((
                        AttributePath::new(rule.attribute).index(i as i64),
                        v.as_str()?,
                    ))
                })
                .collect(),
        };
        for (path, arn) in items {
            check_arn_location(
                data,
                arn,
                rule.service,
                rule.noun,
                rule.same_region,
                path,
                diags,
            );
        }
    }
    for attribute in residency.zones {
        let value = plan.config.attr(attribute);
        let items: Vec<(AttributePath, &str)> = match value {
            Value::String(s) => vec![(AttributePath::new(*attribute), s.as_str())],
            other => other
                .as_list()
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    Some((AttributePath::new(*attribute).index(i as i64), v.as_str()?))
                })
                .collect(),
        };
        for (path, zone) in items {
            if !zone_in_region(zone, data.region()) {
                diags.error_at(
                    path,
                    "Availability Zone outside the provider's region",
                    format!(
                        "{zone:?} is not an Availability Zone of {} (the provider's region, jurisdiction `{}`): zones \
                         are named after their region, e.g. \"{}a\". Local and Wavelength Zones are refused because \
                         they may lie outside the region's country.",
                        data.region(),
                        data.policy().jurisdiction,
                        data.region()
                    ),
                );
            }
        }
    }
    if residency.tagged {
        check_required_tags(data, plan, diags);
    }
    if residency.regional {
        plan_region(data, plan);
    }
}

#[async_trait]
impl<R: SovereignResource> Resource<SovereignData> for Sovereign<R> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> Schema {
        self.0.schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags).await;
    }

    async fn modify_plan(
        &self,
        ctx: &Context<SovereignData>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        check_residency(&R::RESIDENCY, ctx.provider.as_ref(), plan, diags);
        self.0.modify_plan(ctx, plan, diags).await;
    }

    async fn create(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.0.create(ctx, planned, config, diags).await
    }

    async fn read(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.0.read(ctx, state, diags).await
    }

    async fn update(
        &self,
        ctx: &Context<SovereignData>,
        prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.0.update(ctx, prior, planned, config, diags).await
    }

    async fn delete(&self, ctx: &Context<SovereignData>, prior: &Value, diags: &mut Diagnostics) {
        self.0.delete(ctx, prior, diags).await;
    }

    async fn import(
        &self,
        ctx: &Context<SovereignData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.0.import(ctx, id, diags).await
    }
}

#[cfg(test)]
mod tests {
    use super::zone_in_region;

    #[test]
    fn zones_belong_to_their_region_only() {
        assert!(zone_in_region("eu-central-1a", "eu-central-1"));
        assert!(zone_in_region("eusc-de-east-1b", "eusc-de-east-1"));
        assert!(!zone_in_region("eu-central-1", "eu-central-1"));
        assert!(!zone_in_region("eu-central-1-ham-1a", "eu-central-1"));
        assert!(!zone_in_region("eu-central-2a", "eu-central-1"));
        assert!(!zone_in_region("us-east-1a", "eu-central-1"));
        assert!(!zone_in_region("eu-central-1A", "eu-central-1"));
    }
}
