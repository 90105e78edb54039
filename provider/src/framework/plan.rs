//! Generic planning rules, applied from the schema before a resource's own `modify_plan`:
//!
//! 1. start from Terraform's proposed new state (config for non-computed attributes, prior state
//!    for computed ones whose config is null);
//! 2. defaults: an attribute with a default and a null config gets the default;
//! 3. `tags_all` = provider `default_tags` overlaid with the resource's `tags`;
//! 4. if anything differs from prior state (always on create), every other Computed attribute whose
//!    config is null becomes unknown ("known after apply") — or keeps its prior value with
//!    `UseStateForUnknown`;
//! 5. `RequiresReplace` attributes/blocks whose planned value differs from prior state are listed
//!    in `requires_replace`.

use std::collections::BTreeMap;

use super::diagnostics::{AttributePath, Diagnostics};
use super::schema::{Block, Nesting, PlanModifier, Schema};
use super::traits::PlanChange;
use super::value::Value;

/// Runs the generic planning rules. `prior` is null on create; `config` is never null here (destroy
/// is handled before).
pub fn plan_resource(
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
    default_tags: &BTreeMap<String, String>,
) -> PlanChange {
    let block = &schema.block;
    let prior = block.normalize(prior.clone());
    let config = block.normalize(config.clone());
    let mut planned = block.normalize(proposed.clone());

    apply_defaults(block, &mut planned, &config);
    let tags_all_managed = plan_tags_all(block, &mut planned, &config, default_tags);
    let changed = planned != prior;
    if changed {
        mark_computed(block, &mut planned, &prior, &config, tags_all_managed);
    }

    let mut requires_replace = Vec::new();
    if !prior.is_null() {
        collect_requires_replace(
            block,
            &planned,
            &prior,
            &AttributePath::root(),
            &mut requires_replace,
        );
    }
    PlanChange {
        prior,
        config,
        planned,
        requires_replace,
    }
}

fn apply_defaults(block: &Block, planned: &mut Value, config: &Value) {
    let Some(map) = planned.as_map_mut() else {
        return;
    };
    for a in &block.attributes {
        if let Some(default) = &a.default
            && config.attr(&a.name).is_null()
        {
            map.insert(a.name.clone(), default.clone());
        }
    }
    for b in &block.blocks {
        let cfg = config.attr(&b.name);
        match (b.nesting, map.get_mut(&b.name)) {
            (Nesting::Single, Some(v @ Value::Object(_))) => apply_defaults(&b.block, v, cfg),
            (Nesting::List | Nesting::Set, Some(Value::List(items) | Value::Set(items))) => {
                let cfg_items = cfg.as_list().unwrap_or(&[]);
                for (i, item) in items.iter_mut().enumerate() {
                    let c = cfg_items.get(i).cloned().unwrap_or(Value::Null);
                    apply_defaults(&b.block, item, &c);
                }
            }
            _ => {}
        }
    }
}

/// Sets `tags_all` when the block has Computed `tags_all` and a `tags` attribute. Returns whether it did.
fn plan_tags_all(
    block: &Block,
    planned: &mut Value,
    config: &Value,
    default_tags: &BTreeMap<String, String>,
) -> bool {
    let has_tags = block.get_attribute("tags").is_some();
    let tags_all_computed = block
        .get_attribute("tags_all")
        .is_some_and(|a| a.mode.is_computed());
    if !has_tags || !tags_all_computed || !config.attr("tags_all").is_null() {
        return false;
    }
    let merged = merge_tags(default_tags, planned.attr("tags"));
    planned.set_attr("tags_all", merged);
    true
}

/// `default_tags` overlaid with `tags` (a map value, possibly null or unknown).
pub fn merge_tags(default_tags: &BTreeMap<String, String>, tags: &Value) -> Value {
    if tags.is_unknown() {
        return Value::Unknown;
    }
    let mut merged: BTreeMap<String, Value> = default_tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    if let Some(m) = tags.as_map() {
        for (k, v) in m {
            if !v.is_null() {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Map(merged)
}

fn mark_computed(
    block: &Block,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    skip_tags_all: bool,
) {
    let Some(map) = planned.as_map_mut() else {
        return;
    };
    for a in &block.attributes {
        if !a.mode.is_computed() || a.default.is_some() || !config.attr(&a.name).is_null() {
            continue;
        }
        if skip_tags_all && a.name == "tags_all" {
            continue;
        }
        let prior_value = prior.attr(&a.name);
        let value = if a.has_modifier(&PlanModifier::UseStateForUnknown) && !prior_value.is_null() {
            prior_value.clone()
        } else {
            Value::Unknown
        };
        map.insert(a.name.clone(), value);
    }
    for b in &block.blocks {
        let cfg = config.attr(&b.name);
        let pri = prior.attr(&b.name);
        match (b.nesting, map.get_mut(&b.name)) {
            (Nesting::Single, Some(v @ Value::Object(_))) => {
                mark_computed(&b.block, v, pri, cfg, false)
            }
            (Nesting::List | Nesting::Set, Some(Value::List(items) | Value::Set(items))) => {
                let cfg_items = cfg.as_list().unwrap_or(&[]);
                let prior_items = pri.as_list().unwrap_or(&[]);
                for (i, item) in items.iter_mut().enumerate() {
                    let c = cfg_items.get(i).cloned().unwrap_or(Value::Null);
                    let p = if b.nesting == Nesting::List {
                        prior_items.get(i).cloned().unwrap_or(Value::Null)
                    } else {
                        Value::Null
                    };
                    mark_computed(&b.block, item, &p, &c, false);
                }
            }
            _ => {}
        }
    }
}

fn collect_requires_replace(
    block: &Block,
    planned: &Value,
    prior: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in &block.attributes {
        if a.has_modifier(&PlanModifier::RequiresReplace)
            && planned.attr(&a.name) != prior.attr(&a.name)
        {
            out.push(path.clone().attr(&a.name));
        }
    }
    for b in &block.blocks {
        let p = path.clone().attr(&b.name);
        let (pl, pr) = (planned.attr(&b.name), prior.attr(&b.name));
        if b.plan_modifiers.contains(&PlanModifier::RequiresReplace) && pl != pr {
            out.push(p);
            continue;
        }
        match b.nesting {
            Nesting::Single => {
                if !pl.is_null() && !pr.is_null() {
                    collect_requires_replace(&b.block, pl, pr, &p, out);
                }
            }
            Nesting::List => {
                let (pls, prs) = (pl.as_list().unwrap_or(&[]), pr.as_list().unwrap_or(&[]));
                for (i, (x, y)) in pls.iter().zip(prs.iter()).enumerate() {
                    collect_requires_replace(&b.block, x, y, &p.clone().index(i as i64), out);
                }
            }
            Nesting::Set => {}
        }
    }
}

/// Checks an apply or read result Terraform will accept: wholly known. Adds an error per unknown path.
pub fn check_wholly_known(value: &Value, type_name: &str, diags: &mut Diagnostics) {
    fn walk(v: &Value, path: AttributePath, out: &mut Vec<AttributePath>) {
        match v {
            Value::Unknown => out.push(path),
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, path.clone().attr(k), out);
                }
            }
            Value::Map(m) => {
                for (k, x) in m {
                    walk(x, path.clone().key(k), out);
                }
            }
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, path.clone().index(i as i64), out);
                }
            }
            _ => {}
        }
    }
    let mut unknown = Vec::new();
    walk(value, AttributePath::root(), &mut unknown);
    for path in unknown {
        diags.error_at(
            path.clone(),
            "Provider returned an unknown value",
            format!(
                "The provider left {path} of {type_name} unknown after the operation. This is a bug in the provider; please report it."
            ),
        );
    }
}
