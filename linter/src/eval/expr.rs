//! Expression evaluation in one module instance: references (variables, locals, `count`,
//! `each`, resources, data sources, modules), operators, templates, `for` and splat.
use crate::model::AttrMap;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use super::functions;
use super::value::*;
use crate::load::SourceFile;
use crate::load::ast::*;
use crate::model::{Key, Provenance, ProvenanceStep, Tracked, Value};

/// Declarations of a module by name, in file order (a fast hash: looked up on every reference).
pub type NameIndex = IndexMap<String, BlockRef, foldhash::fast::RandomState>;

/// Where a block is: index of the file in the module and of the block in the file's body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockRef {
    pub file: usize,
    pub block: usize,
}

/// A module directory's parsed files, indexed by what they declare.
pub(crate) struct ModuleDef {
    pub dir: std::path::PathBuf,
    pub files: Vec<crate::load::ParsedFile>,
    pub variables: NameIndex,
    /// name → (block, attribute index)
    pub locals: HashMap<String, (BlockRef, usize)>,
    pub outputs: NameIndex,
    /// `aws_s3_bucket.data` / `data.aws_region.current` → block
    pub resources: NameIndex,
    /// The type and name of each entry of `resources`, in its order, shared by every instance.
    pub resource_names: Vec<(crate::model::Name, crate::model::Name)>,
    pub providers: Vec<BlockRef>,
    pub modules: Vec<BlockRef>,
    pub terraform: Vec<BlockRef>,
    /// provider local name → source address (`hashicorp/aws`)
    pub required_providers: HashMap<String, String>,
    /// Blocks of override files (`override.tf`, `*_override.tf`, and their `.tf.json` forms), in
    /// the order Terraform applies them, by the block they override: a resource or data source by
    /// its address (`aws_s3_bucket.b`, `data.x.y`), `variable NAME`, `provider NAME` or
    /// `provider NAME.ALIAS`.
    pub overrides: HashMap<String, Vec<BlockRef>>,
    /// `terraform` blocks of override files (a `backend` or `cloud` block there replaces the
    /// configuration's).
    pub terraform_overrides: Vec<BlockRef>,
}

/// Whether Terraform treats a file as an override file (merged into the others' blocks).
pub(crate) fn is_override_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name
        .strip_suffix(".tf.json")
        .or_else(|| name.strip_suffix(".tf"));
    stem.is_some_and(|stem| stem == "override" || stem.ends_with("_override"))
}

/// The override key of a provider block: `provider NAME`, or `provider NAME.ALIAS` when it has a
/// literal `alias`.
pub(crate) fn provider_override_key(block: &Block) -> Option<String> {
    let name = block.labels.first()?;
    match block.body.attribute("alias").map(|a| &a.expr.kind) {
        Some(ExprKind::String(alias)) => Some(format!("provider {name}.{alias}")),
        _ => Some(format!("provider {name}")),
    }
}

impl ModuleDef {
    pub fn new(dir: crate::load::ModuleDir) -> Self {
        let mut def = ModuleDef {
            dir: dir.dir,
            files: dir.files,
            variables: IndexMap::default(),
            locals: HashMap::new(),
            outputs: IndexMap::default(),
            resources: IndexMap::default(),
            resource_names: Vec::new(),
            providers: Vec::new(),
            modules: Vec::new(),
            terraform: Vec::new(),
            required_providers: HashMap::new(),
            overrides: HashMap::new(),
            terraform_overrides: Vec::new(),
        };
        // Terraform reads the other files first, then merges the override files' blocks into
        // theirs, override files in name order.
        let is_override: Vec<bool> = def
            .files
            .iter()
            .map(|f| is_override_file(&f.source.rel))
            .collect();
        let order = (0..def.files.len())
            .filter(|i| !is_override[*i])
            .chain((0..def.files.len()).filter(|i| is_override[*i]));
        for file_idx in order {
            let file = &def.files[file_idx];
            for (block_idx, block) in file.body.blocks.iter().enumerate() {
                let r = BlockRef {
                    file: file_idx,
                    block: block_idx,
                };
                let label = |i: usize| block.labels.get(i).map(|l| l.to_string());
                if is_override[file_idx] {
                    let key = match &*block.kind {
                        "resource" => label(0).zip(label(1)).map(|(t, n)| format!("{t}.{n}")),
                        "data" => label(0).zip(label(1)).map(|(t, n)| format!("data.{t}.{n}")),
                        "variable" => label(0).map(|n| format!("variable {n}")),
                        "provider" => provider_override_key(block),
                        "module" => label(0).map(|n| format!("module {n}")),
                        "output" => label(0).map(|n| format!("output {n}")),
                        "locals" => {
                            // Each local value overrides the one of the same name.
                            for (attr_idx, attr) in block.body.attributes.iter().enumerate() {
                                def.locals.insert(attr.name.to_string(), (r, attr_idx));
                            }
                            None
                        }
                        "terraform" => {
                            def.terraform_overrides.push(r);
                            None
                        }
                        _ => None,
                    };
                    if let Some(key) = key {
                        // An override of a resource the other files do not declare declares it.
                        let declared = match key.split_once(' ') {
                            None => def.resources.contains_key(&key),
                            Some(("variable", name)) => def.variables.contains_key(name),
                            Some(("output", name)) => def.outputs.contains_key(name),
                            Some(("module", name)) => def.modules.iter().any(|m| {
                                def.files[m.file].body.blocks[m.block]
                                    .labels
                                    .first()
                                    .is_some_and(|l| l.as_str() == name)
                            }),
                            Some(_) => def.providers.iter().any(|p| {
                                provider_override_key(&def.files[p.file].body.blocks[p.block])
                                    .as_deref()
                                    == Some(key.as_str())
                            }),
                        };
                        if declared {
                            def.overrides.entry(key).or_default().push(r);
                            continue;
                        }
                    } else if matches!(&*block.kind, "locals" | "terraform") {
                        continue;
                    }
                }
                match &*block.kind {
                    "variable" => {
                        if let Some(name) = label(0) {
                            def.variables.entry(name).or_insert(r);
                        }
                    }
                    "locals" => {
                        for (attr_idx, attr) in block.body.attributes.iter().enumerate() {
                            def.locals
                                .entry(attr.name.to_string())
                                .or_insert((r, attr_idx));
                        }
                    }
                    "output" => {
                        if let Some(name) = label(0) {
                            def.outputs.entry(name).or_insert(r);
                        }
                    }
                    "resource" => {
                        if let (Some(t), Some(n)) = (label(0), label(1)) {
                            def.resources.entry(format!("{t}.{n}")).or_insert(r);
                        }
                    }
                    "data" => {
                        if let (Some(t), Some(n)) = (label(0), label(1)) {
                            def.resources.entry(format!("data.{t}.{n}")).or_insert(r);
                        }
                    }
                    "provider" => def.providers.push(r),
                    "module" => def.modules.push(r),
                    "terraform" => {
                        def.terraform.push(r);
                        for rp in block.body.blocks_of("required_providers") {
                            for attr in &rp.body.attributes {
                                if let ExprKind::Object(entries) = &attr.expr.kind {
                                    for (key, value) in entries {
                                        if let (ObjectKey::Ident(k), ExprKind::String(s)) =
                                            (key, &value.kind)
                                            && &**k == "source"
                                        {
                                            def.required_providers
                                                .insert(attr.name.to_string(), s.to_string());
                                        }
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        def.resource_names = def
            .resources
            .values()
            .map(|r| {
                let (_, block) = def.block(*r);
                let label = |i: usize| block.labels.get(i).map_or("", |l| l.as_str());
                (label(0).into(), label(1).into())
            })
            .collect();
        def
    }

    /// The override blocks of `key` (see [`ModuleDef::overrides`]), in the order they apply.
    pub fn overrides_of(&self, key: &str) -> &[BlockRef] {
        self.overrides.get(key).map_or(&[], Vec::as_slice)
    }

    /// The block that decides the argument `name` of block `base` once the override files of
    /// `key` apply: the last override that sets it, else `base` itself.
    pub fn block_setting(&self, key: &str, base: BlockRef, name: &str) -> (&SourceFile, &Block) {
        self.overrides_of(key)
            .iter()
            .rev()
            .map(|r| self.block(*r))
            .find(|(_, block)| block.body.attribute(name).is_some())
            .unwrap_or_else(|| self.block(base))
    }

    /// The argument `name` of a block as the override files leave it (see
    /// [`ModuleDef::block_setting`]), with the file it is written in.
    pub fn attribute(
        &self,
        key: &str,
        base: BlockRef,
        name: &str,
    ) -> Option<(&SourceFile, &Attribute)> {
        let (file, block) = self.block_setting(key, base, name);
        block.body.attribute(name).map(|a| (file, a))
    }

    /// The argument `name` (`default`, `type`) of variable `var` as the override files leave it.
    pub fn variable_attribute(&self, var: &str, name: &str) -> Option<(&SourceFile, &Attribute)> {
        let base = *self.variables.get(var)?;
        if self.overrides.is_empty() {
            let (file, block) = self.block(base);
            return block.body.attribute(name).map(|a| (file, a));
        }
        self.attribute(&format!("variable {var}"), base, name)
    }

    pub fn block(&self, r: BlockRef) -> (&SourceFile, &Block) {
        let file = &self.files[r.file];
        (&file.source, &file.body.blocks[r.block])
    }
}

/// A value of a variable as the module instance sees it.
#[derive(Debug, Clone)]
pub(crate) struct VarValue {
    pub value: Tracked,
    /// Where the value was set (tfvars line, default, module call argument); None for CLI/env.
    pub origin: Option<crate::model::Location>,
    /// Suffix for the provenance step (` (from --var)`), when there is no origin location.
    pub origin_note: Option<String>,
}

/// One module instance being evaluated.
pub(crate) struct Instance {
    pub def: Arc<ModuleDef>,
    /// `module.store["offsite"]`, empty for the root module.
    pub address: String,
    pub vars: HashMap<String, VarValue>,
    locals: RefCell<HashMap<String, Tracked>>,
    locals_in_progress: RefCell<HashSet<String>>,
    /// Child module instances built to read their outputs, by address.
    children: RefCell<HashMap<String, Rc<Instance>>>,
    /// `var.NAME` values with their provenance step, built on first reference.
    var_refs: RefCell<HashMap<String, Tracked>>,
    /// Output values, evaluated on first reference (`values(module.NAME)` reads every output of
    /// every instance, and several locals may read them).
    output_values: RefCell<HashMap<String, Tracked>>,
    /// The placement arguments (`region`, `zone`, `project`) of the provider configurations this
    /// instance's resources use, by key (`aws`, `aws.west`), once they are evaluated: what a
    /// resource that does not write its `region` gets (see [`provider_derived`]).
    pub provider_arguments: RefCell<HashMap<String, AttrMap>>,
    pub shared: Rc<Shared>,
    /// The module's key in `.terraform/modules/modules.json` (`store.inner`), empty for the root.
    pub manifest_key: String,
    /// `path.root` and `path.module` (relative to the root module directory).
    pub path_root: String,
    pub path_module: String,
}

/// What every module instance of one root shares.
pub(crate) struct Shared {
    /// Module directories loaded before evaluation, by normalised path.
    pub modules: HashMap<PathBuf, Arc<ModuleDef>>,
    pub manifest: Vec<crate::load::ManifestEntry>,
    /// The root module directory (normalised).
    pub root_dir: PathBuf,
    /// Reference-following depth (guards cycles between resources, locals and module outputs).
    pub depth: Cell<u32>,
    /// Depth of nested [`eval`] calls (guards the stack).
    pub eval_depth: Cell<u32>,
}

const MAX_REFERENCE_DEPTH: u32 = 48;

impl Instance {
    pub fn new(
        shared: Rc<Shared>,
        def: Arc<ModuleDef>,
        address: String,
        vars: HashMap<String, VarValue>,
        manifest_key: String,
        path_module: String,
    ) -> Self {
        Instance {
            def,
            address,
            vars,
            locals: RefCell::new(HashMap::new()),
            locals_in_progress: RefCell::new(HashSet::new()),
            children: RefCell::new(HashMap::new()),
            var_refs: RefCell::new(HashMap::new()),
            output_values: RefCell::new(HashMap::new()),
            provider_arguments: RefCell::new(HashMap::new()),
            shared,
            manifest_key,
            path_root: ".".to_string(),
            path_module,
        }
    }

    /// `prefix.` of addresses in this instance (`module.x.`), empty in the root.
    pub fn prefix(&self) -> String {
        if self.address.is_empty() {
            String::new()
        } else {
            format!("{}.", self.address)
        }
    }
}

/// Bindings in effect while evaluating: the file, `count.index`, `each`, and iterator variables.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub inst: &'a Instance,
    pub file: &'a SourceFile,
    pub count_index: Option<&'a Tracked>,
    pub each: Option<(&'a Tracked, &'a Tracked)>,
    pub(crate) binding: Option<(&'a str, &'a Tracked)>,
    pub(crate) parent: Option<&'a Scope<'a>>,
}

impl<'a> Scope<'a> {
    pub fn new(inst: &'a Instance, file: &'a SourceFile) -> Self {
        Scope {
            inst,
            file,
            count_index: None,
            each: None,
            binding: None,
            parent: None,
        }
    }

    pub fn bind<'b>(&'b self, name: &'b str, value: &'b Tracked) -> Scope<'b> {
        Scope {
            binding: Some((name, value)),
            parent: Some(self),
            ..*self
        }
    }

    fn lookup(&self, name: &str) -> Option<&'a Tracked> {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some((n, v)) = s.binding
                && n == name
            {
                return Some(v);
            }
            scope = s.parent;
        }
        None
    }

    pub fn location(&self, span: Span) -> crate::model::Location {
        self.file.location(span)
    }
}

/// Formats an instance key for an address: `[0]` or `["key"]`.
pub(crate) fn index_key(key: &Tracked) -> String {
    let mut out = String::new();
    push_index_key(&mut out, key);
    out
}

/// Appends `[0]`, `["key"]` or `[*]` to an address.
fn push_index_key(out: &mut String, key: &Tracked) {
    use std::fmt::Write as _;
    // Keys that `{:?}` prints as they are (nearly all: `"eu"`, `"s0"`) are copied directly.
    if let Value::String(s) = &key.value
        && s.bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.reserve(s.len() + 4);
        out.push_str("[\"");
        out.push_str(s);
        out.push_str("\"]");
        return;
    }
    let _ = match &key.value {
        Value::Number(n) => write!(out, "[{}]", format_number(*n)),
        Value::String(s) => write!(out, "[{s:?}]"),
        _ => write!(out, "[*]"),
    };
}

/// Nested evaluations (expressions inside expressions, through references) beyond this give an
/// unknown value instead of exhausting the stack.
const MAX_EVAL_DEPTH: u32 = 2_000;

/// Evaluates an expression; the result is located at the expression.
pub(crate) fn eval(scope: &Scope<'_>, expr: &Expr) -> Tracked {
    let mut t = eval_guarded(scope, expr);
    if t.location.is_none() {
        t.location = Some(scope.location(expr.span));
    }
    t
}

fn eval_guarded(scope: &Scope<'_>, expr: &Expr) -> Tracked {
    let depth = &scope.inst.shared.eval_depth;
    if depth.get() >= MAX_EVAL_DEPTH {
        return unknown("expression nested too deeply (through references) to evaluate");
    }
    depth.set(depth.get() + 1);
    let t = eval_inner(scope, expr);
    depth.set(depth.get() - 1);
    t
}

/// Evaluates an attribute's expression: the result is located at the expression even when the
/// value was written elsewhere (an element of a local, a variable's default).
pub(crate) fn eval_attribute(scope: &Scope<'_>, expr: &Expr) -> Tracked {
    let mut t = eval_guarded(scope, expr);
    t.location = Some(scope.location(expr.span));
    t
}

fn located(scope: &Scope<'_>, expr: &Expr, value: Value) -> Tracked {
    Tracked::new(value, Some(scope.location(expr.span)))
}

fn eval_inner(scope: &Scope<'_>, expr: &Expr) -> Tracked {
    match &expr.kind {
        ExprKind::Null => located(scope, expr, Value::Null),
        ExprKind::Bool(b) => located(scope, expr, Value::Bool(*b)),
        ExprKind::Number(n) => located(scope, expr, Value::Number(*n)),
        ExprKind::String(s) => located(scope, expr, Value::String(s.clone())),
        ExprKind::Template(parts) => eval_template(scope, parts),
        ExprKind::Array(items) => located(
            scope,
            expr,
            Value::List(items.iter().map(|e| eval(scope, e)).collect()),
        ),
        ExprKind::Object(entries) => {
            let mut out = AttrMap::with_capacity(entries.len());
            for (key, value) in entries {
                let key: Key = match key {
                    ObjectKey::Ident(k) => k.clone(),
                    ObjectKey::Expr(e) => {
                        let k = eval(scope, e);
                        match as_string(&k) {
                            Some(s) => s.into(),
                            None => {
                                // A bare traversal that is no value (`aws.west` in a module's
                                // `providers`) names a provider configuration: its text is the
                                // key. A key not known yet (`(var.region)` without a value)
                                // makes the whole object unknown, as in Terraform: its text is
                                // never a value.
                                let text = scope.file.snippet(e.span);
                                let bare_traversal = matches!(
                                    e.kind,
                                    ExprKind::Variable(_) | ExprKind::Traversal(..)
                                ) && !text.starts_with('(');
                                if bare_traversal && k.pending_unknown().is_none() {
                                    text.into()
                                } else if k.is_null() {
                                    return error(format!(
                                        "an object key is null at {}",
                                        scope.location(e.span)
                                    ));
                                } else {
                                    return propagate_unknown(&k);
                                }
                            }
                        }
                    }
                };
                out.insert(key, eval(scope, value));
            }
            located(scope, expr, Value::Map(out))
        }
        ExprKind::Variable(name) => resolve_root(scope, name, &[], expr),
        ExprKind::Traversal(root, ops) => match &root.kind {
            ExprKind::Variable(name) => resolve_root(scope, name, ops, expr),
            _ => {
                let base = eval(scope, root);
                apply_ops(scope, base, ops)
            }
        },
        ExprKind::FuncCall {
            name,
            args,
            expand_final,
        } => functions::call(scope, name, args, *expand_final, expr),
        ExprKind::Conditional(parts) => {
            let (cond, yes, no) = &**parts;
            let c = eval(scope, cond);
            match truthy(&c) {
                Some(true) => derived(eval(scope, yes), &[&c]),
                Some(false) => derived(eval(scope, no), &[&c]),
                None if matches!(c.value, Value::Unknown(_)) => {
                    // Both branches agreeing makes the condition irrelevant.
                    let (a, b) = (eval(scope, yes), eval(scope, no));
                    if values_equal(&a.value, &b.value) {
                        a
                    } else {
                        propagate_unknown(&c)
                    }
                }
                None => error(format!("condition is not a bool: {}", c.render())),
            }
        }
        ExprKind::Unary(op, inner) => {
            let v = eval(scope, inner);
            if matches!(v.value, Value::Unknown(_)) {
                return propagate_unknown(&v);
            }
            let out = match op {
                UnaryOp::Neg => v.as_number().map(|n| number(-n)),
                UnaryOp::Not => truthy(&v).map(|b| boolean(!b)),
            };
            derived(
                out.unwrap_or_else(|| error(format!("invalid operand {}", v.render()))),
                &[&v],
            )
        }
        ExprKind::Binary(op, operands) => eval_binary(scope, *op, &operands.0, &operands.1),
        ExprKind::For(f) => eval_for(scope, f),
    }
}

pub(crate) fn truthy(t: &Tracked) -> Option<bool> {
    t.as_bool()
}

fn eval_binary(scope: &Scope<'_>, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Tracked {
    let a = eval(scope, lhs);
    // Short-circuit logic with unknowns where the known side decides.
    if matches!(op, BinaryOp::And | BinaryOp::Or) {
        let b = eval(scope, rhs);
        let decided = if op == BinaryOp::And {
            Some(false)
        } else {
            Some(true)
        };
        let (x, y) = (truthy(&a), truthy(&b));
        if x == decided || y == decided {
            return derived(boolean(decided == Some(true)), &[&a, &b]);
        }
        return match (x, y) {
            (Some(x), Some(y)) => derived(
                boolean(if op == BinaryOp::And { x && y } else { x || y }),
                &[&a, &b],
            ),
            _ => first_unknown(&a)
                .or(first_unknown(&b))
                .map_or_else(|| unknown("invalid logic operands"), propagate_unknown),
        };
    }
    let b = eval(scope, rhs);
    if let Some(u) = first_unknown(&a).or(first_unknown(&b)) {
        return propagate_unknown(u);
    }
    // A known value compared with null is decided even when elements inside it are not known
    // yet (`var.groups != null` over a map of objects holding data-source ids), as in Terraform.
    if matches!(op, BinaryOp::Eq | BinaryOp::NotEq)
        && (matches!(a.value, Value::Null) || matches!(b.value, Value::Null))
    {
        let equal = matches!(a.value, Value::Null) && matches!(b.value, Value::Null);
        return derived(boolean(equal == (op == BinaryOp::Eq)), &[&a, &b]);
    }
    // Collections with an element not known yet compare unknown, as in Terraform.
    if matches!(op, BinaryOp::Eq | BinaryOp::NotEq)
        && let Some(u) = a.pending_unknown().or(b.pending_unknown())
    {
        return propagate_unknown(u);
    }
    let result = match op {
        BinaryOp::Eq => Some(boolean(
            values_equal(&a.value, &b.value) || loosely_equal(&a, &b),
        )),
        BinaryOp::NotEq => Some(boolean(
            !(values_equal(&a.value, &b.value) || loosely_equal(&a, &b)),
        )),
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => Some(match op {
                BinaryOp::LessEq => boolean(x <= y),
                BinaryOp::GreaterEq => boolean(x >= y),
                BinaryOp::Less => boolean(x < y),
                BinaryOp::Greater => boolean(x > y),
                BinaryOp::Plus => number(x + y),
                BinaryOp::Minus => number(x - y),
                BinaryOp::Mul => number(x * y),
                BinaryOp::Div => number(x / y),
                BinaryOp::Mod => number(x % y),
                _ => error("invalid operator"),
            }),
            _ => None,
        },
    };
    let result = result.unwrap_or_else(|| {
        error(format!(
            "cannot apply an arithmetic operator to {} and {}",
            a.render(),
            b.render()
        ))
    });
    derived(result, &[&a, &b])
}

/// `"1" == 1` is false in Terraform, but a number from a tfvars string should still compare.
fn loosely_equal(a: &Tracked, b: &Tracked) -> bool {
    matches!(
        (&a.value, &b.value),
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_))
    ) && as_string(a) == as_string(b)
}

pub(crate) fn eval_template(scope: &Scope<'_>, parts: &[TemplatePart]) -> Tracked {
    // A template that is exactly one interpolation yields the value itself, not its string form.
    if let [TemplatePart::Interpolation(e)] = parts {
        return eval(scope, e);
    }
    let mut out = String::new();
    let mut steps = Provenance::new();
    match render_parts(scope, parts, &mut out, &mut steps) {
        Ok(()) => Tracked {
            value: Value::String(out.into()),
            location: None,
            provenance: steps,
        },
        Err(u) => *u,
    }
}

fn render_parts(
    scope: &Scope<'_>,
    parts: &[TemplatePart],
    out: &mut String,
    steps: &mut Provenance,
) -> Result<(), Box<Tracked>> {
    for part in parts {
        match part {
            TemplatePart::Literal(s) => out.push_str(s),
            TemplatePart::Interpolation(e) => {
                let v = eval(scope, e);
                merge_provenance(steps, &v.provenance);
                match as_string(&v) {
                    Some(s) => out.push_str(&s),
                    None if matches!(v.value, Value::Unknown(_)) => {
                        return Err(Box::new(propagate_unknown(&v)));
                    }
                    None if v.is_null() => {
                        return Err(Box::new(error(format!(
                            "template interpolates null at {}",
                            scope.location(e.span)
                        ))));
                    }
                    None => {
                        return Err(Box::new(error(format!(
                            "cannot interpolate {} into a string",
                            v.render()
                        ))));
                    }
                }
            }
            TemplatePart::If {
                cond,
                then,
                otherwise,
            } => {
                let c = eval(scope, cond);
                merge_provenance(steps, &c.provenance);
                match truthy(&c) {
                    Some(true) => render_parts(scope, then, out, steps)?,
                    Some(false) => render_parts(scope, otherwise, out, steps)?,
                    None => return Err(Box::new(propagate_unknown(&c))),
                }
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
            } => {
                let coll = eval(scope, collection);
                merge_provenance(steps, &coll.provenance);
                for (key, value) in iterate(&coll).map_err(|u| Box::new(propagate_unknown(&u)))? {
                    let inner = scope.bind(value_var, &value);
                    let result = match key_var {
                        Some(k) => render_parts(&inner.bind(k, &key), body, out, steps),
                        None => render_parts(&inner, body, out, steps),
                    };
                    result?;
                }
            }
        }
    }
    Ok(())
}

/// The (key, value) pairs of a collection: list indices or map keys in lexical order.
pub(crate) fn iterate(coll: &Tracked) -> Result<Vec<(Tracked, Tracked)>, Box<Tracked>> {
    match &coll.value {
        Value::List(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (number(i as f64), v.clone()))
            .collect()),
        Value::Map(m) => Ok(sorted_entries(m)
            .into_iter()
            .map(|(k, v)| (string(k.clone()), v.clone()))
            .collect()),
        Value::Null => Ok(Vec::new()),
        Value::Unknown(_) => Err(Box::new(coll.clone())),
        _ => Err(Box::new(error(format!(
            "cannot iterate over {}",
            coll.render()
        )))),
    }
}

fn eval_for(scope: &Scope<'_>, f: &ForExpr) -> Tracked {
    let coll = eval(scope, &f.collection);
    let pairs = match iterate(&coll) {
        Ok(p) => p,
        Err(u) => return propagate_unknown(&u),
    };
    let mut list = Vec::new();
    let mut object = AttrMap::new();
    for (key, value) in &pairs {
        let with_value = scope.bind(&f.value_var, value);
        let with_key;
        let inner = match &f.key_var {
            Some(k) => {
                with_key = with_value.bind(k, key);
                &with_key
            }
            None => &with_value,
        };
        if let Some(cond) = &f.cond {
            let c = eval(inner, cond);
            match truthy(&c) {
                Some(true) => {}
                Some(false) => continue,
                None => return propagate_unknown(&c),
            }
        }
        let v = eval(inner, &f.value_expr);
        match &f.key_expr {
            None => list.push(v),
            Some(key_expr) => {
                let k = eval(inner, key_expr);
                let Some(k) = as_string(&k) else {
                    return propagate_unknown(&k);
                };
                if f.grouping {
                    let index = match object.get_index_of(&k) {
                        Some(i) => i,
                        None => object.insert_full(k.into(), list_value(Vec::new())).0,
                    };
                    if let Some((
                        _,
                        Tracked {
                            value: Value::List(items),
                            ..
                        },
                    )) = object.get_index_mut(index)
                    {
                        items.push(v);
                    }
                } else {
                    object.insert(k.into(), v);
                }
            }
        }
    }
    let result = if f.key_expr.is_some() {
        map(object)
    } else {
        list_value(list)
    };
    derived(result, &[&coll])
}

fn list_value(items: Vec<Tracked>) -> Tracked {
    list(items)
}

/// Applies traversal operators (attribute, index, splat) to a value.
pub(crate) fn apply_ops(scope: &Scope<'_>, mut base: Tracked, ops: &[TraversalOp]) -> Tracked {
    for (i, op) in ops.iter().enumerate() {
        if matches!(base.value, Value::Unknown(_)) {
            return base;
        }
        match op {
            TraversalOp::AttrSplat | TraversalOp::FullSplat => {
                let items: Vec<Tracked> = match &base.value {
                    Value::List(items) => items.clone(),
                    Value::Null => Vec::new(),
                    _ => vec![base.clone()],
                };
                let rest = &ops[i + 1..];
                let mapped = items
                    .into_iter()
                    .map(|item| apply_ops(scope, item, rest))
                    .collect();
                return derived(list(mapped), &[&base]);
            }
            TraversalOp::GetAttr(name) => base = get_member(base, name),
            TraversalOp::Index(e) => {
                let key = eval(scope, e);
                if matches!(key.value, Value::Unknown(_)) {
                    return propagate_unknown(&key);
                }
                base = match (&base.value, &key.value) {
                    (Value::List(_), _) => match key.as_number() {
                        Some(n) if n >= 0.0 => get_index(base, n as usize),
                        _ => error(format!("invalid list index {}", key.render())),
                    },
                    (Value::Map(_), _) => match as_string(&key) {
                        Some(k) => get_member(base, &k),
                        None => error(format!("invalid map key {}", key.render())),
                    },
                    _ => error(format!("cannot index {}", base.render())),
                };
                let key_steps = key.provenance;
                merge_provenance(&mut base.provenance, &key_steps);
            }
        }
    }
    base
}

fn get_member(base: Tracked, name: &str) -> Tracked {
    match &base.value {
        Value::Map(m) => match m.get(name) {
            Some(v) => {
                let mut v = v.clone();
                let mut steps = base.provenance.clone();
                merge_provenance(&mut steps, &v.provenance);
                v.provenance = steps;
                v
            }
            None => error(format!("no attribute or key `{name}`")),
        },
        Value::Null => error(format!("attribute `{name}` of null")),
        _ => error(format!("`{name}` of a {} value", type_name(&base.value))),
    }
}

fn get_index(base: Tracked, index: usize) -> Tracked {
    match &base.value {
        Value::List(items) => match items.get(index) {
            Some(v) => {
                let mut v = v.clone();
                let mut steps = base.provenance.clone();
                merge_provenance(&mut steps, &v.provenance);
                v.provenance = steps;
                v
            }
            None => error(format!("index {index} out of range")),
        },
        _ => error("index of a non-list value"),
    }
}

/// Resolves a reference rooted at `name` (`var`, `local`, `each`, a resource type, …).
fn resolve_root(scope: &Scope<'_>, name: &str, ops: &[TraversalOp], expr: &Expr) -> Tracked {
    if let Some(v) = scope.lookup(name) {
        return apply_ops(scope, v.clone(), ops);
    }
    let attr = |i: usize| match ops.get(i) {
        Some(TraversalOp::GetAttr(a)) => Some(&**a),
        _ => None,
    };
    let inst = scope.inst;
    match name {
        "var" => {
            let Some(var) = attr(0) else {
                return error("`var` needs a variable name");
            };
            let base = variable_value(inst, var);
            apply_ops(scope, base, &ops[1..])
        }
        "local" => {
            let Some(local) = attr(0) else {
                return error("`local` needs a name");
            };
            let base = local_value(inst, local);
            apply_ops(scope, base, &ops[1..])
        }
        "count" => match (attr(0), scope.count_index) {
            (Some("index"), Some(i)) => apply_ops(scope, i.clone(), &ops[1..]),
            _ => error("count.index outside a resource with count"),
        },
        "each" => match (attr(0), scope.each) {
            (Some("key"), Some((k, _))) => apply_ops(scope, k.clone(), &ops[1..]),
            (Some("value"), Some((_, v))) => apply_ops(scope, v.clone(), &ops[1..]),
            _ => error("each.key/each.value outside a block with for_each"),
        },
        "path" => {
            let value = match attr(0) {
                Some("module") => inst.path_module.clone(),
                Some("root") => inst.path_root.clone(),
                Some("cwd") => ".".to_string(),
                _ => return error("unknown path attribute"),
            };
            located(scope, expr, Value::String(value.into()))
        }
        "terraform" => match attr(0) {
            Some("workspace") => located(scope, expr, Value::String("default".into())),
            _ => unknown("terraform.* is not known statically"),
        },
        "self" => unknown("self (known after apply)"),
        "module" => {
            let Some(module) = attr(0) else {
                return error("`module` needs a name");
            };
            module_output(scope, module, &ops[1..])
        }
        "data" => {
            let (Some(t), Some(n)) = (attr(0), attr(1)) else {
                return error("`data` needs a type and name");
            };
            resource_reference(scope, &concat(&["data.", t, ".", n]), &ops[2..])
        }
        _ => match attr(0) {
            Some(n) => resource_reference(scope, &concat(&[name, ".", n]), &ops[1..]),
            None => error(format!("unknown name `{name}`")),
        },
    }
}

/// `var.NAME` with a provenance step naming the variable and where its value was set (built
/// once per instance: every reference clones it).
pub(crate) fn variable_value(inst: &Instance, name: &str) -> Tracked {
    if let Some(v) = inst.var_refs.borrow().get(name) {
        return v.clone();
    }
    let value = build_variable_value(inst, name);
    inst.var_refs
        .borrow_mut()
        .insert(name.to_string(), value.clone());
    value
}

fn build_variable_value(inst: &Instance, name: &str) -> Tracked {
    match inst.vars.get(name) {
        Some(var) => {
            let description = match &var.value.value {
                Value::Unknown(u) if u.reason.starts_with(&format!("var.{name} ")) => {
                    u.reason.clone()
                }
                Value::Unknown(u) => format!("var.{name}: {}", u.reason),
                _ => format!(
                    "var.{name} = {}{}",
                    var.value.render(),
                    var.origin_note.as_deref().unwrap_or("")
                ),
            };
            let provenance = Provenance::chain(
                ProvenanceStep {
                    description: description.into(),
                    location: var.origin.clone(),
                },
                &var.value.provenance,
            );
            Tracked {
                value: var.value.value.clone(),
                location: None,
                provenance,
            }
        }
        None => error(format!("var.{name} is not declared")),
    }
}

fn local_value(inst: &Instance, name: &str) -> Tracked {
    if let Some(v) = inst.locals.borrow().get(name) {
        return v.clone();
    }
    let Some(&(block_ref, attr_idx)) = inst.def.locals.get(name) else {
        return error(format!("local.{name} is not declared"));
    };
    if !inst
        .locals_in_progress
        .borrow_mut()
        .insert(name.to_string())
        || inst.shared.depth.get() > MAX_REFERENCE_DEPTH
    {
        return unknown(format!("local.{name} refers to itself"));
    }
    inst.shared.depth.set(inst.shared.depth.get() + 1);
    let (file, block) = inst.def.block(block_ref);
    let attr = &block.body.attributes[attr_idx];
    let scope = Scope::new(inst, file);
    let value = eval(&scope, &attr.expr);
    inst.shared.depth.set(inst.shared.depth.get() - 1);
    inst.locals_in_progress.borrow_mut().remove(name);
    let description = match &value.value {
        Value::Unknown(u) => format!("local.{name}: {}", u.reason),
        _ => format!("local.{name} = {}", value.render()),
    };
    let provenance = Provenance::chain(
        ProvenanceStep {
            description: description.into(),
            location: Some(file.location(attr.span)),
        },
        &value.provenance,
    );
    let result = Tracked {
        value: value.value,
        location: None,
        provenance,
    };
    inst.locals
        .borrow_mut()
        .insert(name.to_string(), result.clone());
    result
}

/// Suffix of the unknown reason for a value that comes from another resource (see
/// [`super::referenced_address`]).
pub(crate) const KNOWN_AFTER_APPLY: &str = " (known after apply)";

/// A reference to another resource or data source: its attribute's value when it is written in
/// configuration, otherwise an unknown whose reason names the attribute.
fn resource_reference(scope: &Scope<'_>, local_address: &str, ops: &[TraversalOp]) -> Tracked {
    let inst = scope.inst;
    // The instance address, room left for an index key and the attribute's reason.
    let mut address = String::with_capacity(inst.address.len() + local_address.len() + 64);
    if !inst.address.is_empty() {
        address.push_str(&inst.address);
        address.push('.');
    }
    address.push_str(local_address);
    let Some(&block_ref) = inst.def.resources.get(local_address) else {
        address.push_str(" is not declared");
        address.push_str(KNOWN_AFTER_APPLY);
        return unknown(address);
    };
    // Arguments as override files leave them.
    let def = &inst.def;
    let has_count = def.attribute(local_address, block_ref, "count").is_some();
    let for_each = def.attribute(local_address, block_ref, "for_each");
    let has_for_each = for_each.is_some();
    let mut rest = ops;
    let mut instance_key: Option<Tracked> = None;
    if (has_count || has_for_each)
        && let Some(TraversalOp::Index(e)) = rest.first()
    {
        let key = eval(scope, e);
        if matches!(key.value, Value::Unknown(_)) {
            address.push_str("[…]");
            address.push_str(KNOWN_AFTER_APPLY);
            return unknown(address);
        }
        push_index_key(&mut address, &key);
        instance_key = Some(key);
        rest = &rest[1..];
    }
    let Some(TraversalOp::GetAttr(attr_name)) = rest.first() else {
        address.push_str(KNOWN_AFTER_APPLY);
        return unknown(address);
    };
    let reason = concat(&[&address, ".", attr_name, KNOWN_AFTER_APPLY]);
    if (has_count || has_for_each) && instance_key.is_none() {
        return unknown(reason);
    }
    let Some((file, attr)) = def.attribute(local_address, block_ref, attr_name) else {
        return match provider_derived(inst, local_address, block_ref, attr_name, &address) {
            Some(t) => apply_ops(scope, t, &rest[1..]),
            None => unknown(reason),
        };
    };
    if inst.shared.depth.get() > MAX_REFERENCE_DEPTH {
        return unknown(format!("{reason}: reference cycle"));
    }
    inst.shared.depth.set(inst.shared.depth.get() + 1);
    let base = Scope::new(inst, file);
    let value = match &instance_key {
        None => eval(&base, &attr.expr),
        Some(key) if has_count => {
            let scope = Scope {
                count_index: Some(key),
                ..base
            };
            eval(&scope, &attr.expr)
        }
        Some(key) => match for_each.and_then(|(f, a)| for_each_value(&Scope::new(inst, f), a, key))
        {
            Some(v) => {
                let scope = Scope {
                    each: Some((key, &v)),
                    ..base
                };
                eval(&scope, &attr.expr)
            }
            None => unknown(reason.clone()),
        },
    };
    inst.shared.depth.set(inst.shared.depth.get() - 1);
    if matches!(value.value, Value::Unknown(_)) {
        return unknown(reason);
    }
    let provenance = Provenance::chain(
        ProvenanceStep {
            description: format!("{address}.{attr_name} = {}", value.render()).into(),
            location: Some(file.location(attr.span)),
        },
        &value.provenance,
    );
    let t = Tracked {
        value: value.value,
        location: None,
        provenance,
    };
    apply_ops(scope, t, &rest[1..])
}

/// An attribute a resource or data source does not write but takes from its provider
/// configuration, known when the configuration is: the `region` of AWS resources and data sources
/// (provider v6 plans it as the provider's region), `data.aws_region`'s `name`/`id`, and
/// `data.google_client_config`'s `region`/`zone`/`project`.
fn provider_derived(
    inst: &Instance,
    local_address: &str,
    block_ref: BlockRef,
    attr_name: &str,
    address: &str,
) -> Option<Tracked> {
    let (mode_data, resource_type) = match local_address.strip_prefix("data.") {
        Some(rest) => (true, rest.split('.').next()?),
        None => (false, local_address.split('.').next()?),
    };
    let provider_attribute = match (mode_data, resource_type, attr_name) {
        (true, "aws_region", "name" | "id" | "region") => "region",
        (true, "google_client_config", "region" | "zone" | "project") => attr_name,
        (_, t, "region") if t.starts_with("aws_") => "region",
        _ => return None,
    };
    if mode_data && resource_type == "aws_region" {
        // `data "aws_region" "x" { name = "…" }` (or `region`) names another region.
        let written = ["region", "name"]
            .into_iter()
            .any(|a| inst.def.attribute(local_address, block_ref, a).is_some());
        if written {
            return None;
        }
    }
    let body = &inst
        .def
        .block_setting(local_address, block_ref, "provider")
        .1
        .body;
    let key = super::provider_key(body, resource_type);
    let arguments = inst.provider_arguments.borrow();
    let value = arguments.get(key.as_ref())?.get(provider_attribute)?;
    if value.contains_unknown() {
        return None;
    }
    Some(Tracked {
        value: value.value.clone(),
        location: None,
        provenance: Provenance::chain(
            ProvenanceStep {
                description: format!(
                    "{address}.{attr_name} = {} (the `{provider_attribute}` of its provider {key})",
                    value.render()
                )
                .into(),
                location: value.location.clone(),
            },
            &value.provenance,
        ),
    })
}

/// `each.value` of the instance `key` of a block with `for_each`.
fn for_each_value(scope: &Scope<'_>, for_each: &Attribute, key: &Tracked) -> Option<Tracked> {
    let for_each = eval(scope, &for_each.expr);
    match &for_each.value {
        Value::Map(m) => as_string(key).and_then(|k| m.get(k.as_str()).cloned()),
        Value::List(_) => Some(key.clone()),
        _ => None,
    }
}

/// `module.NAME[KEY].OUTPUT`: the output's value evaluated in that module instance.
fn module_output(scope: &Scope<'_>, name: &str, ops: &[TraversalOp]) -> Tracked {
    let inst = scope.inst;
    let def = &inst.def;
    let mut address = format!("{}module.{name}", inst.prefix());
    let found = def
        .modules
        .iter()
        .map(|r| def.block(*r))
        .find(|(_, b)| b.labels.first().is_some_and(|l| &**l == name));
    let Some((file, block)) = found else {
        return error(format!("{address} is not declared"));
    };
    let expanded =
        block.body.attribute("count").is_some() || block.body.attribute("for_each").is_some();
    let mut rest = ops;
    let mut key = None;
    if expanded {
        match rest.first() {
            Some(TraversalOp::Index(e)) => {
                let k = eval(scope, e);
                if matches!(k.value, Value::Unknown(_)) {
                    return unknown(format!("{address}[…] (module output{KNOWN_AFTER_APPLY})"));
                }
                address.push_str(&index_key(&k));
                key = Some(k);
                rest = &rest[1..];
            }
            // `module.NAME` of a call with `count`/`for_each` (`[for k, v in module.defs :
            // v.json]`, `values(module.defs)[*].json`): a list or map of its instances' outputs.
            _ => {
                return match all_instances_outputs(scope, file, block, &address) {
                    Some(all) => apply_ops(scope, all, rest),
                    None => unknown(format!(
                        "{address} (outputs of all instances are not evaluated)"
                    )),
                };
            }
        }
    }
    let Some(TraversalOp::GetAttr(output)) = rest.first() else {
        // `module.NAME` as a whole: an object of its outputs.
        let whole = module_instance_outputs(scope, file, block, &address, key.as_ref());
        return apply_ops(scope, whole, rest);
    };
    let reason = format!("{address}.{output} (module output, not evaluated)");
    let shared = &inst.shared;
    if shared.depth.get() > MAX_REFERENCE_DEPTH {
        return unknown(format!("{reason}: reference cycle"));
    }
    shared.depth.set(shared.depth.get() + 1);
    let value = child_instance(scope, file, block, &address, key.as_ref()).and_then(|child| {
        let out_ref = *child.def.outputs.get(&**output)?;
        let (out_file, out_block) = child.def.block(out_ref);
        let value_attr = out_block.body.attribute("value")?;
        let value = output_value(&child, output, out_file, &value_attr.expr);
        Some((value, out_file.location(value_attr.span)))
    });
    shared.depth.set(shared.depth.get() - 1);
    let Some((value, location)) = value else {
        return unknown(reason);
    };
    let description = match &value.value {
        Value::Unknown(u) => format!("{address}.{output}: {}", u.reason),
        _ => format!("{address}.{output} = {}", value.render()),
    };
    let provenance = Provenance::chain(
        ProvenanceStep {
            description: description.into(),
            location: Some(location),
        },
        &value.provenance,
    );
    let t = Tracked {
        value: value.value,
        location: None,
        provenance,
    };
    apply_ops(scope, t, &rest[1..])
}

/// `module.NAME` of a module call with `for_each` (a map of its instances' outputs by key) or
/// `count` (a list), as Terraform gives it; `None` when the instances or the module's code are not
/// known (the caller then gives an unknown).
fn all_instances_outputs(
    scope: &Scope<'_>,
    file: &SourceFile,
    block: &Block,
    address: &str,
) -> Option<Tracked> {
    const MAX_INSTANCES: usize = 1_000;
    let shared = &scope.inst.shared;
    if shared.depth.get() > MAX_REFERENCE_DEPTH {
        return None;
    }
    shared.depth.set(shared.depth.get() + 1);
    let outputs_of = |key: &Tracked| -> Option<Tracked> {
        let child = child_instance(
            scope,
            file,
            block,
            &format!("{address}{}", index_key(key)),
            Some(key),
        )?;
        let mut outputs = AttrMap::new();
        for (name, r) in child.def.outputs.iter() {
            let (out_file, out_block) = child.def.block(*r);
            let value = out_block
                .body
                .attribute("value")
                .map(|v| output_value(&child, name, out_file, &v.expr))
                .unwrap_or_else(|| Tracked::new(Value::Null, None));
            outputs.insert(name.as_str().into(), value);
        }
        Some(map(outputs))
    };
    let result = (|| {
        if let Some(for_each) = block.body.attribute("for_each") {
            let keys: Vec<String> = match &eval(scope, &for_each.expr).value {
                Value::Map(m) => m.keys().map(|k| k.to_string()).collect(),
                Value::List(items) => items
                    .iter()
                    .map(|i| as_string(i).map(|s| s.to_string()))
                    .collect::<Option<Vec<_>>>()?,
                Value::Null => Vec::new(),
                _ => return None,
            };
            if keys.len() > MAX_INSTANCES {
                return None;
            }
            let mut all = AttrMap::new();
            for key in keys {
                let value = outputs_of(&Tracked::new(Value::String(key.clone().into()), None))?;
                all.insert(key.as_str().into(), value);
            }
            Some(map(all))
        } else {
            let count = eval(scope, &block.body.attribute("count")?.expr).as_number()?;
            if !(0.0..=MAX_INSTANCES as f64).contains(&count) {
                return None;
            }
            let items = (0..count as usize)
                .map(|i| outputs_of(&Tracked::new(Value::Number(i as f64), None)))
                .collect::<Option<Vec<_>>>()?;
            Some(list(items))
        }
    })();
    shared.depth.set(shared.depth.get() - 1);
    result
}

/// An output's value in its module instance, evaluated once.
fn output_value(child: &Instance, name: &str, file: &SourceFile, expr: &Expr) -> Tracked {
    if let Some(v) = child.output_values.borrow().get(name) {
        return v.clone();
    }
    let value = eval(&Scope::new(child, file), expr);
    child
        .output_values
        .borrow_mut()
        .insert(name.to_string(), value.clone());
    value
}

/// One module instance as an object of all its outputs, each evaluated in that instance.
fn module_instance_outputs(
    scope: &Scope<'_>,
    file: &SourceFile,
    block: &Block,
    address: &str,
    key: Option<&Tracked>,
) -> Tracked {
    let shared = &scope.inst.shared;
    if shared.depth.get() > MAX_REFERENCE_DEPTH {
        return unknown(format!("{address} (module outputs): reference cycle"));
    }
    shared.depth.set(shared.depth.get() + 1);
    let outputs = child_instance(scope, file, block, address, key).map(|child| {
        let mut outputs = AttrMap::default();
        for (name, out_ref) in &child.def.outputs {
            let (out_file, out_block) = child.def.block(*out_ref);
            let value = match out_block.body.attribute("value") {
                Some(attr) => output_value(&child, name, out_file, &attr.expr),
                None => unknown(format!("{address}.{name} (output without a value)")),
            };
            outputs.insert(name.as_str().into(), value);
        }
        outputs
    });
    shared.depth.set(shared.depth.get() - 1);
    match outputs {
        Some(outputs) => map(outputs),
        None => unknown(format!("{address} (module outputs, not evaluated)")),
    }
}

/// The module instance a module call creates, with its inputs (built once per address).
fn child_instance(
    scope: &Scope<'_>,
    file: &SourceFile,
    block: &Block,
    address: &str,
    key: Option<&Tracked>,
) -> Option<Rc<Instance>> {
    let inst = scope.inst;
    if let Some(child) = inst.children.borrow().get(address) {
        return Some(child.clone());
    }
    let name = block.labels.first()?;
    let source = match &block.body.attribute("source")?.expr.kind {
        ExprKind::String(s) => s.to_string(),
        _ => return None,
    };
    let manifest_key = super::manifest_key_of(&inst.manifest_key, name);
    let (_, dir) = super::resolve_module_dir(&inst.shared, &inst.def, &manifest_key, &source);
    let child_def = inst.shared.modules.get(&dir?)?.clone();
    let base = Scope::new(inst, file);
    let each_value;
    let call_scope = match key {
        None => base,
        Some(k) if block.body.attribute("count").is_some() => Scope {
            count_index: Some(k),
            ..base
        },
        Some(k) => {
            each_value = for_each_value(&base, block.body.attribute("for_each")?, k)?;
            Scope {
                each: Some((k, &each_value)),
                ..base
            }
        }
    };
    let vars = super::module_inputs(&call_scope, file, block, &child_def, address);
    let path_module = crate::load::relative_path(&child_def.dir, &inst.shared.root_dir);
    let child = Rc::new(Instance::new(
        inst.shared.clone(),
        child_def,
        address.to_string(),
        vars,
        manifest_key,
        path_module,
    ));
    inst.children
        .borrow_mut()
        .insert(address.to_string(), child.clone());
    Some(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_files_are_named_like_terraforms() {
        for name in [
            "override.tf",
            "override.tf.json",
            "a_override.tf",
            "m/x_override.tf.json",
        ] {
            assert!(is_override_file(name), "{name}");
        }
        for name in [
            "main.tf",
            "overrides.tf",
            "override.tfvars",
            "my-override.tf",
            "override",
        ] {
            assert!(!is_override_file(name), "{name}");
        }
    }

    #[test]
    fn index_keys_print_like_terraform_addresses() {
        for key in [
            "s0",
            "eu west",
            "a\"b",
            "back\\slash",
            "tab\there",
            "é",
            "",
            "line\n",
        ] {
            let t = string(key);
            assert_eq!(index_key(&t), format!("[{key:?}]"), "{key:?}");
        }
        assert_eq!(index_key(&number(3.0)), "[3]");
        assert_eq!(index_key(&unknown("x")), "[*]");
    }
}
