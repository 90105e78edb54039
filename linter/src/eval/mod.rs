//! Evaluation of parsed modules into resource instances whose values keep their provenance.
//!
//! [`evaluate_root`] loads a root module directory, resolves its input variables with
//! Terraform's precedence (environment `TF_VAR_*` < `terraform.tfvars` < `terraform.tfvars.json`
//! < `*.auto.tfvars(.json)` in lexical order < `--var-file` < `--var`), then walks the module
//! tree: every module instance (after `count`/`for_each`) is evaluated on its own with its
//! inputs, provider configurations (`provider` blocks, aliases, `providers = {}` maps, implicit
//! inheritance of default providers, implicit empty providers) and resource instances with
//! exact Terraform addresses (`module.store["offsite"].aws_kms_replica_key.copy`,
//! `aws_instance.x[0]`, `aws_s3_bucket.b["k"]`).
//!
//! # Provenance
//! Every value is a [`Tracked`]: `location` is the expression in the instance's own block,
//! `provenance` the chain it was resolved through, outermost first, e.g. for
//! `region = var.region` in a module called with `region = var.primary` set in `prod.tfvars`:
//! `var.region = "us-east-1"` (at the module call argument), `module.store input region =
//! var.primary` (same place), `var.primary = "us-east-1"` (at `prod.tfvars:3`).
//! A variable without any value is unknown with reason `var.region has no value`.
//!
//! # References to other resources
//! A reference to another resource's or data source's attribute uses the attribute's value
//! when it is written in configuration (`aws_s3_bucket.data.bucket`,
//! `aws_kms_key.k.multi_region`), with a provenance step `ADDRESS.ATTR = VALUE`; otherwise it
//! is unknown with reason **`ADDRESS.ATTR (known after apply)`**, where ADDRESS is the full
//! instance address of the referenced resource (`module.x.aws_kms_key.main.arn (known after
//! apply)`, `aws_s3_bucket.b["k"].id (known after apply)`). [`referenced_address`] recovers
//! ADDRESS from either form, so rules can follow links such as
//! `aws_s3_bucket_server_side_encryption_configuration.bucket = aws_s3_bucket.data.id`.
//! Values derived from such a reference (templates, functions) keep the unknown reason or the
//! provenance step, so `"${aws_s3_bucket.data.id}-logs"` still refers to `aws_s3_bucket.data`.
mod expr;
mod functions;
mod types;
mod value;

use crate::model::AttrMap;
use foldhash::{HashMap, HashMapExt};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::load::ast::{Body, ExprKind, Span};
use crate::load::{self, DiscoveredRoot, ManifestEntry, SourceFile};
use crate::model::{
    Backend, InputError, Key, Location, Model, ModuleCall, ModuleResolution, Name, Note,
    Provenance, ProvenanceStep, ProviderConfig, ResourceInstance, ResourceMode, Tracked, Value,
};
use expr::{Instance, ModuleDef, Scope, Shared, VarValue, eval, index_key};
use value::{as_string, unknown};

/// Values given on the command line and in the environment.
#[derive(Debug, Default, Clone)]
pub struct EvalOptions {
    /// `--var NAME=VALUE`, in command-line order (applied after all `--var-file`s).
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`, in command-line order.
    pub var_files: Vec<PathBuf>,
    /// `TF_VAR_*` variables from the environment (full names, e.g. `TF_VAR_region`).
    pub env: Vec<(String, String)>,
}

/// The full address of the resource or data source a value refers to (see the module docs):
/// from an unknown reason `ADDRESS.ATTR (known after apply)` or a provenance step
/// `ADDRESS.ATTR = VALUE`.
pub fn referenced_address(t: &Tracked) -> Option<&str> {
    if let Some(reason) = t.unknown_reason()
        && let Some(body) = reason.strip_suffix(expr::KNOWN_AFTER_APPLY)
        && let Some(address) = parse_resource_address_prefix(body)
    {
        return Some(address);
    }
    t.provenance.iter().find_map(|step| {
        let text: &str = &step.description;
        // Most steps are variables and locals: no resource type in their first word.
        let head = text.split(['.', ' ']).next().unwrap_or("");
        if !(head.contains('_') || head == "module" || head == "data") {
            return None;
        }
        let (lhs, _) = text.split_once(" = ")?;
        parse_resource_address_prefix(lhs)
    })
}

/// `module.a["k"].aws_s3_bucket.b[0].attr…` → `module.a["k"].aws_s3_bucket.b[0]` (an address,
/// optionally followed by attributes).
fn parse_resource_address_prefix(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut pos = 0;
    let ident = |pos: &mut usize| -> Option<()> {
        let start = *pos;
        while *pos < bytes.len()
            && (bytes[*pos].is_ascii_alphanumeric() || bytes[*pos] == b'_' || bytes[*pos] == b'-')
        {
            *pos += 1;
        }
        (*pos > start).then_some(())
    };
    let index = |pos: &mut usize| -> Option<()> {
        if bytes.get(*pos) != Some(&b'[') {
            return Some(());
        }
        *pos += 1;
        if bytes.get(*pos) == Some(&b'"') {
            *pos += 1;
            while *pos < bytes.len() && bytes[*pos] != b'"' {
                if bytes[*pos] == b'\\' {
                    *pos += 1;
                }
                *pos += 1;
            }
            *pos += 1;
        } else {
            while *pos < bytes.len() && bytes[*pos] != b']' {
                *pos += 1;
            }
        }
        (bytes.get(*pos) == Some(&b']')).then(|| *pos += 1)
    };
    let dot =
        |pos: &mut usize| -> Option<()> { (bytes.get(*pos) == Some(&b'.')).then(|| *pos += 1) };
    while s[pos..].starts_with("module.") {
        pos += "module.".len();
        ident(&mut pos)?;
        index(&mut pos)?;
        dot(&mut pos)?;
    }
    if s[pos..].starts_with("data.") {
        pos += "data.".len();
    }
    let type_start = pos;
    ident(&mut pos)?;
    if !s[type_start..pos].contains('_') {
        return None;
    }
    dot(&mut pos)?;
    ident(&mut pos)?;
    index(&mut pos)?;
    let end = pos;
    if end == s.len() {
        // The whole resource (`aws_instance.x[*].id`, `depends_on`-style references).
        return Some(s);
    }
    dot(&mut pos)?;
    ident(&mut pos)?;
    Some(&s[..end])
}

/// Loads and evaluates one root module directory into a [`Model`] (paths in locations relative
/// to `root.scan_root`). Never panics: input problems go to `model.errors`, each naming the file
/// and line; everything else is still evaluated.
pub fn evaluate_root(root: &DiscoveredRoot, opts: &EvalOptions) -> Model {
    evaluate_root_with(root, opts, &ModuleCache::default())
}

/// [`evaluate_root`], reusing the modules other roots of the same run have parsed.
pub fn evaluate_root_with(root: &DiscoveredRoot, opts: &EvalOptions, cache: &ModuleCache) -> Model {
    let mut evaluator = Evaluator {
        cache,
        model: Model {
            resources: spare_resources(),
            root: root.scan_root.clone(),
            module_dir: load::relative_path(&root.dir, &root.scan_root),
            ..Model::default()
        },
        scan_root: root.scan_root.clone(),
        root_dir: load::normalize(&root.dir),
        modules: HashMap::new(),
        manifest: Vec::new(),
        implicit: HashMap::new(),
        parallel: true,
    };
    match load::read_module_manifest(&root.dir) {
        Some(Ok(entries)) => evaluator.manifest = entries,
        Some(Err(e)) => evaluator.model.errors.push(InputError {
            file: Some(Arc::from(format!(
                "{}/.terraform/modules/modules.json",
                evaluator.model.module_dir
            ))),
            location: None,
            message: format!("cannot read the module manifest: {e}"),
            help: Some(
                "run `terraform init` again to rewrite .terraform/modules/modules.json".into(),
            ),
        }),
        None => {}
    }
    // Loading (parallel, on rayon) happens on the caller's thread.
    let root_dir = evaluator.root_dir.clone();
    let def = evaluator.load_module(&root_dir);
    evaluator.prefetch(&def);
    // Evaluation recurses (expressions, references, module nesting — all bounded): it needs a
    // large stack. Threads of the pool `install_thread_pool` builds have one, and evaluate in
    // place (the model is then built, checked and dropped on one thread). Elsewhere (rayon's
    // default 2 MiB stacks, tests) a thread of its own with a large stack keeps that safe; only
    // touched stack pages use memory. That thread must not wait on rayon (the caller may be a
    // rayon worker blocked in `join`), so modules it still has to load are read sequentially.
    // A panic (a bug) becomes an input error, not a crash.
    let module_dir = evaluator.model.module_dir.clone();
    let fallback = || Model {
        root: root.scan_root.clone(),
        module_dir,
        errors: vec![InputError {
            file: None,
            location: None,
            message: format!("internal error while evaluating {}", root.dir.display()),
            help: Some("please report this with the configuration that caused it".into()),
        }],
        ..Model::default()
    };
    if LARGE_STACK.with(Cell::get) {
        let run = std::panic::AssertUnwindSafe(|| evaluator.evaluate(def, root_dir, opts));
        return std::panic::catch_unwind(run).unwrap_or_else(|_| fallback());
    }
    evaluator.parallel = false;
    let evaluated = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("sovereign-eval".into())
            .stack_size(EVAL_STACK_BYTES)
            .spawn_scoped(scope, || evaluator.evaluate(def, root_dir, opts))
            .map(|handle| handle.join().ok())
    });
    match evaluated {
        Ok(model) => model.unwrap_or_else(fallback),
        // No thread could be started: this one has to do.
        Err(_) => fallback(),
    }
}

thread_local! {
    /// Whether this thread's stack is [`EVAL_STACK_BYTES`] (a thread of [`install_thread_pool`]).
    static LARGE_STACK: Cell<bool> = const { Cell::new(false) };
    /// An emptied instance vector of a model already checked, reused by the next root evaluated on
    /// this thread: growing a fresh one root after root cost page faults on every growth.
    static SPARE_RESOURCES: std::cell::RefCell<Vec<ResourceInstance>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Instances kept for reuse at most (the vector is kept, not its contents).
const SPARE_RESOURCES_MAX: usize = 1 << 16;

/// Hands a checked model's instance vector back for the next root on this thread (dropping the
/// instances now).
pub fn recycle_resources(mut resources: Vec<ResourceInstance>) {
    resources.clear();
    if resources.capacity() > SPARE_RESOURCES_MAX {
        return;
    }
    SPARE_RESOURCES.with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut()
            && spare.capacity() < resources.capacity()
        {
            *spare = resources;
        }
    });
}

fn spare_resources() -> Vec<ResourceInstance> {
    SPARE_RESOURCES.with(|spare| {
        spare
            .try_borrow_mut()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    })
}

/// Makes rayon's global pool threads with stacks large enough to evaluate on, so that
/// [`evaluate_root`] runs in place instead of on a thread of its own. Call once, before any
/// parallel work; does nothing when the global pool already exists.
pub fn install_thread_pool() {
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(EVAL_STACK_BYTES)
        .thread_name(|i| format!("sovereign-{i}"))
        .start_handler(|_| LARGE_STACK.with(|flag| flag.set(true)))
        .build_global();
}

const EVAL_STACK_BYTES: usize = 64 << 20;

/// Parsed module directories shared by the roots of one run: a module that many stacks call is
/// read and parsed once. Only called modules are kept (not roots), up to [`MODULE_CACHE_BYTES`] of
/// source text, so memory stays bounded whatever the layout.
#[derive(Default)]
pub struct ModuleCache {
    entries: Mutex<HashMap<(PathBuf, PathBuf), Arc<CachedModule>>>,
    bytes: AtomicUsize,
}

const MODULE_CACHE_BYTES: usize = 64 << 20;

/// A parsed module and what every root that uses it must report about it.
struct CachedModule {
    def: Arc<ModuleDef>,
    unparsed: Vec<Arc<SourceFile>>,
    errors: Vec<InputError>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache")
            .field("bytes", &self.bytes.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl ModuleCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<(PathBuf, PathBuf), Arc<CachedModule>>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, dir: &Path, scan_root: &Path) -> Option<Arc<CachedModule>> {
        self.entries()
            .get(&(dir.to_path_buf(), scan_root.to_path_buf()))
            .cloned()
    }

    fn put(&self, dir: PathBuf, scan_root: PathBuf, module: CachedModule) {
        let size: usize = module
            .def
            .files
            .iter()
            .map(|f| f.source.text.len())
            .chain(module.unparsed.iter().map(|s| s.text.len()))
            .sum();
        if self.bytes.fetch_add(size, Ordering::Relaxed) + size > MODULE_CACHE_BYTES {
            self.bytes.fetch_sub(size, Ordering::Relaxed);
            return;
        }
        self.entries().insert((dir, scan_root), Arc::new(module));
    }
}

struct Evaluator<'c> {
    /// Modules parsed by other roots of this run.
    cache: &'c ModuleCache,
    model: Model,
    scan_root: PathBuf,
    root_dir: PathBuf,
    modules: HashMap<PathBuf, Arc<ModuleDef>>,
    manifest: Vec<ManifestEntry>,
    /// Implicit provider configurations by key (`aws`, `aws.west`).
    implicit: HashMap<String, usize>,
    /// Whether module directories may be parsed on rayon (not from the evaluation thread).
    parallel: bool,
}

const MAX_MODULE_DEPTH: usize = 32;
/// Instances per resource beyond this are not expanded (a note says so).
const MAX_INSTANCES: usize = 100_000;

/// One instance of an expanded block: address suffix and `count.index` / `each`.
struct Expanded {
    suffix: String,
    count_index: Option<Tracked>,
    each: Option<(Tracked, Tracked)>,
}

impl Evaluator<'_> {
    /// Resolves the root's variables and evaluates its module tree.
    fn evaluate(mut self, def: Arc<ModuleDef>, root_dir: PathBuf, opts: &EvalOptions) -> Model {
        let shared = Rc::new(Shared {
            modules: self.modules.clone(),
            manifest: self.manifest.clone(),
            root_dir: root_dir.clone(),
            depth: Cell::new(0),
            eval_depth: Cell::new(0),
        });
        let vars = self.root_variables(&shared, &def, opts);
        let instance = Instance::new(shared, def, String::new(), vars, String::new(), ".".into());
        self.evaluate_instance(&instance, &HashMap::new(), &[], &[root_dir]);
        self.model
    }

    fn load_module(&mut self, dir: &Path) -> Arc<ModuleDef> {
        let key = load::normalize(dir);
        if let Some(def) = self.modules.get(&key) {
            return def.clone();
        }
        if let Some(def) = self.reuse_cached(&key) {
            return def;
        }
        let loaded = if self.parallel {
            load::load_module_dir(dir, &self.scan_root)
        } else {
            rayon_free(|| load::load_module_dir(dir, &self.scan_root))
        };
        self.admit(key, loaded)
    }

    /// A called module another root already parsed, registered as if loaded here.
    fn reuse_cached(&mut self, key: &Path) -> Option<Arc<ModuleDef>> {
        if key == self.root_dir {
            return None;
        }
        let cached = self.cache.get(key, &self.scan_root)?;
        self.absorb(&cached.def.files, &cached.unparsed, &cached.errors);
        self.modules.insert(key.to_path_buf(), cached.def.clone());
        Some(cached.def.clone())
    }

    /// Registers a module this root loaded (and shares it with other roots when it is a called one).
    fn admit(&mut self, key: PathBuf, mut loaded: load::ModuleDir) -> Arc<ModuleDef> {
        self.absorb(&loaded.files, &loaded.unparsed, &loaded.errors);
        let unparsed = std::mem::take(&mut loaded.unparsed);
        let errors = std::mem::take(&mut loaded.errors);
        let def = Arc::new(ModuleDef::new(loaded));
        if key != self.root_dir {
            let module = CachedModule {
                def: def.clone(),
                unparsed,
                errors,
            };
            self.cache.put(key.clone(), self.scan_root.clone(), module);
        }
        self.modules.insert(key, def.clone());
        def
    }

    /// Registers a module's texts (for the report) and input errors with this root's model.
    fn absorb(
        &mut self,
        files: &[load::ParsedFile],
        unparsed: &[Arc<SourceFile>],
        errors: &[InputError],
    ) {
        for file in files {
            self.model
                .sources
                .insert(file.source.rel.clone(), file.source.text.clone());
        }
        for source in unparsed {
            self.model
                .sources
                .insert(source.rel.clone(), source.text.clone());
        }
        self.model.errors.extend(errors.iter().cloned());
    }

    /// Loads every local module directory reachable through literal sources, level by level in parallel.
    fn prefetch(&mut self, root: &Arc<ModuleDef>) {
        let mut frontier = vec![root.clone()];
        // Remote modules `terraform init` fetched are all listed in the manifest.
        let mut fetched: Vec<PathBuf> = self
            .manifest
            .iter()
            .filter(|e| !e.key.is_empty())
            .map(|e| load::normalize(&self.root_dir.join(&e.dir)))
            .filter(|d| d.is_dir())
            .collect();
        for _ in 0..MAX_MODULE_DEPTH {
            let mut wanted: Vec<PathBuf> = std::mem::take(&mut fetched);
            wanted.retain(|d| !self.modules.contains_key(d));
            wanted.dedup();
            for def in &frontier {
                for r in &def.modules {
                    let (_, block) = def.block(*r);
                    if let Some(source) = block
                        .body
                        .attribute("source")
                        .and_then(|a| literal_string(&a.expr.kind))
                        && is_local_source(source)
                    {
                        let dir = load::normalize(&def.dir.join(source));
                        if !self.modules.contains_key(&dir)
                            && !wanted.contains(&dir)
                            && dir.is_dir()
                        {
                            wanted.push(dir);
                        }
                    }
                }
            }
            if wanted.is_empty() {
                break;
            }
            frontier.clear();
            let mut to_load = Vec::new();
            for dir in wanted {
                match self.reuse_cached(&dir) {
                    Some(def) => frontier.push(def),
                    None => to_load.push(dir),
                }
            }
            let scan_root = self.scan_root.clone();
            let loaded: Vec<(PathBuf, load::ModuleDir)> = to_load
                .into_par_iter()
                .map(|dir| (dir.clone(), load::load_module_dir(&dir, &scan_root)))
                .collect();
            for (dir, module) in loaded {
                frontier.push(self.admit(dir, module));
            }
        }
    }

    fn root_variables(
        &mut self,
        shared: &Rc<Shared>,
        def: &Arc<ModuleDef>,
        opts: &EvalOptions,
    ) -> HashMap<String, VarValue> {
        let mut values: HashMap<String, VarValue> = HashMap::new();
        let constant = Instance::new(
            shared.clone(),
            def.clone(),
            String::new(),
            HashMap::new(),
            String::new(),
            ".".into(),
        );
        for (key, raw) in &opts.env {
            if let Some(name) = key.strip_prefix("TF_VAR_")
                && def.variables.contains_key(name)
            {
                let value = self.cli_value(def, &constant, name, raw);
                values.insert(
                    name.to_string(),
                    VarValue {
                        value,
                        origin: None,
                        origin_note: Some(format!(" (from {key})")),
                    },
                );
            }
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for fixed in ["terraform.tfvars", "terraform.tfvars.json"] {
            let path = def.dir.join(fixed);
            if path.is_file() {
                files.push(path);
            }
        }
        let mut auto: Vec<PathBuf> = std::fs::read_dir(&def.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        let name = p
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
                    })
                    .collect()
            })
            .unwrap_or_default();
        auto.sort();
        files.extend(auto);
        files.extend(opts.var_files.iter().cloned());
        for path in files {
            let (source, parsed) = load::load_tfvars(&path, &self.scan_root);
            if let Some(source) = &source {
                self.model
                    .sources
                    .insert(source.rel.clone(), source.text.clone());
            }
            let file = match parsed {
                Ok(file) => file,
                Err(e) => {
                    self.model.errors.push(e);
                    continue;
                }
            };
            for attr in &file.body.attributes {
                let name = attr.name.to_string();
                if !def.variables.contains_key(&name) {
                    self.model.notes.push(Note {
                        location: Some(file.source.location(attr.span)),
                        message: format!(
                            "{} sets `{name}`, which no variable declares",
                            file.source.rel
                        ),
                    });
                    continue;
                }
                let scope = Scope::new(&constant, &file.source);
                let mut value = eval(&scope, &attr.expr);
                value = types::convert(value, &types::variable_type(&constant, def, &name));
                value.location = None;
                let origin = file.source.location(attr.span);
                values.insert(
                    name,
                    VarValue {
                        value,
                        origin: Some(origin),
                        origin_note: None,
                    },
                );
            }
        }
        for (key, raw) in &opts.vars {
            if def.variables.contains_key(key) {
                let value = self.cli_value(def, &constant, key, raw);
                values.insert(
                    key.clone(),
                    VarValue {
                        value,
                        origin: None,
                        origin_note: Some(" (from --var)".into()),
                    },
                );
            } else {
                self.model.notes.push(Note {
                    location: None,
                    message: format!(
                        "--var {key}: no variable `{key}` is declared in {}",
                        self.model.module_dir
                    ),
                });
            }
        }
        fill_defaults(def, &constant, &mut values);
        values
    }

    /// A `--var`/`TF_VAR_` string: kept as a string for primitive types, parsed for complex ones.
    fn cli_value(&self, def: &ModuleDef, constant: &Instance, name: &str, raw: &str) -> Tracked {
        let constraint = types::variable_type(constant, def, name);
        if constraint.is_complex()
            && let Some(expr) = load::parse_cli_expr(raw)
        {
            let file = SourceFile::new(Arc::from("<command line>"), Arc::from(raw));
            let scope = Scope::new(constant, &file);
            let mut value = eval(&scope, &expr);
            strip_locations(&mut value);
            return types::convert(value, &constraint);
        }
        types::convert(Tracked::new(Value::String(raw.into()), None), &constraint)
    }

    #[allow(clippy::too_many_lines)]
    fn evaluate_instance(
        &mut self,
        inst: &Instance,
        inherited: &HashMap<String, usize>,
        call_chain: &[Location],
        dir_stack: &[PathBuf],
    ) {
        let def = inst.def.clone();
        let mut providers = inherited.clone();

        // Provider blocks of this module instance.
        for r in &def.providers {
            let (file, block) = def.block(*r);
            let Some(local_name) = block.labels.first().map(|l| l.to_string()) else {
                continue;
            };
            let scope = Scope::new(inst, file);
            let mut attributes = eval_body(&scope, &block.body, true);
            if let Some(key) = expr::provider_override_key(block) {
                merge_overrides(&def, inst, &key, &scope, &mut attributes);
            }
            let alias = attributes.get("alias").and_then(as_string);
            let key = match &alias {
                Some(a) => format!("{local_name}.{a}"),
                None => local_name.clone(),
            };
            let mut address = format!(
                "{}provider[\"{}\"]",
                inst.prefix(),
                provider_source(&def, &local_name)
            );
            if let Some(a) = &alias {
                address.push('.');
                address.push_str(a);
            }
            let mut attributes = attributes;
            attributes.shift_remove("alias");
            self.model.providers.push(ProviderConfig {
                address,
                provider_type: provider_type(&def, &local_name),
                alias,
                module_address: inst.address.clone(),
                attributes,
                location: file.location(header_span(file, block.span)),
                call_chain: call_chain.to_vec(),
                implicit: false,
            });
            providers.insert(key, self.model.providers.len() - 1);
        }

        // What resources that do not write their region take from their provider.
        {
            let mut arguments = inst.provider_arguments.borrow_mut();
            for (key, &index) in &providers {
                if let Some(p) = self.model.providers.get(index) {
                    let placement: AttrMap = ["region", "zone", "project"]
                        .into_iter()
                        .filter_map(|a| Some((a.into(), p.attributes.get(a)?.clone())))
                        .collect();
                    arguments.insert(key.clone(), placement);
                }
            }
        }

        // Module calls and outputs in override files are not merged: say so where they are.
        let mut unmerged: Vec<(&String, &Vec<expr::BlockRef>)> = def
            .overrides
            .iter()
            .filter(|(key, _)| key.starts_with("module ") || key.starts_with("output "))
            .collect();
        unmerged.sort_by(|a, b| a.0.cmp(b.0));
        for (key, refs) in unmerged {
            for r in refs {
                let (file, block) = def.block(*r);
                let what = key.replacen(' ', ".", 1);
                self.model.notes.push(Note {
                    location: Some(file.location(header_span(file, block.span))),
                    message: format!(
                        "{}this override of {what} is not merged into it: the arguments it sets are not checked",
                        inst.prefix()
                    ),
                });
            }
        }

        // Backends (only the root module's count).
        if inst.address.is_empty() {
            // A `backend` or `cloud` block in an override file replaces the configuration's.
            let overridden = def.terraform_overrides.iter().rev().find(|r| {
                def.block(**r)
                    .1
                    .body
                    .blocks
                    .iter()
                    .any(|b| matches!(&*b.kind, "backend" | "cloud"))
            });
            let terraform_blocks = match overridden {
                Some(r) => std::slice::from_ref(r),
                None => def.terraform.as_slice(),
            };
            for r in terraform_blocks {
                let (file, block) = def.block(*r);
                let scope = Scope::new(inst, file);
                for inner in &block.body.blocks {
                    let backend_type = match &*inner.kind {
                        "backend" => inner.labels.first().map(|l| l.to_string()),
                        "cloud" => Some("cloud".to_string()),
                        _ => None,
                    };
                    if let Some(backend_type) = backend_type {
                        self.model.backends.push(Backend {
                            backend_type,
                            attributes: eval_body(&scope, &inner.body, false),
                            location: file.location(header_span(file, inner.span)),
                        });
                    }
                }
            }
        }

        // Resources and data sources. Every instance shares its module address, type, name and
        // call chain.
        let module_address = Name::from(inst.address.as_str());
        let shared_chain: Arc<[Location]> = Arc::from(call_chain);
        let prefix = inst.prefix();
        for (i, (local_address, r)) in def.resources.iter().enumerate() {
            let (file, block) = def.block(*r);
            let mode = if block.kind.as_str() == "data" {
                ResourceMode::Data
            } else {
                ResourceMode::Managed
            };
            let Some((resource_type, name)) = def.resource_names.get(i) else {
                continue;
            };
            let location = file.location(header_span(file, block.span));
            let base = Scope::new(inst, file);
            let block_address = value::concat(&[&prefix, local_address]);
            // `count`/`for_each` and `provider` as override files leave them.
            let (count_file, count_block) = match def.block_setting(local_address, *r, "count") {
                (f, b) if b.body.attribute("count").is_some() => (f, b),
                _ => def.block_setting(local_address, *r, "for_each"),
            };
            let expansions = self.expand(
                &Scope::new(inst, count_file),
                &count_block.body,
                &block_address,
            );
            let provider_key = provider_key(
                &def.block_setting(local_address, *r, "provider").1.body,
                resource_type,
            );
            let provider = self.provider_for(&mut providers, &provider_key, &def, location.clone());
            let resource_type = resource_type.clone();
            let name = name.clone();
            for instance in expansions {
                let scope = Scope {
                    count_index: instance.count_index.as_ref(),
                    each: instance.each.as_ref().map(|(k, v)| (k, v)),
                    ..base
                };
                let mut attributes = eval_body(&scope, &block.body, true);
                merge_overrides(&def, inst, local_address, &scope, &mut attributes);
                self.model.resources.push(ResourceInstance {
                    address: value::concat(&[&block_address, &instance.suffix]),
                    module_address: module_address.clone(),
                    mode,
                    resource_type: resource_type.clone(),
                    name: name.clone(),
                    attributes,
                    provider: Some(provider),
                    location: location.clone(),
                    call_chain: shared_chain.clone(),
                });
                if let Some(last) = self.model.resources.last() {
                    let features = crate::rules::instance_features(last);
                    self.model.instance_features.push(features);
                }
            }
        }

        // Module calls.
        for r in &def.modules {
            let (file, block) = def.block(*r);
            let Some(name) = block.labels.first().map(|l| l.to_string()) else {
                continue;
            };
            let location = file.location(header_span(file, block.span));
            let base = Scope::new(inst, file);
            let source = match block.body.attribute("source") {
                Some(a) => eval(&base, &a.expr),
                None => unknown(format!("module.{name} has no source")),
            };
            let version = block
                .body
                .attribute("version")
                .and_then(|a| as_string(&eval(&base, &a.expr)));
            let key = manifest_key_of(&inst.manifest_key, &name);
            let source_text = source.as_str().unwrap_or("").to_string();
            let (resolution, child_dir) =
                resolve_module_dir(&inst.shared, &def, &key, &source_text);
            let expansions = self.expand(
                &base,
                &block.body,
                &format!("{}module.{name}", inst.prefix()),
            );
            if resolution == ModuleResolution::NotFetched {
                self.model.notes.push(Note {
                    location: Some(location.clone()),
                    message: format!(
                        "remote module {} of module.{name} is not fetched; run `terraform init` to lint it",
                        source.render()
                    ),
                });
            }
            for instance in expansions {
                let address = format!("{}module.{name}{}", inst.prefix(), instance.suffix);
                let mut chain = call_chain.to_vec();
                chain.push(location.clone());
                self.model.module_calls.push(ModuleCall {
                    address: address.clone(),
                    source: source.clone(),
                    version: version.clone(),
                    location: location.clone(),
                    call_chain: call_chain.to_vec(),
                    resolution: resolution.clone(),
                });
                let Some(child_dir) = &child_dir else {
                    continue;
                };
                let normalized = load::normalize(child_dir);
                if dir_stack.contains(&normalized) || dir_stack.len() >= MAX_MODULE_DEPTH {
                    self.model.notes.push(Note {
                        location: Some(location.clone()),
                        message: format!("{address} calls a module that is already being evaluated (module recursion); not followed"),
                    });
                    continue;
                }
                if !normalized.is_dir() {
                    self.model.errors.push(InputError {
                        file: Some(location.file.clone()),
                        location: Some(location.clone()),
                        message: format!(
                            "module source {} of {address} is not a directory",
                            source.render()
                        ),
                        help: Some(
                            "fix the module's `source` path (relative to the calling module)"
                                .into(),
                        ),
                    });
                    continue;
                }
                let child_def = self.load_module(&normalized);
                let scope = Scope {
                    count_index: instance.count_index.as_ref(),
                    each: instance.each.as_ref().map(|(k, v)| (k, v)),
                    ..base
                };
                let vars = module_inputs(&scope, file, block, &child_def, &address);
                // Default providers are inherited; `providers = {}` passes (aliased) ones explicitly.
                let mut child_providers: HashMap<String, usize> = providers
                    .iter()
                    .filter(|(k, _)| !k.contains('.'))
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                if let Some(map) = block.body.attribute("providers")
                    && let ExprKind::Object(entries) = &map.expr.kind
                {
                    for (child_key, parent_expr) in entries {
                        let child_key = match child_key {
                            crate::load::ast::ObjectKey::Ident(k) => k.to_string(),
                            crate::load::ast::ObjectKey::Expr(e) => {
                                file.snippet(e.span).trim_matches('"').to_string()
                            }
                        };
                        let parent_key = match &parent_expr.kind {
                            ExprKind::String(s) => s.to_string(),
                            _ => file.snippet(parent_expr.span).to_string(),
                        };
                        let index = self.provider_for(
                            &mut providers,
                            &parent_key,
                            &def,
                            file.location(parent_expr.span),
                        );
                        child_providers.insert(child_key, index);
                    }
                }
                let path_module = load::relative_path(&normalized, &self.root_dir);
                let child = Instance::new(
                    inst.shared.clone(),
                    child_def,
                    address,
                    vars,
                    key.clone(),
                    path_module,
                );
                let mut stack = dir_stack.to_vec();
                stack.push(normalized);
                self.evaluate_instance(&child, &child_providers, &chain, &stack);
            }
        }
    }

    /// The provider configuration for `key` (`aws`, `aws.west`) in a module instance, creating an
    /// implicit (empty) root configuration when no block exists.
    fn provider_for(
        &mut self,
        providers: &mut HashMap<String, usize>,
        key: &str,
        def: &ModuleDef,
        location: Location,
    ) -> usize {
        if let Some(&index) = providers.get(key) {
            return index;
        }
        let (local_name, alias) = match key.split_once('.') {
            Some((n, a)) => (n.to_string(), Some(a.to_string())),
            None => (key.to_string(), None),
        };
        let source = provider_source(def, &local_name);
        let implicit_key = match &alias {
            Some(a) => format!("{source}.{a}"),
            None => source.clone(),
        };
        if let Some(&index) = self.implicit.get(&implicit_key) {
            providers.insert(key.to_string(), index);
            return index;
        }
        let mut address = format!("provider[\"{source}\"]");
        if let Some(a) = &alias {
            address.push('.');
            address.push_str(a);
        }
        self.model.providers.push(ProviderConfig {
            address,
            provider_type: provider_type(def, &local_name),
            alias,
            module_address: String::new(),
            attributes: AttrMap::new(),
            location,
            call_chain: Vec::new(),
            implicit: true,
        });
        let index = self.model.providers.len() - 1;
        self.implicit.insert(implicit_key, index);
        providers.insert(key.to_string(), index);
        index
    }

    /// Expands `count` / `for_each` of a block into its instances.
    fn expand(&mut self, scope: &Scope<'_>, body: &Body, what: &str) -> Vec<Expanded> {
        let single = || {
            vec![Expanded {
                suffix: String::new(),
                count_index: None,
                each: None,
            }]
        };
        if let Some(count) = body.attribute("count") {
            let value = eval(scope, &count.expr);
            return match value.as_number() {
                Some(n) if n >= 0.0 => {
                    let n = n as usize;
                    if n > MAX_INSTANCES {
                        self.note(scope, count.span, format!("{what} has count = {n}; only the first {MAX_INSTANCES} instances are checked"));
                    }
                    (0..n.min(MAX_INSTANCES))
                        .map(|i| {
                            let index = Tracked::new(
                                Value::Number(i as f64),
                                Some(scope.location(count.expr.span)),
                            );
                            Expanded {
                                suffix: format!("[{i}]"),
                                count_index: Some(index),
                                each: None,
                            }
                        })
                        .collect()
                }
                _ => {
                    let reason = value.unknown_reason().unwrap_or("not a number").to_string();
                    self.note(scope, count.span, format!("count of {what} cannot be resolved statically ({reason}); its instances are checked as one"));
                    vec![Expanded {
                        suffix: String::new(),
                        count_index: Some(unknown(format!(
                            "count.index of {what}: count is unknown ({reason})"
                        ))),
                        each: None,
                    }]
                }
            };
        }
        if let Some(for_each) = body.attribute("for_each") {
            let value = eval(scope, &for_each.expr);
            let pairs: Option<Vec<(Tracked, Tracked)>> = match &value.value {
                Value::Map(m) => Some(
                    value::sorted_entries(m)
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                Tracked::new(Value::String(k.clone()), v.location.clone()),
                                v.clone(),
                            )
                        })
                        .collect(),
                ),
                Value::List(items) => items
                    .iter()
                    .map(|item| {
                        as_string(item).map(|s| {
                            (
                                Tracked::new(Value::String(s.into()), item.location.clone()),
                                item.clone(),
                            )
                        })
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|mut pairs| {
                        pairs.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
                        pairs.dedup_by(|a, b| a.0.as_str() == b.0.as_str());
                        pairs
                    }),
                Value::Null => Some(Vec::new()),
                _ => None,
            };
            return match pairs {
                Some(pairs) => pairs
                    .into_iter()
                    .take(MAX_INSTANCES)
                    .map(|(key, value)| Expanded {
                        suffix: index_key(&key),
                        count_index: None,
                        each: Some((key, value)),
                    })
                    .collect(),
                None => {
                    let reason = value.unknown_reason().map_or_else(
                        || format!("not a map or set of strings: {}", value.render()),
                        str::to_string,
                    );
                    self.note(scope, for_each.span, format!("for_each of {what} cannot be resolved statically ({reason}); its instances are checked as one"));
                    let u = unknown(format!("each of {what}: for_each is unknown ({reason})"));
                    vec![Expanded {
                        suffix: String::new(),
                        count_index: None,
                        each: Some((u.clone(), u)),
                    }]
                }
            };
        }
        single()
    }

    fn note(&mut self, scope: &Scope<'_>, span: Span, message: String) {
        self.model.notes.push(Note {
            location: Some(scope.location(span)),
            message,
        });
    }
}

/// Merges the override files' blocks for `key` into a block's evaluated arguments, as Terraform
/// does: each argument replaces the block's own, and each nested block type replaces all the
/// block's nested blocks of that type. `scope` is the block's (its `count`/`each` apply).
fn merge_overrides(
    def: &ModuleDef,
    inst: &Instance,
    key: &str,
    scope: &Scope<'_>,
    attributes: &mut AttrMap,
) {
    for r in def.overrides_of(key) {
        let (file, block) = def.block(*r);
        let scope = Scope {
            inst,
            file,
            ..*scope
        };
        for (name, value) in eval_body(&scope, &block.body, true) {
            attributes.insert(name, value);
        }
    }
}

/// Declared variables without a value get their default, or an unknown "has no value".
fn fill_defaults(def: &ModuleDef, constant: &Instance, values: &mut HashMap<String, VarValue>) {
    for (name, r) in &def.variables {
        if values.contains_key(name) {
            continue;
        }
        let (block_file, block) = def.block(*r);
        let var = match def.variable_attribute(name, "default") {
            Some((file, default)) => {
                let scope = Scope::new(constant, file);
                let mut value = types::convert(
                    eval(&scope, &default.expr),
                    &types::variable_type(constant, def, name),
                );
                value.location = None;
                VarValue {
                    value,
                    origin: Some(file.location(default.span)),
                    origin_note: None,
                }
            }
            None => VarValue {
                value: unknown(format!("var.{name} has no value")),
                origin: Some(block_file.location(header_span(block_file, block.span))),
                origin_note: None,
            },
        };
        values.insert(name.clone(), var);
    }
}

/// A module call's key in Terraform's module manifest (`parent.child`).
fn manifest_key_of(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// How a module call's code is obtained and where it is: a local path relative to the calling
/// module, or the directory `terraform init` recorded in the manifest.
fn resolve_module_dir(
    shared: &Shared,
    def: &ModuleDef,
    manifest_key: &str,
    source: &str,
) -> (ModuleResolution, Option<PathBuf>) {
    if is_local_source(source) {
        (
            ModuleResolution::Local,
            Some(load::normalize(&def.dir.join(source))),
        )
    } else if let Some(entry) = shared.manifest.iter().find(|e| e.key == manifest_key) {
        (
            ModuleResolution::Fetched,
            Some(load::normalize(&shared.root_dir.join(&entry.dir))),
        )
    } else {
        (ModuleResolution::NotFetched, None)
    }
}

/// A module instance's input variables: the call's arguments evaluated in the caller's scope
/// (with a provenance step naming the call argument), then the module's defaults.
fn module_inputs(
    scope: &Scope<'_>,
    file: &SourceFile,
    block: &crate::load::ast::Block,
    child_def: &Arc<ModuleDef>,
    address: &str,
) -> HashMap<String, VarValue> {
    let mut vars = HashMap::new();
    let constant = Instance::new(
        scope.inst.shared.clone(),
        child_def.clone(),
        address.to_string(),
        HashMap::new(),
        String::new(),
        ".".into(),
    );
    for var_name in child_def.variables.keys() {
        if let Some(arg) = block.body.attribute(var_name) {
            let value = eval(scope, &arg.expr);
            // `nullable = false`: Terraform gives a null argument the variable's default.
            if value.is_null() && !nullable(child_def, &constant, var_name) {
                continue;
            }
            let arg_location = file.location(arg.span);
            let provenance = Provenance::chain(
                ProvenanceStep {
                    description: format!(
                        "{address} input {var_name} = {}",
                        file.snippet(arg.expr.span)
                    )
                    .into(),
                    location: Some(arg_location.clone()),
                },
                &value.provenance,
            );
            let value = types::convert(
                Tracked {
                    value: value.value,
                    location: None,
                    provenance,
                },
                &types::variable_type(scope.inst, child_def, var_name),
            );
            vars.insert(
                var_name.clone(),
                VarValue {
                    value,
                    origin: Some(arg_location),
                    origin_note: None,
                },
            );
        }
    }
    fill_defaults(child_def, &constant, &mut vars);
    vars
}

/// A variable's `nullable` (true unless it says `nullable = false`).
fn nullable(def: &ModuleDef, constant: &Instance, name: &str) -> bool {
    match def.variable_attribute(name, "nullable") {
        Some((file, attr)) => {
            let scope = Scope::new(constant, file);
            !matches!(eval(&scope, &attr.expr).value, Value::Bool(false))
        }
        None => true,
    }
}

/// Runs `f` on a single-thread rayon pool of its own, so its parallel iterators never wait on
/// the global pool (whose workers may all be blocked waiting for this evaluation).
fn rayon_free<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Meta-arguments that are not resource attributes.
fn is_meta_argument(name: &str) -> bool {
    matches!(
        name,
        "count" | "for_each" | "provider" | "depends_on" | "providers"
    )
}

/// Meta-blocks that are not resource arguments.
fn is_meta_block(kind: &str) -> bool {
    matches!(kind, "lifecycle" | "provisioner" | "connection")
}

/// Evaluates a block body: attributes, and nested blocks as lists of maps (dynamic blocks expanded).
fn eval_body(scope: &Scope<'_>, body: &Body, top_level: bool) -> AttrMap {
    let mut out = AttrMap::with_capacity(body.attributes.len() + body.blocks.len());
    for attr in &body.attributes {
        if top_level && is_meta_argument(&attr.name) {
            continue;
        }
        out.insert(attr.name.clone(), expr::eval_attribute(scope, &attr.expr));
    }
    // Blocks go straight into `out` as lists (no staging map): `attributes` is where they start.
    let attributes = out.len();
    let mut replaced: Vec<usize> = Vec::new();
    for block in &body.blocks {
        if top_level && is_meta_block(&block.kind) {
            continue;
        }
        let location = scope.location(header_span(scope.file, block.span));
        if &*block.kind == "dynamic" {
            let Some(label) = block.labels.first() else {
                continue;
            };
            let iterator = block
                .body
                .attribute("iterator")
                .map(|a| {
                    scope
                        .file
                        .snippet(a.expr.span)
                        .trim()
                        .trim_matches('"')
                        .to_string()
                })
                .unwrap_or_else(|| label.to_string());
            let Some(content) = block.body.blocks_of("content").next() else {
                continue;
            };
            let mut entries = Vec::new();
            let for_each = block
                .body
                .attribute("for_each")
                .map(|a| eval(scope, &a.expr));
            let pairs = for_each
                .as_ref()
                .map(expr::iterate)
                .unwrap_or(Ok(Vec::new()));
            match pairs {
                Ok(pairs) => {
                    for (key, value) in pairs {
                        let mut object = AttrMap::with_capacity(2);
                        object.insert(Key::const_new("key"), key);
                        object.insert(Key::const_new("value"), value);
                        let iter_value = Tracked::new(Value::Map(object), None);
                        let inner = scope.bind(&iterator, &iter_value);
                        let content_location =
                            inner.location(header_span(scope.file, content.span));
                        entries.push(Tracked::new(
                            Value::Map(eval_body(&inner, &content.body, false)),
                            Some(content_location),
                        ));
                    }
                }
                Err(u) => {
                    // Unknown collection: check the content once with an unknown iterator.
                    let reason = u.unknown_reason().unwrap_or("unknown").to_string();
                    let iter_value = unknown(format!(
                        "dynamic \"{label}\" for_each is unknown ({reason})"
                    ));
                    let inner = scope.bind(&iterator, &iter_value);
                    entries.push(Tracked::new(
                        Value::Map(eval_body(&inner, &content.body, false)),
                        Some(location.clone()),
                    ));
                }
            }
            if let Some(items) = block_list(
                &mut out,
                attributes,
                &mut replaced,
                label,
                &location,
                || entries.len(),
            ) {
                items.append(&mut entries);
            }
            continue;
        }
        let value = Tracked::new(
            Value::Map(eval_body(scope, &block.body, false)),
            Some(location.clone()),
        );
        let expected = || body.blocks.iter().filter(|b| b.kind == block.kind).count();
        if let Some(items) = block_list(
            &mut out,
            attributes,
            &mut replaced,
            &block.kind,
            &location,
            expected,
        ) {
            items.push(value);
        }
    }
    out
}

/// The list that blocks of `kind` are collected in, in `out` (whose first `attributes` entries are
/// the body's attributes): created at the first such block, in block order after the attributes;
/// an attribute of the same name is replaced by the list in its place (`replaced` remembers it).
fn block_list<'o>(
    out: &'o mut AttrMap,
    attributes: usize,
    replaced: &mut Vec<usize>,
    kind: &str,
    location: &Location,
    expected: impl Fn() -> usize,
) -> Option<&'o mut Vec<Tracked>> {
    // Sized for the blocks to come (most kinds appear once: a growing vector would hold four).
    let new_list = || {
        Tracked::new(
            Value::List(Vec::with_capacity(expected())),
            Some(location.clone()),
        )
    };
    let index = match out.get_index_of(kind) {
        Some(i) if i >= attributes || replaced.contains(&i) => i,
        Some(i) => {
            replaced.push(i);
            if let Some((_, v)) = out.get_index_mut(i) {
                *v = new_list();
            }
            i
        }
        None => out.insert_full(kind.into(), new_list()).0,
    };
    match out.get_index_mut(index) {
        Some((
            _,
            Tracked {
                value: Value::List(items),
                ..
            },
        )) => Some(items),
        _ => None,
    }
}

/// The header of a block (up to its `{` or the end of its first line): a block's whole span is
/// too long to label.
fn header_span(file: &SourceFile, span: Span) -> Span {
    let text = file.text.as_bytes();
    let start = span.start as usize;
    let end = (span.end as usize).min(text.len());
    let header_end = text
        .get(start..end)
        .and_then(|slice| slice.iter().position(|b| *b == b'\n' || *b == b'{'))
        .map_or(end, |p| start + p);
    let mut header = Span::new(start, header_end);
    while header.end > header.start
        && text
            .get(header.end as usize - 1)
            .is_some_and(u8::is_ascii_whitespace)
    {
        header.end -= 1;
    }
    header
}

fn literal_string(kind: &ExprKind) -> Option<&str> {
    match kind {
        ExprKind::String(s) => Some(s),
        _ => None,
    }
}

fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// `provider = aws.west` (or `"aws.west"` in JSON), else the resource type's prefix.
fn provider_key<'b>(body: &Body, resource_type: &'b str) -> std::borrow::Cow<'b, str> {
    if let Some(attr) = body.attribute("provider") {
        match &attr.expr.kind {
            ExprKind::String(s) => return s.to_string().into(),
            ExprKind::Variable(v) => return v.to_string().into(),
            ExprKind::Traversal(root, ops) => {
                if let ExprKind::Variable(v) = &root.kind {
                    let mut key = v.to_string();
                    for op in ops {
                        if let crate::load::ast::TraversalOp::GetAttr(a) = op {
                            key.push('.');
                            key.push_str(a);
                        }
                    }
                    return key.into();
                }
            }
            _ => {}
        }
    }
    resource_type
        .split('_')
        .next()
        .unwrap_or(resource_type)
        .into()
}

/// `registry.terraform.io/hashicorp/aws` for a provider local name.
fn provider_source(def: &ModuleDef, local_name: &str) -> String {
    match def.required_providers.get(local_name) {
        Some(source) => match source.split('/').count() {
            3 => source.to_lowercase(),
            2 => format!("registry.terraform.io/{}", source.to_lowercase()),
            _ => format!("registry.terraform.io/hashicorp/{}", source.to_lowercase()),
        },
        None => format!("registry.terraform.io/hashicorp/{local_name}"),
    }
}

fn provider_type(def: &ModuleDef, local_name: &str) -> String {
    def.required_providers
        .get(local_name)
        .and_then(|s| s.rsplit('/').next())
        .map_or_else(|| local_name.to_string(), str::to_lowercase)
}

fn strip_locations(t: &mut Tracked) {
    t.location = None;
    match &mut t.value {
        Value::List(items) => items.iter_mut().for_each(strip_locations),
        Value::Map(m) => m.values_mut().for_each(strip_locations),
        _ => {}
    }
}
