//! A small builder of hand-made models for the rules' unit tests (the fixture tests in
//! `linter/tests/rules.rs` go through the real loader and evaluator).
//!
//! Attributes are written as JSON; a string starting with `?` is an unknown value whose reason is
//! the rest (`"?aws_s3_bucket.data.id known after apply"`). Every attribute gets its own line.
use crate::model::AttrMap;
use serde_json::Value as Json;
use sovereign_schemas::Policy;

use crate::model::{
    Backend, Location, Model, ModuleCall, ModuleResolution, ProviderConfig, ResourceInstance,
    ResourceMode, Tracked, Unknown, Value,
};

pub(crate) struct ModelBuilder {
    model: Model,
    line: u32,
}

impl ModelBuilder {
    pub fn new() -> Self {
        ModelBuilder {
            model: Model::default(),
            line: 1,
        }
    }

    fn next_location(&mut self) -> Location {
        let l = Location::new("main.tf", self.line, 1);
        self.line += 1;
        l
    }

    fn tracked(&mut self, v: &Json) -> Tracked {
        let location = Some(Location::new("main.tf", self.line, 3));
        self.line += 1;
        let value = match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.as_f64().unwrap_or_default()),
            Json::String(s) => match s.strip_prefix('?') {
                Some(reason) => Value::Unknown(Unknown::new(reason)),
                None => Value::String(s.as_str().into()),
            },
            Json::Array(items) => Value::List(items.iter().map(|i| self.tracked(i)).collect()),
            Json::Object(m) => {
                Value::Map(m.iter().map(|(k, v)| (k.into(), self.tracked(v))).collect())
            }
        };
        Tracked::new(value, location)
    }

    fn attributes(&mut self, attrs: &Json) -> AttrMap {
        match attrs {
            Json::Object(m) => m.iter().map(|(k, v)| (k.into(), self.tracked(v))).collect(),
            _ => crate::model::AttrMap::new(),
        }
    }

    pub fn provider(mut self, provider_type: &str, attrs: Json) -> Self {
        let location = self.next_location();
        let attributes = self.attributes(&attrs);
        self.model.providers.push(ProviderConfig {
            address: format!("provider[\"registry.terraform.io/hashicorp/{provider_type}\"]"),
            provider_type: provider_type.to_string(),
            alias: None,
            module_address: String::new(),
            attributes,
            location,
            call_chain: Vec::new(),
            implicit: false,
        });
        self
    }

    fn push_resource(&mut self, mode: ResourceMode, resource_type: &str, name: &str, attrs: Json) {
        let location = self.next_location();
        let attributes = self.attributes(&attrs);
        let prefix = resource_type.split('_').next().unwrap_or_default();
        let provider = self
            .model
            .providers
            .iter()
            .rposition(|p| p.provider_type == prefix);
        let address = match mode {
            ResourceMode::Managed => format!("{resource_type}.{name}"),
            ResourceMode::Data => format!("data.{resource_type}.{name}"),
        };
        self.model.resources.push(ResourceInstance {
            address,
            module_address: Default::default(),
            mode,
            resource_type: resource_type.into(),
            name: name.into(),
            attributes,
            provider,
            location,
            call_chain: Default::default(),
        });
    }

    pub fn resource(mut self, resource_type: &str, name: &str, attrs: Json) -> Self {
        self.push_resource(ResourceMode::Managed, resource_type, name, attrs);
        self
    }

    pub fn backend(mut self, backend_type: &str, attrs: Json) -> Self {
        let location = self.next_location();
        let attributes = self.attributes(&attrs);
        self.model.backends.push(Backend {
            backend_type: backend_type.to_string(),
            attributes,
            location,
        });
        self
    }

    pub fn module_call(mut self, name: &str, source: &str) -> Self {
        let location = self.next_location();
        let source = self.tracked(&Json::String(source.to_string()));
        self.model.module_calls.push(ModuleCall {
            address: format!("module.{name}"),
            source,
            version: None,
            location,
            call_chain: Vec::new(),
            resolution: ModuleResolution::NotFetched,
        });
        self
    }

    pub fn build(self) -> Model {
        self.model
    }
}

/// Runs all rules and renders the findings of `rules` as `line RULE message`.
pub(crate) fn lint(model: &Model, policy_toml: &str, rules: &[&str]) -> Vec<String> {
    let policy = Policy::from_toml(policy_toml).unwrap();
    super::run(model, &policy)
        .into_iter()
        .filter(|f| rules.contains(&f.rule))
        .map(|f| format!("{} {} {}", f.location.line, f.rule, f.message))
        .collect()
}
