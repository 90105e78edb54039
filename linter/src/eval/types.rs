//! Variable type constraints, applied to the values variables receive the way Terraform converts
//! them: primitives convert (`"3"` to a number, `true` to `"true"`), and attributes declared with
//! `optional(TYPE, DEFAULT)` in object types take their default when absent or null — at any depth
//! (objects in lists, maps and other objects, and the defaults of nested objects themselves).
use crate::load::SourceFile;
use crate::load::ast::{Expr, ExprKind, ObjectKey};
use crate::model::{AttrMap, Key, ProvenanceStep, Tracked, Value};

use super::expr::{Instance, ModuleDef, Scope, eval};
use super::value::format_number;

/// A variable's `type`, as far as conversion needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeConstraint {
    Any,
    String,
    Number,
    Bool,
    /// `list(T)`, `set(T)`, `map(T)`: every element has type `T`.
    Collection(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    Object(Vec<ObjectAttribute>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectAttribute {
    name: Key,
    constraint: TypeConstraint,
    optional: bool,
    /// `optional(T, DEFAULT)`'s default, already converted to `T`.
    default: Option<Tracked>,
}

impl TypeConstraint {
    /// Whether values of this type are written as expressions on the command line (`--var`).
    pub(crate) fn is_complex(&self) -> bool {
        !matches!(
            self,
            TypeConstraint::Any
                | TypeConstraint::String
                | TypeConstraint::Number
                | TypeConstraint::Bool
        )
    }
}

/// The `type` of variable `name` of a module; `inst` evaluates `optional()` defaults (constants).
pub(crate) fn variable_type(inst: &Instance, def: &ModuleDef, name: &str) -> TypeConstraint {
    match def.variable_attribute(name, "type") {
        Some((file, attr)) => parse(inst, file, name, &attr.expr),
        None => TypeConstraint::Any,
    }
}

fn parse(inst: &Instance, file: &SourceFile, var: &str, expr: &Expr) -> TypeConstraint {
    match &expr.kind {
        ExprKind::Variable(keyword) | ExprKind::String(keyword) => primitive(keyword),
        ExprKind::FuncCall { name, args, .. } => match (name.as_str(), args.as_slice()) {
            ("list" | "set" | "map", [element]) => {
                TypeConstraint::Collection(Box::new(parse(inst, file, var, element)))
            }
            ("tuple", [items]) => match &items.kind {
                ExprKind::Array(items) => {
                    TypeConstraint::Tuple(items.iter().map(|t| parse(inst, file, var, t)).collect())
                }
                _ => TypeConstraint::Any,
            },
            ("object", [attributes]) => match &attributes.kind {
                ExprKind::Object(entries) => TypeConstraint::Object(
                    entries
                        .iter()
                        .map(|(key, t)| object_attribute(inst, file, var, key, t))
                        .collect(),
                ),
                _ => TypeConstraint::Any,
            },
            _ => TypeConstraint::Any,
        },
        _ => TypeConstraint::Any,
    }
}

fn primitive(keyword: &str) -> TypeConstraint {
    match keyword {
        "string" => TypeConstraint::String,
        "number" => TypeConstraint::Number,
        "bool" => TypeConstraint::Bool,
        _ => TypeConstraint::Any,
    }
}

fn object_attribute(
    inst: &Instance,
    file: &SourceFile,
    var: &str,
    key: &ObjectKey,
    t: &Expr,
) -> ObjectAttribute {
    let name: Key = match key {
        ObjectKey::Ident(name) => name.clone(),
        ObjectKey::Expr(e) => file.snippet(e.span).into(),
    };
    match &t.kind {
        ExprKind::FuncCall { name: f, args, .. } if f == "optional" && !args.is_empty() => {
            let constraint = parse(inst, file, var, &args[0]);
            let default = args.get(1).map(|d| {
                let scope = Scope::new(inst, file);
                let mut value = convert(eval(&scope, d), &constraint);
                value.provenance.push(ProvenanceStep {
                    description: format!(
                        "default of optional attribute `{name}` in the type of var.{var}"
                    )
                    .into(),
                    location: Some(file.location(d.span)),
                });
                value
            });
            ObjectAttribute {
                name,
                constraint,
                optional: true,
                default,
            }
        }
        _ => ObjectAttribute {
            name,
            constraint: parse(inst, file, var, t),
            optional: false,
            default: None,
        },
    }
}

/// `t` converted to `constraint`. Values that do not convert are left as they are (Terraform would
/// reject them; the rules judge what is written).
pub(crate) fn convert(mut t: Tracked, constraint: &TypeConstraint) -> Tracked {
    match constraint {
        TypeConstraint::Any => {}
        TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool => {
            if let Some(v) = convert_primitive(&t.value, constraint) {
                t.value = v;
            }
        }
        TypeConstraint::Collection(element) => match &mut t.value {
            Value::List(items) => {
                for item in items.iter_mut() {
                    *item = convert(std::mem::replace(item, null()), element);
                }
            }
            Value::Map(entries) => {
                for (_, v) in entries.iter_mut() {
                    *v = convert(std::mem::replace(v, null()), element);
                }
            }
            _ => {}
        },
        TypeConstraint::Tuple(types) => {
            if let Value::List(items) = &mut t.value {
                for (item, constraint) in items.iter_mut().zip(types) {
                    *item = convert(std::mem::replace(item, null()), constraint);
                }
            }
        }
        TypeConstraint::Object(attributes) => {
            if let Value::Map(entries) = &mut t.value {
                apply_object_type(entries, attributes);
            }
        }
    }
    t
}

fn apply_object_type(entries: &mut AttrMap, attributes: &[ObjectAttribute]) {
    for attribute in attributes {
        let present = entries
            .get(attribute.name.as_str())
            .is_some_and(|v| !v.is_null());
        if present {
            if let Some(v) = entries.get_mut(attribute.name.as_str()) {
                *v = convert(std::mem::replace(v, null()), &attribute.constraint);
            }
        } else if attribute.optional {
            let value = attribute.default.clone().unwrap_or_else(null);
            entries.insert(attribute.name.clone(), value);
        }
    }
}

fn convert_primitive(value: &Value, constraint: &TypeConstraint) -> Option<Value> {
    match (value, constraint) {
        (Value::Number(n), TypeConstraint::String) => Some(Value::String(format_number(*n).into())),
        (Value::Bool(b), TypeConstraint::String) => Some(Value::String(b.to_string().into())),
        (Value::String(s), TypeConstraint::Number) => s.parse::<f64>().ok().map(Value::Number),
        (Value::String(s), TypeConstraint::Bool) => match s.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    }
}

fn null() -> Tracked {
    Tracked::new(Value::Null, None)
}
