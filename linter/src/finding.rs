//! Findings: what rules produce and reporters print.
use std::borrow::Cow;

use serde::Serialize;
pub use sovereign_schemas::Severity;

use crate::model::{Location, Provenance};

/// A location related to a finding, e.g. a module call on the way to the instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Related {
    pub location: Location,
    /// Shared between the findings of one module instance.
    pub message: std::sync::Arc<str>,
    /// Set when this is a module call on the way from the root to the finding's instance: the
    /// call's address (`module.store["eu"]`). Findings in a module that several roots (or calls)
    /// use are told apart by it.
    #[serde(skip)]
    pub module_call: Option<std::sync::Arc<str>>,
}

impl Finding {
    /// The module calls from the root to the finding's instance, outermost first: address and the
    /// `module` block's location.
    pub fn module_calls(&self) -> impl Iterator<Item = (&str, &Location)> {
        self.related
            .iter()
            .filter_map(|r| Some((r.module_call.as_deref()?, &r.location)))
    }
}

/// One rule violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `SOV001`
    pub rule: &'static str,
    /// Effective severity after the policy's `[rules]` table (never `Off`).
    pub severity: Severity,
    /// The offending span: the attribute value, or the block header when the attribute is missing.
    pub location: Location,
    /// The resource instance, provider, backend or module address (`aws_s3_bucket.data`,
    /// `provider["registry.terraform.io/hashicorp/aws"]`, `terraform.backend.s3`).
    pub address: String,
    /// One sentence: what is wrong.
    pub message: String,
    /// The resolved offending value as users read it (`"us-east-1"`), when there is one.
    pub value: Option<String>,
    /// How the value was resolved (variables, tfvars, module inputs), outermost first.
    pub provenance: Provenance,
    /// How to fix it (most rules' help texts are fixed: not copied per finding).
    pub help: Cow<'static, str>,
    /// The module calls from the root to the instance (SARIF related locations), and other places.
    pub related: std::sync::Arc<[Related]>,
}
