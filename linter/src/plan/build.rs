//! Plan JSON → the evaluated-instance [`Model`].
//!
//! Every object that exists after apply becomes a [`ResourceInstance`] whose attributes are the
//! planned values (`change.after`) with `after_unknown` turned into `Value::Unknown` ("known after
//! apply"). Provider configurations come from `configuration.provider_config`, their arguments
//! from constant expressions or references resolved through the plan's variables and module
//! inputs. Locations point at the plan file here; [`super::sources`] moves them to `.tf` blocks.
use crate::model::AttrMap;
use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use super::address::{join, module_call_names, module_config_path, strip_instance_keys};
use super::json::{
    ConfigModule, ConfigModuleCall, ConfigResource, Configuration, PlanDocument, apply_unknowns,
    tracked_from_json,
};
use super::providers::ProviderKeys;
use crate::model::{
    Location, Model, ModuleCall, ModuleResolution, Note, ProvenanceStep, ProviderConfig,
    ResourceInstance, ResourceMode, Tracked, Value,
};

/// Why a planned value is unknown.
pub const KNOWN_AFTER_APPLY: &str = "known after apply";

/// Arguments through which a resource names its own region; when the configuration does not write
/// them, the planned value is the provider's region and the provider block is the finding.
const INHERITED_PLACEMENT: [&str; 3] = ["region", "location", "zone"];

/// What resources of a configuration block look like: which provider configuration they use and
/// which arguments the block writes.
struct BlockInfo<'a> {
    provider_config_key: &'a str,
    written: &'a IndexMap<String, serde_json::Value>,
}

/// The configuration, indexed by module path.
struct ConfigIndex<'a> {
    /// `module.a.aws_s3_bucket.b` → block
    resources: HashMap<String, BlockInfo<'a>>,
    /// `module.a.module.b` → call
    module_calls: HashMap<String, &'a ConfigModuleCall>,
    /// `module.a.module.b` → the called module's configuration
    modules: HashMap<String, &'a ConfigModule>,
}

impl<'a> ConfigIndex<'a> {
    fn new(configuration: Option<&'a Configuration>) -> Self {
        let mut index = ConfigIndex {
            resources: HashMap::new(),
            module_calls: HashMap::new(),
            modules: HashMap::new(),
        };
        if let Some(root) = configuration.and_then(|c| c.root_module.as_ref()) {
            index.add_module("", root);
        }
        index
    }

    fn add_module(&mut self, path: &str, module: &'a ConfigModule) {
        for resource in &module.resources {
            self.resources
                .insert(join(path, &resource.address), block_info(resource));
        }
        for (name, call) in &module.module_calls {
            let call_path = join(path, &format!("module.{name}"));
            if let Some(child) = &call.module {
                self.add_module(&call_path, child);
                self.modules.insert(call_path.clone(), child);
            }
            self.module_calls.insert(call_path, call);
        }
    }
}

fn block_info(resource: &ConfigResource) -> BlockInfo<'_> {
    BlockInfo {
        provider_config_key: &resource.provider_config_key,
        written: &resource.expressions,
    }
}

/// Builds the model. `plan_file` is the plan's path as findings show it; `root` the scanned root.
pub fn build_model(doc: PlanDocument, plan_file: Arc<str>, root: std::path::PathBuf) -> Model {
    let plan_location = Location::new(plan_file.clone(), 1, 1);
    let mut model = Model {
        root,
        module_dir: ".".to_string(),
        ..Model::default()
    };
    let config = ConfigIndex::new(doc.configuration.as_ref());
    let resolver = ExpressionResolver {
        variables: &doc.variables,
        module_calls: &config.module_calls,
        modules: &config.modules,
    };

    // Provider configurations, by their configuration key (`aws`, `aws.west`, `module.store:aws`).
    // Module requirement records (no `provider` block) are not configurations: their resources
    // resolve to the configuration they inherit (see [`ProviderKeys`]).
    let no_entries = IndexMap::new();
    let entries = doc
        .configuration
        .as_ref()
        .map_or(&no_entries, |c| &c.provider_config);
    let provider_names = doc
        .resource_changes
        .iter()
        .flatten()
        .map(|c| c.provider_name.as_str());
    let keys = ProviderKeys::new(entries, provider_names);
    let mut provider_index: HashMap<String, usize> = HashMap::new();
    for (key, provider) in entries {
        if !keys.is_configuration(provider) {
            continue;
        }
        let module_path = provider.module_address.clone();
        let mut attributes = AttrMap::new();
        for (name, expression) in &provider.expressions {
            attributes.insert(name.into(), resolver.resolve(expression, &module_path));
        }
        let full_name = keys.full_name(provider);
        if module_path.is_empty() && provider.alias.is_none() {
            // The root's default configuration is also what resources without a key use.
            provider_index.insert(implicit_key(&full_name), model.providers.len());
        }
        provider_index.insert(key.clone(), model.providers.len());
        model.providers.push(ProviderConfig {
            address: provider_address(&module_path, &full_name, provider.alias.as_deref()),
            provider_type: ProviderKeys::provider_type(provider).to_string(),
            alias: provider.alias.clone(),
            module_address: module_path,
            implicit: provider.expressions.is_empty(),
            attributes,
            location: plan_location.clone(),
            call_chain: Vec::new(),
        });
    }

    // Inherited placements seen per provider: the region Terraform planned for resources that
    // take it from their provider.
    let mut inherited: HashMap<usize, Vec<(String, Tracked)>> = HashMap::new();
    let mut seen_addresses = std::collections::HashSet::new();
    for change in doc.resource_changes.unwrap_or_default() {
        if !change.change.object_remains() || change.deposed.is_some() {
            continue;
        }
        seen_addresses.insert(change.address.clone());
        let block = config.resources.get(&strip_instance_keys(&change.address));
        let module_path = module_config_path(&change.module_address);
        let provider = block
            .and_then(|b| keys.resolve(&module_path, b.provider_config_key))
            .and_then(|key| provider_index.get(key).copied())
            .or_else(|| {
                let full_name = keys.full_name_of(&change.provider_name);
                implicit_provider(&mut model, &mut provider_index, &full_name, &plan_location)
            });
        let (attributes, placements, unwritten) =
            planned_attributes(change.change.after, change.change.after_unknown, block);
        if let Some(p) = provider {
            inherited.entry(p).or_default().extend(placements);
        }
        if !unwritten.is_empty() {
            model
                .unwritten_unknowns
                .insert(change.address.clone(), unwritten);
        }
        model.resources.push(ResourceInstance {
            address: change.address,
            module_address: change.module_address.into(),
            mode: mode_of(&change.mode),
            resource_type: change.resource_type.into(),
            name: change.name.into(),
            attributes,
            provider,
            location: plan_location.clone(),
            call_chain: Arc::default(),
        });
    }

    // Data sources read while planning are in the prior state, not in resource_changes.
    let prior = doc
        .prior_state
        .as_ref()
        .and_then(|p| p.values.as_ref())
        .and_then(|v| v.root_module.as_ref());
    if let Some(prior) = prior {
        for resource in prior.all_resources() {
            let Some(values) = &resource.values else {
                continue;
            };
            if resource.mode != "data" || seen_addresses.contains(&resource.address) {
                continue;
            }
            let block = config
                .resources
                .get(&strip_instance_keys(&resource.address));
            let module_address = module_of(&resource.address);
            let provider = block
                .and_then(|b| {
                    keys.resolve(&module_config_path(&module_address), b.provider_config_key)
                })
                .and_then(|key| provider_index.get(key).copied())
                .or_else(|| {
                    let full_name = keys.full_name_of(&resource.provider_name);
                    implicit_provider(&mut model, &mut provider_index, &full_name, &plan_location)
                });
            let (attributes, _, _) =
                planned_attributes(Some(super::json::JsonTracked(values.clone())), None, block);
            model.resources.push(ResourceInstance {
                address: resource.address.clone(),
                module_address: module_address.into(),
                mode: ResourceMode::Data,
                resource_type: resource.resource_type.as_str().into(),
                name: resource.name.as_str().into(),
                attributes,
                provider,
                location: plan_location.clone(),
                call_chain: Arc::default(),
            });
        }
    }

    infer_provider_regions(&mut model, inherited);

    for (path, call) in &config.module_calls {
        let local = call.source.starts_with("./") || call.source.starts_with("../");
        let source = Tracked::new(Value::String(call.source.as_str().into()), None);
        model.module_calls.push(ModuleCall {
            address: path.clone(),
            source,
            version: call.version_constraint.clone(),
            location: plan_location.clone(),
            call_chain: Vec::new(),
            resolution: if local {
                ModuleResolution::Local
            } else {
                ModuleResolution::Fetched
            },
        });
    }
    model.module_calls.sort_by(|a, b| a.address.cmp(&b.address));

    for drift in &doc.resource_drift {
        model.notes.push(Note {
            location: Some(plan_location.clone()),
            message: format!(
                "{} changed outside Terraform ({}); the planned values are what is checked",
                drift.address,
                drift.change.actions.join(", ")
            ),
        });
    }
    if doc.errored {
        model.notes.push(Note {
            location: Some(plan_location.clone()),
            message:
                "the plan errored: Terraform could not plan every resource, so some may be missing"
                    .to_string(),
        });
    }
    model
}

fn mode_of(mode: &str) -> ResourceMode {
    if mode == "data" {
        ResourceMode::Data
    } else {
        ResourceMode::Managed
    }
}

/// The module instance address of a resource instance address.
pub(crate) fn module_of(address: &str) -> String {
    // Resource addresses end with `type.name[key]` (or `data.type.name[key]`) after the last module step.
    let stripped = strip_instance_keys(address);
    let steps = module_call_names(&stripped).len();
    if steps == 0 {
        return String::new();
    }
    // Walk the original address, keeping `module.NAME[key]` steps.
    let mut out = String::new();
    let mut rest = address;
    for _ in 0..steps {
        let Some(after) = rest.strip_prefix("module.") else {
            break;
        };
        let end = next_step_end(after);
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str("module.");
        out.push_str(&after[..end]);
        rest = after[end..].strip_prefix('.').unwrap_or("");
    }
    out
}

/// Byte length of `NAME` or `NAME[key]` at the start of `s`.
fn next_step_end(s: &str) -> usize {
    let mut in_string = false;
    let mut escaped = false;
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => return i,
            _ => {}
        }
    }
    s.len()
}

/// `provider["registry.terraform.io/hashicorp/aws"].west`, module-qualified when defined in a module.
pub fn provider_address(module_path: &str, full_name: &str, alias: Option<&str>) -> String {
    let mut address = String::new();
    if !module_path.is_empty() {
        address.push_str(module_path);
        address.push('.');
    }
    address.push_str(&format!("provider[\"{full_name}\"]"));
    if let Some(alias) = alias {
        address.push('.');
        address.push_str(alias);
    }
    address
}

/// The index key of the root module's default configuration of a provider.
fn implicit_key(full_name: &str) -> String {
    format!("implicit:{full_name}")
}

/// The root module's default configuration of a provider (`full_name`), for resources no
/// configuration in the plan applies to: without a `provider` block it has no arguments.
fn implicit_provider(
    model: &mut Model,
    index: &mut HashMap<String, usize>,
    full_name: &str,
    at: &Location,
) -> Option<usize> {
    if full_name.is_empty() {
        return None;
    }
    let key = implicit_key(full_name);
    if let Some(i) = index.get(&key) {
        return Some(*i);
    }
    let provider_type = full_name
        .rsplit('/')
        .next()
        .unwrap_or(full_name)
        .to_string();
    index.insert(key, model.providers.len());
    model.providers.push(ProviderConfig {
        address: provider_address("", full_name, None),
        provider_type,
        alias: None,
        module_address: String::new(),
        attributes: AttrMap::new(),
        location: at.clone(),
        call_chain: Vec::new(),
        implicit: true,
    });
    Some(model.providers.len() - 1)
}

/// The attributes, the inherited placements and the unwritten unknown values of a planned instance.
type PlannedAttributes = (AttrMap, Vec<(String, Tracked)>, Vec<(String, Tracked)>);

/// Planned values as instance attributes. Returns the attributes, the inherited placements
/// (`region`/`location`/`zone` values the configuration does not write) and the values known after
/// apply that the plan's configuration does not write (see [`Model::unwritten_unknowns`]).
fn planned_attributes(
    after: Option<super::json::JsonTracked>,
    after_unknown: Option<super::json::UnknownMask>,
    block: Option<&BlockInfo<'_>>,
) -> PlannedAttributes {
    let mut value = after
        .map(|a| a.0)
        .unwrap_or_else(|| Tracked::new(Value::Null, None));
    if let Some(mask) = &after_unknown {
        apply_unknowns(&mut value, mask, KNOWN_AFTER_APPLY);
    }
    let mut attributes = match value.value {
        Value::Map(map) => map,
        _ => AttrMap::default(),
    };
    let mut placements = Vec::new();
    let mut set_aside = Vec::new();
    if let Some(block) = block {
        for (name, expression) in block.written {
            if let Some(value) = attributes.get_mut(name.as_str()) {
                name_unknown_references(value, expression);
            }
        }
        // Computed attributes the configuration does not write (ids, ARNs) are unknown in every
        // new plan and decide nothing about residency; tags_all is kept as it merges default_tags.
        // Set aside, not dropped: a `dynamic` block is missing from the plan's configuration too,
        // and the sources, when there are any, bring back those the configuration writes.
        let unwritten: Vec<String> = attributes
            .iter()
            .filter(|(name, v)| {
                !block.written.contains_key(name.as_str())
                    && name.as_str() != "tags_all"
                    && v.unknown_reason().is_some()
            })
            .map(|(name, _)| name.to_string())
            .collect();
        for name in unwritten {
            if let Some(v) = attributes.shift_remove(name.as_str()) {
                set_aside.push((name, v));
            }
        }
        for name in INHERITED_PLACEMENT {
            if !block.written.contains_key(name)
                && let Some(v) = attributes.shift_remove(name)
            {
                placements.push((name.to_string(), v));
            }
        }
    }
    (attributes, placements, set_aside)
}

/// Unknown planned values say what they are computed from (`known after apply (from
/// aws_s3_bucket.replica.arn)`), taken from the configuration's `references`, so rules can follow
/// them to the resources they name.
fn name_unknown_references(value: &mut Tracked, expression: &serde_json::Value) {
    match (expression, &mut value.value) {
        (serde_json::Value::Object(map), _) if map.contains_key("references") => {
            let refs: Vec<&str> = map["references"]
                .as_array()
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            if !refs.is_empty() {
                let reason = format!("{KNOWN_AFTER_APPLY} (from {})", refs.join(", "));
                set_unknown_reasons(value, &reason);
            }
            // A known value taken from another resource (`location =
            // azurerm_resource_group.ml.location`) says so, as in a configuration: rules leave the
            // place to the resource it comes from (one root cause, one finding) also when the plan
            // is linted without its sources.
            let resources: Vec<&str> = refs
                .iter()
                .copied()
                .filter(|r| names_a_managed_resource(r))
                .collect();
            if !resources.is_empty() && value.unknown_reason().is_none() {
                value.provenance.push(ProvenanceStep {
                    description: resources.join(", ").into(),
                    location: None,
                });
            }
        }
        (serde_json::Value::Object(map), Value::Map(entries))
            if !map.contains_key("constant_value") =>
        {
            for (k, v) in entries.iter_mut() {
                if let Some(e) = map.get(k.as_str()) {
                    name_unknown_references(v, e);
                }
            }
        }
        (serde_json::Value::Array(blocks), Value::List(items)) => {
            for (v, e) in items.iter_mut().zip(blocks) {
                name_unknown_references(v, e);
            }
        }
        _ => {}
    }
}

/// `aws_s3_bucket.logs.arn`, `azurerm_resource_group.ml` — not `var.`, `local.`, `module.`,
/// `data.`, `each.`, `count.`, `path.`, `terraform.` or `self.` references.
fn names_a_managed_resource(reference: &str) -> bool {
    let mut parts = reference.split('.');
    matches!(
        (parts.next(), parts.next()),
        (Some(kind), Some(name)) if kind.contains('_') && !name.is_empty()
    )
}

fn set_unknown_reasons(value: &mut Tracked, reason: &str) {
    match &mut value.value {
        Value::Unknown(u) if u.reason == KNOWN_AFTER_APPLY => u.reason = reason.to_string(),
        Value::List(items) => items
            .iter_mut()
            .for_each(|v| set_unknown_reasons(v, reason)),
        Value::Map(entries) => entries
            .values_mut()
            .for_each(|v| set_unknown_reasons(v, reason)),
        _ => {}
    }
}

/// A provider block without a `region` (configured from the environment) still has one in the
/// plan: the region Terraform planned for the resources that inherit it. When they agree, it
/// becomes the provider's region, so the provider is checked like one written in place.
fn infer_provider_regions(model: &mut Model, inherited: HashMap<usize, Vec<(String, Tracked)>>) {
    for (index, placements) in inherited {
        let Some(provider) = model.providers.get_mut(index) else {
            continue;
        };
        if provider.attributes.contains_key("region") {
            continue;
        }
        let regions: Vec<&Tracked> = placements
            .iter()
            .filter(|(n, _)| n == "region")
            .map(|(_, v)| v)
            .collect();
        let Some(first) = regions.first().and_then(|t| t.as_str()) else {
            continue;
        };
        if regions.iter().all(|t| t.as_str() == Some(first)) {
            let mut region = Tracked::new(Value::String(first.into()), None);
            region.provenance.push(ProvenanceStep {
                description: format!("region = {first:?} (planned by Terraform: the provider is configured from the environment)").into(),
                location: None,
            });
            provider.attributes.insert("region".into(), region);
        }
    }
}

/// Resolves configuration expressions (`constant_value`, `references`) through the plan's
/// variables and module inputs.
struct ExpressionResolver<'a> {
    variables: &'a IndexMap<String, super::json::PlanVariable>,
    module_calls: &'a HashMap<String, &'a ConfigModuleCall>,
    modules: &'a HashMap<String, &'a ConfigModule>,
}

impl ExpressionResolver<'_> {
    /// `expression` is an expression object, a nested block (object of expressions) or a list of
    /// nested blocks.
    fn resolve(&self, expression: &serde_json::Value, module_path: &str) -> Tracked {
        match expression {
            serde_json::Value::Array(blocks) => Tracked::new(
                Value::List(
                    blocks
                        .iter()
                        .map(|b| self.resolve(b, module_path))
                        .collect(),
                ),
                None,
            ),
            serde_json::Value::Object(map) => {
                if let Some(constant) = map.get("constant_value") {
                    tracked_from_json(constant)
                } else if let Some(references) = map.get("references") {
                    let refs: Vec<&str> = references
                        .as_array()
                        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                        .unwrap_or_default();
                    self.resolve_references(&refs, module_path, 0)
                } else {
                    let entries = map
                        .iter()
                        .map(|(k, v)| (k.into(), self.resolve(v, module_path)))
                        .collect::<AttrMap>();
                    Tracked::new(Value::Map(entries), None)
                }
            }
            other => tracked_from_json(other),
        }
    }

    fn resolve_references(&self, refs: &[&str], module_path: &str, depth: usize) -> Tracked {
        let single_variable = match refs {
            [one] => one.strip_prefix("var.").filter(|n| is_identifier(n)),
            _ => None,
        };
        let Some(name) = single_variable.filter(|_| depth < 32) else {
            return Tracked::unknown(
                format!(
                    "computed from {}, which the plan does not record",
                    refs.join(", ")
                ),
                None,
            );
        };
        if module_path.is_empty() {
            return match self.variables.get(name).and_then(|v| v.value.as_ref()) {
                Some(value) => {
                    let mut t = Tracked::new(value.0.value.clone(), None);
                    t.provenance.push(ProvenanceStep {
                        description: format!("var.{name} = {} (plan variable)", value.0.render())
                            .into(),
                        location: None,
                    });
                    t
                }
                None => Tracked::unknown(format!("var.{name} has no value in the plan"), None),
            };
        }
        // A variable of a child module: the module call's argument, resolved in the parent.
        let Some(call) = self.module_calls.get(module_path) else {
            return Tracked::unknown(
                format!("var.{name} of {module_path} is not in the plan's configuration"),
                None,
            );
        };
        // `module.a.module.b` → `module.a`; `module.a` → the root.
        let parent = module_path.rsplitn(3, '.').nth(2).unwrap_or("").to_string();
        match call.expressions.get(name) {
            Some(expression) => {
                let mut t = match expression.as_object() {
                    Some(map) if map.contains_key("constant_value") => {
                        tracked_from_json(&map["constant_value"])
                    }
                    Some(map) => {
                        let refs: Vec<&str> = map
                            .get("references")
                            .and_then(|r| r.as_array())
                            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                            .unwrap_or_default();
                        self.resolve_references(&refs, &parent, depth + 1)
                    }
                    None => tracked_from_json(expression),
                };
                t.provenance.insert(
                    0,
                    ProvenanceStep {
                        description: format!("{module_path} input {name}").into(),
                        location: None,
                    },
                );
                t
            }
            None => match self
                .modules
                .get(module_path)
                .and_then(|m| m.variables.get(name))
                .and_then(|v| v.default.as_ref())
            {
                Some(default) => {
                    let mut t = tracked_from_json(default);
                    t.provenance.push(ProvenanceStep {
                        description: format!("{module_path} var.{name} default = {}", t.render())
                            .into(),
                        location: None,
                    });
                    t
                }
                None => Tracked::unknown(
                    format!("var.{name} of {module_path} has no value in the plan"),
                    None,
                ),
            },
        }
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(json: serde_json::Value) -> Model {
        let doc: PlanDocument = serde_json::from_value(json).unwrap();
        build_model(doc, Arc::from("plan.json"), std::path::PathBuf::from("."))
    }

    fn provider<'m>(m: &'m Model, alias: Option<&str>, module: &str) -> &'m ProviderConfig {
        m.providers
            .iter()
            .find(|p| p.alias.as_deref() == alias && p.module_address == module)
            .unwrap()
    }

    #[test]
    fn provider_expressions_resolve_through_variables_module_inputs_and_defaults() {
        let m = model(serde_json::json!({
            "format_version": "1.2",
            "variables": {"home": {"value": "eu-west-1"}},
            "resource_changes": [],
            "configuration": {
                "provider_config": {
                    "aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                            "expressions": {"region": {"references": ["local.region"]}}},
                    "module.a:aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                            "module_address": "module.a", "expressions": {"region": {"references": ["var.region"]}}},
                    "module.a.module.b:aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                            "module_address": "module.a.module.b", "alias": "b",
                            "expressions": {"region": {"references": ["var.fallback"]},
                                            "endpoints": [{"s3": {"constant_value": "https://s3.example"}}]}}
                },
                "root_module": {"module_calls": {"a": {
                    "source": "./a",
                    "expressions": {"region": {"references": ["var.home"]}},
                    "module": {"module_calls": {"b": {
                        "source": "./b",
                        "module": {"variables": {"fallback": {"default": "eu-north-1"}}}
                    }}}
                }}}
            }
        }));
        let root = provider(&m, None, "");
        let reason = root.attr("region").unwrap().unknown_reason().unwrap();
        assert_eq!(
            reason,
            "computed from local.region, which the plan does not record"
        );
        let a = provider(&m, None, "module.a").attr("region").unwrap();
        assert_eq!(a.as_str(), Some("eu-west-1"));
        let steps: Vec<&str> = a.provenance.iter().map(|s| &*s.description).collect();
        assert_eq!(
            steps,
            [
                "module.a input region",
                r#"var.home = "eu-west-1" (plan variable)"#
            ]
        );
        let b = provider(&m, Some("b"), "module.a.module.b");
        assert_eq!(b.attr("region").unwrap().as_str(), Some("eu-north-1"));
        assert_eq!(
            b.address,
            r#"module.a.module.b.provider["registry.terraform.io/hashicorp/aws"].b"#
        );
        let endpoint = &b.attr("endpoints").unwrap().items()[0];
        assert_eq!(
            endpoint.get("s3").unwrap().as_str(),
            Some("https://s3.example")
        );
    }

    #[test]
    fn provider_from_the_environment_takes_the_region_terraform_planned() {
        let change = |name: &str, region: &str| {
            serde_json::json!({
                "address": format!("aws_sqs_queue.{name}"), "mode": "managed", "type": "aws_sqs_queue",
                "name": name, "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "after": {"name": name, "region": region},
                           "after_unknown": {"arn": true, "id": true}}
            })
        };
        let doc = |regions: [&str; 2]| {
            serde_json::json!({
                "format_version": "1.2",
                "resource_changes": [change("a", regions[0]), change("b", regions[1])],
                "configuration": {
                    "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                    "root_module": {"resources": [
                        {"address": "aws_sqs_queue.a", "mode": "managed", "type": "aws_sqs_queue", "name": "a",
                         "provider_config_key": "aws", "expressions": {"name": {"constant_value": "a"}}},
                        {"address": "aws_sqs_queue.b", "mode": "managed", "type": "aws_sqs_queue", "name": "b",
                         "provider_config_key": "aws", "expressions": {"name": {"constant_value": "b"}}}
                    ]}
                }
            })
        };
        let m = model(doc(["us-east-1", "us-east-1"]));
        let p = provider(&m, None, "");
        assert!(p.implicit);
        assert_eq!(p.attr("region").unwrap().as_str(), Some("us-east-1"));
        // The inherited region is the provider's, not each queue's; unwritten computed ids are dropped.
        assert!(
            m.resources
                .iter()
                .all(|r| r.attr("region").is_none() && r.attr("arn").is_none())
        );
        // Disagreeing planned regions: nothing is inferred.
        let m = model(doc(["us-east-1", "eu-west-1"]));
        assert!(provider(&m, None, "").attr("region").is_none());
    }

    #[test]
    fn replacements_count_and_deletes_forgets_and_deposed_objects_do_not() {
        let change = |name: &str, actions: serde_json::Value, deposed: bool| {
            let mut c = serde_json::json!({
                "address": format!("aws_ebs_volume.{name}"), "mode": "managed", "type": "aws_ebs_volume",
                "name": name, "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": actions, "after": {"size": 10}, "after_unknown": {}}
            });
            if deposed {
                c["deposed"] = serde_json::json!("00000001");
            }
            c
        };
        let m = model(serde_json::json!({
            "format_version": "1.2",
            "resource_changes": [
                change("replaced", serde_json::json!(["delete", "create"]), false),
                change("cbd", serde_json::json!(["create", "delete"]), false),
                change("kept", serde_json::json!(["no-op"]), false),
                change("gone", serde_json::json!(["delete"]), false),
                change("forgotten", serde_json::json!(["forget"]), false),
                change("old", serde_json::json!(["delete"]), true),
            ]
        }));
        let names: Vec<&str> = m.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["replaced", "cbd", "kept"]);
    }

    #[test]
    fn module_of_keeps_instance_keys() {
        assert_eq!(
            module_of(r#"module.a["x.y"].module.b[0].aws_s3_bucket.c["k"]"#),
            r#"module.a["x.y"].module.b[0]"#
        );
        assert_eq!(module_of("aws_s3_bucket.c"), "");
    }

    #[test]
    fn provider_addresses() {
        assert_eq!(
            provider_address(
                "module.store",
                "registry.terraform.io/hashicorp/aws",
                Some("west")
            ),
            r#"module.store.provider["registry.terraform.io/hashicorp/aws"].west"#
        );
    }
}
