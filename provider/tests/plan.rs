//! The generic plan rules every resource gets from its schema.

use std::collections::BTreeMap;

use sovereign_provider::framework::{
    Attribute, AttributePath, Block, NestedBlock, Schema, Type, Value, plan_resource,
};

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("description", Type::String))
            .attribute(
                Attribute::optional("rotation_period_days", Type::Number).default_value(365i64),
            )
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
            .attribute(Attribute::computed("key_state", Type::String))
            .attribute(Attribute::optional_computed("policy", Type::String))
            .attribute(Attribute::optional("tags", Type::map(Type::String)))
            .attribute(Attribute::computed("tags_all", Type::map(Type::String)))
            .block(
                NestedBlock::list(
                    "object_lock",
                    Block::new()
                        .attribute(Attribute::required("mode", Type::String).requires_replace()),
                )
                .items(0, 1),
            ),
    )
}

fn config(name: &str, description: Option<&str>) -> Value {
    Value::object([
        ("name", Value::from(name)),
        (
            "description",
            description.map(Value::from).unwrap_or_default(),
        ),
        (
            "tags",
            Value::string_map([("data-classification", "internal")]),
        ),
        ("object_lock", Value::List(vec![])),
    ])
}

fn prior_state() -> Value {
    Value::object([
        ("name", Value::from("models")),
        ("description", Value::from("old")),
        ("rotation_period_days", Value::int(365)),
        ("id", Value::from("key-1")),
        ("key_state", Value::from("Enabled")),
        ("policy", Value::from("{}")),
        (
            "tags",
            Value::string_map([("data-classification", "internal")]),
        ),
        (
            "tags_all",
            Value::string_map([
                ("data-classification", "internal"),
                ("owner", "ml-platform"),
            ]),
        ),
        ("object_lock", Value::List(vec![])),
    ])
}

/// What Terraform proposes: config for non-computed attributes, prior state for computed ones.
fn proposed(prior: &Value, config: &Value, schema: &Schema) -> Value {
    let mut out = config.clone();
    for a in &schema.block.attributes {
        if a.mode.is_computed() && config.attr(&a.name).is_null() {
            out.set_attr(a.name.clone(), prior.attr(&a.name).clone());
        }
    }
    out
}

fn default_tags() -> BTreeMap<String, String> {
    BTreeMap::from([("owner".to_string(), "ml-platform".to_string())])
}

#[test]
fn create_plans_computed_attributes_unknown_and_applies_defaults() {
    let s = schema();
    let cfg = config("models", None);
    let plan = plan_resource(
        &s,
        &Value::Null,
        &proposed(&Value::Null, &cfg, &s),
        &cfg,
        &default_tags(),
    );
    assert!(plan.is_create());
    assert_eq!(plan.planned.attr("id"), &Value::Unknown);
    assert_eq!(plan.planned.attr("key_state"), &Value::Unknown);
    assert_eq!(
        plan.planned.attr("policy"),
        &Value::Unknown,
        "optional+computed, not set"
    );
    assert_eq!(
        plan.planned.get_i64("rotation_period_days"),
        Some(365),
        "default"
    );
    assert_eq!(
        plan.planned.attr("description"),
        &Value::Null,
        "optional stays null"
    );
    assert!(plan.requires_replace.is_empty());
}

#[test]
fn tags_all_merges_default_tags_under_resource_tags() {
    let s = schema();
    let mut cfg = config("models", None);
    cfg.set_attr(
        "tags",
        Value::string_map([("owner", "team-a"), ("data-classification", "restricted")]),
    );
    let plan = plan_resource(
        &s,
        &Value::Null,
        &proposed(&Value::Null, &cfg, &s),
        &cfg,
        &default_tags(),
    );
    assert_eq!(
        plan.planned.attr("tags_all"),
        &Value::string_map([("owner", "team-a"), ("data-classification", "restricted")])
    );

    let mut cfg2 = config("models", None);
    cfg2.set_attr("tags", Value::Null);
    let plan2 = plan_resource(
        &s,
        &Value::Null,
        &proposed(&Value::Null, &cfg2, &s),
        &cfg2,
        &default_tags(),
    );
    assert_eq!(
        plan2.planned.attr("tags_all"),
        &Value::string_map([("owner", "ml-platform")])
    );

    let mut cfg3 = config("models", None);
    cfg3.set_attr("tags", Value::Unknown);
    let plan3 = plan_resource(
        &s,
        &Value::Null,
        &proposed(&Value::Null, &cfg3, &s),
        &cfg3,
        &default_tags(),
    );
    assert_eq!(plan3.planned.attr("tags_all"), &Value::Unknown);
}

#[test]
fn no_change_keeps_prior_computed_values() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("models", Some("old"));
    let plan = plan_resource(
        &s,
        &prior,
        &proposed(&prior, &cfg, &s),
        &cfg,
        &default_tags(),
    );
    assert_eq!(
        plan.planned, prior,
        "nothing changed: the plan equals prior state"
    );
    assert!(plan.requires_replace.is_empty());
}

#[test]
fn update_marks_computed_unknown_except_use_state_for_unknown() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("models", Some("new"));
    let plan = plan_resource(
        &s,
        &prior,
        &proposed(&prior, &cfg, &s),
        &cfg,
        &default_tags(),
    );
    assert_eq!(plan.planned.get_str("description"), Some("new"));
    assert_eq!(
        plan.planned.get_str("id"),
        Some("key-1"),
        "UseStateForUnknown keeps the id"
    );
    assert_eq!(plan.planned.attr("key_state"), &Value::Unknown);
    assert_eq!(plan.planned.attr("policy"), &Value::Unknown);
    assert!(
        plan.requires_replace.is_empty(),
        "description does not force replacement"
    );
}

#[test]
fn default_tags_change_is_an_update_of_tags_all() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("models", Some("old"));
    let tags = BTreeMap::from([("owner".to_string(), "platform-2".to_string())]);
    let plan = plan_resource(&s, &prior, &proposed(&prior, &cfg, &s), &cfg, &tags);
    assert_eq!(
        plan.planned.attr("tags_all"),
        &Value::string_map([("data-classification", "internal"), ("owner", "platform-2")])
    );
}

#[test]
fn requires_replace_lists_changed_paths() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("other-name", Some("old"));
    let plan = plan_resource(
        &s,
        &prior,
        &proposed(&prior, &cfg, &s),
        &cfg,
        &default_tags(),
    );
    assert_eq!(plan.requires_replace, vec![AttributePath::new("name")]);

    let mut locked_prior = prior_state();
    locked_prior.set_attr(
        "object_lock",
        Value::List(vec![Value::object([("mode", Value::from("GOVERNANCE"))])]),
    );
    let mut locked_cfg = config("models", Some("old"));
    locked_cfg.set_attr(
        "object_lock",
        Value::List(vec![Value::object([("mode", Value::from("COMPLIANCE"))])]),
    );
    let plan = plan_resource(
        &s,
        &locked_prior,
        &proposed(&locked_prior, &locked_cfg, &s),
        &locked_cfg,
        &default_tags(),
    );
    assert_eq!(
        plan.requires_replace,
        vec![AttributePath::new("object_lock").index(0).attr("mode")]
    );
}

#[test]
fn unknown_config_value_forces_replacement_of_requires_replace_attribute() {
    let s = schema();
    let prior = prior_state();
    let mut cfg = config("models", Some("old"));
    cfg.set_attr("name", Value::Unknown);
    let plan = plan_resource(
        &s,
        &prior,
        &proposed(&prior, &cfg, &s),
        &cfg,
        &default_tags(),
    );
    assert_eq!(plan.requires_replace, vec![AttributePath::new("name")]);
}

#[test]
fn validators_report_attribute_paths() {
    use sovereign_provider::framework::{Diagnostics, Validator};
    let block = Block::new()
        .attribute(
            Attribute::optional("mode", Type::String)
                .validator(Validator::one_of(["cluster", "spread"])),
        )
        .attribute(
            Attribute::optional("days", Type::Number)
                .validator(Validator::IntRange { min: 7, max: 30 }),
        )
        .attribute(
            Attribute::optional("policy", Type::String)
                .validator(Validator::ConflictsWith(vec!["principals".into()])),
        )
        .attribute(Attribute::optional("principals", Type::list(Type::String)));
    let cfg = Value::object([
        ("mode", Value::from("ring")),
        ("days", Value::int(3)),
        ("policy", Value::from("{}")),
        ("principals", Value::string_list(["arn:aws:iam::1:root"])),
    ]);
    let mut diags = Diagnostics::new();
    block.validate(&cfg, &AttributePath::root(), &mut diags);
    let paths: Vec<String> = diags
        .iter()
        .filter_map(|d| d.path.as_ref().map(|p| p.to_string()))
        .collect();
    assert_eq!(paths, vec!["mode", "days", "policy"]);
    assert!(diags.has_errors());

    let mut ok = Diagnostics::new();
    block.validate(
        &Value::object([("mode", Value::Unknown), ("days", Value::int(30))]),
        &AttributePath::root(),
        &mut ok,
    );
    assert!(ok.is_empty(), "unknown values are not validated: {ok:?}");
}
