//! ## What it does
//! Reports a value that decides residency — a region, zone, endpoint, tag map or tag value,
//! replication target, backend location or container image — when it cannot be resolved
//! statically: a variable without a value, a data source, a value known only after apply, a
//! function sovereign-lint does not evaluate, an AWS provider or S3 backend without `region` (taken
//! from the environment at run time), a backend argument left to `-backend-config` (a partial
//! configuration), an empty string, a value of the wrong type (a list or map where one region,
//! endpoint or image is expected), or container definitions that are not valid JSON. Such a value
//! is never passed silently, in a configuration or in a plan.
//!
//! How it works: the rules that need a value (SOV001–SOV004, SOV008, SOV009) report it through one
//! shared helper when it is unknown, with the evaluator's reason and the resolution chain; this rule
//! itself inspects nothing. A value several rules need is reported once. A rule switched off in
//! `[rules]` reports no SOV010 for its values.
//!
//! ## Why is this bad?
//! "Probably in Frankfurt" is not evidence. A region that comes from the environment or from
//! `var.region` without a value can be anything at apply time; a gate that lets unknowns through
//! lets everything through.
//!
//! ## Example
//! ```hcl
//! variable "region" {
//!   type = string
//! }
//!
//! provider "aws" {
//!   region = var.region
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! variable "region" {
//!   type    = string
//!   default = "eu-central-1"
//! }
//!
//! provider "aws" {
//!   region = var.region
//! }
//! ```
//!
//! Or pass the value: `sovereign-lint --var region=eu-central-1`, a `.tfvars` file, `TF_VAR_region`,
//! or lint the plan (`sovereign-lint --plan plan.json`) where data sources are resolved.
//!
//! ## Options
//! - `unresolved = "error" | "warn"`: this rule's severity (default `error`), unless
//!   `[rules] SOV010` sets it.
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV010",
    name: "unresolved-residency",
    summary: "a region, endpoint or tag that decides residency cannot be resolved statically: sovereignty cannot be proven",
    docs: docs::SOV010,
    default_severity: Severity::Error,
};

pub(crate) struct UnresolvedResidency;

impl Rule for UnresolvedResidency {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    /// Reported by the other rules through `support::unresolved`.
    fn check(&self, _cx: &RuleContext<'_>, _out: &mut Vec<Finding>) {}
}
