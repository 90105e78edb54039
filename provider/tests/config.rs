//! The provider block: every refusal happens before any AWS call and names the attribute.

use sovereign_provider::config::{configure_settings, provider_schema, validate_provider_config};
use sovereign_provider::framework::{AttributePath, Diagnostics, Severity, Value};

/// A provider configuration object as Terraform sends it (every attribute present).
fn config(pairs: Vec<(&str, Value)>) -> Value {
    provider_schema().block.normalize(Value::object(pairs))
}

fn eu(region: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("jurisdiction", Value::from("eu")),
        ("region", Value::from(region)),
    ]
}

fn endpoints(pairs: Vec<(&str, Value)>) -> Value {
    Value::List(vec![Value::object(pairs)])
}

fn errors(diags: &Diagnostics) -> Vec<(Option<AttributePath>, String, String)> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.path.clone(), d.summary.clone(), d.detail.clone()))
        .collect()
}

fn validate(
    pairs: Vec<(&str, Value)>,
) -> (
    Option<sovereign_provider::config::ProviderConfig>,
    Diagnostics,
) {
    let mut diags = Diagnostics::new();
    let out = validate_provider_config(&config(pairs), &mut diags);
    (out, diags)
}

/// Exactly one error, at `path`; returns its detail.
fn single_error_at(pairs: Vec<(&str, Value)>, path: AttributePath) -> String {
    let (out, diags) = validate(pairs);
    assert!(out.is_none(), "a refused configuration yields no settings");
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    assert_eq!(errs[0].0.as_ref(), Some(&path), "error path: {errs:#?}");
    errs[0].2.clone()
}

#[test]
fn schema_has_the_spec_arguments() {
    let schema = provider_schema();
    let names: Vec<&str> = schema
        .block
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    for name in [
        "jurisdiction",
        "region",
        "allowed_regions",
        "required_tags",
        "default_tags",
        "allowed_endpoint_hosts",
        "access_key",
        "secret_key",
        "profile",
        "s3_use_path_style",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(schema.block.get_attribute("secret_key").unwrap().sensitive);
    let endpoints = schema.block.get_block("endpoints").unwrap();
    let services: Vec<&str> = endpoints
        .block
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(services, ["ec2", "kms", "s3", "sts"]);
}

#[test]
fn minimal_configuration_uses_the_defaults() {
    let (out, diags) = validate(eu("eu-central-1"));
    assert!(!diags.has_errors(), "{diags:?}");
    let cfg = out.unwrap();
    assert_eq!(cfg.region, "eu-central-1");
    assert_eq!(cfg.partition, "aws");
    assert_eq!(cfg.dns_suffix, "amazonaws.com");
    assert_eq!(cfg.required_tags, ["data-classification"]);
    assert_eq!(cfg.policy.jurisdiction, "eu");
    assert_eq!(cfg.policy.tags.required, ["data-classification"]);
    assert!(cfg.client.endpoints.kms.is_none());
    assert!(!cfg.client.s3_use_path_style);
}

#[test]
fn unknown_jurisdiction_lists_the_valid_ids() {
    let detail = single_error_at(
        vec![
            ("jurisdiction", Value::from("mars")),
            ("region", Value::from("eu-central-1")),
        ],
        AttributePath::new("jurisdiction"),
    );
    for id in ["eu", "eu-esc", "eudb", "us-gov", "de", "fr"] {
        assert!(detail.contains(id), "{id} not listed in {detail:?}");
    }
}

#[test]
fn london_is_not_in_the_eu() {
    let detail = single_error_at(eu("eu-west-2"), AttributePath::new("region"));
    assert!(detail.contains("London"), "{detail}");
    assert!(detail.contains("GB"), "{detail}");
    assert!(detail.contains("outside jurisdiction `eu`"), "{detail}");
    assert!(
        detail.contains("eu-central-1"),
        "suggests EU regions: {detail}"
    );
}

#[test]
fn us_region_refused_under_eu_and_zurich_only_under_eudb() {
    single_error_at(eu("us-east-1"), AttributePath::new("region"));
    single_error_at(eu("eu-central-2"), AttributePath::new("region"));
    let (out, diags) = validate(vec![
        ("jurisdiction", Value::from("eudb")),
        ("region", Value::from("eu-central-2")),
    ]);
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(out.unwrap().region, "eu-central-2");
}

#[test]
fn region_must_be_in_allowed_regions() {
    let mut pairs = eu("eu-west-1");
    pairs.push(("allowed_regions", Value::string_list(["eu-central-1"])));
    let detail = single_error_at(pairs, AttributePath::new("region"));
    assert!(detail.contains("allowed_regions"), "{detail}");
    assert!(detail.contains("Use one of: eu-central-1."), "{detail}");
}

#[test]
fn allowed_regions_cannot_widen_the_jurisdiction() {
    let mut pairs = eu("eu-central-1");
    pairs.push((
        "allowed_regions",
        Value::string_list(["eu-central-1", "us-east-1"]),
    ));
    let detail = single_error_at(pairs, AttributePath::new("allowed_regions").index(1));
    assert!(detail.contains("us-east-1"), "{detail}");
}

#[test]
fn sovereign_endpoints_are_accepted() {
    let mut pairs = eu("eu-central-1");
    pairs.push((
        "endpoints",
        endpoints(vec![
            ("kms", Value::from("https://kms.eu-central-1.amazonaws.com")),
            ("s3", Value::from("https://s3.eu-west-1.amazonaws.com")),
            ("sts", Value::from("https://sts.eu-central-1.amazonaws.com")),
            ("ec2", Value::from("https://ec2.private.sov.example")),
        ]),
    ));
    pairs.push((
        "allowed_endpoint_hosts",
        Value::string_list([".sov.example"]),
    ));
    let (out, diags) = validate(pairs);
    assert!(!diags.has_errors(), "{diags:?}");
    let endpoints = out.unwrap().client.endpoints;
    assert_eq!(
        endpoints.kms.as_deref(),
        Some("https://kms.eu-central-1.amazonaws.com")
    );
    assert_eq!(
        endpoints.ec2.as_deref(),
        Some("https://ec2.private.sov.example")
    );
}

#[test]
fn global_and_foreign_endpoints_are_refused_with_their_path() {
    let cases = [
        ("s3", "https://s3.amazonaws.com", "global endpoint"),
        ("sts", "https://sts.amazonaws.com", "global endpoint"),
        (
            "kms",
            "https://kms.us-east-1.amazonaws.com",
            "outside jurisdiction",
        ),
        ("kms", "http://kms.eu-central-1.amazonaws.com", "plain http"),
        ("ec2", "https://evil.example", "allowed_endpoint_hosts"),
    ];
    for (service, url, expected) in cases {
        let mut pairs = eu("eu-central-1");
        pairs.push(("endpoints", endpoints(vec![(service, Value::from(url))])));
        let detail = single_error_at(
            pairs,
            AttributePath::new("endpoints").index(0).attr(service),
        );
        assert!(detail.contains(expected), "{url}: {detail}");
    }
}

/// SPEC §2 (c): a loopback host (a local emulator or sidecar) is sovereign, listed in
/// `allowed_endpoint_hosts` or not; plain http is allowed to it.
#[test]
fn loopback_http_listed_or_not() {
    for listed in [false, true] {
        let mut pairs = eu("eu-central-1");
        pairs.push((
            "endpoints",
            endpoints(vec![("s3", Value::from("http://127.0.0.1:4566"))]),
        ));
        if listed {
            pairs.push(("allowed_endpoint_hosts", Value::string_list(["127.0.0.1"])));
        }
        pairs.push(("s3_use_path_style", Value::from(true)));
        let (out, diags) = validate(pairs);
        assert!(!diags.has_errors(), "listed={listed}: {diags:?}");
        let cfg = out.unwrap();
        assert_eq!(
            cfg.client.endpoints.s3.as_deref(),
            Some("http://127.0.0.1:4566")
        );
        assert!(cfg.client.s3_use_path_style);
    }
}

#[test]
fn endpoint_needs_a_scheme_and_hosts_need_no_scheme() {
    let mut pairs = eu("eu-central-1");
    pairs.push((
        "endpoints",
        endpoints(vec![("kms", Value::from("kms.eu-central-1.amazonaws.com"))]),
    ));
    single_error_at(pairs, AttributePath::new("endpoints").index(0).attr("kms"));

    let mut pairs = eu("eu-central-1");
    pairs.push((
        "allowed_endpoint_hosts",
        Value::string_list(["https://x.example"]),
    ));
    single_error_at(pairs, AttributePath::new("allowed_endpoint_hosts").index(0));
}

#[test]
fn european_sovereign_cloud_uses_its_partition() {
    let (out, diags) = validate(vec![
        ("jurisdiction", Value::from("eu-esc")),
        ("region", Value::from("eusc-de-east-1")),
    ]);
    assert!(!diags.has_errors(), "{diags:?}");
    let cfg = out.unwrap();
    assert_eq!(cfg.partition, "aws-eusc");
    assert_eq!(cfg.dns_suffix, "amazonaws.eu");

    // The STS host terraform-provider-aws wrongly resolved (issue 44562) is refused.
    let detail = single_error_at(
        vec![
            ("jurisdiction", Value::from("eu-esc")),
            ("region", Value::from("eusc-de-east-1")),
            (
                "endpoints",
                endpoints(vec![(
                    "sts",
                    Value::from("https://sts.eusc-de-east-1.amazonaws.com"),
                )]),
            ),
        ],
        AttributePath::new("endpoints").index(0).attr("sts"),
    );
    assert!(!detail.is_empty());
    single_error_at(
        vec![
            ("jurisdiction", Value::from("eu-esc")),
            ("region", Value::from("eu-central-1")),
        ],
        AttributePath::new("region"),
    );
}

#[test]
fn govcloud_partition() {
    let (out, diags) = validate(vec![
        ("jurisdiction", Value::from("us-gov")),
        ("region", Value::from("us-gov-west-1")),
    ]);
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(out.unwrap().partition, "aws-us-gov");
    single_error_at(
        vec![
            ("jurisdiction", Value::from("us-gov")),
            ("region", Value::from("us-east-1")),
        ],
        AttributePath::new("region"),
    );
}

#[test]
fn static_credentials_come_in_pairs() {
    let mut pairs = eu("eu-central-1");
    pairs.push(("access_key", Value::from("AKIAEXAMPLE")));
    single_error_at(pairs, AttributePath::new("access_key"));
    let mut pairs = eu("eu-central-1");
    pairs.push(("secret_key", Value::from("secret")));
    single_error_at(pairs, AttributePath::new("secret_key"));
}

#[test]
fn required_tags_and_default_tags_are_read() {
    let mut pairs = eu("eu-central-1");
    pairs.push((
        "required_tags",
        Value::string_list(["data-classification", "owner"]),
    ));
    pairs.push((
        "default_tags",
        Value::string_map([("owner", "ml-platform")]),
    ));
    let (out, diags) = validate(pairs);
    assert!(!diags.has_errors(), "{diags:?}");
    let cfg = out.unwrap();
    assert_eq!(cfg.required_tags, ["data-classification", "owner"]);
    assert_eq!(
        cfg.default_tags.get("owner").map(String::as_str),
        Some("ml-platform")
    );

    let mut pairs = eu("eu-central-1");
    pairs.push(("required_tags", Value::string_list([""])));
    single_error_at(pairs, AttributePath::new("required_tags").index(0));
}

#[test]
fn unknown_values_pass_validation_but_not_configuration() {
    let pairs = vec![
        ("jurisdiction", Value::from("eu")),
        ("region", Value::Unknown),
    ];
    let (_, diags) = validate(pairs.clone());
    assert!(
        !diags.has_errors(),
        "validation skips unknown values: {diags:?}"
    );

    let mut diags = Diagnostics::new();
    assert!(configure_settings(&config(pairs), &mut diags).is_none());
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].0, Some(AttributePath::new("region")));
    assert!(errs[0].2.contains("must be known"), "{}", errs[0].2);
}

#[test]
fn several_refusals_are_reported_together() {
    let (out, diags) = validate(vec![
        ("jurisdiction", Value::from("eu")),
        ("region", Value::from("eu-west-2")),
        ("allowed_regions", Value::string_list(["us-west-2"])),
        (
            "endpoints",
            endpoints(vec![("kms", Value::from("https://kms.amazonaws.com"))]),
        ),
    ]);
    assert!(out.is_none());
    let paths: Vec<String> = errors(&diags)
        .into_iter()
        .filter_map(|(p, _, _)| p.map(|p| p.to_string()))
        .collect();
    assert_eq!(paths, ["allowed_regions[0]", "region", "endpoints[0].kms"]);
}
