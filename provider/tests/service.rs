//! The generic tfplugin6 service, driven with a tiny test-only provider (no AWS): the calls
//! Terraform makes for validate / plan / apply / refresh / import / destroy / upgrade.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sovereign_provider::framework::msgpack::{decode, encode};
use sovereign_provider::framework::service::ProviderService;
use sovereign_provider::framework::{
    Attribute, AttributePath, Block, Context, DataSource, Diagnostics, PlanChange, Provider,
    ProviderData, Resource, Schema, Type, Validator, Value, async_trait,
};
use sovereign_provider::protocol::proto::tfplugin6 as pb;
use sovereign_provider::protocol::proto::tfplugin6::provider_server::Provider as _;
use tonic::Request;

// ---------------------------------------------------------------- the test provider

struct TestData {
    default_tags: BTreeMap<String, String>,
    /// A fake remote API: id → name.
    objects: Mutex<BTreeMap<String, String>>,
}

impl ProviderData for TestData {
    fn default_tags(&self) -> BTreeMap<String, String> {
        self.default_tags.clone()
    }
}

#[derive(Default)]
struct TestProvider {
    terraform_version: Mutex<Option<String>>,
}

struct Thing;

#[async_trait]
impl Resource<TestData> for Thing {
    fn type_name(&self) -> &'static str {
        "sovereign_thing"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attribute(Attribute::required("name", Type::String).requires_replace())
                .attribute(
                    Attribute::optional("size", Type::Number)
                        .default_value(1i64)
                        .validator(Validator::IntRange { min: 0, max: 10 }),
                )
                .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
                .attribute(Attribute::computed("revision", Type::Number))
                .attribute(Attribute::optional("tags", Type::map(Type::String)))
                .attribute(Attribute::computed("tags_all", Type::map(Type::String))),
        )
    }
    async fn modify_plan(
        &self,
        _ctx: &Context<TestData>,
        plan: &mut PlanChange,
        diags: &mut Diagnostics,
    ) {
        if plan.planned.get_str("name") == Some("forbidden") {
            diags.error_at(AttributePath::new("name"), "Name refused", "test refusal");
        }
    }
    async fn create(
        &self,
        ctx: &Context<TestData>,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        let name = planned.get_str("name")?.to_string();
        let id = format!("thing-{name}");
        ctx.provider
            .objects
            .lock()
            .unwrap()
            .insert(id.clone(), name);
        let mut state = planned.clone();
        state.set_attr("id", Value::from(id));
        state.set_attr("revision", Value::int(1));
        Some(state)
    }
    async fn read(
        &self,
        ctx: &Context<TestData>,
        state: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = state.get_str("id")?;
        let name = ctx.provider.objects.lock().unwrap().get(id).cloned()?;
        let mut out = state.clone();
        out.set_attr("name", Value::from(name));
        if out.attr("revision").is_null() {
            out.set_attr("revision", Value::int(1));
        }
        if out.attr("size").is_null() {
            out.set_attr("size", Value::int(1));
        }
        if out.attr("tags_all").is_null() {
            out.set_attr("tags_all", Value::Map(BTreeMap::new()));
        }
        Some(out)
    }
    async fn update(
        &self,
        _ctx: &Context<TestData>,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut state = planned.clone();
        state.set_attr(
            "revision",
            Value::int(prior.get_i64("revision").unwrap_or(0) + 1),
        );
        Some(state)
    }
    async fn delete(&self, ctx: &Context<TestData>, prior: &Value, _diags: &mut Diagnostics) {
        if let Some(id) = prior.get_str("id") {
            ctx.provider.objects.lock().unwrap().remove(id);
        }
    }
}

struct Echo;

#[async_trait]
impl DataSource<TestData> for Echo {
    fn type_name(&self) -> &'static str {
        "sovereign_echo"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attribute(Attribute::required("input", Type::String))
                .attribute(Attribute::computed("output", Type::String)),
        )
    }
    async fn read(
        &self,
        _ctx: &Context<TestData>,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut out = config.clone();
        out.set_attr(
            "output",
            Value::from(config.get_str("input")?.to_uppercase()),
        );
        Some(out)
    }
}

#[async_trait]
impl Provider for TestProvider {
    type Data = TestData;
    fn type_name(&self) -> &'static str {
        "sovereign"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new().attribute(Attribute::optional("default_tags", Type::map(Type::String))),
        )
    }
    async fn configure(
        &self,
        tf: &str,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Option<TestData> {
        *self.terraform_version.lock().unwrap() = Some(tf.to_string());
        Some(TestData {
            default_tags: config
                .attr("default_tags")
                .as_string_map()
                .unwrap_or_default(),
            objects: Mutex::new(BTreeMap::new()),
        })
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<TestData>>> {
        vec![Arc::new(Thing)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<TestData>>> {
        vec![Arc::new(Echo)]
    }
}

// ---------------------------------------------------------------- helpers

fn thing_type() -> Type {
    Thing.schema().value_type()
}

fn dv(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode(value, ty).unwrap(),
        json: Vec::new(),
    })
}

fn undv(value: Option<pb::DynamicValue>, ty: &Type) -> Value {
    decode(&value.unwrap().msgpack, ty).unwrap()
}

fn errors(diags: &[pb::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.clone())
        .collect()
}

async fn configured() -> ProviderService<TestProvider> {
    let svc = ProviderService::new(TestProvider::default());
    let cfg_ty = TestProvider::default().schema().value_type();
    let cfg = Value::object([("default_tags", Value::string_map([("owner", "ml")]))]);
    let resp = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dv(&cfg, &cfg_ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&resp.diagnostics).is_empty());
    svc
}

fn thing_config(name: &str) -> Value {
    Value::object([
        ("name", Value::from(name)),
        ("tags", Value::string_map([("env", "prod")])),
    ])
}

async fn plan(
    svc: &ProviderService<TestProvider>,
    prior: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    let ty = thing_type();
    // Terraform's proposed new state: config plus prior values of computed attributes.
    let mut proposed = Thing.schema().block.normalize(config.clone());
    for a in ["id", "revision", "tags_all", "size"] {
        if proposed.attr(a).is_null() {
            proposed.set_attr(a, prior.attr(a).clone());
        }
    }
    let proposed = if config.is_null() {
        Value::Null
    } else {
        proposed
    };
    svc.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: "sovereign_thing".into(),
        prior_state: dv(prior, &ty),
        proposed_new_state: dv(&proposed, &ty),
        config: dv(&Thing.schema().block.normalize(config.clone()), &ty),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    svc: &ProviderService<TestProvider>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    let ty = thing_type();
    svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
        type_name: "sovereign_thing".into(),
        prior_state: dv(prior, &ty),
        planned_state: dv(planned, &ty),
        config: dv(&Thing.schema().block.normalize(config.clone()), &ty),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn schema_declares_modes_types_and_capabilities() {
    let svc = configured().await;
    let resp = svc
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let caps = resp.server_capabilities.unwrap();
    assert!(!caps.plan_destroy);
    let block = resp.resource_schemas["sovereign_thing"]
        .block
        .clone()
        .unwrap();
    let size = block.attributes.iter().find(|a| a.name == "size").unwrap();
    assert!(
        size.optional && size.computed && !size.required,
        "default makes it optional+computed"
    );
    let tags = block.attributes.iter().find(|a| a.name == "tags").unwrap();
    assert_eq!(tags.r#type, br#"["map","string"]"#);
    assert!(resp.data_source_schemas.contains_key("sovereign_echo"));
}

#[tokio::test]
async fn validate_reports_schema_validator_errors_with_paths() {
    let svc = configured().await;
    let ty = thing_type();
    let mut cfg = Thing.schema().block.normalize(thing_config("a"));
    cfg.set_attr("size", Value::int(99));
    let resp = svc
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "sovereign_thing".into(),
            config: dv(&cfg, &ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&resp.diagnostics), vec!["Invalid attribute value"]);
    let step = &resp.diagnostics[0].attribute.as_ref().unwrap().steps[0];
    assert_eq!(
        step.selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "size".into()
        ))
    );
}

#[tokio::test]
async fn create_update_replace_refresh_and_destroy() {
    let svc = configured().await;
    let ty = thing_type();

    // Create: computed unknown, default applied, tags_all merged.
    let cfg = thing_config("alpha");
    let p = plan(&svc, &Value::Null, &cfg).await;
    assert!(errors(&p.diagnostics).is_empty(), "{:?}", p.diagnostics);
    let planned = undv(p.planned_state, &ty);
    assert_eq!(planned.attr("id"), &Value::Unknown);
    assert_eq!(planned.get_i64("size"), Some(1));
    assert_eq!(
        planned.attr("tags_all"),
        &Value::string_map([("env", "prod"), ("owner", "ml")])
    );

    let a = apply(&svc, &Value::Null, &planned, &cfg).await;
    assert!(errors(&a.diagnostics).is_empty(), "{:?}", a.diagnostics);
    let state = undv(a.new_state, &ty);
    assert_eq!(state.get_str("id"), Some("thing-alpha"));
    assert!(state.is_wholly_known());

    // No change: plan equals state.
    let p = plan(&svc, &state, &cfg).await;
    assert_eq!(undv(p.planned_state, &ty), state);
    assert!(p.requires_replace.is_empty());

    // In-place update: id kept (UseStateForUnknown), revision unknown.
    let mut bigger = cfg.clone();
    bigger.set_attr("size", Value::int(3));
    let p = plan(&svc, &state, &bigger).await;
    let planned = undv(p.planned_state, &ty);
    assert_eq!(planned.get_str("id"), Some("thing-alpha"));
    assert_eq!(planned.attr("revision"), &Value::Unknown);
    let a = apply(&svc, &state, &planned, &bigger).await;
    let state = undv(a.new_state, &ty);
    assert_eq!(state.get_i64("revision"), Some(2));

    // Rename forces replacement.
    let renamed = thing_config("beta");
    let p = plan(&svc, &state, &renamed).await;
    assert_eq!(p.requires_replace.len(), 1);

    // Refresh sees the object; after deleting it remotely, refresh returns null (gone).
    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "sovereign_thing".into(),
            current_state: dv(&state, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(undv(read.new_state, &ty), state);

    // Destroy: plan null, apply returns null.
    let p = plan(&svc, &state, &Value::Null).await;
    assert!(undv(p.planned_state, &ty).is_null());
    let a = apply(&svc, &state, &Value::Null, &Value::Null).await;
    assert!(errors(&a.diagnostics).is_empty());
    assert!(undv(a.new_state, &ty).is_null());

    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "sovereign_thing".into(),
            current_state: dv(&state, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        undv(read.new_state, &ty).is_null(),
        "deleted outside Terraform → null"
    );
}

#[tokio::test]
async fn modify_plan_errors_reach_terraform_with_path() {
    let svc = configured().await;
    let p = plan(&svc, &Value::Null, &thing_config("forbidden")).await;
    assert_eq!(errors(&p.diagnostics), vec!["Name refused"]);
    assert!(p.diagnostics[0].attribute.is_some());
}

#[tokio::test]
async fn import_passes_the_id_through_then_read_fills_state() {
    let svc = configured().await;
    let ty = thing_type();
    let cfg = thing_config("gamma");
    let planned = undv(plan(&svc, &Value::Null, &cfg).await.planned_state, &ty);
    apply(&svc, &Value::Null, &planned, &cfg).await;

    let imported = svc
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "sovereign_thing".into(),
            id: "thing-gamma".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported_resources.len(), 1);
    let state = undv(imported.imported_resources[0].state.clone(), &ty);
    assert_eq!(state.get_str("id"), Some("thing-gamma"));
    assert_eq!(state.attr("name"), &Value::Null);

    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "sovereign_thing".into(),
            current_state: dv(&state, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(undv(read.new_state, &ty).get_str("name"), Some("gamma"));
}

#[tokio::test]
async fn upgrade_resource_state_reads_old_json_leniently() {
    let svc = configured().await;
    let ty = thing_type();
    let raw = br#"{"id":"thing-x","name":"x","size":2,"obsolete":"drop me"}"#;
    let resp = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "sovereign_thing".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: raw.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        errors(&resp.diagnostics).is_empty(),
        "{:?}",
        resp.diagnostics
    );
    let state = undv(resp.upgraded_state, &ty);
    assert_eq!(state.get_i64("size"), Some(2));
    assert_eq!(state.attr("tags"), &Value::Null);
    assert!(state.is_wholly_known());

    let newer = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "sovereign_thing".into(),
            version: 7,
            raw_state: Some(pb::RawState {
                json: raw.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        errors(&newer.diagnostics),
        vec!["State written by a newer provider"]
    );
}

#[tokio::test]
async fn data_source_read_and_unknown_types() {
    let svc = configured().await;
    let ty = Echo.schema().value_type();
    let resp = svc
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "sovereign_echo".into(),
            config: dv(&Value::object([("input", Value::from("eu"))]), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(undv(resp.state, &ty).get_str("output"), Some("EU"));

    let resp = svc
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "sovereign_nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&resp.diagnostics), vec!["Unknown data source type"]);
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work_but_keeps_serving() {
    let svc = configured().await;
    let resp = svc
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.error.is_empty());
    // Later calls still work.
    let p = plan(&svc, &Value::Null, &thing_config("after-stop")).await;
    assert!(errors(&p.diagnostics).is_empty());
}

#[tokio::test]
async fn identity_schemas_are_empty() {
    let svc = configured().await;
    let ids = svc
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(ids.identity_schemas.is_empty());
}
