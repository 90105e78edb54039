//! The pipeline: inputs → models (configuration or plan) → rules → suppressions → baseline →
//! severity filter → [`Report`].
//!
//! Both inputs end as a list of [`Linted`] roots (a model and its policy); everything after
//! [`load_inputs`] is the same for configurations and plans.
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use sovereign_schemas::Severity;

use crate::baseline::Baseline;
use crate::config::{LoadedPolicy, PolicyLoadError, PolicyResolver};
use crate::eval::{EvalOptions, ModuleCache, evaluate_root_with};
use crate::finding::Finding;
use crate::load;
use crate::model::{InputError, Location, Model, Note, Sources};
use crate::report::{Report, RuleMeta, ScanBase, join_display};
use crate::rules;
use crate::suppress::{self, Date, SuppressionRecord};

/// What to lint and how: the command line, minus output formats.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Directories to lint (with `plan`: the configuration the plan came from, at most one).
    pub paths: Vec<PathBuf>,
    pub plan: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub jurisdiction: Option<String>,
    pub eval: EvalOptions,
    pub inline_ignores: bool,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub min_severity: Severity,
    pub fail_on: Severity,
    /// "Today" for suppression expiry.
    pub today: Date,
    /// Keep every scanned file's text for source snippets under findings (the human format);
    /// without it only the files that input errors point into are kept, and the rest are freed as
    /// soon as their root is checked.
    pub finding_snippets: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            paths: vec![PathBuf::from(".")],
            plan: None,
            config: None,
            jurisdiction: None,
            eval: EvalOptions::default(),
            inline_ignores: true,
            baseline: None,
            write_baseline: None,
            min_severity: Severity::Warn,
            fail_on: Severity::Error,
            today: Date::today(),
            finding_snippets: true,
        }
    }
}

/// One model to lint and the policy that applies to it.
#[derive(Debug)]
pub struct Linted {
    pub model: Model,
    pub policy: Result<LoadedPolicy, PolicyLoadError>,
    /// The scan path as the user typed it (findings are relative to it).
    pub scan_path: PathBuf,
    /// Findings and the suppressed count when the model was already checked (its instances then
    /// dropped, see [`Linted::check`]); `None` until then.
    pub checked: Option<(Vec<Finding>, usize)>,
    /// The inline suppressions met while checking, with what each silenced.
    pub suppressions: Vec<SuppressionRecord>,
}

impl Linted {
    fn new(
        model: Model,
        policy: Result<LoadedPolicy, PolicyLoadError>,
        scan_path: PathBuf,
    ) -> Self {
        Linted {
            model,
            policy,
            scan_path,
            checked: None,
            suppressions: Vec::new(),
        }
    }

    /// Runs rules and suppressions, then drops the evaluated instances: only what the report needs
    /// (sources, errors, notes) stays. A monorepo evaluates to hundreds of thousands of instances;
    /// keeping every root's until the report is written multiplied peak memory.
    pub fn check(mut self, opts: &RunOptions) -> Self {
        if self.checked.is_none() {
            let (findings, suppressed, records) = lint_one(&self, opts);
            self.checked = Some((findings, suppressed));
            self.suppressions = records;
            let model = &mut self.model;
            crate::eval::recycle_resources(std::mem::take(&mut model.resources));
            model.instance_features = Vec::new();
            model.providers = Vec::new();
            model.backends = Vec::new();
            model.module_calls = Vec::new();
            if !opts.finding_snippets {
                // The names stay (the report counts scanned files); texts only where an input
                // error points.
                let empty: Arc<str> = Arc::from("");
                let errors = &model.errors;
                for (file, text) in model.sources.files.iter_mut() {
                    if !errors.iter().any(|e| error_in(e, file)) {
                        *text = empty.clone();
                    }
                }
            }
        }
        self
    }
}

/// Whether an input error points into `file`.
fn error_in(e: &InputError, file: &str) -> bool {
    e.file.as_deref() == Some(file) || e.location.as_ref().is_some_and(|l| &*l.file == file)
}

/// Loads every model to lint: the configuration roots under each path, or the plan. Errors that
/// stop a whole path (missing directory) are returned separately; the rest are in the models.
pub fn load_inputs(
    opts: &RunOptions,
    resolver: &mut PolicyResolver,
) -> (Vec<Linted>, Vec<InputError>) {
    match &opts.plan {
        Some(plan) => load_plan_input(plan, opts, resolver),
        None => load_configuration_inputs(opts, resolver),
    }
}

fn load_plan_input(
    plan: &Path,
    opts: &RunOptions,
    resolver: &mut PolicyResolver,
) -> (Vec<Linted>, Vec<InputError>) {
    let source_root = opts
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let model = crate::plan::load_plan(plan, &source_root, &opts.eval);
    let policy = resolver.policy_for(&source_root);
    (vec![Linted::new(model, policy, source_root)], Vec::new())
}

fn load_configuration_inputs(
    opts: &RunOptions,
    resolver: &mut PolicyResolver,
) -> (Vec<Linted>, Vec<InputError>) {
    let mut roots = Vec::new();
    let mut errors = Vec::new();
    for path in &opts.paths {
        // The scanned path's policy decides what is excluded from discovery.
        let exclude = match resolver.policy_for(path) {
            Ok(p) => p.policy.exclude_paths,
            Err(_) => Vec::new(),
        };
        match load::discover(std::slice::from_ref(path), &exclude) {
            // Path-level errors name the path in their message; their `file` would be read
            // relative to the scanned root, which the path itself is.
            Ok(found) if found.is_empty() => errors.push(InputError {
                file: None,
                location: None,
                message: format!(
                    "no Terraform configuration (.tf or .tf.json files) under {}",
                    path.display()
                ),
                help: Some("pass a directory holding Terraform configuration".to_string()),
            }),
            Ok(found) => roots.extend(found.into_iter().map(|r| (path.clone(), r))),
            Err(e) => errors.push(InputError {
                file: None,
                location: None,
                ..e
            }),
        }
    }
    // Nearest policy per configuration directory (a stack may carry its own sovereign.toml).
    let policies: Vec<_> = roots
        .iter()
        .map(|(_, root)| resolver.policy_for(&root.dir))
        .collect();
    // Each root is evaluated and checked on the same worker, so only as many full models exist at
    // once as there are workers.
    // Modules many stacks call are parsed once for the whole run.
    let cache = ModuleCache::default();
    let linted = roots
        .into_par_iter()
        .zip(policies)
        .map(|((scan_path, root), policy)| {
            let model = evaluate_root_with(&root, &opts.eval, &cache);
            Linted::new(model, policy, scan_path).check(opts)
        })
        .collect();
    (linted, errors)
}

/// The rule catalogue for reporters.
pub fn rule_metas() -> Vec<RuleMeta> {
    rules::all_rules()
        .iter()
        .map(|r| {
            let info = r.info();
            RuleMeta {
                id: info.id,
                name: info.name.to_string(),
                summary: info.summary.to_string(),
                docs: rules::explain(info.id).unwrap_or_else(|| info.docs.to_string()),
                default_severity: info.default_severity,
            }
        })
        .collect()
}

/// `infra/` for `infra`, `./infra/` or `infra/`; empty for `.`.
fn display_prefix(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let trimmed = text.trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed.is_empty() || trimmed == "." {
        if text.starts_with('/') {
            "/".to_string()
        } else {
            String::new()
        }
    } else {
        format!("{trimmed}/")
    }
}

fn file_uri(dir: &Path) -> String {
    let abs = load::normalize(dir);
    let mut text = abs.to_string_lossy().replace('\\', "/").replace(' ', "%20");
    if !text.ends_with('/') {
        text.push('/');
    }
    if !text.starts_with('/') {
        text.insert(0, '/');
    }
    format!("file://{text}")
}

/// Re-roots every path of one root's output under `prefix` (used when several paths are scanned,
/// so all files are relative to the current directory).
struct Rebase<'a> {
    prefix: &'a str,
}

impl Rebase<'_> {
    fn file(&self, file: &Arc<str>) -> Arc<str> {
        if self.prefix.is_empty() {
            file.clone()
        } else {
            Arc::from(join_display(self.prefix, file))
        }
    }
    fn location(&self, loc: &mut Location) {
        loc.file = self.file(&loc.file);
    }
    fn finding(&self, f: &mut Finding) {
        self.location(&mut f.location);
        if !f.related.is_empty() {
            f.related = f
                .related
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    self.location(&mut r.location);
                    r
                })
                .collect();
        }
        if self.prefix.is_empty() {
            return;
        }
        f.provenance.update(|p| {
            if let Some(l) = &mut p.location {
                self.location(l);
            }
        });
    }
    fn error(&self, e: &mut InputError) {
        if let Some(f) = &e.file
            && !f.starts_with('/')
        {
            e.file = Some(self.file(f));
        }
        if let Some(l) = &mut e.location {
            self.location(l);
        }
    }
    fn note(&self, n: &mut Note) {
        if let Some(l) = &mut n.location {
            self.location(l);
        }
    }
}

/// The input error for an invalid policy, with the policy text registered for the snippet.
fn policy_error(err: &PolicyLoadError, scan_path: &Path, sources: &mut Sources) -> InputError {
    let file: Arc<str> = if err.path.as_os_str() == "--jurisdiction" {
        Arc::from("--jurisdiction")
    } else {
        Arc::from(load::relative_path(&err.path, scan_path))
    };
    let location = err.line_column().map(|(line, column)| {
        let loc = Location::new(file.clone(), line, column);
        match &err.span {
            Some(span) => loc.with_span(span.start, span.end.max(span.start)),
            None => loc,
        }
    });
    if !err.text.is_empty() {
        sources.insert(file.clone(), err.text.clone());
    }
    InputError {
        file: Some(file),
        location,
        message: format!("invalid policy: {}", err.message),
        help: err.help.clone(),
    }
}

/// What a run read and which suppressions it met: evidence bundles record them
/// ([`crate::evidence`]); reporters do not need them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInputs {
    /// Each linted root with its files.
    pub roots: Vec<RootInputs>,
    /// Every inline suppression and what it silenced (paths like the findings').
    pub suppressions: Vec<SuppressionRecord>,
}

/// One linted root and the files it read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootInputs {
    /// The configuration directory as users read it (`stacks/prod`), or the plan's PATH.
    pub dir: String,
    /// Its files, named like the findings' files (relative to [`Report::base`]), sorted.
    pub files: Vec<Arc<str>>,
}

/// Runs the whole pipeline.
pub fn run(opts: &RunOptions) -> Report {
    run_with_inputs(opts).0
}

/// Runs the whole pipeline, also returning what it read (for `--attest`).
pub fn run_with_inputs(opts: &RunOptions) -> (Report, RunInputs) {
    let mut resolver = PolicyResolver::new(opts.config.clone(), opts.jurisdiction.clone());
    let (linted, path_errors) = load_inputs(opts, &mut resolver);
    lint_with_inputs(opts, linted, path_errors)
}

/// Lints loaded models (rules, suppressions, baseline, severity filter) into a report.
pub fn lint(opts: &RunOptions, linted: Vec<Linted>, path_errors: Vec<InputError>) -> Report {
    lint_with_inputs(opts, linted, path_errors).0
}

/// [`lint`], also returning what the run read.
pub fn lint_with_inputs(
    opts: &RunOptions,
    linted: Vec<Linted>,
    path_errors: Vec<InputError>,
) -> (Report, RunInputs) {
    let single_root = opts.paths.len() <= 1;
    let base = if single_root {
        let path = opts
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        let dir = if path.is_file() {
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        } else {
            path
        };
        ScanBase {
            display_prefix: display_prefix(&dir),
            root_uri: Some(file_uri(&dir)),
        }
    } else {
        ScanBase {
            display_prefix: String::new(),
            root_uri: Some(file_uri(Path::new("."))),
        }
    };

    let mut report = Report {
        rules: rule_metas(),
        base,
        fail_on: Some(opts.fail_on),
        ..Report::default()
    };
    report.errors.extend(path_errors);
    report.stats.roots = linted.len();

    let mut inputs = RunInputs::default();
    let mut jurisdictions = BTreeSet::new();
    let mut scanned_files: HashSet<(PathBuf, Arc<str>)> = HashSet::new();

    let outcomes: Vec<_> = linted.into_par_iter().map(|l| l.check(opts)).collect();

    let total: usize = outcomes
        .iter()
        .map(|l| l.checked.as_ref().map_or(0, |(f, _)| f.len()))
        .sum();
    let mut all_findings = Vec::with_capacity(total);
    for l in outcomes {
        let Linted {
            model,
            policy,
            scan_path,
            checked,
            suppressions,
        } = l;
        let (findings, suppressed) = checked.unwrap_or_default();
        let rebase_prefix = if single_root {
            String::new()
        } else {
            display_prefix(&scan_path)
        };
        let rebase = Rebase {
            prefix: &rebase_prefix,
        };
        let mut root_files = Vec::with_capacity(model.sources.files.len());
        for (file, text) in &model.sources.files {
            scanned_files.insert((model.root.clone(), file.clone()));
            root_files.push(rebase.file(file));
            report.sources.insert(rebase.file(file), text.clone());
        }
        root_files.sort();
        let root_prefix = if single_root {
            report.base.display_prefix.clone()
        } else {
            rebase_prefix.clone()
        };
        inputs.roots.push(RootInputs {
            dir: join_display(&root_prefix, &model.module_dir),
            files: root_files,
        });
        inputs
            .suppressions
            .extend(suppressions.into_iter().map(|mut s| {
                rebase.location(&mut s.location);
                s.suppressed
                    .iter_mut()
                    .for_each(|f| rebase.location(&mut f.location));
                s
            }));
        match &policy {
            Ok(p) => {
                jurisdictions.insert(p.policy.jurisdiction.clone());
            }
            Err(e) => {
                let mut policy_sources = Sources::default();
                let mut err = policy_error(e, &scan_path, &mut policy_sources);
                rebase.error(&mut err);
                report.errors.push(err);
                for (file, text) in policy_sources.files {
                    report.sources.insert(rebase.file(&file), text);
                }
            }
        }
        for mut e in model.errors {
            rebase.error(&mut e);
            report.errors.push(e);
        }
        for mut n in model.notes {
            rebase.note(&mut n);
            report.notes.push(n);
        }
        let mut findings = findings;
        if !rebase.prefix.is_empty() {
            findings.iter_mut().for_each(|f| rebase.finding(f));
        }
        all_findings.append(&mut findings);
        report.stats.suppressed += suppressed;
    }
    report.stats.files_scanned = scanned_files.len();
    report.jurisdictions = jurisdictions.into_iter().collect();
    drop_repeated_findings(&mut all_findings);

    if let Some(path) = &opts.write_baseline {
        let baseline = Baseline::from_findings(&all_findings);
        match baseline.write(path) {
            Ok(()) => {
                report.stats.baselined = all_findings.len();
                all_findings.clear();
                report.notes.push(Note {
                    location: None,
                    message: format!(
                        "wrote baseline {} with {} finding(s)",
                        path.display(),
                        baseline.findings.len()
                    ),
                });
            }
            Err(e) => report.errors.push(InputError {
                file: None,
                location: None,
                message: e.to_string(),
                help: Some("check that the directory exists and is writable".to_string()),
            }),
        }
    } else if let Some(path) = &opts.baseline {
        match Baseline::read(path) {
            Ok(baseline) => report.stats.baselined = baseline.filter(&mut all_findings),
            Err(e) => report.errors.push(InputError {
                file: None,
                location: None,
                message: e.to_string(),
                help: Some(
                    "create one with --write-baseline FILE, or fix the path given to --baseline"
                        .to_string(),
                ),
            }),
        }
    }

    let before = all_findings.len();
    all_findings.retain(|f| f.severity >= opts.min_severity);
    report.stats.below_min_severity = before - all_findings.len();
    report.findings = all_findings;
    report.sort();
    (report, inputs)
}

/// Roots that share code can each find the same thing at the same place: the test or example
/// roots calling a module with no provider of their own each report the implicit provider
/// without a region at the module's first resource. A finding identical in
/// every part a user reads (rule, place, address, message, module calls) is reported once.
fn drop_repeated_findings(findings: &mut Vec<Finding>) {
    // Keys borrow from the findings (no copies of messages: a large run has 10⁵ findings).
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(findings.len());
        findings
            .iter()
            .map(|f| {
                seen.insert((
                    f.rule,
                    &f.location.file,
                    f.location.line,
                    f.location.column,
                    &f.address,
                    &f.message,
                    &f.related,
                ))
            })
            .collect()
    };
    if keep.iter().all(|k| *k) {
        return;
    }
    let mut keep = keep.into_iter();
    findings.retain(|_| keep.next().unwrap_or(true));
}

/// Rules and suppressions for one model: its findings (before rebasing), how many were
/// suppressed, and the suppressions with what each silenced.
fn lint_one(l: &Linted, opts: &RunOptions) -> (Vec<Finding>, usize, Vec<SuppressionRecord>) {
    let Ok(loaded) = &l.policy else {
        return (Vec::new(), 0, Vec::new());
    };
    let findings = rules::run(&l.model, &loaded.policy);
    if !opts.inline_ignores {
        return (findings, 0, Vec::new());
    }
    let suppressions = suppress::collect(&l.model.sources, opts.today);
    let sov011 = rules::effective_severity(&loaded.policy, suppress::INVALID_SUPPRESSION);
    let applied = suppress::apply(findings, &suppressions, sov011);
    (applied.findings, applied.suppressed, applied.records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_follow_what_the_user_typed() {
        assert_eq!(display_prefix(Path::new(".")), "");
        assert_eq!(display_prefix(Path::new("./infra/")), "infra/");
        assert_eq!(display_prefix(Path::new("infra")), "infra/");
        assert_eq!(display_prefix(Path::new("/abs/x")), "/abs/x/");
    }
}
