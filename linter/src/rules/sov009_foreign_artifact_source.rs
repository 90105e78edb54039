//! ## What it does
//! Checks where code and images come from:
//!
//! - container images in any resource argument named `image`, `image_uri`, `image_identifier`
//!   (App Runner) or `base_image` (SageMaker image versions) — Kubernetes and EKS workloads,
//!   SageMaker models (`primary_container.image`, `container.image`), Lambda `image_uri`, Azure
//!   container apps and container groups, Google Cloud Run — in Azure Batch pools'
//!   `container_configuration.container_image_names`, in `container_image { repository }` blocks
//!   (Vertex AI Workbench `gce_setup`, notebooks), and inside the JSON of ECS
//!   `container_definitions` and Batch `container_properties`/`ecs_properties`/`eks_properties`/
//!   `node_properties`;
//! - module sources (`module` blocks), when `allowed_module_hosts` is set; local paths are always fine;
//! - `aws_vpc_endpoint` `service_region` (cross-Region PrivateLink) and the region inside
//!   `service_name` (`com.amazonaws.REGION.SERVICE`);
//! - the upstream registry of ECR pull-through cache rules (`aws_ecr_pull_through_cache_rule`
//!   `upstream_registry_url`: Docker Hub, `public.ecr.aws`, another region's ECR…), judged like an
//!   image's registry host.
//!
//! An image is sovereign when its registry host is in `allowed_registries`, or — without that list —
//! when it is a regional registry of a region inside (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`,
//! `REGION-docker.pkg.dev`, `NAME.REGION.data.azurecr.io`). Docker Hub (`nginx:1.27`), `ghcr.io`,
//! `quay.io` and `public.ecr.aws` are not. An Azure Container Registry host (`NAME.azurecr.io`)
//! names no region: when that registry is managed in the configuration, its `location` decides.
//! JSON encoded (`jsonencode`) from values partly known only after apply — a log group's ARN in
//! an ECS task definition — is read for the images it knows; it is SOV010 only when an image, a
//! container definition or container properties are among the unknown parts.
//! An image that cannot be resolved statically — unknown, empty, of the wrong type, or inside JSON
//! that does not parse — is SOV010, unless its registry host comes from a registry managed in the
//! configuration (ECR `repository_url`, ACR `login_server`, Artifact Registry `registry_uri`; SOV001
//! checks that registry's region). A `service_name` that cannot be resolved is not: without
//! `service_region` AWS only connects to services of the VPC's own region. Google Compute `image`s
//! (OS images) and CodeBuild curated images (`aws/codebuild/…`) are not container images.
//!
//! ## Why is this bad?
//! Code pulled from abroad at run time is a supply-chain and availability dependency outside the
//! jurisdiction: the registry operator can change, withhold or observe what you run, and pulls leak
//! which workloads run where.
//!
//! ## Example
//! ```hcl
//! resource "aws_sagemaker_model" "train" {
//!   name               = "train"
//!   execution_role_arn = aws_iam_role.sagemaker.arn
//!   primary_container {
//!     image = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime"
//!   }
//! }
//!
//! module "vpc" {
//!   source = "terraform-aws-modules/vpc/aws"
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! resource "aws_sagemaker_model" "train" {
//!   name               = "train"
//!   execution_role_arn = aws_iam_role.sagemaker.arn
//!   primary_container {
//!     image = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/pytorch:2.4.0"
//!   }
//! }
//!
//! module "vpc" {
//!   source = "git::https://git.sov.example/modules/vpc.git?ref=v5.0.0"
//! }
//! ```
//!
//! ## Options
//! - `allowed_registries`: registry hosts images may come from (exact or `.suffix`).
//! - `allowed_module_hosts`: hosts module sources may come from; module sources are not checked
//!   without it.
//! - `jurisdiction`, `allowed_regions`: regional registries and VPC endpoint regions inside.
//! - `unresolved`: severity of SOV010 for images that cannot be resolved.
use sovereign_schemas::Cloud;
use sovereign_schemas::catalog;
use sovereign_schemas::registry::registry_host;

use super::support::{
    Subject, display_path, finding, loc, referenced_resources, residency_string, unresolved,
    walk_values,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{ResourceInstance, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV009",
    name: "foreign-artifact-source",
    summary: "container images, module sources or VPC endpoint service_region come from hosts/regions outside the allow-lists",
    docs: docs::SOV009,
    default_severity: Severity::Error,
};

pub(crate) struct ForeignArtifactSource;

/// Arguments holding one image reference: `image` (Kubernetes, ECS/EKS, SageMaker containers,
/// Cloud Run, Azure container apps and groups), `image_uri` (Lambda), `image_identifier` (App
/// Runner), `base_image` (SageMaker image versions).
const IMAGE_KEYS: &[&str] = &["image", "image_uri", "image_identifier", "base_image"];
/// Arguments holding a list of image references (Azure Batch pools' `container_configuration`).
const IMAGE_LIST_KEYS: &[&str] = &["container_image_names"];
/// Blocks naming an image by `repository` and `tag` (Vertex AI Workbench `gce_setup`,
/// user-managed notebooks).
const IMAGE_BLOCK_KEYS: &[&str] = &["container_image"];
const JSON_ATTRS: &[&str] = &[
    "container_definitions",
    "container_properties",
    "ecs_properties",
    "eks_properties",
    "node_properties",
];
/// A key whose value names container images (directly or in JSON).
pub(crate) fn is_image_key(key: &str) -> bool {
    IMAGE_KEYS.contains(&key)
        || IMAGE_LIST_KEYS.contains(&key)
        || IMAGE_BLOCK_KEYS.contains(&key)
        || JSON_ATTRS.contains(&key)
}

/// Whether a value is a nested block (a map, or in plan JSON a list of maps), not a reference.
fn is_block(t: &Tracked) -> bool {
    match &t.value {
        Value::Map(_) => true,
        Value::List(items) => items.iter().all(|i| matches!(i.value, Value::Map(_))),
        _ => false,
    }
}

const REGISTRY_TYPES: &[&str] = &[
    "aws_ecr_repository",
    "google_artifact_registry_repository",
    "azurerm_container_registry",
];

impl Rule for ForeignArtifactSource {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for r in &cx.model.resources {
            if r.resource_type.starts_with("google_compute_") {
                continue;
            }
            if cx.may_hold(r, super::support::features::IMAGE_KEY) {
                images(cx, out, r);
            }
            if r.resource_type == "aws_vpc_endpoint" {
                vpc_endpoint(cx, out, r);
            }
            if r.resource_type == "aws_ecr_pull_through_cache_rule" {
                pull_through_cache(cx, out, r);
            }
        }
        for call in &cx.model.module_calls {
            let Some(source) = call.source.as_str() else {
                continue;
            };
            if let Some(v) = cx.scope.check_module_source(source)
                && !v.inside
            {
                out.push(finding(
                    INFO.id,
                    Subject::module_call(call),
                    loc(&call.source, &call.location),
                    format!("module source of {} is \"{source}\": {}", call.address, v.reason),
                    Some(&call.source),
                    "mirror the module to a host listed in allowed_module_hosts and point `source` there",
                ));
            }
        }
    }
}

fn images(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    let subject = Subject::resource(r);
    let mut found: Vec<(String, &Tracked)> = Vec::new();
    let mut json_docs: Vec<(String, &Tracked, &str)> = Vec::new();
    let mut unknown_json: Vec<(String, &Tracked)> = Vec::new();
    for (name, t) in &r.attributes {
        if super::support::is_tag_map(name) {
            continue;
        }
        if !super::support::any_key(name, t, &is_image_key) {
            continue;
        }
        walk_values(t, &mut super::support::attr_path(name), &mut |path, v| {
            let key = path.last().map_or("", |p| p.as_ref());
            let in_image_block = key == "repository"
                && IMAGE_BLOCK_KEYS.contains(&super::support::last_key(&path[..path.len() - 1]));
            if IMAGE_KEYS.contains(&key) || in_image_block {
                if !is_block(v) {
                    found.push((display_path(path), v));
                }
            } else if IMAGE_LIST_KEYS.contains(&key) {
                match &v.value {
                    Value::List(items) => {
                        for (i, item) in items.iter().enumerate() {
                            found.push((format!("{}[{i}]", display_path(path)), item));
                        }
                    }
                    _ => found.push((display_path(path), v)),
                }
            } else if JSON_ATTRS.contains(&key) {
                match &v.value {
                    Value::String(s) => json_docs.push((display_path(path), v, s)),
                    Value::Unknown(_) => unknown_json.push((display_path(path), v)),
                    _ => {}
                }
            }
        });
    }
    for (path, t) in found {
        if matches!(t.value, Value::Unknown(_)) && refers_to_managed_registry(cx, r, t) {
            continue;
        }
        let what = format!("the container image `{path}`");
        if let Some(image) = residency_string(cx, out, subject, &what, t) {
            check_image(cx, out, r, &path, t, image);
        }
    }
    for (path, t, text) in json_docs {
        let doc = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(doc) => doc,
            Err(e) => {
                let stand_in = Tracked {
                    value: Value::Unknown(crate::model::Unknown::new(format!(
                        "not valid JSON ({e}), so its images cannot be read"
                    ))),
                    location: t.location.clone(),
                    provenance: t.provenance.clone(),
                };
                let what = format!("`{path}` (its container images)");
                unresolved(cx, out, subject, &what, &stand_in);
                continue;
            }
        };
        let mut embedded = Vec::new();
        collect_json_images(&doc, &mut embedded);
        for image in embedded {
            // Report the image itself, at the attribute, with the attribute's provenance.
            let value = Tracked {
                value: Value::String(image.as_str().into()),
                location: t.location.clone(),
                provenance: t.provenance.clone(),
            };
            let what = format!("the container image in `{path}` (JSON)");
            if let Some(image) = residency_string(cx, out, subject, &what, &value) {
                check_image(cx, out, r, &format!("{path} (JSON)"), &value, image);
            }
        }
    }
    for (path, t) in unknown_json {
        // JSON encoded from a value with parts known only after apply: its known images are
        // checked, and only an image that is not known leaves the document unresolved.
        if let Value::Unknown(u) = &t.value
            && let Some(doc) = u
                .known_json
                .as_deref()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        {
            let mut embedded = Vec::new();
            collect_json_images(&doc, &mut embedded);
            let mut unknown_image = may_hide_an_image(&doc, None);
            for image in embedded {
                if image == crate::model::Unknown::JSON_MARK {
                    unknown_image = true;
                    continue;
                }
                let value = Tracked {
                    value: Value::String(image.as_str().into()),
                    location: t.location.clone(),
                    provenance: t.provenance.clone(),
                };
                let what = format!("the container image in `{path}` (JSON)");
                if let Some(image) = residency_string(cx, out, subject, &what, &value) {
                    check_image(cx, out, r, &format!("{path} (JSON)"), &value, image);
                }
            }
            if unknown_image && !refers_to_managed_registry(cx, r, t) {
                unresolved(
                    cx,
                    out,
                    subject,
                    &format!("`{path}` (its container images)"),
                    t,
                );
            }
            continue;
        }
        if !refers_to_managed_registry(cx, r, t) {
            unresolved(
                cx,
                out,
                subject,
                &format!("`{path}` (its container images)"),
                t,
            );
        }
    }
}

/// The attributes of a managed registry that carry its (regional) host: ECR `repository_url`, ACR
/// `login_server`, Artifact Registry `registry_uri`. An image built from another attribute (`arn`,
/// `name`) gets its host from elsewhere and proves nothing.
const REGISTRY_HOST_ATTRIBUTES: &[&str] = &["repository_url", "login_server", "registry_uri"];

fn refers_to_managed_registry(cx: &RuleContext<'_>, r: &ResourceInstance, t: &Tracked) -> bool {
    referenced_resources(cx, r, t)
        .iter()
        .any(|(res, attribute)| {
            res.mode == crate::model::ResourceMode::Managed
                && REGISTRY_TYPES.contains(&res.resource_type.as_str())
                && attribute
                    .as_deref()
                    .is_some_and(|a| REGISTRY_HOST_ATTRIBUTES.contains(&a))
        })
}

/// Whether a part not known yet ([`crate::model::Unknown::JSON_MARK`]) in a JSON document may
/// hold container images: the whole document, a list element (a container definition), or the
/// value of a key naming an image, a container or its properties. A field such as a log group
/// name or an environment value known only after apply cannot.
fn may_hide_an_image(v: &serde_json::Value, key: Option<&str>) -> bool {
    match v {
        serde_json::Value::String(s) if s == crate::model::Unknown::JSON_MARK => {
            key.is_none_or(|k| {
                let k = k.to_ascii_lowercase();
                k.contains("image") || k.contains("container") || k.contains("propert")
            })
        }
        serde_json::Value::Object(m) => m.iter().any(|(k, v)| may_hide_an_image(v, Some(k))),
        serde_json::Value::Array(items) => items.iter().any(|i| may_hide_an_image(i, None)),
        _ => false,
    }
}

fn collect_json_images(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match v {
                    serde_json::Value::String(s) if k == "image" => out.push(s.clone()),
                    _ => collect_json_images(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_json_images(i, out)),
        _ => {}
    }
}

fn check_image(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    path: &str,
    t: &Tracked,
    image: &str,
) {
    // CodeBuild's curated images are not pulled from a registry the configuration names.
    if image.starts_with("aws/codebuild/") {
        return;
    }
    let mut v = cx.scope.check_image(image);
    if v.inside {
        return;
    }
    // `NAME.azurecr.io` names no region: a registry managed in this configuration is where its
    // `location` says.
    if cx.policy.allowed_registries.is_none()
        && let Some(managed) = managed_azure_registry(cx, image)
    {
        let Some(location) = managed.attr("location").filter(|l| !l.is_null()) else {
            return;
        };
        let what = format!("`location` of the registry of the image in `{path}`");
        let Some(l) = residency_string(cx, out, Subject::resource(r), &what, location) else {
            return;
        };
        let region = cx.scope.check_region(Some(Cloud::Azure), l);
        if region.inside {
            return;
        }
        v.reason = format!(
            "registry `{}` is {} in \"{l}\": {}",
            registry_host(image),
            managed.address,
            region.reason
        );
    }
    let help = match &cx.policy.allowed_registries {
        Some(list) => format!(
            "mirror the image into an allowed registry ({}) and reference it there",
            list.join(", ")
        ),
        None => format!(
            "mirror the image into a regional registry inside jurisdiction `{}` (e.g. ECR in an allowed region), or list your private registry in allowed_registries",
            cx.scope.jurisdiction.id
        ),
    };
    out.push(finding(
        INFO.id,
        Subject::resource(r),
        loc(t, &r.location),
        format!(
            "container image \"{image}\" in `{path}` of {}: {}",
            r.address, v.reason
        ),
        Some(t),
        help,
    ));
}

/// The `azurerm_container_registry` managed in this configuration that serves `image`
/// (`NAME.azurecr.io/…`), if any.
fn managed_azure_registry<'m>(cx: &RuleContext<'m>, image: &str) -> Option<&'m ResourceInstance> {
    let host = registry_host(image);
    let name = host.strip_suffix(".azurecr.io")?;
    cx.model.resources.iter().find(|res| {
        res.resource_type == "azurerm_container_registry"
            && res.mode == crate::model::ResourceMode::Managed
            && res
                .attr("name")
                .and_then(Tracked::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// An ECR pull-through cache rule fills the registry with images pulled from its
/// `upstream_registry_url` (`registry-1.docker.io`, `public.ecr.aws`, `ghcr.io`, or another
/// account's `ACCOUNT.dkr.ecr.REGION.amazonaws.com`): a source like any image reference.
fn pull_through_cache(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    let subject = Subject::resource(r);
    let Some(t) = r.attr("upstream_registry_url") else {
        return;
    };
    let what = "the upstream registry `upstream_registry_url`";
    let Some(url) = residency_string(cx, out, subject, what, t) else {
        return;
    };
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or(host);
    // A host alone is read as a Docker Hub image name: give it a repository.
    let v = cx.scope.check_image(&format!("{host}/cache"));
    if v.inside {
        return;
    }
    out.push(finding(
        INFO.id,
        subject,
        loc(t, &r.location),
        format!(
            "pull-through cache rule {} caches images from \"{host}\": {}",
            r.address, v.reason
        ),
        Some(t),
        "cache images only from a registry inside the jurisdiction (ECR in an allowed region), or mirror them there and list the mirror in allowed_registries",
    ));
}

fn vpc_endpoint(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) {
    let subject = Subject::resource(r);
    if let Some(t) = r.attr("service_region").filter(|t| !t.is_null())
        && let Some(region) = residency_string(cx, out, subject, "`service_region`", t)
    {
        let v = cx.scope.check_region(Some(Cloud::Aws), region);
        if !v.inside {
            out.push(finding(
                INFO.id,
                subject,
                loc(t, &r.location),
                format!("VPC endpoint {} connects to a service in \"{region}\": {}", r.address, v.reason),
                Some(t),
                "connect only to endpoint services in the VPC's own region (remove `service_region` or set it to a region inside)",
            ));
        }
    }
    // With `service_region` set, the service name names the same region: one finding.
    if let Some(t) = r.attr("service_name")
        && r.attr("service_region").is_none_or(Tracked::is_null)
        && let Some(name) = t.as_str()
        && let Some(region) = name
            .split('.')
            .find(|p| catalog().aws_regions.contains_key(*p))
    {
        let v = cx.scope.check_region(Some(Cloud::Aws), region);
        if !v.inside {
            out.push(finding(
                INFO.id,
                subject,
                loc(t, &r.location),
                format!(
                    "VPC endpoint {} connects to `{name}` in \"{region}\": {}",
                    r.address, v.reason
                ),
                Some(t),
                "use the endpoint service of the VPC's own region inside the jurisdiction",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn unresolvable_images_fail_closed() {
        let model = ModelBuilder::new()
            .resource("aws_sagemaker_model", "empty", json!({"primary_container": [{"image": ""}]}))
            .resource("aws_sagemaker_model", "list", json!({"primary_container": [{"image": ["a/b:1"]}]}))
            .resource("aws_ecs_task_definition", "broken", json!({"container_definitions": "[{\"image\": "}))
            .resource("aws_lambda_function", "var", json!({"image_uri": "?var.image has no value"}))
            .resource("aws_sagemaker_image_version", "base", json!({"base_image": "pytorch/pytorch:2.4.0"}))
            .resource("azurerm_batch_pool", "pool", json!({"container_configuration": [{"container_image_names": ["nvcr.io/nvidia/pytorch:24.01-py3"]}]}))
            .resource("google_workbench_instance", "nb", json!({"gce_setup": [{"container_image": [{"repository": "us-docker.pkg.dev/deeplearning-platform-release/gpu", "tag": "latest"}]}]}))
            .build();
        let got = lint(&model, "", &["SOV009", "SOV010"]);
        let sov010 = got.iter().filter(|l| l.contains("SOV010")).count();
        let sov009 = got.iter().filter(|l| l.contains("SOV009")).count();
        assert_eq!((sov010, sov009), (4, 3), "{got:#?}");
        assert!(got.iter().any(|l| l.contains("not valid JSON")), "{got:#?}");
        assert!(
            got.iter()
                .any(|l| l.contains("expected a non-empty string, got \"\"")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|l| l.contains("expected a string, got [\"a/b:1\"]")),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|l| l.contains("us-docker.pkg.dev")),
            "{got:#?}"
        );
        assert!(got.iter().any(|l| l.contains("nvcr.io")), "{got:#?}");
    }

    #[test]
    fn images_modules_and_endpoints() {
        let defs = r#"[{"name":"app","image":"ghcr.io/acme/app:1"},{"name":"ok","image":"123456789012.dkr.ecr.eu-central-1.amazonaws.com/ok:1"}]"#;
        let model = ModelBuilder::new()
            .resource("aws_ecs_task_definition", "t", json!({"container_definitions": defs}))
            .resource("aws_sagemaker_model", "m", json!({"primary_container": [{"image": "pytorch/pytorch:2.4.0"}]}))
            .resource("aws_lambda_function", "f", json!({"image_uri": "?aws_ecr_repository.f.repository_url"}))
            .resource("aws_lambda_function", "by_arn", json!({"image_uri": "?aws_ecr_repository.f.arn"}))
            .resource("aws_ecr_repository", "f", json!({"name": "f"}))
            .resource("google_compute_instance", "vm", json!({"zone": "europe-west3-a", "boot_disk": [{"initialize_params": [{"image": "debian-cloud/debian-12"}]}]}))
            .resource("aws_vpc_endpoint", "x", json!({"service_name": "com.amazonaws.us-east-1.s3", "service_region": "us-east-1"}))
            .module_call("vpc", "terraform-aws-modules/vpc/aws")
            .module_call("local", "./modules/net")
            .build();
        let got = lint(&model, "", &["SOV009", "SOV010"]);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            !got.iter().any(|l| l.contains("aws_lambda_function.f ")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|l| l.contains("SOV010") && l.contains("aws_lambda_function.by_arn")),
            "{got:#?}"
        );
        let got = lint(
            &model,
            "allowed_module_hosts = [\"git.sov.example\"]",
            &["SOV009"],
        );
        assert_eq!(got.len(), 4, "{got:#?}");
    }
}
