//! Typed view of the JSON that `terraform show -json PLANFILE` prints (format_version 0.1, 0.2, 1.x).
//!
//! Field names follow Terraform's documented "JSON Output Format". Only what the linter needs is
//! kept: large subtrees it never reads (`before`, `*_sensitive`, the values of managed resources in
//! `planned_values`/`prior_state`) are skipped while parsing, so a 100 MB plan is not held twice.
//! Unknown fields are ignored, as the format's compatibility promise asks of readers.
use crate::model::AttrMap;
use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::model::{Key, Tracked, Value};

/// The whole plan document.
#[derive(Debug, Deserialize)]
pub struct PlanDocument {
    pub format_version: Option<String>,
    pub terraform_version: Option<String>,
    #[serde(default)]
    pub variables: IndexMap<String, PlanVariable>,
    pub planned_values: Option<StateValues>,
    pub resource_changes: Option<Vec<ResourceChange>>,
    #[serde(default)]
    pub resource_drift: Vec<ResourceChange>,
    pub prior_state: Option<PriorState>,
    pub configuration: Option<Configuration>,
    #[serde(default)]
    pub errored: bool,
}

#[derive(Debug, Deserialize)]
pub struct PlanVariable {
    pub value: Option<JsonTracked>,
}

/// `resource_changes[]` and `resource_drift[]`.
#[derive(Debug, Deserialize)]
pub struct ResourceChange {
    pub address: String,
    #[serde(default)]
    pub module_address: String,
    #[serde(default = "managed")]
    pub mode: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    #[serde(default)]
    pub provider_name: String,
    /// Set for deposed objects (create_before_destroy leftovers): they are being destroyed.
    pub deposed: Option<String>,
    pub change: Change,
}

fn managed() -> String {
    "managed".to_string()
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub actions: Vec<String>,
    pub after: Option<JsonTracked>,
    pub after_unknown: Option<UnknownMask>,
    // `before`, `before_sensitive`, `after_sensitive`: ignored (unknown fields are skipped).
}

impl Change {
    /// Whether the object exists after apply: plain deletes (and forgets) do not.
    pub fn object_remains(&self) -> bool {
        let acts: Vec<&str> = self.actions.iter().map(String::as_str).collect();
        !matches!(acts.as_slice(), ["delete"] | ["forget"] | ["remove"]) && !acts.is_empty()
    }
}

/// `planned_values` / `prior_state.values`.
#[derive(Debug, Deserialize)]
pub struct StateValues {
    pub root_module: Option<StateModule>,
}

#[derive(Debug, Deserialize)]
pub struct PriorState {
    pub values: Option<StateValues>,
}

#[derive(Debug, Deserialize)]
pub struct StateModule {
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub resources: Vec<StateResource>,
    #[serde(default)]
    pub child_modules: Vec<StateModule>,
}

impl StateModule {
    /// Every resource of this module and its descendants.
    pub fn all_resources(&self) -> Vec<&StateResource> {
        let mut out: Vec<&StateResource> = self.resources.iter().collect();
        for child in &self.child_modules {
            out.extend(child.all_resources());
        }
        out
    }
}

/// A resource in `planned_values` or `prior_state`. Values are kept only for data sources: managed
/// resources' values are what `resource_changes` already carries.
#[derive(Debug)]
pub struct StateResource {
    pub address: String,
    pub mode: String,
    pub resource_type: String,
    pub name: String,
    pub provider_name: String,
    pub values: Option<Tracked>,
}

impl<'de> Deserialize<'de> for StateResource {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(StateResourceVisitor)
    }
}

struct StateResourceVisitor;

impl<'de> Visitor<'de> for StateResourceVisitor {
    type Value = StateResource;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StateResource, A::Error> {
        let mut out = StateResource {
            address: String::new(),
            mode: String::new(),
            resource_type: String::new(),
            name: String::new(),
            provider_name: String::new(),
            values: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "address" => out.address = map.next_value()?,
                "mode" => out.mode = map.next_value()?,
                "type" => out.resource_type = map.next_value()?,
                "name" => out.name = map.next_value()?,
                "provider_name" => out.provider_name = map.next_value()?,
                // Terraform writes `mode` before `values`; when it is known to be managed the
                // values are skipped without building them.
                "values" if out.mode == "managed" => {
                    map.next_value::<IgnoredAny>()?;
                }
                "values" => out.values = Some(map.next_value::<JsonTracked>()?.0),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if out.mode == "managed" {
            out.values = None;
        }
        Ok(out)
    }
}

/// A second reading of `planned_values` keeping every resource's values, for plans without
/// `resource_changes` (e.g. `-refresh-only` plans): the planned state is what is checked.
#[derive(Debug, Deserialize)]
pub struct PlannedValuesOnly {
    pub planned_values: Option<FullStateValues>,
}

#[derive(Debug, Deserialize)]
pub struct FullStateValues {
    pub root_module: Option<FullStateModule>,
}

#[derive(Debug, Deserialize)]
pub struct FullStateModule {
    #[serde(default)]
    pub resources: Vec<FullStateResource>,
    #[serde(default)]
    pub child_modules: Vec<FullStateModule>,
}

#[derive(Debug, Deserialize)]
pub struct FullStateResource {
    pub address: String,
    #[serde(default = "managed")]
    pub mode: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    #[serde(default)]
    pub provider_name: String,
    pub values: Option<JsonTracked>,
}

impl FullStateModule {
    /// The module's resources and its descendants', as unchanged (`no-op`) objects.
    pub fn into_changes(self, out: &mut Vec<ResourceChange>) {
        for r in self.resources {
            out.push(ResourceChange {
                module_address: crate::plan::build::module_of(&r.address),
                address: r.address,
                mode: r.mode,
                resource_type: r.resource_type,
                name: r.name,
                provider_name: r.provider_name,
                deposed: None,
                change: Change {
                    actions: vec!["no-op".to_string()],
                    after: r.values,
                    after_unknown: None,
                },
            });
        }
        for child in self.child_modules {
            child.into_changes(out);
        }
    }
}

/// `configuration`.
#[derive(Debug, Deserialize)]
pub struct Configuration {
    #[serde(default)]
    pub provider_config: IndexMap<String, ConfigProvider>,
    pub root_module: Option<ConfigModule>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigProvider {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub full_name: String,
    pub alias: Option<String>,
    #[serde(default)]
    pub module_address: String,
    #[serde(default)]
    pub expressions: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigModule {
    #[serde(default)]
    pub resources: Vec<ConfigResource>,
    #[serde(default)]
    pub module_calls: IndexMap<String, ConfigModuleCall>,
    #[serde(default)]
    pub variables: IndexMap<String, ConfigVariable>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigVariable {
    pub default: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigResource {
    /// Relative to its module: `aws_s3_bucket.data`, `data.aws_region.current`.
    pub address: String,
    #[serde(default)]
    pub provider_config_key: String,
    /// The arguments written in the block: which ones, and what they refer to.
    #[serde(default)]
    pub expressions: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigModuleCall {
    #[serde(default)]
    pub source: String,
    pub version_constraint: Option<String>,
    #[serde(default)]
    pub expressions: IndexMap<String, serde_json::Value>,
    pub module: Option<ConfigModule>,
}

/// A JSON value read straight into the model's [`Tracked`] (no intermediate tree).
#[derive(Debug)]
pub struct JsonTracked(pub Tracked);

impl<'de> Deserialize<'de> for JsonTracked {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(TrackedVisitor)
            .map(JsonTracked)
    }
}

struct TrackedVisitor;

fn tracked(value: Value) -> Tracked {
    Tracked {
        value,
        location: None,
        provenance: Default::default(),
    }
}

impl<'de> Visitor<'de> for TrackedVisitor {
    type Value = Tracked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tracked, E> {
        Ok(tracked(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tracked, E> {
        Ok(tracked(Value::Number(v as f64)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tracked, E> {
        Ok(tracked(Value::Number(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tracked, E> {
        Ok(tracked(Value::Number(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tracked, E> {
        Ok(tracked(Value::String(v.into())))
    }
    fn visit_string<E>(self, v: String) -> Result<Tracked, E> {
        Ok(tracked(Value::String(v.into())))
    }
    fn visit_unit<E>(self) -> Result<Tracked, E> {
        Ok(tracked(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Tracked, E> {
        Ok(tracked(Value::Null))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Tracked, D::Error> {
        d.deserialize_any(TrackedVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tracked, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(JsonTracked(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(tracked(Value::List(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tracked, A::Error> {
        let mut entries = AttrMap::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((key, JsonTracked(value))) = map.next_entry::<Key, JsonTracked>()? {
            entries.insert(key, value);
        }
        Ok(tracked(Value::Map(entries)))
    }
}

/// `after_unknown`: `true` where the planned value is known only after apply, mirroring the
/// structure of `after`.
#[derive(Debug, Clone, PartialEq)]
pub enum UnknownMask {
    Known,
    Unknown,
    Map(IndexMap<String, UnknownMask>),
    List(Vec<UnknownMask>),
}

impl<'de> Deserialize<'de> for UnknownMask {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MaskVisitor)
    }
}

struct MaskVisitor;

impl<'de> Visitor<'de> for MaskVisitor {
    type Value = UnknownMask;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an after_unknown value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<UnknownMask, E> {
        Ok(if v {
            UnknownMask::Unknown
        } else {
            UnknownMask::Known
        })
    }
    fn visit_i64<E>(self, _: i64) -> Result<UnknownMask, E> {
        Ok(UnknownMask::Known)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UnknownMask, E> {
        Ok(UnknownMask::Known)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UnknownMask, E> {
        Ok(UnknownMask::Known)
    }
    fn visit_str<E>(self, _: &str) -> Result<UnknownMask, E> {
        Ok(UnknownMask::Known)
    }
    fn visit_unit<E>(self) -> Result<UnknownMask, E> {
        Ok(UnknownMask::Known)
    }
    fn visit_none<E>(self) -> Result<UnknownMask, E> {
        Ok(UnknownMask::Known)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<UnknownMask, D::Error> {
        d.deserialize_any(MaskVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UnknownMask, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(UnknownMask::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UnknownMask, A::Error> {
        let mut entries = IndexMap::default();
        while let Some((key, value)) = map.next_entry::<String, UnknownMask>()? {
            entries.insert(key, value);
        }
        Ok(UnknownMask::Map(entries))
    }
}

/// Where `after_unknown` says so, replaces (or adds) values with `Value::Unknown`.
pub fn apply_unknowns(value: &mut Tracked, mask: &UnknownMask, reason: &str) {
    match mask {
        UnknownMask::Known => {}
        UnknownMask::Unknown => value.value = Value::Unknown(crate::model::Unknown::new(reason)),
        UnknownMask::Map(entries) => {
            if matches!(value.value, Value::Null) && entries.values().any(mask_has_unknown) {
                value.value = Value::Map(AttrMap::default());
            }
            if let Value::Map(map) = &mut value.value {
                for (key, sub) in entries {
                    match map.get_mut(key.as_str()) {
                        Some(child) => apply_unknowns(child, sub, reason),
                        None if mask_has_unknown(sub) => {
                            let mut child = tracked(Value::Null);
                            apply_unknowns(&mut child, sub, reason);
                            map.insert(key.as_str().into(), child);
                        }
                        None => {}
                    }
                }
            }
        }
        UnknownMask::List(items) => {
            if matches!(value.value, Value::Null) && items.iter().any(mask_has_unknown) {
                value.value = Value::List(Vec::new());
            }
            if let Value::List(list) = &mut value.value {
                for (i, sub) in items.iter().enumerate() {
                    match list.get_mut(i) {
                        Some(child) => apply_unknowns(child, sub, reason),
                        None => {
                            let mut child = tracked(Value::Null);
                            apply_unknowns(&mut child, sub, reason);
                            list.push(child);
                        }
                    }
                }
            }
        }
    }
}

fn mask_has_unknown(mask: &UnknownMask) -> bool {
    match mask {
        UnknownMask::Known => false,
        UnknownMask::Unknown => true,
        UnknownMask::Map(m) => m.values().any(mask_has_unknown),
        UnknownMask::List(l) => l.iter().any(mask_has_unknown),
    }
}

/// A small JSON value (configuration expressions, constants) as a [`Tracked`].
pub fn tracked_from_json(value: &serde_json::Value) -> Tracked {
    tracked(match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(s.as_str().into()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(tracked_from_json).collect())
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.into(), tracked_from_json(v)))
                .collect(),
        ),
    })
}
