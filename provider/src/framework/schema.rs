//! Declarative schemas: attributes, nested blocks, validators and plan modifiers as plain data.

use std::collections::BTreeMap;

use super::diagnostics::{AttributePath, Diagnostics};
use super::value::{Type, Value};

/// How an attribute is set: exactly one of the four terraform-plugin-framework modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Optional in configuration; when not set the provider decides the value.
    OptionalComputed,
    /// Set only by the provider.
    Computed,
}

impl Mode {
    pub fn is_computed(self) -> bool {
        matches!(self, Mode::OptionalComputed | Mode::Computed)
    }
    pub fn is_optional(self) -> bool {
        matches!(self, Mode::Optional | Mode::OptionalComputed)
    }
}

/// A small validator value checked against known, non-null configuration values.
#[derive(Debug, Clone)]
pub enum Validator {
    /// The string must be one of these.
    OneOf(Vec<String>),
    /// The number must be an integer within `min..=max`.
    IntRange { min: i64, max: i64 },
    /// The string length (in characters) must be within `min..=max`.
    StringLength { min: usize, max: usize },
    /// The string must satisfy `check`; `expected` describes it ("an ARN", "start with alias/").
    StringPredicate {
        check: fn(&str) -> bool,
        expected: &'static str,
    },
    /// Each string element of a list/set/map value must satisfy `check`.
    EachStringPredicate {
        check: fn(&str) -> bool,
        expected: &'static str,
    },
    /// The list/set/map size must be within `min..=max`.
    SizeBetween { min: usize, max: usize },
    /// The attribute may not be set together with these sibling attributes.
    ConflictsWith(Vec<String>),
    /// The string must parse as a Go duration ("30m", "1h30m").
    GoDuration,
}

impl Validator {
    pub fn one_of<I, S>(values: I) -> Validator
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Validator::OneOf(values.into_iter().map(Into::into).collect())
    }

    /// Checks `value` (known, not null) at `path`; `siblings` is the enclosing object.
    pub fn check(
        &self,
        value: &Value,
        siblings: &Value,
        path: &AttributePath,
        diags: &mut Diagnostics,
    ) {
        if value.is_null() || value.is_unknown() {
            return;
        }
        match self {
            Validator::OneOf(allowed) => {
                if let Some(s) = value.as_str()
                    && !allowed.iter().any(|a| a == s)
                {
                    diags.error_at(
                        path.clone(),
                        "Invalid attribute value",
                        format!("{path} must be one of {}, got {s:?}.", quoted_list(allowed)),
                    );
                }
            }
            Validator::IntRange { min, max } => {
                if let Some(n) = value.as_number() {
                    match n.as_i64() {
                        Some(i) if (*min..=*max).contains(&i) => {}
                        _ => diags.error_at(
                            path.clone(),
                            "Invalid attribute value",
                            format!(
                                "{path} must be a whole number between {min} and {max}, got {n}."
                            ),
                        ),
                    }
                }
            }
            Validator::StringLength { min, max } => {
                if let Some(s) = value.as_str() {
                    let len = s.chars().count();
                    if !(*min..=*max).contains(&len) {
                        diags.error_at(
                            path.clone(),
                            "Invalid attribute value length",
                            format!("{path} must be {min} to {max} characters long, got {len}."),
                        );
                    }
                }
            }
            Validator::StringPredicate { check, expected } => {
                if let Some(s) = value.as_str()
                    && !check(s)
                {
                    diags.error_at(
                        path.clone(),
                        "Invalid attribute value",
                        format!("{path} must be {expected}, got {s:?}."),
                    );
                }
            }
            Validator::EachStringPredicate { check, expected } => {
                let entries: Vec<(AttributePath, &Value)> = match value {
                    Value::List(v) | Value::Set(v) | Value::Tuple(v) => v
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (path.clone().index(i as i64), e))
                        .collect(),
                    Value::Map(m) => m.iter().map(|(k, e)| (path.clone().key(k), e)).collect(),
                    _ => Vec::new(),
                };
                for (p, e) in entries {
                    if let Some(s) = e.as_str()
                        && !check(s)
                    {
                        diags.error_at(
                            p.clone(),
                            "Invalid attribute value",
                            format!("{p} must be {expected}, got {s:?}."),
                        );
                    }
                }
            }
            Validator::SizeBetween { min, max } => {
                let len = match value {
                    Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v.len()),
                    Value::Map(m) => Some(m.len()),
                    _ => None,
                };
                if let Some(len) = len
                    && !(*min..=*max).contains(&len)
                {
                    diags.error_at(
                        path.clone(),
                        "Invalid attribute value",
                        format!("{path} must have between {min} and {max} elements, got {len}."),
                    );
                }
            }
            Validator::ConflictsWith(others) => {
                for other in others {
                    if !siblings.attr(other).is_null() {
                        diags.error_at(
                            path.clone(),
                            "Conflicting attributes",
                            format!("{path} cannot be set together with {other}."),
                        );
                    }
                }
            }
            Validator::GoDuration => {
                if let Some(s) = value.as_str()
                    && let Err(e) = super::timeouts::parse_go_duration(s)
                {
                    diags.error_at(
                        path.clone(),
                        "Invalid duration",
                        format!("{path}: {e} (expected Go duration syntax such as \"30m\" or \"1h30m\")."),
                    );
                }
            }
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A small plan modifier value applied generically by the framework during planning.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanModifier {
    /// A change of this value (on an existing resource) forces replacement.
    RequiresReplace,
    /// A computed value that does not change once known: keep the prior state instead of "(known after apply)".
    UseStateForUnknown,
}

/// An attribute of a resource, data source or provider schema.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub mode: Mode,
    pub sensitive: bool,
    pub description: String,
    pub deprecated: bool,
    pub validators: Vec<Validator>,
    pub plan_modifiers: Vec<PlanModifier>,
    /// Planned when the configuration leaves the attribute null (the attribute is then Optional+Computed).
    pub default: Option<Value>,
}

impl Attribute {
    fn new(name: impl Into<String>, ty: Type, mode: Mode) -> Attribute {
        Attribute {
            name: name.into(),
            ty,
            mode,
            sensitive: false,
            description: String::new(),
            deprecated: false,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            default: None,
        }
    }
    pub fn required(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::Required)
    }
    pub fn optional(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::Optional)
    }
    pub fn optional_computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::OptionalComputed)
    }
    pub fn computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::new(name, ty, Mode::Computed)
    }
    pub fn description(mut self, text: impl Into<String>) -> Attribute {
        self.description = text.into();
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }
    pub fn validator(mut self, validator: Validator) -> Attribute {
        self.validators.push(validator);
        self
    }
    pub fn requires_replace(mut self) -> Attribute {
        self.plan_modifiers.push(PlanModifier::RequiresReplace);
        self
    }
    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.plan_modifiers.push(PlanModifier::UseStateForUnknown);
        self
    }
    /// Sets a default; an Optional attribute becomes Optional+Computed (as Terraform requires).
    pub fn default_value(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        if self.mode == Mode::Optional {
            self.mode = Mode::OptionalComputed;
        }
        self
    }
    pub fn has_modifier(&self, modifier: &PlanModifier) -> bool {
        self.plan_modifiers.contains(modifier)
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; null when absent.
    Single,
    /// An ordered list of blocks; an empty list when absent.
    List,
    /// An unordered set of blocks; an empty set when absent.
    Set,
}

/// A nested block such as `object_lock { ... }` or `timeouts { ... }`.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    /// Only `RequiresReplace` is meaningful here: any change to the block forces replacement.
    pub plan_modifiers: Vec<PlanModifier>,
}

impl NestedBlock {
    pub fn new(name: impl Into<String>, nesting: Nesting, block: Block) -> NestedBlock {
        NestedBlock {
            name: name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
            plan_modifiers: Vec::new(),
        }
    }
    pub fn single(name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(name, Nesting::Single, block)
    }
    pub fn list(name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(name, Nesting::List, block)
    }
    pub fn set(name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(name, Nesting::Set, block)
    }
    pub fn items(mut self, min: i64, max: i64) -> NestedBlock {
        self.min_items = min;
        self.max_items = max;
        self
    }
    pub fn requires_replace(mut self) -> NestedBlock {
        self.plan_modifiers.push(PlanModifier::RequiresReplace);
        self
    }
    /// The type of this block's value inside its parent object.
    pub fn value_type(&self) -> Type {
        let inner = self.block.value_type();
        match self.nesting {
            Nesting::Single => inner,
            Nesting::List => Type::list(inner),
            Nesting::Set => Type::set(inner),
        }
    }
}

/// A block: attributes plus nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }
    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }
    pub fn block(mut self, block: NestedBlock) -> Block {
        self.blocks.push(block);
        self
    }
    pub fn description(mut self, text: impl Into<String>) -> Block {
        self.description = text.into();
        self
    }
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    pub fn get_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The object type of values of this block.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.name.clone(), b.value_type());
        }
        Type::Object(attrs)
    }

    /// Makes `value` a well-formed object of this block: every attribute present (missing → null),
    /// unknown keys dropped, absent list/set blocks as empty collections. Null and unknown stay as they are.
    pub fn normalize(&self, value: Value) -> Value {
        let mut map = match value {
            Value::Object(m) | Value::Map(m) => m,
            other => return other,
        };
        let mut out = BTreeMap::new();
        for a in &self.attributes {
            out.insert(a.name.clone(), map.remove(&a.name).unwrap_or(Value::Null));
        }
        for b in &self.blocks {
            let v = map.remove(&b.name).unwrap_or(Value::Null);
            let v = match (b.nesting, v) {
                (Nesting::Single, v) => b.block.normalize(v),
                (Nesting::List, Value::Null) => Value::List(Vec::new()),
                (Nesting::Set, Value::Null) => Value::Set(Vec::new()),
                (Nesting::List, Value::List(items) | Value::Set(items)) => {
                    Value::List(items.into_iter().map(|i| b.block.normalize(i)).collect())
                }
                (Nesting::Set, Value::List(items) | Value::Set(items)) => {
                    Value::Set(items.into_iter().map(|i| b.block.normalize(i)).collect())
                }
                (_, other) => other,
            };
            out.insert(b.name.clone(), v);
        }
        Value::Object(out)
    }

    /// Runs the declared validators over a configuration value of this block.
    pub fn validate(&self, config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if !matches!(config, Value::Object(_)) {
            return;
        }
        for a in &self.attributes {
            let v = config.attr(&a.name);
            let p = path.clone().attr(&a.name);
            for validator in &a.validators {
                validator.check(v, config, &p, diags);
            }
        }
        for b in &self.blocks {
            let v = config.attr(&b.name);
            let p = path.clone().attr(&b.name);
            match v {
                Value::Object(_) => b.block.validate(v, &p, diags),
                Value::List(items) | Value::Set(items) => {
                    for (i, item) in items.iter().enumerate() {
                        b.block.validate(item, &p.clone().index(i as i64), diags);
                    }
                }
                _ => {}
            }
        }
    }
}

/// A versioned schema of a resource, data source or provider.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Schema {
        Schema { version: 0, block }
    }
    pub fn version(mut self, version: i64) -> Schema {
        self.version = version;
        self
    }
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}
