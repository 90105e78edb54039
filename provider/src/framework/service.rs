//! The generic tfplugin6.Provider gRPC service: decodes requests, dispatches to the [`Provider`],
//! [`Resource`] and [`DataSource`] traits, applies the generic plan rules and encodes answers.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::msgpack;
use super::plan::{check_wholly_known, plan_resource};
use super::schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
use super::traits::{Context, DataSource, Provider, ProviderData, Resource};
use super::value::{Type, Value};
use crate::protocol::proto::tfplugin6 as pb;

type GrpcResult<T> = Result<Response<T>, Status>;
/// A registered resource type with its schema (computed once).
type ResourceEntry<D> = (Arc<dyn Resource<D>>, Schema);
/// A registered data source type with its schema (computed once).
type DataSourceEntry<D> = (Arc<dyn DataSource<D>>, Schema);

/// Serves `P` over tfplugin6 (what Terraform calls).
pub struct ProviderService<P: Provider> {
    provider: Arc<P>,
    provider_schema: Schema,
    resources: HashMap<&'static str, ResourceEntry<P::Data>>,
    data_sources: HashMap<&'static str, DataSourceEntry<P::Data>>,
    configured: RwLock<Option<Arc<P::Data>>>,
    cancel: Mutex<CancellationToken>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P) -> ProviderService<P> {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                (r.type_name(), (r, schema))
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                (d.type_name(), (d, schema))
            })
            .collect();
        ProviderService {
            provider_schema: provider.schema(),
            provider: Arc::new(provider),
            resources,
            data_sources,
            configured: RwLock::new(None),
            cancel: Mutex::new(CancellationToken::new()),
        }
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&ResourceEntry<P::Data>> {
        let found = self.resources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown resource type",
                format!("The provider does not support resource type {type_name:?}."),
            );
        }
        found
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&DataSourceEntry<P::Data>> {
        let found = self.data_sources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown data source type",
                format!("The provider does not support data source type {type_name:?}."),
            );
        }
        found
    }

    fn context(&self, diags: &mut Diagnostics) -> Option<Context<P::Data>> {
        let data = self.configured.read().ok().and_then(|g| g.clone());
        let Some(provider) = data else {
            diags.error(
                "Provider not configured",
                "Terraform called the provider before configuring it, or configuration failed. \
                 Check the provider \"sovereign\" block for errors.",
            );
            return None;
        };
        let cancel = self
            .cancel
            .lock()
            .map(|c| c.child_token())
            .unwrap_or_default();
        Some(Context { provider, cancel })
    }
}

// ---------------------------------------------------------------- conversions

fn decode_dynamic(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(dv) = value else {
        return Some(Value::Null);
    };
    let result = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        serde_json::from_slice::<serde_json::Value>(&dv.json)
            .map_err(|e| msgpack::CodecError::Invalid(e.to_string()))
            .and_then(|j| msgpack::from_json(&j, ty))
    } else {
        Ok(Value::Null)
    };
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(
                format!("Could not decode {what}"),
                format!("The provider could not read the {what} Terraform sent: {e}"),
            );
            None
        }
    }
}

fn encode_dynamic(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                format!("Could not encode {what}"),
                format!("This is a bug in the provider; please report it: {e}"),
            );
            None
        }
    }
}

/// Replaces unknown values with null (used only on error paths, so Terraform can still store state).
fn unknowns_to_null(value: Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::List(v) => Value::List(v.into_iter().map(unknowns_to_null).collect()),
        Value::Set(v) => Value::Set(v.into_iter().map(unknowns_to_null).collect()),
        Value::Tuple(v) => Value::Tuple(v.into_iter().map(unknowns_to_null).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| (k, unknowns_to_null(v)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, unknowns_to_null(v)))
                .collect(),
        ),
        other => other,
    }
}

pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::ElementKeyString(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::ElementKeyInt(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn diagnostics_to_proto(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags
        .into_iter()
        .map(|d: Diagnostic| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.filter(|p| !p.is_root()).map(|p| path_to_proto(&p)),
        })
        .collect()
}

pub fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block, schema.version)),
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block.blocks.iter().map(nested_block_to_proto).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Plain as i32,
        deprecated: block.deprecated,
    }
}

fn attribute_to_proto(a: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: a.ty.to_json_bytes(),
        description: a.description.clone(),
        required: a.mode == Mode::Required,
        optional: a.mode.is_optional(),
        computed: a.mode.is_computed(),
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Plain as i32,
        deprecated: a.deprecated,
        write_only: false,
    }
}

fn nested_block_to_proto(b: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    pb::schema::NestedBlock {
        type_name: b.name.clone(),
        block: Some(block_to_proto(&b.block, 0)),
        nesting: match b.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
        } as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

// ---------------------------------------------------------------- the service

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> GrpcResult<pb::get_metadata::Response> {
        let mut resources: Vec<_> = self.resources.keys().collect();
        resources.sort();
        let mut data_sources: Vec<_> = self.data_sources.keys().collect();
        data_sources.sort();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: Vec::new(),
            resources: resources
                .into_iter()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: (*n).to_string(),
                })
                .collect(),
            data_sources: data_sources
                .into_iter()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: (*n).to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> GrpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(n, (_, s))| ((*n).to_string(), schema_to_proto(s)))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(n, (_, s))| ((*n).to_string(), schema_to_proto(s)))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> GrpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: Default::default(),
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> GrpcResult<pb::validate_provider_config::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let ty = self.provider_schema.value_type();
        if let Some(config) = decode_dynamic(
            req.config.as_ref(),
            &ty,
            "provider configuration",
            &mut diags,
        ) {
            self.provider_schema
                .block
                .validate(&config, &AttributePath::root(), &mut diags);
            self.provider.validate_config(&config, &mut diags).await;
        }
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> GrpcResult<pb::validate_resource_config::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some((resource, schema)) = self.resource(&req.type_name, &mut diags)
            && let Some(config) = decode_dynamic(
                req.config.as_ref(),
                &schema.value_type(),
                "configuration",
                &mut diags,
            )
        {
            schema
                .block
                .validate(&config, &AttributePath::root(), &mut diags);
            resource.validate(&config, &mut diags).await;
        }
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> GrpcResult<pb::validate_data_resource_config::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some((data_source, schema)) = self.data_source(&req.type_name, &mut diags)
            && let Some(config) = decode_dynamic(
                req.config.as_ref(),
                &schema.value_type(),
                "configuration",
                &mut diags,
            )
        {
            schema
                .block
                .validate(&config, &AttributePath::root(), &mut diags);
            data_source.validate(&config, &mut diags).await;
        }
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> GrpcResult<pb::configure_provider::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let ty = self.provider_schema.value_type();
        if let Some(config) = decode_dynamic(
            req.config.as_ref(),
            &ty,
            "provider configuration",
            &mut diags,
        ) {
            let config = self.provider_schema.block.normalize(config);
            if let Some(data) = self
                .provider
                .configure(&req.terraform_version, &config, &mut diags)
                .await
                && let Ok(mut slot) = self.configured.write()
            {
                *slot = Some(Arc::new(data));
            }
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> GrpcResult<pb::upgrade_resource_state::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded = None;
        if let Some((_, schema)) = self.resource(&req.type_name, &mut diags) {
            let ty = schema.value_type();
            let raw = req.raw_state.unwrap_or_default();
            if req.version > schema.version {
                diags.error(
                    "State written by a newer provider",
                    format!(
                        "The state of this {} was written with schema version {}, but this provider \
                         knows only up to version {}. Upgrade the provider.",
                        req.type_name, req.version, schema.version
                    ),
                );
            } else if raw.json.is_empty() && !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported legacy state",
                    "The resource state is in the legacy flatmap format, which this provider never wrote.",
                );
            } else {
                let parsed = if raw.json.is_empty() {
                    Ok(serde_json::Value::Null)
                } else {
                    serde_json::from_slice::<serde_json::Value>(&raw.json)
                };
                match parsed
                    .map_err(|e| msgpack::CodecError::Invalid(e.to_string()))
                    .and_then(|j| msgpack::from_json(&j, &ty))
                {
                    Ok(v) => {
                        let v = schema.block.normalize(v);
                        upgraded = encode_dynamic(&v, &ty, "upgraded state", &mut diags);
                    }
                    Err(e) => diags.error(
                        "Could not read resource state",
                        format!(
                            "The stored state of this {} could not be read: {e}",
                            req.type_name
                        ),
                    ),
                }
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: upgraded,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> GrpcResult<pb::read_resource::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut new_state = None;
        if let Some((resource, schema)) = self.resource(&req.type_name, &mut diags) {
            let ty = schema.value_type();
            if let Some(current) =
                decode_dynamic(req.current_state.as_ref(), &ty, "current state", &mut diags)
                && let Some(ctx) = self.context(&mut diags)
            {
                let result = if current.is_null() {
                    Some(Value::Null)
                } else {
                    resource.read(&ctx, &current, &mut diags).await
                };
                let value = match result {
                    Some(v) => {
                        let v = schema.block.normalize(v);
                        check_wholly_known(&v, &req.type_name, &mut diags);
                        unknowns_to_null(v)
                    }
                    // An error: keep the state Terraform has rather than dropping the object.
                    None if diags.has_errors() => current,
                    // Gone: Terraform will plan to create it again.
                    None => Value::Null,
                };
                new_state = encode_dynamic(&value, &ty, "refreshed state", &mut diags);
            }
        }
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: diagnostics_to_proto(diags),
            private: req.private,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> GrpcResult<pb::plan_resource_change::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut planned_state = None;
        let mut requires_replace = Vec::new();
        if let Some((resource, schema)) = self.resource(&req.type_name, &mut diags) {
            let ty = schema.value_type();
            let prior = decode_dynamic(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
            let proposed = decode_dynamic(
                req.proposed_new_state.as_ref(),
                &ty,
                "proposed new state",
                &mut diags,
            );
            let config = decode_dynamic(req.config.as_ref(), &ty, "configuration", &mut diags);
            if let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) {
                if proposed.is_null() || config.is_null() {
                    // Destroy: nothing to plan.
                    planned_state = encode_dynamic(&Value::Null, &ty, "planned state", &mut diags);
                } else if let Some(ctx) = self.context(&mut diags) {
                    let default_tags: BTreeMap<String, String> = ctx.provider.default_tags();
                    let mut change =
                        plan_resource(schema, &prior, &proposed, &config, &default_tags);
                    resource.modify_plan(&ctx, &mut change, &mut diags).await;
                    let planned = schema.block.normalize(change.planned);
                    planned_state = encode_dynamic(&planned, &ty, "planned state", &mut diags);
                    if !change.prior.is_null() {
                        requires_replace =
                            change.requires_replace.iter().map(path_to_proto).collect();
                    }
                }
            }
        }
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace,
            planned_private: req.prior_private,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> GrpcResult<pb::apply_resource_change::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut new_state = None;
        if let Some((resource, schema)) = self.resource(&req.type_name, &mut diags) {
            let ty = schema.value_type();
            let prior = decode_dynamic(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
            let planned =
                decode_dynamic(req.planned_state.as_ref(), &ty, "planned state", &mut diags);
            let config = decode_dynamic(req.config.as_ref(), &ty, "configuration", &mut diags);
            if let (Some(prior), Some(planned), Some(config)) = (prior, planned, config)
                && let Some(ctx) = self.context(&mut diags)
            {
                let result = if planned.is_null() {
                    resource.delete(&ctx, &prior, &mut diags).await;
                    // A failed delete keeps the object in state.
                    if diags.has_errors() {
                        prior
                    } else {
                        Value::Null
                    }
                } else if prior.is_null() {
                    match resource.create(&ctx, &planned, &config, &mut diags).await {
                        Some(v) => schema.block.normalize(v),
                        None => Value::Null,
                    }
                } else {
                    match resource
                        .update(&ctx, &prior, &planned, &config, &mut diags)
                        .await
                    {
                        Some(v) => schema.block.normalize(v),
                        None => prior,
                    }
                };
                check_wholly_known(&result, &req.type_name, &mut diags);
                let result = unknowns_to_null(result);
                new_state = encode_dynamic(&result, &ty, "new state", &mut diags);
            }
        }
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            private: req.planned_private,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> GrpcResult<pb::import_resource_state::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut imported = Vec::new();
        if let Some((resource, schema)) = self.resource(&req.type_name, &mut diags)
            && let Some(ctx) = self.context(&mut diags)
        {
            let ty = schema.value_type();
            if let Some(v) = resource.import(&ctx, &req.id, &mut diags).await {
                let v = unknowns_to_null(schema.block.normalize(v));
                if v.is_null() {
                    diags.error(
                        "Cannot import",
                        format!(
                            "No {} with id {:?} could be imported.",
                            req.type_name, req.id
                        ),
                    );
                } else if let Some(state) = encode_dynamic(&v, &ty, "imported state", &mut diags) {
                    imported.push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(state),
                        private: Vec::new(),
                    });
                }
            }
        }
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> GrpcResult<pb::read_data_source::Response> {
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut state = None;
        if let Some((data_source, schema)) = self.data_source(&req.type_name, &mut diags) {
            let ty = schema.value_type();
            if let Some(config) =
                decode_dynamic(req.config.as_ref(), &ty, "configuration", &mut diags)
                && let Some(ctx) = self.context(&mut diags)
            {
                let config = schema.block.normalize(config);
                if let Some(v) = data_source.read(&ctx, &config, &mut diags).await {
                    let v = schema.block.normalize(v);
                    check_wholly_known(&v, &req.type_name, &mut diags);
                    state =
                        encode_dynamic(&unknowns_to_null(v), &ty, "data source state", &mut diags);
                }
            }
        }
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> GrpcResult<pb::stop_provider::Response> {
        // Cancel in-flight operations only; the server keeps running and later calls get a fresh token.
        if let Ok(mut token) = self.cancel.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
        tracing::info!("StopProvider: cancelled in-flight operations");
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
