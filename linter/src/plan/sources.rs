//! Pointing a plan's findings at `.tf` source.
//!
//! When PATH holds the configuration the plan was made from, the configuration is evaluated as for
//! configuration linting, and every planned instance takes the location of its block (and of each
//! argument written in it), its module call chain, and — where the values agree — the provenance
//! the evaluator found (tfvars lines, variable defaults). Backends come from the sources too: the
//! plan JSON does not carry them. Addresses are matched exactly (`module.store["offsite"].x.y[0]`),
//! then without instance keys (`module.store.x.y`), so instances the evaluator could not expand
//! statically still reach their block.
use std::collections::HashMap;

use std::path::Path;

use super::address::strip_instance_keys;
use crate::model::{
    Location, Model, Note, ProvenanceStep, ProviderConfig, ResourceInstance, Tracked, Value,
};

/// Evaluates the configuration under `source_root` (when there is one) and maps the plan onto it.
pub fn attach_sources(
    plan: &mut Model,
    plan_path: &Path,
    source_root: &Path,
    opts: &crate::eval::EvalOptions,
) {
    let roots = match crate::load::discover(&[source_root.to_path_buf()], &[]) {
        Ok(roots) => roots,
        Err(e) => {
            plan.notes.push(Note {
                location: None,
                message: format!(
                    "could not read the configuration under {}: {}; findings point at the plan file",
                    source_root.display(),
                    e.message
                ),
            });
            return;
        }
    };
    // The configuration at PATH itself; else the one the plan file sits in (`--plan infra/plan.json .`
    // from a repository root, so paths are repository-relative); else the only one under PATH.
    let canonical = |p: &Path| p.canonicalize().ok();
    let plan_dir = plan_path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    let wanted = [canonical(source_root), plan_dir.and_then(canonical)];
    let root = wanted
        .iter()
        .flatten()
        .find_map(|w| roots.iter().find(|r| canonical(&r.dir).as_ref() == Some(w)))
        .or(if roots.len() == 1 {
            roots.first()
        } else {
            None
        });
    let Some(root) = root else { return };
    let source = crate::eval::evaluate_root(root, opts);
    map_to_sources(plan, source);
}

/// Moves the plan model's locations to the evaluated configuration's blocks.
pub fn map_to_sources(plan: &mut Model, source: Model) {
    // Problems in the sources do not stop plan linting (the plan is the input): they are notes.
    for error in &source.errors {
        plan.notes.push(Note {
            // The message names the file and line already.
            location: None,
            message: format!(
                "{} (while reading the configuration to locate plan findings)",
                error.message
            ),
        });
    }
    let exact: HashMap<&str, &ResourceInstance> = source
        .resources
        .iter()
        .map(|r| (r.address.as_str(), r))
        .collect();
    let mut by_block: HashMap<String, &ResourceInstance> = HashMap::new();
    for r in &source.resources {
        by_block.entry(strip_instance_keys(&r.address)).or_insert(r);
    }
    let mut unmatched = Vec::new();
    let mut unwritten = std::mem::take(&mut plan.unwritten_unknowns);
    for resource in &mut plan.resources {
        let found = exact.get(resource.address.as_str()).copied().or_else(|| {
            by_block
                .get(&strip_instance_keys(&resource.address))
                .copied()
        });
        match found {
            Some(block) => {
                // Values known after apply that the configuration writes although the plan's
                // configuration does not say so (`dynamic` blocks): the rules must see them.
                for (name, value) in unwritten.remove(&resource.address).unwrap_or_default() {
                    if block.attributes.contains_key(name.as_str()) {
                        resource.attributes.insert(name.into(), value);
                    }
                }
                adopt_resource_locations(resource, block);
                adopt_provider_choice(resource, block, &plan.providers, &source);
            }
            None => unmatched.push(resource.address.clone()),
        }
    }
    if !unmatched.is_empty() {
        let shown: Vec<&str> = unmatched.iter().take(5).map(String::as_str).collect();
        plan.notes.push(Note {
            location: None,
            message: format!(
                "{} planned resource(s) have no block in the .tf files under {} ({}{}); they are reported at the plan file",
                unmatched.len(),
                source.root.display(),
                shown.join(", "),
                if unmatched.len() > shown.len() { ", …" } else { "" }
            ),
        });
    }

    for provider in &mut plan.providers {
        if let Some(block) = source.providers.iter().find(|p| same_provider(provider, p)) {
            adopt_provider(provider, block);
        } else if provider.implicit {
            // A default provider configuration without a block: point at the first resource using it.
            if let Some(first) = source
                .providers
                .iter()
                .find(|p| p.implicit && p.provider_type == provider.provider_type)
            {
                provider.location = first.location.clone();
            }
        }
    }
    // Implicit providers in the plan without a source counterpart: the first planned resource using them.
    for (index, provider) in plan.providers.iter_mut().enumerate() {
        if provider.location.line == 1
            && provider.location.column == 1
            && is_plan_location(&provider.location, &source)
            && let Some(r) = plan
                .resources
                .iter()
                .find(|r| r.provider == Some(index) && !is_plan_location(&r.location, &source))
        {
            provider.location = r.location.clone();
            provider.call_chain = r.call_chain.to_vec();
        }
    }

    for call in &mut plan.module_calls {
        if let Some(block) = source
            .module_calls
            .iter()
            .find(|c| strip_instance_keys(&c.address) == call.address)
        {
            call.location = block.location.clone();
            call.call_chain = block.call_chain.clone();
            call.source.location = block.source.location.clone();
            call.resolution = block.resolution.clone();
        }
    }

    plan.module_dir = source.module_dir;
    plan.backends = source.backends;
    plan.sources = source.sources;
}

/// Whether a location is the plan file rather than a source file.
fn is_plan_location(location: &Location, source: &Model) -> bool {
    source.sources.get(&location.file).is_none()
}

fn adopt_resource_locations(resource: &mut ResourceInstance, block: &ResourceInstance) {
    resource.location = block.location.clone();
    resource.call_chain = block.call_chain.clone();
    for (name, value) in resource.attributes.iter_mut() {
        if let Some(written) = block.attributes.get(name) {
            adopt_value(value, written, &block.location);
        }
    }
}

/// The provider configuration the sources give a resource, when the plan has it: plans before
/// Terraform 1.1 do not record a module call's `providers = { aws = aws.west }`, so the plan alone
/// can only take the caller's configuration of the same name (see `plan::providers`).
fn adopt_provider_choice(
    resource: &mut ResourceInstance,
    block: &ResourceInstance,
    plan_providers: &[ProviderConfig],
    source: &Model,
) {
    let Some(chosen) = source.provider_of(block) else {
        return;
    };
    if chosen.implicit && chosen.attributes.is_empty() {
        // An implicit configuration in the sources says nothing the plan does not know.
        return;
    }
    if let Some(index) = plan_providers.iter().position(|p| same_provider(p, chosen)) {
        resource.provider = Some(index);
    }
}

fn same_provider(plan: &ProviderConfig, source: &ProviderConfig) -> bool {
    plan.provider_type == source.provider_type
        && plan.alias == source.alias
        && plan.module_address == strip_instance_keys(&source.module_address)
}

fn adopt_provider(provider: &mut ProviderConfig, block: &ProviderConfig) {
    provider.location = block.location.clone();
    provider.call_chain = block.call_chain.clone();
    provider.implicit = block.implicit;
    for (name, value) in provider.attributes.iter_mut() {
        if let Some(written) = block.attributes.get(name) {
            // An expression the plan could not resolve (locals, functions) that the evaluator
            // could: the evaluator's value stands, with its provenance.
            if value.unknown_reason().is_some() && !written.contains_unknown() {
                *value = written.clone();
                value.provenance.push(ProvenanceStep {
                    description:
                        "evaluated from the .tf sources (the plan records only the references)"
                            .into(),
                    location: None,
                });
                continue;
            }
            adopt_value(value, written, &block.location);
        }
    }
}

/// Takes the source's locations (recursively where the shapes agree) and, when the values agree,
/// its provenance.
fn adopt_value(value: &mut Tracked, written: &Tracked, block: &Location) {
    if value.location.is_none() {
        value.location = written.location.clone().or_else(|| Some(block.clone()));
    }
    if same_known_value(&value.value, &written.value) && !written.provenance.is_empty() {
        value.provenance = written.provenance.clone();
    } else if !value.provenance.is_empty() && written.contains_unknown() {
        // The plan's own resolution (e.g. a plan variable set with -var in CI) where the sources
        // alone have no value: add where the sources declare it (the `variable` block). When the
        // sources resolve a different value, their places would mislead and are not used.
        value.provenance.update(|step| {
            if step.location.is_none()
                && let Some(found) = written
                    .provenance
                    .iter()
                    .find(|s| first_word(&s.description) == first_word(&step.description))
            {
                step.location = found.location.clone();
            }
        });
    }
    let parent = value.location.clone().unwrap_or_else(|| block.clone());
    match (&mut value.value, &written.value) {
        (Value::Map(ours), Value::Map(theirs)) => {
            for (k, v) in ours.iter_mut() {
                if let Some(w) = theirs.get(k) {
                    adopt_value(v, w, &parent);
                }
            }
        }
        (Value::List(ours), Value::List(theirs)) => {
            for (v, w) in ours.iter_mut().zip(theirs.iter()) {
                adopt_value(v, w, &parent);
            }
        }
        _ => {}
    }
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

fn same_known_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        _ => false,
    }
}
