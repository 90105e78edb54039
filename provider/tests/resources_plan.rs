//! Plan-time behaviour of sovereign_key, sovereign_bucket and sovereign_jurisdiction: refusals with
//! attribute paths, computed values, generated policies. No AWS call is made (the provider is
//! configured with static credentials and an account id, and only planning runs).

use std::sync::Arc;

use sovereign_provider::config::{configure_settings, provider_schema};
use sovereign_provider::data_sources::jurisdiction::{JurisdictionDataSource, jurisdiction_value};
use sovereign_provider::framework::{
    AttributePath, Context, DataSource, Diagnostics, PlanChange, Resource, Severity, Value,
    plan_resource,
};
use sovereign_provider::resources::bucket::{
    BucketResource, bucket_policy, is_bucket_name, vpc_endpoints_in_policy,
};
use sovereign_provider::resources::key::{KeyResource, key_policy};
use sovereign_provider::resources::residency::sovereign;
use sovereign_provider::resources::{json_equal, tags_from_aws};
use sovereign_provider::sovereign::SovereignData;
use tokio_util::sync::CancellationToken;

const ACCOUNT: &str = "123456789012";

async fn provider(
    jurisdiction: &str,
    region: &str,
    default_tags: &[(&str, &str)],
) -> Context<SovereignData> {
    let config = provider_schema().block.normalize(Value::object([
        ("jurisdiction", Value::from(jurisdiction)),
        ("region", Value::from(region)),
        ("access_key", Value::from("testing")),
        ("secret_key", Value::from("testing")),
        (
            "default_tags",
            Value::string_map(default_tags.iter().copied()),
        ),
    ]));
    let mut diags = Diagnostics::new();
    let settings = configure_settings(&config, &mut diags).expect("valid provider configuration");
    let data = SovereignData::from_config(settings)
        .await
        .with_account_id(ACCOUNT);
    Context {
        provider: Arc::new(data),
        cancel: CancellationToken::new(),
    }
}

async fn eu() -> Context<SovereignData> {
    provider("eu", "eu-central-1", &[]).await
}

/// Plans `config` (create when `prior` is null) the way the framework does before a resource's own
/// `modify_plan`. Terraform's proposed new state is the configuration with prior computed values.
/// The resources as the provider serves them: with their residency checks.
fn key() -> Arc<dyn Resource<SovereignData>> {
    sovereign(KeyResource::new())
}

fn bucket() -> Arc<dyn Resource<SovereignData>> {
    sovereign(BucketResource::new())
}

async fn plan<R: Resource<SovereignData> + ?Sized>(
    resource: &R,
    ctx: &Context<SovereignData>,
    prior: &Value,
    config: Vec<(&str, Value)>,
) -> (PlanChange, Diagnostics) {
    let schema = resource.schema();
    let config = schema.block.normalize(Value::object(config));
    let mut proposed = config.clone();
    if let (Some(p), Some(prior)) = (proposed.as_map_mut(), prior.as_map()) {
        for a in schema
            .block
            .attributes
            .iter()
            .filter(|a| a.mode.is_computed())
        {
            if p.get(&a.name).is_none_or(Value::is_null)
                && let Some(v) = prior.get(&a.name)
            {
                p.insert(a.name.clone(), v.clone());
            }
        }
    }
    let mut diags = Diagnostics::new();
    // Like Terraform: ValidateResourceConfig first; PlanResourceChange only when it passed.
    resource.validate(&config, &mut diags).await;
    if diags.has_errors() {
        let change = PlanChange {
            prior: prior.clone(),
            config: config.clone(),
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
        return (change, diags);
    }
    let mut change = plan_resource(
        &schema,
        prior,
        &proposed,
        &config,
        &ctx.provider.config.default_tags,
    );
    resource.modify_plan(ctx, &mut change, &mut diags).await;
    (change, diags)
}

fn error_paths(diags: &Diagnostics) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
        .collect()
}

fn error_detail(diags: &Diagnostics, path: &str) -> String {
    diags
        .iter()
        .find(|d| d.path.as_ref().is_some_and(|p| p.to_string() == path))
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .unwrap_or_else(|| panic!("no diagnostic at {path}: {diags:?}"))
}

fn classified() -> (&'static str, Value) {
    (
        "tags",
        Value::string_map([("data-classification", "restricted")]),
    )
}

// ------------------------------------------------------------------------------------------ tags

#[tokio::test]
async fn missing_required_tag_is_refused_at_tags() {
    let ctx = eu().await;
    let (_, diags) = plan(
        &*key(),
        &ctx,
        &Value::Null,
        vec![("description", Value::from("x"))],
    )
    .await;
    assert_eq!(error_paths(&diags), ["tags"]);
    let detail = error_detail(&diags, "tags");
    assert!(detail.contains("\"data-classification\""), "{detail}");

    let (_, diags) = plan(
        &*bucket(),
        &ctx,
        &Value::Null,
        vec![
            ("name", Value::from("ml-data")),
            (
                "kms_key_arn",
                Value::from("arn:aws:kms:eu-central-1:123456789012:key/abc"),
            ),
            ("tags", Value::string_map([("owner", "me")])),
        ],
    )
    .await;
    assert_eq!(error_paths(&diags), ["tags"]);
}

#[tokio::test]
async fn default_tags_satisfy_required_tags_and_fill_tags_all() {
    let ctx = provider(
        "eu",
        "eu-central-1",
        &[("data-classification", "internal"), ("owner", "ml")],
    )
    .await;
    let (change, diags) = plan(
        &*key(),
        &ctx,
        &Value::Null,
        vec![("tags", Value::string_map([("owner", "research")]))],
    )
    .await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(
        change.planned.attr("tags_all"),
        &Value::string_map([("data-classification", "internal"), ("owner", "research")])
    );
}

#[test]
fn tags_read_back_drop_provider_defaults() {
    let aws = [("data-classification", "x"), ("owner", "ml"), ("team", "a")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let defaults = [("owner".to_string(), "ml".to_string())]
        .into_iter()
        .collect();
    let (tags, all) = tags_from_aws(
        &aws,
        &defaults,
        &Value::string_map([("data-classification", "y")]),
    );
    assert_eq!(
        tags,
        Value::string_map([("data-classification", "x"), ("team", "a")])
    );
    assert_eq!(all.as_map().unwrap().len(), 3);
    // Only default tags in AWS and no tags in state: tags stay null.
    let aws = [("owner".to_string(), "ml".to_string())]
        .into_iter()
        .collect();
    let (tags, _) = tags_from_aws(&aws, &defaults, &Value::Null);
    assert_eq!(tags, Value::Null);
}

// ------------------------------------------------------------------------------------------ key

#[tokio::test]
async fn key_create_plan_has_rotation_and_provider_region() {
    let ctx = eu().await;
    let (change, diags) = plan(&*key(), &ctx, &Value::Null, vec![classified()]).await;
    assert!(!diags.has_errors(), "{diags:?}");
    let p = &change.planned;
    assert_eq!(p.get_i64("rotation_period_days"), Some(365));
    assert_eq!(p.get_i64("deletion_window_days"), Some(30));
    assert_eq!(p.get_bool("require_hsm"), Some(false));
    assert_eq!(p.get_str("origin"), Some("AWS_KMS"));
    assert_eq!(p.get_bool("hsm_backed"), Some(false));
    assert_eq!(p.get_str("region"), Some("eu-central-1"));
    for computed in ["id", "arn", "policy", "key_state"] {
        assert!(
            p.attr(computed).is_unknown(),
            "{computed} should be unknown on create"
        );
    }
}

#[tokio::test]
async fn key_in_custom_key_store_is_hsm_backed_without_rotation() {
    let ctx = eu().await;
    let (change, diags) = plan(
        &*key(),
        &ctx,
        &Value::Null,
        vec![
            classified(),
            ("custom_key_store_id", Value::from("cks-1234567890abcdef0")),
            ("require_hsm", Value::from(true)),
        ],
    )
    .await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(change.planned.get_str("origin"), Some("AWS_CLOUDHSM"));
    assert_eq!(change.planned.get_bool("hsm_backed"), Some(true));
    assert!(change.planned.attr("rotation_period_days").is_null());
}

#[tokio::test]
async fn key_refusals_name_their_attribute() {
    let ctx = eu().await;
    let (_, diags) = plan(
        &*key(),
        &ctx,
        &Value::Null,
        vec![classified(), ("require_hsm", Value::from(true))],
    )
    .await;
    assert_eq!(error_paths(&diags), ["require_hsm"]);

    let (_, diags) = plan(
        &*key(),
        &ctx,
        &Value::Null,
        vec![
            classified(),
            ("custom_key_store_id", Value::from("cks-1234567890abcdef0")),
            ("rotation_period_days", Value::int(90)),
        ],
    )
    .await;
    assert_eq!(error_paths(&diags), ["rotation_period_days"]);

    let (_, diags) = plan(
        &*key(),
        &ctx,
        &Value::Null,
        vec![
            classified(),
            (
                "allowed_principals",
                Value::string_list([
                    "arn:aws:iam::123456789012:role/ok",
                    "arn:aws-us-gov:iam::123456789012:role/gov",
                ]),
            ),
        ],
    )
    .await;
    assert_eq!(error_paths(&diags), ["allowed_principals[1]"]);
    assert!(error_detail(&diags, "allowed_principals[1]").contains("aws-us-gov"));
}

#[tokio::test]
async fn key_schema_validators() {
    let schema = key().schema();
    let config = schema.block.normalize(Value::object([
        ("alias", Value::from("ml-data")),
        ("rotation_period_days", Value::int(30)),
        ("deletion_window_days", Value::int(3)),
        (
            "allowed_principals",
            Value::string_list(["arn:aws:s3:::bucket"]),
        ),
        ("policy", Value::from("{}")),
    ]));
    let mut diags = Diagnostics::new();
    schema
        .block
        .validate(&config, &AttributePath::root(), &mut diags);
    let mut paths = error_paths(&diags);
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        [
            "alias",
            "allowed_principals",
            "allowed_principals[0]",
            "deletion_window_days",
            "policy",
            "rotation_period_days"
        ]
    );
}

fn key_state(policy: &str) -> Value {
    key().schema().block.normalize(Value::object([
        ("id", Value::from("1234abcd-12ab-34cd-56ef-1234567890ab")),
        (
            "arn",
            Value::from(
                "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
        ),
        ("region", Value::from("eu-central-1")),
        ("origin", Value::from("AWS_KMS")),
        ("hsm_backed", Value::from(false)),
        ("key_state", Value::from("Enabled")),
        ("rotation_period_days", Value::int(365)),
        ("deletion_window_days", Value::int(30)),
        ("require_hsm", Value::from(false)),
        ("policy", Value::from(policy)),
        (
            "tags",
            Value::string_map([("data-classification", "restricted")]),
        ),
        (
            "tags_all",
            Value::string_map([("data-classification", "restricted")]),
        ),
    ]))
}

#[tokio::test]
async fn key_policy_drift_is_planned_back() {
    let ctx = eu().await;
    let expected = key_policy("aws", ACCOUNT, &[]);
    // Same policy, formatted differently: no change.
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&expected).unwrap(),
    )
    .unwrap();
    let (change, diags) = plan(&*key(), &ctx, &key_state(&pretty), vec![classified()]).await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(
        change.planned, change.prior,
        "no diff when the policy is the same JSON"
    );

    // A policy changed outside Terraform: the generated one is planned.
    let drifted = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    let (change, _) = plan(&*key(), &ctx, &key_state(drifted), vec![classified()]).await;
    assert_eq!(change.planned.get_str("policy"), Some(expected.as_str()));
    assert!(
        change.requires_replace.is_empty(),
        "policy changes in place"
    );

    // Adding a principal plans the new policy in place.
    let principal = "arn:aws:iam::123456789012:role/trainer";
    let (change, _) = plan(
        &*key(),
        &ctx,
        &key_state(&expected),
        vec![
            classified(),
            ("allowed_principals", Value::string_list([principal])),
        ],
    )
    .await;
    assert_eq!(
        change.planned.get_str("policy"),
        Some(key_policy("aws", ACCOUNT, &[principal.to_string()]).as_str())
    );
}

#[tokio::test]
async fn key_rotation_disabled_outside_terraform_is_planned_back() {
    let ctx = eu().await;
    let mut prior = key_state(&key_policy("aws", ACCOUNT, &[]));
    prior.set_attr("rotation_period_days", Value::Null);
    let (change, _) = plan(&*key(), &ctx, &prior, vec![classified()]).await;
    assert_eq!(change.planned.get_i64("rotation_period_days"), Some(365));
}

#[tokio::test]
async fn key_store_change_forces_replacement() {
    let ctx = eu().await;
    let prior = key_state(&key_policy("aws", ACCOUNT, &[]));
    let (change, _) = plan(
        &*key(),
        &ctx,
        &prior,
        vec![
            classified(),
            ("custom_key_store_id", Value::from("cks-1234567890abcdef0")),
        ],
    )
    .await;
    assert!(
        change
            .requires_replace
            .contains(&AttributePath::new("custom_key_store_id"))
    );
}

#[test]
fn generated_key_policy() {
    let policy = key_policy(
        "aws-eusc",
        ACCOUNT,
        &["arn:aws-eusc:iam::123456789012:role/trainer".to_string()],
    );
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(
        statements[0]["Principal"]["AWS"],
        "arn:aws-eusc:iam::123456789012:root"
    );
    assert_eq!(
        statements[1]["Principal"]["AWS"][0],
        "arn:aws-eusc:iam::123456789012:role/trainer"
    );
    let actions = statements[1]["Action"].as_array().unwrap();
    assert!(actions.iter().any(|a| a == "kms:Decrypt"));
    assert!(
        !actions
            .iter()
            .any(|a| a.as_str().unwrap().contains("Replicate")),
        "never replicated"
    );
    // Without principals only the account root is named.
    let root_only: serde_json::Value =
        serde_json::from_str(&key_policy("aws", ACCOUNT, &[])).unwrap();
    assert_eq!(root_only["Statement"].as_array().unwrap().len(), 1);
}

#[test]
fn policies_compare_as_json() {
    assert!(json_equal(
        r#"{"a":[1],"b":"x"}"#,
        r#"{ "b": "x", "a": 1 }"#
    ));
    assert!(!json_equal(r#"{"a":1}"#, r#"{"a":2}"#));
}

// ------------------------------------------------------------------------------------------ bucket

fn bucket_config(kms_key_arn: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("name", Value::from("ml-data-eu")),
        ("kms_key_arn", Value::from(kms_key_arn)),
        classified(),
    ]
}

#[tokio::test]
async fn bucket_create_plan_knows_its_computed_values() {
    let ctx = eu().await;
    let (change, diags) = plan(
        &*bucket(),
        &ctx,
        &Value::Null,
        bucket_config("arn:aws:kms:eu-central-1:123456789012:key/abc"),
    )
    .await;
    assert!(!diags.has_errors(), "{diags:?}");
    let p = &change.planned;
    assert_eq!(p.get_str("id"), Some("ml-data-eu"));
    assert_eq!(p.get_str("arn"), Some("arn:aws:s3:::ml-data-eu"));
    assert_eq!(p.get_str("region"), Some("eu-central-1"));
    assert_eq!(
        p.get_str("bucket_regional_domain_name"),
        Some("ml-data-eu.s3.eu-central-1.amazonaws.com")
    );
    assert_eq!(p.get_bool("versioning"), Some(true));
    assert_eq!(p.get_bool("force_destroy"), Some(false));
    assert_eq!(
        p.get_str("policy"),
        Some(bucket_policy("aws", "ml-data-eu", &[]).as_str())
    );
    let guardrails = p.attr("guardrails").as_map().unwrap();
    assert_eq!(guardrails.len(), 6);
    assert!(guardrails.values().all(|v| v == &Value::from(true)));
}

#[tokio::test]
async fn bucket_refuses_a_key_of_another_region_or_partition() {
    let ctx = eu().await;
    for (arn, expected) in [
        (
            "arn:aws:kms:us-east-1:123456789012:key/abc",
            "outside jurisdiction",
        ),
        ("arn:aws:kms:eu-west-1:123456789012:key/abc", "eu-west-1"),
        (
            "arn:aws-eusc:kms:eusc-de-east-1:123456789012:key/abc",
            "aws-eusc",
        ),
    ] {
        let (_, diags) = plan(&*bucket(), &ctx, &Value::Null, bucket_config(arn)).await;
        assert_eq!(error_paths(&diags), ["kms_key_arn"], "{arn}");
        let detail = error_detail(&diags, "kms_key_arn");
        assert!(detail.contains(expected), "{arn}: {detail}");
    }
    // An alias ARN of the provider's region is fine.
    let (_, diags) = plan(
        &*bucket(),
        &ctx,
        &Value::Null,
        bucket_config("arn:aws:kms:eu-central-1:123456789012:alias/ml-data"),
    )
    .await;
    assert!(!diags.has_errors(), "{diags:?}");
}

#[tokio::test]
async fn bucket_in_the_european_sovereign_cloud() {
    let ctx = provider("eu-esc", "eusc-de-east-1", &[]).await;
    let (change, diags) = plan(
        &*bucket(),
        &ctx,
        &Value::Null,
        bucket_config("arn:aws-eusc:kms:eusc-de-east-1:123456789012:key/abc"),
    )
    .await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(
        change.planned.get_str("arn"),
        Some("arn:aws-eusc:s3:::ml-data-eu")
    );
    assert_eq!(
        change.planned.get_str("bucket_regional_domain_name"),
        Some("ml-data-eu.s3.eusc-de-east-1.amazonaws.eu")
    );
}

#[tokio::test]
async fn object_lock_needs_versioning() {
    let ctx = eu().await;
    let mut config = bucket_config("arn:aws:kms:eu-central-1:123456789012:key/abc");
    config.push(("versioning", Value::from(false)));
    config.push((
        "object_lock",
        Value::List(vec![Value::object([
            ("mode", Value::from("COMPLIANCE")),
            ("retention_days", Value::int(365)),
        ])]),
    ));
    let (_, diags) = plan(&*bucket(), &ctx, &Value::Null, config).await;
    assert_eq!(error_paths(&diags), ["versioning"]);
}

#[tokio::test]
async fn bucket_name_change_forces_replacement_and_drift_is_planned_back() {
    let ctx = eu().await;
    let arn = "arn:aws:kms:eu-central-1:123456789012:key/abc";
    let (created, _) = plan(&*bucket(), &ctx, &Value::Null, bucket_config(arn)).await;
    let mut prior = created.planned.clone();
    prior.set_attr("timeouts", Value::Null);

    let (change, diags) = plan(&*bucket(), &ctx, &prior, bucket_config(arn)).await;
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(change.planned, change.prior, "no diff after create");

    let mut renamed = bucket_config(arn);
    renamed[0] = ("name", Value::from("ml-data-eu-2"));
    let (change, _) = plan(&*bucket(), &ctx, &prior, renamed).await;
    assert_eq!(change.requires_replace, [AttributePath::new("name")]);

    // Public access block switched off and policy deleted outside Terraform: planned back.
    let mut drifted = prior.clone();
    if let Some(g) = drifted.attr("guardrails").as_map().cloned() {
        let mut g = g;
        g.insert("block_public_acls".into(), Value::from(false));
        drifted.set_attr("guardrails", Value::Map(g));
    }
    drifted.set_attr("policy", Value::from(""));
    drifted.set_attr("versioning", Value::from(false));
    let (change, _) = plan(&*bucket(), &ctx, &drifted, bucket_config(arn)).await;
    assert_eq!(change.planned.attr("guardrails"), prior.attr("guardrails"));
    assert_eq!(change.planned.attr("policy"), prior.attr("policy"));
    assert_eq!(change.planned.get_bool("versioning"), Some(true));
    assert!(change.requires_replace.is_empty());
}

#[test]
fn bucket_policy_denies_insecure_transport_replication_and_foreign_endpoints() {
    let policy = bucket_policy("aws", "b1", &["vpce-0a1b2c3d".to_string()]);
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    assert!(statements.iter().all(|s| s["Effect"] == "Deny"));
    assert_eq!(
        statements[0]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
    assert_eq!(statements[1]["Action"], "s3:PutReplicationConfiguration");
    assert_eq!(
        statements[2]["Condition"]["StringNotEquals"]["aws:SourceVpce"][0],
        "vpce-0a1b2c3d"
    );
    assert_eq!(vpc_endpoints_in_policy(&policy), ["vpce-0a1b2c3d"]);
    assert!(vpc_endpoints_in_policy(&bucket_policy("aws", "b1", &[])).is_empty());
}

#[test]
fn bucket_names() {
    for ok in ["ml-data", "a.b.c", "abc", "0-data-1"] {
        assert!(is_bucket_name(ok), "{ok}");
    }
    for bad in [
        "ab",
        "ML-data",
        "-data",
        "data-",
        "a..b",
        "192.168.1.1",
        "xn--abc",
        "data_1",
        "x-s3alias",
    ] {
        assert!(!is_bucket_name(bad), "{bad}");
    }
}

// ------------------------------------------------------------------------------------------ data source

#[tokio::test]
async fn jurisdiction_data_source() {
    let ctx = eu().await;
    let mut diags = Diagnostics::new();
    let config = Value::object([("id", Value::from("eu"))]);
    let value = JurisdictionDataSource
        .read(&ctx, &config, &mut diags)
        .await
        .unwrap();
    assert_eq!(
        value,
        jurisdiction_value(sovereign_schemas::catalog().jurisdiction("eu").unwrap())
    );
    let aws = value.attr("aws_regions").as_string_vec().unwrap();
    assert!(aws.contains(&"eusc-de-east-1".to_string()));
    assert!(!aws.contains(&"eu-west-2".to_string()));
    let suffixes = value.attr("endpoint_suffixes").as_string_vec().unwrap();
    assert!(
        suffixes.contains(&"eusc-de-east-1.amazonaws.eu".to_string()),
        "{suffixes:?}"
    );
    assert!(
        suffixes.contains(&"eu-central-1.amazonaws.com".to_string()),
        "{suffixes:?}"
    );
    assert!(
        value
            .attr("azure_regions")
            .as_string_vec()
            .unwrap()
            .contains(&"westeurope".to_string())
    );

    let mut diags = Diagnostics::new();
    JurisdictionDataSource
        .validate(&Value::object([("id", Value::from("uk"))]), &mut diags)
        .await;
    assert_eq!(error_paths(&diags), ["id"]);
}
