//! Reading `terraform show -json` plan output into the evaluated-instance model.
//!
//! - [`json`]: the documented plan JSON (format_version 0.1, 0.2 and 1.x), parsed into typed structs that skip
//!   what the linter never reads;
//! - [`build`]: planned objects → [`ResourceInstance`](crate::model::ResourceInstance)s, provider
//!   configurations with their expressions resolved through the plan's variables;
//! - [`providers`]: which provider configuration each resource uses, whatever the format;
//! - [`address`]: instance addresses → configuration addresses;
//! - [`sources`]: when PATH holds the configuration, every address is mapped to its `.tf` block so
//!   findings point at source lines, and backends come from the sources.
//!
//! The rules then run on this model exactly as on a configuration's.
use std::path::Path;
use std::sync::Arc;

use crate::model::{InputError, Location, Model};

pub mod address;
pub mod build;
pub mod json;
pub mod providers;
pub mod sources;

/// Whether this reader understands a plan `format_version`: 0.1 (Terraform 0.12–0.14), 0.2
/// (0.15–1.0) and every 1.x (Terraform ≥ 1.1, OpenTofu). 1.0 only renamed 0.2; minor versions
/// add fields, which are ignored. The differences that matter (short provider keys, provider
/// names without a namespace, requirement-only provider entries) are resolved in
/// [`providers`].
fn supported_format(version: &str) -> bool {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some("1" | "2")) => true,
        (Some("1"), Some(minor)) => minor.parse::<u32>().is_ok(),
        _ => false,
    }
}

/// Reads plan JSON; maps addresses to `.tf` blocks under `source_root` when it holds the
/// configuration. Problems with the plan file are reported in [`Model::errors`].
pub fn load_plan(plan_path: &Path, source_root: &Path, opts: &crate::eval::EvalOptions) -> Model {
    let mut model = read_plan(plan_path, source_root);
    if model.errors.is_empty() {
        sources::attach_sources(&mut model, plan_path, source_root, opts);
    }
    // Without the sources, what the configuration writes beyond the plan's record is not known.
    model.unwritten_unknowns = Default::default();
    model
}

/// Reads a plan without looking for its configuration: every location is the plan file.
pub fn read_plan(plan_path: &Path, source_root: &Path) -> Model {
    let display: Arc<str> = display_path(plan_path, source_root).into();
    let error_model = |message: String, location: Option<Location>, help: Option<&str>| Model {
        root: source_root.to_path_buf(),
        module_dir: ".".to_string(),
        errors: vec![InputError {
            file: Some(display.clone()),
            location,
            message,
            help: help.map(str::to_string),
        }],
        ..Model::default()
    };
    let bytes = match std::fs::read(plan_path) {
        Ok(b) => b,
        Err(e) => return error_model(format!("cannot read plan file {display}: {e}"), None, None),
    };
    let doc: json::PlanDocument = match serde_json::from_slice(&bytes) {
        Ok(d) => d,
        Err(e) => {
            let location = (e.line() > 0)
                .then(|| Location::new(display.clone(), e.line() as u32, e.column() as u32));
            let message = if e.is_data() {
                format!("{display} is not a Terraform plan in JSON: {e}")
            } else {
                format!("{display} is not valid JSON: {e}")
            };
            return error_model(message, location, Some(HOW_TO_PRODUCE));
        }
    };
    match doc.format_version.as_deref() {
        None => {
            return error_model(
                format!("{display} is not a Terraform plan: it has no format_version"),
                None,
                Some(HOW_TO_PRODUCE),
            );
        }
        Some(v) if !supported_format(v) => {
            return error_model(
                format!(
                    "{display} uses plan format_version {v}; sovereign-lint reads formats 0.1, 0.2 and 1.x"
                ),
                None,
                Some(
                    "produce the plan JSON with Terraform 0.12 or later, or OpenTofu (`terraform show -json PLANFILE`)",
                ),
            );
        }
        Some(_) => {}
    }
    if doc.resource_changes.is_none() && doc.planned_values.is_none() {
        return error_model(
            format!(
                "{display} is not a plan: it has neither resource_changes nor planned_values (a state file?)"
            ),
            None,
            Some(HOW_TO_PRODUCE),
        );
    }
    let mut doc = doc;
    let mut note = None;
    if doc.resource_changes.as_ref().is_none_or(Vec::is_empty) && has_planned_resources(&doc) {
        // Managed values in planned_values were skipped in the first reading.
        if let Ok(json::PlannedValuesOnly {
            planned_values: Some(values),
        }) = serde_json::from_slice::<json::PlannedValuesOnly>(&bytes)
            && let Some(root) = values.root_module
        {
            let mut changes = Vec::new();
            root.into_changes(&mut changes);
            doc.resource_changes = Some(changes);
            note = Some(crate::model::Note {
                location: Some(Location::new(display.clone(), 1, 1)),
                message: "the plan has no resource_changes (a refresh-only plan?): the planned values of every resource are checked".to_string(),
            });
        }
    }
    drop(bytes);
    let mut model = build::build_model(doc, display, source_root.to_path_buf());
    model.notes.extend(note);
    model
}

fn has_planned_resources(doc: &json::PlanDocument) -> bool {
    doc.planned_values
        .as_ref()
        .and_then(|v| v.root_module.as_ref())
        .is_some_and(|m| !m.all_resources().is_empty())
}

const HOW_TO_PRODUCE: &str =
    "produce it with `terraform plan -out=tfplan && terraform show -json tfplan > plan.json`";

/// The plan path relative to the scanned root when inside it, else as given; `/`-separated.
fn display_path(plan_path: &Path, root: &Path) -> String {
    // The file may not exist (an error to report): resolve its directory instead.
    let absolute = plan_path.canonicalize().ok().or_else(|| {
        let parent = match plan_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Some(parent.canonicalize().ok()?.join(plan_path.file_name()?))
    });
    let relative = match (absolute, root.canonicalize()) {
        (Some(p), Ok(r)) => p.strip_prefix(&r).map(Path::to_path_buf).ok(),
        _ => None,
    };
    let shown = relative.unwrap_or_else(|| plan_path.to_path_buf());
    shown.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::supported_format;

    #[test]
    fn every_format_terraform_and_opentofu_write_is_read() {
        for v in ["0.1", "0.2", "1.0", "1.1", "1.2", "1.10"] {
            assert!(supported_format(v), "{v}");
        }
        for v in ["0.3", "0", "2.0", "1", "1.x", ""] {
            assert!(!supported_format(v), "{v}");
        }
    }
}
