//! The evaluated-instance model: what both inputs produce and what every rule reads.
//!
//! Data flows one way: files → parsed modules → **this model** → rules → findings → reporters.
//! The configuration loader (`load`/`eval`) and the plan reader (`plan`) each produce a [`Model`];
//! rules never read files and never know which input the model came from.
//!
//! Nested blocks are values too: `ingress { … }` blocks become `ingress = [ {…}, {…} ]`, a list of
//! maps, exactly as Terraform's plan JSON shows them, so one representation serves both inputs.
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

pub use crate::attr_map::AttrMap;

/// A map key: short keys (nearly all attribute names) are stored inline, without an allocation.
pub type Key = compact_str::CompactString;

/// The entry `key` of an attribute map.
pub fn lookup<'m>(map: &'m AttrMap, key: &str) -> Option<&'m Tracked> {
    #[cfg(test)]
    argument_reads::looked_up(map, key);
    map.get(key)
}

/// A short shared text: a resource type, name or module address that every instance of a block
/// (or of a module instance) shares — one allocation, not one per instance.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Arc::from(s))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Path relative to the scanned root, `/`-separated (e.g. `modules/store/main.tf`).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// Byte range in the file of the labelled span (for the human reporter); `None` when unknown.
    #[serde(skip)]
    pub span: Option<(u32, u32)>,
}

impl Location {
    pub fn new(file: impl Into<Arc<str>>, line: u32, column: u32) -> Self {
        Location {
            file: file.into(),
            line,
            column,
            span: None,
        }
    }

    pub fn with_span(mut self, start: usize, end: usize) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.span = Some((clamp(start), clamp(end)));
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One step of how a value was resolved, outermost first: the attribute that uses it, then each
/// variable, module input, local or tfvars file it passed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvenanceStep {
    /// What this step is, e.g. `var.region = "us-east-1"`, `module.store input region`, `TF_VAR_region`.
    pub description: Arc<str>,
    /// Where it is written (a tfvars line, a variable default, a module call argument), if in a file.
    pub location: Option<Location>,
}

impl fmt::Display for ProvenanceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{} (from {})", self.description, loc),
            None => f.write_str(&self.description),
        }
    }
}

/// A value's resolution chain, outermost first. Shared (reference-counted) between the values
/// copied from one another: every reference to `var.region` carries the same chain, and copying a
/// value does not copy its steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance(Option<Arc<[ProvenanceStep]>>);

impl Provenance {
    pub fn new() -> Self {
        Provenance(None)
    }

    /// A chain of one step.
    pub fn one(step: ProvenanceStep) -> Self {
        Provenance(Some(Arc::from(vec![step])))
    }

    /// `first`, then the steps of `rest` (a value resolved through `first`).
    pub fn chain(first: ProvenanceStep, rest: &Provenance) -> Self {
        let mut steps = Vec::with_capacity(1 + rest.len());
        steps.push(first);
        for step in rest {
            if step != &steps[0] {
                steps.push(step.clone());
            }
        }
        Provenance(Some(Arc::from(steps)))
    }

    fn set(&mut self, steps: Vec<ProvenanceStep>) {
        self.0 = if steps.is_empty() {
            None
        } else {
            Some(Arc::from(steps))
        };
    }

    /// Appends a step (the chain is copied if shared).
    pub fn push(&mut self, step: ProvenanceStep) {
        let mut steps = self.to_vec();
        steps.push(step);
        self.set(steps);
    }

    /// Inserts a step at `index` (the chain is copied if shared).
    pub fn insert(&mut self, index: usize, step: ProvenanceStep) {
        let mut steps = self.to_vec();
        steps.insert(index.min(steps.len()), step);
        self.set(steps);
    }

    /// Appends `from`'s steps that are not already in this chain.
    pub fn merge(&mut self, from: &Provenance) {
        let Some(theirs) = &from.0 else {
            return;
        };
        let Some(ours) = &self.0 else {
            self.0 = Some(theirs.clone());
            return;
        };
        if Arc::ptr_eq(ours, theirs) {
            return;
        }
        let missing: Vec<&ProvenanceStep> =
            theirs.iter().filter(|step| !ours.contains(step)).collect();
        if missing.is_empty() {
            return;
        }
        let mut steps = Vec::with_capacity(ours.len() + missing.len());
        steps.extend(ours.iter().cloned());
        steps.extend(missing.into_iter().cloned());
        self.set(steps);
    }

    /// Changes every step (the chain is copied if shared).
    pub fn update(&mut self, mut f: impl FnMut(&mut ProvenanceStep)) {
        if self.0.is_none() {
            return;
        }
        let mut steps = self.to_vec();
        steps.iter_mut().for_each(&mut f);
        self.set(steps);
    }
}

impl std::ops::Deref for Provenance {
    type Target = [ProvenanceStep];
    fn deref(&self) -> &[ProvenanceStep] {
        self.0.as_deref().unwrap_or(&[])
    }
}

impl From<Vec<ProvenanceStep>> for Provenance {
    fn from(steps: Vec<ProvenanceStep>) -> Self {
        let mut p = Provenance::new();
        p.set(steps);
        p
    }
}

impl<'a> IntoIterator for &'a Provenance {
    type Item = &'a ProvenanceStep;
    type IntoIter = std::slice::Iter<'a, ProvenanceStep>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Provenance {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

/// A value as far as it can be known statically.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(Key),
    /// Lists, sets and tuples; also nested blocks.
    List(Vec<Tracked>),
    /// Maps and objects; also the body of one nested block.
    Map(AttrMap),
    /// Not statically known: why (e.g. `var.region has no value`, `known after apply`).
    Unknown(Unknown),
}

/// Why a value is unknown.
///
/// Two kinds, as in Terraform: a value not known yet (a variable without a value, an attribute
/// known after apply, a function the linter does not evaluate) and an evaluation error (a missing
/// attribute, a wrong argument). `try()` and `can()` tell them apart: an error falls through to
/// the next argument, an unknown makes the result unknown. Rules treat both as unresolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    pub reason: String,
    /// Evaluating the expression failed (Terraform would report an error), rather than its value
    /// not being known yet.
    #[serde(skip)]
    pub error: bool,
    /// For `jsonencode` of a value with parts not known yet: the JSON with each such part written
    /// as [`Unknown::JSON_MARK`], so rules can still read the parts that are known (the images of
    /// an ECS task definition whose log group name is known only after apply).
    #[serde(skip)]
    pub known_json: Option<std::sync::Arc<str>>,
}

impl Unknown {
    /// Stands for a part not known yet in [`Unknown::known_json`].
    pub const JSON_MARK: &'static str = "(known after apply)";

    /// A value not known yet.
    pub fn new(reason: impl Into<String>) -> Self {
        Unknown {
            reason: reason.into(),
            error: false,
            known_json: None,
        }
    }

    /// An expression that fails to evaluate.
    pub fn error(reason: impl Into<String>) -> Self {
        Unknown {
            reason: reason.into(),
            error: true,
            known_json: None,
        }
    }
}

/// A value with where it was written and how it was resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tracked {
    pub value: Value,
    /// Where the expression that produced this value is written in the instance's own block
    /// (e.g. the `region = var.region` attribute); `None` for values with no source position.
    pub location: Option<Location>,
    /// The resolution chain (empty for a literal written in place).
    pub provenance: Provenance,
}

impl Tracked {
    pub fn new(value: Value, location: Option<Location>) -> Self {
        Tracked {
            value,
            location,
            provenance: Provenance::new(),
        }
    }

    pub fn unknown(reason: impl Into<String>, location: Option<Location>) -> Self {
        Tracked::new(Value::Unknown(Unknown::new(reason)), location)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match &self.value {
            Value::Number(n) => Some(*n),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Tracked]> {
        match &self.value {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&AttrMap> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn unknown_reason(&self) -> Option<&str> {
        match &self.value {
            Value::Unknown(u) => Some(&u.reason),
            _ => None,
        }
    }

    /// A map entry (`None` when not a map or absent).
    pub fn get(&self, key: &str) -> Option<&Tracked> {
        lookup(self.as_map()?, key)
    }

    /// Items of a list, or the value itself when it is a single map (a block written once).
    pub fn items(&self) -> &[Tracked] {
        match &self.value {
            Value::List(items) => items,
            Value::Null => &[],
            _ => std::slice::from_ref(self),
        }
    }

    /// Whether this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match &self.value {
            Value::Unknown(_) => true,
            Value::List(items) => items.iter().any(Tracked::contains_unknown),
            Value::Map(m) => m.values().any(Tracked::contains_unknown),
            _ => false,
        }
    }

    /// The first value inside this one (itself included) that is not known yet — not an
    /// evaluation error (see [`Unknown`]).
    pub fn pending_unknown(&self) -> Option<&Tracked> {
        match &self.value {
            Value::Unknown(u) if !u.error => Some(self),
            Value::List(items) => items.iter().find_map(Tracked::pending_unknown),
            Value::Map(m) => m.values().find_map(Tracked::pending_unknown),
            _ => None,
        }
    }

    /// The first evaluation error inside this value (itself included).
    pub fn evaluation_error(&self) -> Option<&Tracked> {
        match &self.value {
            Value::Unknown(u) if u.error => Some(self),
            Value::List(items) => items.iter().find_map(Tracked::evaluation_error),
            Value::Map(m) => m.values().find_map(Tracked::evaluation_error),
            _ => None,
        }
    }

    /// The value as users read it in messages: strings quoted, `(known after apply)` for unknowns.
    pub fn render(&self) -> String {
        render_value(&self.value)
    }
}

fn render_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                n.to_string()
            }
        }
        Value::String(s) => format!("{s:?}"),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(Tracked::render).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k} = {}", v.render()))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Unknown(u) => format!("(unknown: {})", u.reason),
    }
}

/// Managed resource or data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceMode {
    Managed,
    Data,
}

/// One instance of a resource (after `count`/`for_each` expansion and per module instance).
#[derive(Debug, Clone, Serialize)]
pub struct ResourceInstance {
    /// Full instance address: `module.store["offsite"].aws_kms_replica_key.copy[0]`.
    pub address: String,
    /// Module instance address, empty for the root module: `module.store["offsite"]`.
    pub module_address: Name,
    pub mode: ResourceMode,
    /// `aws_s3_bucket`
    pub resource_type: Name,
    /// `this`
    pub name: Name,
    /// Arguments and nested blocks (blocks as lists of maps).
    pub attributes: AttrMap,
    /// Index into [`Model::providers`] of the provider configuration this instance uses, if any.
    pub provider: Option<usize>,
    /// The block header (`resource "aws_s3_bucket" "this" {`).
    pub location: Location,
    /// Module call blocks from the root down to this instance's module (empty in the root module):
    /// SARIF related locations.
    pub call_chain: Arc<[Location]>,
}

impl ResourceInstance {
    pub fn attr(&self, name: &str) -> Option<&Tracked> {
        #[cfg(test)]
        argument_reads::record(&self.resource_type, name);
        lookup(&self.attributes, name)
    }

    /// The location to report an attribute at: the attribute if written, else the block.
    pub fn attr_location(&self, name: &str) -> Location {
        lookup(&self.attributes, name)
            .and_then(|t| t.location.clone())
            .unwrap_or_else(|| self.location.clone())
    }
}

/// A provider configuration as a module instance sees it (a `provider` block, possibly reached
/// through a module's `providers = {}` map), or an implicit empty one when no block exists.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderConfig {
    /// Display address: `provider["registry.terraform.io/hashicorp/aws"].west` or `provider.aws.west`
    /// qualified by module (`module.x.provider.aws`) where it is defined in a module.
    pub address: String,
    /// Provider type (`aws`, `azurerm`, `google`, `sovereign`).
    pub provider_type: String,
    pub alias: Option<String>,
    /// The module instance that defines the block (empty for the root module).
    pub module_address: String,
    /// Arguments and nested blocks (`endpoints`, `default_tags`, `assume_role` as lists of maps).
    pub attributes: AttrMap,
    /// The `provider` block header; for an implicit provider, the first resource that uses it.
    pub location: Location,
    pub call_chain: Vec<Location>,
    /// No `provider` block exists: the configuration comes from the environment.
    pub implicit: bool,
}

impl ProviderConfig {
    pub fn attr(&self, name: &str) -> Option<&Tracked> {
        lookup(&self.attributes, name)
    }
}

/// The `terraform { backend "…" {} }` or `terraform { cloud {} }` block.
#[derive(Debug, Clone, Serialize)]
pub struct Backend {
    /// `s3`, `azurerm`, `gcs`, `remote`, `cloud`, `http`, `local`, …
    pub backend_type: String,
    pub attributes: AttrMap,
    pub location: Location,
}

/// A `module` call instance.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleCall {
    /// `module.store["offsite"]`
    pub address: String,
    pub source: Tracked,
    pub version: Option<String>,
    pub location: Location,
    pub call_chain: Vec<Location>,
    /// How the call's module was obtained.
    pub resolution: ModuleResolution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleResolution {
    /// A local path, loaded and evaluated.
    Local,
    /// A remote module read from `.terraform/modules`.
    Fetched,
    /// A remote module that `terraform init` has not fetched: noted, not linted.
    NotFetched,
}

/// Something worth telling the user that is not a finding (e.g. a remote module not fetched).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub location: Option<Location>,
    pub message: String,
}

/// An input problem: unreadable or unparsable file, bad tfvars, … Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// The file (relative to the scanned root when inside it) and position, when known.
    pub file: Option<Arc<str>>,
    pub location: Option<Location>,
    pub message: String,
    pub help: Option<String>,
}

/// The texts of the files a model was built from, keyed like [`Location::file`], for the human
/// reporter and for inline suppressions.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: BTreeMap<Arc<str>, Arc<str>>,
}

impl Sources {
    pub fn get(&self, file: &str) -> Option<&Arc<str>> {
        self.files.get(file)
    }

    pub fn insert(&mut self, file: impl Into<Arc<str>>, text: impl Into<Arc<str>>) {
        self.files.insert(file.into(), text.into());
    }
}

/// Everything one linted root (a directory, or a plan) evaluates to.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// The directory findings' paths are relative to (the scanned root).
    pub root: std::path::PathBuf,
    /// The configuration directory inside `root` this model was evaluated from (`.` for root itself).
    pub module_dir: String,
    pub providers: Vec<ProviderConfig>,
    pub resources: Vec<ResourceInstance>,
    /// Per instance, what its values contain for the rules (computed by the evaluator while the
    /// values are fresh in cache); empty when the input did not compute it (rules then do).
    pub instance_features: Vec<u8>,
    pub backends: Vec<Backend>,
    pub module_calls: Vec<ModuleCall>,
    pub notes: Vec<Note>,
    pub errors: Vec<InputError>,
    pub sources: Sources,
    /// Plans only, until the sources are mapped: per resource address, the planned values known
    /// after apply that the plan's configuration does not record as written. Most are computed
    /// attributes (ids, ARNs), but Terraform leaves `dynamic` blocks out of the plan's
    /// configuration too: the sources tell which of these the configuration writes.
    pub unwritten_unknowns: std::collections::HashMap<String, Vec<(String, Tracked)>>,
}

impl Model {
    pub fn provider_of(&self, resource: &ResourceInstance) -> Option<&ProviderConfig> {
        resource.provider.and_then(|i| self.providers.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(text: &str) -> ProvenanceStep {
        ProvenanceStep {
            description: text.into(),
            location: None,
        }
    }

    fn texts(p: &Provenance) -> Vec<&str> {
        p.iter().map(|s| &*s.description).collect()
    }

    #[test]
    fn provenance_merges_in_order_without_repeats() {
        let var = Provenance::chain(step("var.region"), &Provenance::one(step("tfvars")));
        let mut p = Provenance::new();
        p.merge(&var);
        // Merging into an empty chain shares it.
        assert_eq!(texts(&p), ["var.region", "tfvars"]);
        p.merge(&var);
        assert_eq!(texts(&p), ["var.region", "tfvars"]);
        p.merge(&Provenance::from(vec![step("tfvars"), step("local.x")]));
        assert_eq!(texts(&p), ["var.region", "tfvars", "local.x"]);
        // Changing a copy leaves the shared original alone.
        let mut copy = var.clone();
        copy.push(step("module input"));
        copy.update(|s| s.description = format!("{}!", s.description).into());
        assert_eq!(texts(&copy), ["var.region!", "tfvars!", "module input!"]);
        assert_eq!(texts(&var), ["var.region", "tfvars"]);
        copy.insert(0, step("first"));
        assert_eq!(texts(&copy)[0], "first");
        assert!(Provenance::from(Vec::new()).is_empty());
    }

    #[test]
    fn lookup_finds_keys_in_small_and_large_maps() {
        for size in [0, 3, 8, 9, 40] {
            let map: AttrMap = (0..size)
                .map(|i| {
                    (
                        format!("k{i}").into(),
                        Tracked::new(Value::Number(i as f64), None),
                    )
                })
                .collect();
            for i in 0..size {
                let found = lookup(&map, &format!("k{i}")).and_then(Tracked::as_number);
                assert_eq!(found, Some(i as f64), "size {size}");
            }
            assert!(lookup(&map, "missing").is_none());
            assert!(lookup(&map, "k").is_none());
        }
    }
}

/// Which arguments of which resource types are read (tests only): the argument record's test
/// checks every read against the providers' documented arguments.
///
/// Reads are recorded where names are resolved, not where rules call them: while recording, the
/// test registers every map of every resource instance of the model it runs the rules on (its
/// attributes, and each block or object inside, with the path that leads there, list indexes left
/// out), and [`crate::model::lookup`]
/// records `TYPE`, `PATH.KEY` for every key looked up in a registered map, found or not. So
/// `replica.get("region_name")` on a block of `aws_dynamodb_table.replica` is recorded as
/// `aws_dynamodb_table`, `replica.region_name`, whichever helper the rule used to get there.
/// Helpers that resolve a whole path at once (`support::get_path`) record the full path asked for
/// even when the value stops early, so a bare instance exercises every path such a rule reads.
/// Maps of users' keys (tags, labels), named by the caller, are not arguments: their insides are
/// not registered.
#[cfg(test)]
pub(crate) mod argument_reads {
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    use super::{AttrMap, Model, Tracked, Value};

    thread_local! {
        static READS: RefCell<Option<BTreeSet<(String, String)>>> = const { RefCell::new(None) };
        /// Address of a registered map → (resource type, path of the map: "" for the attributes).
        static MAPS: RefCell<HashMap<usize, (String, String)>> = RefCell::new(HashMap::new());
    }

    fn recording() -> bool {
        READS.with(|r| r.borrow().is_some())
    }

    pub(crate) fn record(resource_type: &str, argument: &str) {
        READS.with(|r| {
            if let Some(reads) = r.borrow_mut().as_mut() {
                reads.insert((resource_type.to_string(), argument.to_string()));
            }
        });
    }

    fn key_of(map: &AttrMap) -> usize {
        std::ptr::from_ref(map) as usize
    }

    /// Registers the maps of every resource instance of `model` (while recording), except the
    /// insides of maps whose keys are users' (`holds_user_keys`: tags, labels).
    pub(crate) fn register(model: &Model, holds_user_keys: &dyn Fn(&str) -> bool) {
        if !recording() {
            return;
        }
        fn inner(
            t: &Tracked,
            resource_type: &str,
            path: &str,
            holds_user_keys: &dyn Fn(&str) -> bool,
            maps: &mut HashMap<usize, (String, String)>,
        ) {
            match &t.value {
                Value::Map(m) => {
                    maps.insert(key_of(m), (resource_type.to_string(), path.to_string()));
                    for (k, v) in m.iter().filter(|(k, _)| !holds_user_keys(k)) {
                        inner(
                            v,
                            resource_type,
                            &format!("{path}.{k}"),
                            holds_user_keys,
                            maps,
                        );
                    }
                }
                Value::List(items) => {
                    for item in items {
                        inner(item, resource_type, path, holds_user_keys, maps);
                    }
                }
                _ => {}
            }
        }
        MAPS.with(|maps| {
            let mut maps = maps.borrow_mut();
            maps.clear();
            for r in &model.resources {
                maps.insert(
                    key_of(&r.attributes),
                    (r.resource_type.to_string(), String::new()),
                );
                for (k, v) in r.attributes.iter().filter(|(k, _)| !holds_user_keys(k)) {
                    inner(v, &r.resource_type, k, holds_user_keys, &mut maps);
                }
            }
        });
    }

    /// Forgets the registered maps (their addresses may be reused by the next model).
    pub(crate) fn unregister() {
        MAPS.with(|maps| maps.borrow_mut().clear());
    }

    /// `path` (dotted) read from `map`: recorded when `map` is registered.
    pub(crate) fn path_read(map: &AttrMap, path: &str) {
        let Some((resource_type, prefix)) =
            MAPS.with(|maps| maps.borrow().get(&key_of(map)).cloned())
        else {
            return;
        };
        let full = if prefix.is_empty() {
            path.to_string()
        } else {
            format!("{prefix}.{path}")
        };
        record(&resource_type, &full);
    }

    /// `key` looked up in `map` (from [`crate::model::lookup`]).
    pub(crate) fn looked_up(map: &AttrMap, key: &str) {
        if recording() {
            path_read(map, key);
        }
    }

    /// Runs `f` and returns what it read (on this thread).
    pub(crate) fn during(f: impl FnOnce()) -> BTreeSet<(String, String)> {
        READS.with(|r| *r.borrow_mut() = Some(BTreeSet::new()));
        f();
        unregister();
        READS.with(|r| r.borrow_mut().take().unwrap_or_default())
    }
}
