//! The key's alias (`alias/NAME`): created with the key, moved by delete + create, read with the SDK's
//! ListAliases paginator.

use super::{key_what, kms};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Part, PartResult, Presence, Value, async_trait};
use crate::sovereign::SovereignData;

pub struct Alias;

/// Every alias that points at key `id`.
async fn aliases_of(ctx: &Context<SovereignData>, id: &str, what: &str) -> PartResult<Vec<String>> {
    let aliases = kms(ctx)
        .list_aliases()
        .key_id(id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .or_diag("ListAliases", what)?;
    Ok(aliases.into_iter().filter_map(|a| a.alias_name).collect())
}

async fn delete_alias(ctx: &Context<SovereignData>, alias: &str, what: &str) -> PartResult {
    kms(ctx)
        .delete_alias()
        .alias_name(alias)
        .send()
        .await
        .found(
            "DeleteAlias",
            &format!("{alias} of {what}"),
            &["NotFoundException"],
        )?;
    Ok(())
}

#[async_trait]
impl Part<SovereignData> for Alias {
    fn name(&self) -> &'static str {
        "alias"
    }

    async fn apply(
        &self,
        ctx: &Context<SovereignData>,
        planned: &Value,
        prior: Option<&Value>,
        state: &mut Value,
    ) -> PartResult {
        let old = prior.and_then(|p| p.get_str("alias"));
        let new = planned.get_str("alias");
        if old == new {
            return Ok(());
        }
        let Some((id, what)) = key_what(state) else {
            return Ok(());
        };
        if let Some(old) = old {
            delete_alias(ctx, old, &what).await?;
        }
        if let Some(new) = new {
            kms(ctx)
                .create_alias()
                .alias_name(new)
                .target_key_id(&id)
                .send()
                .await
                .or_diag("CreateAlias", &format!("{new} → {what}"))?;
        }
        Ok(())
    }

    async fn read(&self, ctx: &Context<SovereignData>, state: &mut Value) -> PartResult<Presence> {
        let Some((id, what)) = key_what(state) else {
            return Ok(Presence::Gone);
        };
        let aliases = aliases_of(ctx, &id, &what).await?;
        let alias = match state.get_str("alias") {
            Some(a) if aliases.iter().any(|x| x == a) => Value::from(a),
            _ => aliases
                .iter()
                .find(|a| !a.starts_with("alias/aws/"))
                .map_or(Value::Null, |a| Value::from(a.as_str())),
        };
        state.set_attr("alias", alias);
        Ok(Presence::Present)
    }

    async fn remove(&self, ctx: &Context<SovereignData>, state: &Value) -> PartResult {
        match (state.get_str("alias"), key_what(state)) {
            (Some(alias), Some((_, what))) => delete_alias(ctx, alias, &what).await,
            _ => Ok(()),
        }
    }

    /// Frees the name only when it points at this key: when CreateAlias failed because the name is taken,
    /// the alias belongs to another key and stays.
    async fn roll_back(
        &self,
        ctx: &Context<SovereignData>,
        state: &Value,
    ) -> PartResult<Option<String>> {
        let (Some(alias), Some((id, what))) = (state.get_str("alias"), key_what(state)) else {
            return Ok(None);
        };
        if aliases_of(ctx, &id, &what)
            .await?
            .iter()
            .any(|a| a == alias)
        {
            delete_alias(ctx, alias, &what).await?;
        }
        Ok(None)
    }
}
