//! Evaluation of parsed modules into resource instances whose values keep their provenance.
use std::path::PathBuf;

use crate::load::{self, DiscoveredRoot};
use crate::model::Model;

/// Values given on the command line and in the environment.
#[derive(Debug, Default, Clone)]
pub struct EvalOptions {
    /// `--var NAME=VALUE`, in command-line order.
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`, in command-line order.
    pub var_files: Vec<PathBuf>,
    /// `TF_VAR_*` variables from the environment (full names, e.g. `TF_VAR_region`).
    pub env: Vec<(String, String)>,
}

/// Loads and evaluates one root module directory into a [`Model`] (paths in locations relative
/// to `root.scan_root`). Never panics: input problems go to `model.errors`.
pub fn evaluate_root(root: &DiscoveredRoot, opts: &EvalOptions) -> Model {
    let _ = opts;
    let mut model = Model {
        root: root.scan_root.clone(),
        module_dir: load::relative_path(&root.dir, &root.scan_root),
        ..Model::default()
    };
    let dir = load::load_module_dir(&root.dir, &root.scan_root);
    for file in &dir.files {
        model
            .sources
            .insert(file.source.rel.clone(), file.source.text.clone());
    }
    for source in &dir.unparsed {
        model
            .sources
            .insert(source.rel.clone(), source.text.clone());
    }
    model.errors.extend(dir.errors);
    model
}
