//! ## What it does
//! Checks where the Terraform backend stores state:
//!
//! - `s3`: `region` (required: without it the region comes from the environment, reported as
//!   SOV010), every `endpoints {}` entry and the legacy `endpoint`, `dynamodb_endpoint`,
//!   `sts_endpoint`, `iam_endpoint` arguments, and the `kms_key_id` ARN;
//! - `azurerm` and `gcs`: the backend names a storage account or bucket, not a location. When that
//!   account (`storage_account_name`) or bucket (`bucket`) is managed in the same configuration, its
//!   `location` decides; otherwise the location cannot be proven and SOV010 is reported; `gcs`'s
//!   `storage_custom_endpoint` must be a sovereign host;
//! - `cloud` and `remote`: HCP Terraform (`app.terraform.io`, the default `hostname`) is a SaaS
//!   outside any jurisdiction; a Terraform Enterprise `hostname` must be listed in
//!   `allowed_endpoint_hosts`;
//! - `http` (`address`, `lock_address`, `unlock_address`), `consul` (`address` with its `scheme`,
//!   http by default), `pg` (`conn_str` host): the host must be sovereign and reached over TLS
//!   unless it is a loopback host;
//! - an argument that says where state goes and is left out of the block (a partial configuration
//!   completed by `-backend-config` or the environment: `region`, `storage_account_name`, `bucket`,
//!   `address`, `conn_str`), empty, or of the wrong type is reported as SOV010;
//! - `local` is fine; other backends (`kubernetes`, `oss`, `cos`, …) cannot be proven inside and are
//!   reported as SOV010.
//!
//! ## Why is this bad?
//! State holds every attribute of every resource — including secrets, keys' ARNs, connection strings
//! and generated passwords. State stored abroad is configuration and secrets abroad.
//!
//! ## Example
//! ```hcl
//! terraform {
//!   backend "s3" {
//!     bucket = "acme-tfstate"
//!     key    = "ml/terraform.tfstate"
//!     region = "us-east-1"
//!   }
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! terraform {
//!   backend "s3" {
//!     bucket       = "acme-tfstate"
//!     key          = "ml/terraform.tfstate"
//!     region       = "eu-central-1"
//!     use_lockfile = true
//!   }
//! }
//! ```
//!
//! ## Options
//! - `jurisdiction`, `allowed_regions`: which regions are inside.
//! - `allowed_endpoint_hosts`: self-hosted state services (Terraform Enterprise, http, consul, pg).
//! - `unresolved`: severity of SOV010 for a backend location that cannot be proven.
use sovereign_schemas::Cloud;

use super::support::{
    Subject, display_path, finding, loc, residency_string, unresolved, unresolved_with_help,
    walk_values,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{Backend, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV008",
    name: "state-outside-jurisdiction",
    summary: "the Terraform backend stores state outside the jurisdiction (region, endpoint, or a SaaS backend such as cloud/remote)",
    docs: docs::SOV008,
    default_severity: Severity::Error,
};

pub(crate) struct StateOutsideJurisdiction;

impl Rule for StateOutsideJurisdiction {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for b in &cx.model.backends {
            let address = if matches!(b.backend_type.as_str(), "cloud") {
                "terraform.cloud".to_string()
            } else {
                format!("terraform.backend.{}", b.backend_type)
            };
            let subject = Subject::backend(b, &address);
            let mut e = Emitter {
                cx,
                out: &mut *out,
                b,
                subject,
            };
            match b.backend_type.as_str() {
                "s3" => e.s3(),
                "azurerm" => e.storage_location(
                    "storage_account_name",
                    "azurerm_storage_account",
                    "name",
                    Cloud::Azure,
                ),
                "gcs" => {
                    e.storage_location("bucket", "google_storage_bucket", "name", Cloud::Google);
                    e.optional_endpoint("storage_custom_endpoint");
                }
                "cloud" | "remote" => {
                    let host = b.attr_str("hostname").unwrap_or("app.terraform.io");
                    let t = b.attributes.get("hostname");
                    let v = cx.scope.check_endpoint(&format!("https://{host}"));
                    if !v.inside {
                        let saas = host == "app.terraform.io";
                        let why = if saas {
                            "HCP Terraform (app.terraform.io) is a SaaS operated outside any jurisdiction of the catalog".to_string()
                        } else {
                            v.reason
                        };
                        e.report(t, format!("state is stored by `{host}`: {why}"), "use a backend in the jurisdiction (s3/azurerm/gcs in a region inside), or a self-hosted Terraform Enterprise listed in allowed_endpoint_hosts");
                    }
                }
                "http" => {
                    e.required_endpoint("address", None, "TF_HTTP_ADDRESS");
                    for attr in ["lock_address", "unlock_address"] {
                        e.optional_endpoint(attr);
                    }
                }
                "consul" => {
                    let scheme = b.attr_str("scheme").unwrap_or("http").to_string();
                    e.required_endpoint(
                        "address",
                        Some(&scheme),
                        "CONSUL_HTTP_ADDR (or the local agent)",
                    );
                }
                "pg" => e.required_endpoint("conn_str", None, "PG_CONN_STR"),
                "local" | "inmem" => {}
                other => {
                    let t = Tracked::unknown(
                        format!(
                            "backend `{other}` keeps state in a place sovereign-lint cannot locate"
                        ),
                        Some(b.location.clone()),
                    );
                    unresolved(cx, out, subject, "the state location", &t);
                }
            }
        }
    }
}

trait BackendExt {
    fn attr_str(&self, name: &str) -> Option<&str>;
}

impl BackendExt for Backend {
    fn attr_str(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(Tracked::as_str)
    }
}

struct Emitter<'c, 'a> {
    cx: &'c RuleContext<'a>,
    out: &'c mut Vec<Finding>,
    b: &'a Backend,
    subject: Subject<'c>,
}

impl Emitter<'_, '_> {
    fn report(&mut self, t: Option<&Tracked>, message: String, help: &str) {
        let location = t.map_or_else(|| self.b.location.clone(), |t| loc(t, &self.b.location));
        self.out.push(finding(
            INFO.id,
            self.subject,
            location,
            message,
            t,
            help.to_string(),
        ));
    }

    fn s3(&mut self) {
        match self.b.attributes.get("region").filter(|t| !t.is_null()) {
            Some(t) => {
                if let Some(region) =
                    residency_string(self.cx, self.out, self.subject, "the backend `region`", t)
                {
                    let v = self.cx.scope.check_region(Some(Cloud::Aws), region);
                    if !v.inside {
                        self.report(Some(t), format!("state is stored in the S3 backend's region: {}", v.reason), "set the backend `region` (and the state bucket) to a region inside the jurisdiction");
                    }
                }
            }
            None => self.missing("region", "AWS_REGION or the AWS profile"),
        }
        let mut endpoints: Vec<(String, &Tracked)> = Vec::new();
        for (name, t) in &self.b.attributes {
            let is_endpoint_attr = name == "endpoints" || name.ends_with("endpoint");
            if !is_endpoint_attr {
                continue;
            }
            walk_values(t, &mut super::support::attr_path(name), &mut |path, v| {
                if matches!(v.value, Value::String(_) | Value::Unknown(_)) {
                    endpoints.push((display_path(path), v));
                }
            });
        }
        for (path, t) in endpoints {
            // An empty entry means the default endpoint of the backend's region.
            if t.as_str().is_some_and(|s| s.trim().is_empty()) {
                continue;
            }
            self.endpoint(&path, t, None);
        }
        if let Some(t) = self.b.attributes.get("kms_key_id")
            && let Some(s) = t.as_str()
            && let Some(v) = self.cx.scope.arn_outside(s)
        {
            self.report(
                Some(t),
                format!("the state encryption key `kms_key_id`: {}", v.reason),
                "use a KMS key in the backend's region inside the jurisdiction",
            );
        }
    }

    /// An endpoint argument that may be left out (the backend then uses no such endpoint).
    fn optional_endpoint(&mut self, attr: &str) {
        if let Some(t) = self.b.attributes.get(attr).filter(|t| !t.is_null()) {
            self.endpoint(attr, t, None);
        }
    }

    /// The argument that says where state goes: left out of the block (a partial configuration),
    /// it comes from `-backend-config` or the environment at init time and cannot be proven.
    fn required_endpoint(&mut self, attr: &str, scheme: Option<&str>, environment: &str) {
        match self.b.attributes.get(attr).filter(|t| !t.is_null()) {
            Some(t) => self.endpoint(attr, t, scheme),
            None => self.missing(attr, environment),
        }
    }

    /// SOV010 for an argument that decides where state goes and is not in the backend block.
    fn missing(&mut self, attr: &str, from: &str) {
        let t = Tracked::unknown(
            format!(
                "no `{attr}` in the backend block: taken from -backend-config or {from} at init time"
            ),
            Some(self.b.location.clone()),
        );
        unresolved_with_help(
            self.cx,
            self.out,
            self.subject,
            &format!("the backend `{attr}`"),
            &t,
            "write the argument in the backend block (backend blocks take literals only), so the state's \
             place can be checked",
        );
    }

    fn endpoint(&mut self, what: &str, t: &Tracked, scheme: Option<&str>) {
        let Some(url) = residency_string(
            self.cx,
            self.out,
            self.subject,
            &format!("the backend `{what}`"),
            t,
        ) else {
            return;
        };
        let url = match scheme {
            Some(s) if !url.contains("://") => format!("{s}://{url}"),
            _ => url.to_string(),
        };
        let v = self.cx.scope.check_endpoint(&url);
        if !v.inside {
            self.report(Some(t), format!("state traffic goes to the backend `{what}`: {}", v.reason), "point the backend at a regional endpoint inside the jurisdiction over https, or list a self-hosted host in allowed_endpoint_hosts");
        }
    }

    fn storage_location(
        &mut self,
        name_attr: &str,
        resource_type: &str,
        resource_name_attr: &str,
        cloud: Cloud,
    ) {
        let name_t = self.b.attributes.get(name_attr).filter(|t| !t.is_null());
        let Some(name_t) = name_t else {
            self.missing(name_attr, "the environment");
            return;
        };
        let Some(name) = residency_string(
            self.cx,
            self.out,
            self.subject,
            &format!("the backend `{name_attr}`"),
            name_t,
        ) else {
            return;
        };
        let name_t = Some(name_t);
        let managed = self.cx.model.resources.iter().find(|r| {
            r.resource_type == resource_type
                && r.attr(resource_name_attr).and_then(Tracked::as_str) == Some(name)
        });
        let location = managed
            .and_then(|r| r.attr("location"))
            .filter(|t| !t.is_null());
        match location {
            Some(t) => {
                let Some(l) = residency_string(
                    self.cx,
                    self.out,
                    self.subject,
                    "the state storage location",
                    t,
                ) else {
                    return;
                };
                let v = self.cx.scope.check_region(Some(cloud), l);
                if !v.inside {
                    self.report(
                        name_t,
                        format!(
                            "state is stored in `{name}`, located in \"{l}\": {}",
                            v.reason
                        ),
                        "keep the state storage in a region inside the jurisdiction",
                    );
                }
            }
            None => {
                let t = Tracked {
                    value: Value::Unknown(crate::model::Unknown::new(format!(
                        "the location of `{name}` is not part of the backend configuration and it is not managed in this configuration"
                    ))),
                    location: name_t.and_then(|t| t.location.clone()),
                    provenance: name_t.map(|t| t.provenance.clone()).unwrap_or_default(),
                };
                unresolved(
                    self.cx,
                    self.out,
                    self.subject,
                    "the state storage location",
                    &t,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn backends() {
        let model = ModelBuilder::new()
            .backend("s3", json!({"bucket": "s", "region": "us-east-1", "endpoints": [{"s3": "https://s3.amazonaws.com"}]}))
            .backend("remote", json!({"organization": "acme"}))
            .backend("gcs", json!({"bucket": "state"}))
            .backend("consul", json!({"address": "consul.sov.example:8500"}))
            .build();
        let got = lint(
            &model,
            "allowed_endpoint_hosts = [\".sov.example\"]",
            &["SOV008", "SOV010"],
        );
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[4].contains("plain http"), "{got:#?}");
        let ok = ModelBuilder::new()
            .backend("s3", json!({"bucket": "s", "region": "eu-central-1"}))
            .backend("gcs", json!({"bucket": "state"}))
            .resource(
                "google_storage_bucket",
                "state",
                json!({"name": "state", "location": "EUROPE-WEST3"}),
            )
            .build();
        assert!(lint(&ok, "", &["SOV008", "SOV010"]).is_empty());
    }
}
