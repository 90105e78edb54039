//! What several rules share: building findings, the one implementation of "an unknown value decides
//! residency" (SOV010), following references between resources, the region a resource uses, and the
//! list of data-bearing resource types.
use std::sync::Arc;

use crate::model::AttrMap;
use std::borrow::Cow;

use sovereign_schemas::policy::Verdict;
use sovereign_schemas::region::{normalize_region, region_of_zone};
use sovereign_schemas::{Cloud, Severity};

use super::RuleContext;
use crate::finding::{Finding, Related};
use crate::model::{
    Backend, Location, ModuleCall, ProviderConfig, ResourceInstance, Tracked, Value,
};

/// What a finding is about: a resource instance, provider configuration, backend or module call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'m> {
    pub address: &'m str,
    pub location: &'m Location,
    pub call_chain: &'m [Location],
    /// The module instance holding the subject (`module.a["k"].module.b`), to name the calls.
    pub module_address: &'m str,
}

impl<'m> Subject<'m> {
    pub fn resource(r: &'m ResourceInstance) -> Self {
        Subject {
            address: &r.address,
            location: &r.location,
            call_chain: &r.call_chain,
            module_address: &r.module_address,
        }
    }
    pub fn provider(p: &'m ProviderConfig) -> Self {
        Subject {
            address: &p.address,
            location: &p.location,
            call_chain: &p.call_chain,
            module_address: &p.module_address,
        }
    }
    pub fn backend(b: &'m Backend, address: &'m str) -> Self {
        Subject {
            address,
            location: &b.location,
            call_chain: &[],
            module_address: "",
        }
    }
    pub fn module_call(m: &'m ModuleCall) -> Self {
        Subject {
            address: &m.address,
            location: &m.location,
            call_chain: &m.call_chain,
            module_address: "",
        }
    }
}

/// Where to point at a value: its own location, else `fallback` (the block).
pub(crate) fn loc(t: &Tracked, fallback: &Location) -> Location {
    t.location.clone().unwrap_or_else(|| fallback.clone())
}

/// The call chain and module address a related-locations list was built for, and the list.
type RelatedMemo = (Vec<Location>, String, Arc<[Related]>);

/// The call chain as SARIF related locations: one shared list per module instance (every finding
/// in it refers to the same list).
fn related(call_chain: &[Location], module_address: &str) -> Arc<[Related]> {
    if call_chain.is_empty() {
        return Arc::from([]);
    }
    // Findings come resource by resource: the last module instance's list is usually the answer.
    thread_local! {
        static LAST: std::cell::RefCell<Option<RelatedMemo>> = const { std::cell::RefCell::new(None) };
    }
    let cached = LAST.with(|last| {
        last.borrow()
            .as_ref()
            .and_then(|(chain, address, related)| {
                (chain.as_slice() == call_chain && address == module_address)
                    .then(|| related.clone())
            })
    });
    if let Some(related) = cached {
        return related;
    }
    let related: Arc<[Related]> = build_related(call_chain, module_address).into();
    LAST.with(|last| {
        *last.borrow_mut() = Some((
            call_chain.to_vec(),
            module_address.to_string(),
            related.clone(),
        ));
    });
    related
}

fn build_related(call_chain: &[Location], module_address: &str) -> Vec<Related> {
    let calls = module_call_addresses(module_address);
    call_chain
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let call = calls.get(i).filter(|_| calls.len() == call_chain.len());
            Related {
                location: l.clone(),
                message: match call {
                    Some(call) => format!("in module call {call}").into(),
                    None => "in module call".into(),
                },
                module_call: Some(call.map_or("module", String::as_str).into()),
            }
        })
        .collect()
}

/// `module.a["x.y"].module.b` → [`module.a["x.y"]`, `module.a["x.y"].module.b`].
fn module_call_addresses(module_address: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in module_address.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes && module_address[i + 1..].starts_with("module.") => {
                out.push(module_address[..i].to_string());
            }
            _ => {}
        }
    }
    if !module_address.is_empty() {
        out.push(module_address.to_string());
    }
    out
}

/// A finding of `rule` about `subject` at `location`; `value` supplies the rendered value and its
/// provenance. Severity is a placeholder: [`super::run`] applies the policy's.
pub(crate) fn finding(
    rule: &'static str,
    subject: Subject<'_>,
    location: Location,
    message: String,
    value: Option<&Tracked>,
    help: impl Into<Cow<'static, str>>,
) -> Finding {
    Finding {
        rule,
        severity: Severity::Error,
        location,
        address: subject.address.to_string(),
        message,
        value: value.map(Tracked::render),
        provenance: value.map(|v| v.provenance.clone()).unwrap_or_default(),
        help: help.into(),
        related: related(subject.call_chain, subject.module_address),
    }
}

/// What a value that cannot be resolved leaves unproven (the end of SOV010's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unproven {
    /// Where data, traffic or state goes (regions, endpoints, replication targets, tags).
    Residency,
    /// That data is encrypted with a customer-managed key (SOV006).
    Encryption,
    /// How a key is kept: rotation, HSM backing (SOV007).
    Custody,
    /// That traffic has no path to the public internet (SOV005).
    Egress,
}

impl Unproven {
    fn text(self, cx: &RuleContext<'_>) -> String {
        match self {
            Unproven::Residency => format!(
                "residency in jurisdiction `{}` cannot be proven",
                cx.scope.jurisdiction.id
            ),
            Unproven::Encryption => {
                "encryption with a customer-managed key cannot be proven".to_string()
            }
            Unproven::Custody => "the key's rotation and custody cannot be proven".to_string(),
            Unproven::Egress => {
                "that it opens no egress to the public internet cannot be proven".to_string()
            }
        }
    }
}

/// The one implementation of "an unknown value decides residency": a SOV010 finding saying which
/// value (`what`, e.g. "`region`"), why it is unknown and how it was resolved.
pub(crate) fn unresolved(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: &Tracked,
) {
    unresolved_full(cx, out, subject, what, t, Unproven::Residency, DEFAULT_HELP);
}

const DEFAULT_HELP: &str = "give the value statically (a literal, a variable default, a .tfvars entry or --var), or lint \
     the plan with `--plan` where it is known";

/// [`unresolved`] with a help line of its own, for a value that is known but whose place is not
/// (a cross-Region inference profile), where giving it statically would not help.
pub(crate) fn unresolved_with_help(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: &Tracked,
    help: &'static str,
) {
    unresolved_full(cx, out, subject, what, t, Unproven::Residency, help);
}

/// [`unresolved`] for a value that decides something else than residency (`unproven`).
pub(crate) fn unresolved_as(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: &Tracked,
    unproven: Unproven,
) {
    unresolved_full(cx, out, subject, what, t, unproven, DEFAULT_HELP);
}

fn unresolved_full(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: &Tracked,
    unproven: Unproven,
    help: &'static str,
) {
    let reason = first_unknown_reason(t).unwrap_or("not statically known");
    out.push(finding(
        "SOV010",
        subject,
        loc(t, subject.location),
        format!(
            "{what} of {} cannot be resolved statically ({reason}): {}",
            subject.address,
            unproven.text(cx)
        ),
        Some(t),
        help,
    ));
}

/// The reason of the first unknown inside a value.
pub(crate) fn first_unknown_reason(t: &Tracked) -> Option<&str> {
    match &t.value {
        Value::Unknown(u) => Some(&u.reason),
        Value::List(items) => items.iter().find_map(first_unknown_reason),
        Value::Map(m) => m.values().find_map(first_unknown_reason),
        _ => None,
    }
}

/// SOV010 for a value that decides residency but is of a type the rule cannot read (a number
/// where a region belongs, a string where a block belongs): as unprovable as an unknown one.
pub(crate) fn unexpected(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: &Tracked,
    expected: &str,
) {
    out.push(finding(
        "SOV010",
        subject,
        loc(t, subject.location),
        format!(
            "{what} of {} cannot be resolved statically (expected {expected}, got {}): residency in jurisdiction `{}` cannot be proven",
            subject.address,
            t.render(),
            cx.scope.jurisdiction.id
        ),
        Some(t),
        format!("give {what} as {expected}, statically (a literal, a variable default, a .tfvars entry or --var)"),
    ));
}

/// The blocks of a nested-block argument (`replica`, `rule`, `destination`): a list of objects, or
/// one object. Fails closed: an unknown list (a `dynamic` block over a collection not known
/// statically), an unknown block or a value that is no block at all is SOV010 and yields nothing.
pub(crate) fn blocks<'t>(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: Option<&'t Tracked>,
) -> Vec<&'t Tracked> {
    let Some(t) = t else { return Vec::new() };
    let mut found = Vec::new();
    for item in t.items() {
        match &item.value {
            Value::Map(_) => found.push(item),
            Value::Null => {}
            Value::Unknown(_) => unresolved(cx, out, subject, what, item),
            Value::List(_) => found.extend(blocks(cx, out, subject, what, Some(item))),
            _ => unexpected(cx, out, subject, what, item, "a block"),
        }
    }
    found
}

/// The nested value at a dotted path, failing closed: `Ok(None)` when the path is absent; SOV010
/// and `Err(())` when a block on the way (or the value) is unknown. Follows every block of a list
/// only through its first (like [`get_path`]).
pub(crate) fn decisive_path<'t>(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    root: &'t AttrMap,
    path: &str,
    unproven: Unproven,
) -> Result<Option<&'t Tracked>, ()> {
    #[cfg(test)]
    crate::model::argument_reads::path_read(root, path);
    let (first, mut rest) = split_dot(path);
    let Some(mut current) = crate::model::lookup(root, first) else {
        return Ok(None);
    };
    while let Some(tail) = rest {
        let (part, next) = split_dot(tail);
        let holder = match &current.value {
            Value::List(items) => match items.first() {
                Some(item) => item,
                None => return Ok(None),
            },
            _ => current,
        };
        match &holder.value {
            Value::Unknown(_) => {
                unresolved_as(cx, out, subject, &format!("`{path}`"), holder, unproven);
                return Err(());
            }
            Value::Map(_) => {}
            _ => return Ok(None),
        }
        let Some(next_value) = holder.get(part) else {
            return Ok(None);
        };
        current = next_value;
        rest = next;
    }
    Ok(Some(current))
}

/// A string that decides residency, failing closed: SOV010 for an unknown value, an empty string or
/// a value of another type (a list, map, number or bool where one name is expected); `None` (and no
/// finding) only for an absent or null value.
pub(crate) fn residency_string<'t>(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    subject: Subject<'_>,
    what: &str,
    t: &'t Tracked,
) -> Option<&'t str> {
    match &t.value {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Null => None,
        Value::Unknown(_) => {
            unresolved(cx, out, subject, what, t);
            None
        }
        Value::String(_) => {
            unexpected(cx, out, subject, what, t, "a non-empty string");
            None
        }
        _ => {
            unexpected(cx, out, subject, what, t, "a string");
            None
        }
    }
}

/// Follows a dotted path through maps and block lists (the first block of each list):
/// `server_side_encryption.kms_key_arn`.
pub(crate) fn get_path<'t>(root: &'t AttrMap, path: &str) -> Option<&'t Tracked> {
    // The argument record's test: the whole path is read, however far the value goes.
    #[cfg(test)]
    crate::model::argument_reads::path_read(root, path);
    // Paths are short ASCII: a plain byte scan for each `.` (no string searcher), and the walk
    // stops at the first missing segment without looking at the rest.
    let (first, mut rest) = split_dot(path);
    let mut current = crate::model::lookup(root, first)?;
    while let Some(tail) = rest {
        let (part, next) = split_dot(tail);
        let map_holder = match &current.value {
            Value::List(items) => items.first()?,
            _ => current,
        };
        current = map_holder.get(part)?;
        rest = next;
    }
    Some(current)
}

/// `a.b.c` → (`a`, Some(`b.c`)); `a` → (`a`, None).
fn split_dot(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|b| b == b'.') {
        Some(i) => (&path[..i], Some(&path[i + 1..])),
        None => (path, None),
    }
}

/// One step of an attribute path: a map key or block/list index, borrowed from the value.
pub(crate) type Seg<'t> = Cow<'t, str>;

/// The path segment of list index `i` (small indexes without allocating).
fn index_seg(i: usize) -> Seg<'static> {
    const SMALL: [&str; 16] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
    ];
    match SMALL.get(i) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(i.to_string()),
    }
}

/// The path of an attribute by name (the start of a walk).
pub(crate) fn attr_path(name: &str) -> Vec<Seg<'_>> {
    vec![Cow::Borrowed(name)]
}

/// The last path segment that is a key, not an index (`ingress.0.cidr_blocks.1` → `cidr_blocks`).
pub(crate) fn last_key<'p>(path: &'p [Seg<'_>]) -> &'p str {
    path.iter()
        .rev()
        .find(|p| !p.bytes().all(|c| c.is_ascii_digit()))
        .map_or("", |p| p.as_ref())
}

/// What a resource's values contain, for rules that would otherwise each walk every value.
pub(crate) mod features {
    /// A string starting with `arn:` outside tags and labels (SOV001).
    pub const ARN: u8 = 1;
    /// An endpoint-like key outside tag maps (SOV002).
    pub const ENDPOINT_KEY: u8 = 2;
    /// `associate_public_ip_address` / `map_public_ip_on_launch` (SOV005).
    pub const PUBLIC_IP_KEY: u8 = 4;
    /// A container image key or container-definition JSON attribute outside tags (SOV009).
    pub const IMAGE_KEY: u8 = 8;
}

/// The [`features`] of one resource instance, in one pass over its values.
pub(crate) fn features_of(r: &ResourceInstance) -> u8 {
    /// The same few attribute names come back in every instance: their features are
    /// remembered per thread.
    fn key_features(key: &str) -> u8 {
        thread_local! {
            static MEMO: std::cell::RefCell<foldhash::HashMap<crate::model::Key, u8>> =
                std::cell::RefCell::default();
        }
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            if let Some(&f) = memo.get(key) {
                return f;
            }
            let f = compute_key_features(key);
            if memo.len() >= 4096 {
                memo.clear();
            }
            memo.insert(key.into(), f);
            f
        })
    }
    fn compute_key_features(key: &str) -> u8 {
        let mut f = 0;
        if super::sov002_endpoint_outside_jurisdiction::is_endpoint_key(key) {
            f |= features::ENDPOINT_KEY;
        }
        if super::sov005_public_egress::is_public_ip_key(key) {
            f |= features::PUBLIC_IP_KEY;
        }
        if super::sov009_foreign_artifact_source::is_image_key(key) {
            f |= features::IMAGE_KEY;
        }
        f
    }
    fn inner(t: &Tracked, acc: &mut u8) {
        match &t.value {
            Value::String(s) if s.starts_with("arn:") => *acc |= features::ARN,
            Value::List(items) => items.iter().for_each(|i| inner(i, acc)),
            Value::Map(m) => {
                for (k, v) in m.iter() {
                    *acc |= key_features(k);
                    inner(v, acc);
                }
            }
            _ => {}
        }
    }
    let mut all = 0;
    for (name, t) in r.attributes.iter().filter(|(name, _)| !is_tag_map(name)) {
        all |= key_features(name);
        inner(t, &mut all);
    }
    all
}

/// Tag and label maps: free-form user text that names no region, endpoint, key or image.
pub(crate) fn is_tag_map(name: &str) -> bool {
    matches!(
        name,
        "tags"
            | "tags_all"
            | "labels"
            | "default_tags"
            | "default_labels"
            | "effective_labels"
            | "terraform_labels"
    )
}

/// Whether the attribute `name` or any map key inside its value `t` satisfies `pred`: a cheap test
/// (no paths, no allocation) before a [`walk_values`] that acts on keys.
pub(crate) fn any_key(name: &str, t: &Tracked, pred: &dyn Fn(&str) -> bool) -> bool {
    fn inner(t: &Tracked, pred: &dyn Fn(&str) -> bool) -> bool {
        match &t.value {
            Value::List(items) => items.iter().any(|i| inner(i, pred)),
            Value::Map(m) => m.iter().any(|(k, v)| pred(k) || inner(v, pred)),
            _ => false,
        }
    }
    pred(name) || inner(t, pred)
}

/// Whether any string inside `t` satisfies `pred` (a cheap test before a [`walk_strings`]).
pub(crate) fn any_string(t: &Tracked, pred: &dyn Fn(&str) -> bool) -> bool {
    match &t.value {
        Value::String(s) => pred(s),
        Value::List(items) => items.iter().any(|i| any_string(i, pred)),
        Value::Map(m) => m.values().any(|v| any_string(v, pred)),
        _ => false,
    }
}

/// Every string inside a value with its attribute path (`rule.0.destination.0.bucket`).
pub(crate) fn walk_strings<'t>(
    t: &'t Tracked,
    path: &mut Vec<Seg<'t>>,
    f: &mut dyn FnMut(&[Seg<'t>], &'t Tracked, &'t str),
) {
    match &t.value {
        Value::String(s) => f(path, t, s),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(index_seg(i));
                walk_strings(item, path, f);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, v) in m.iter() {
                path.push(Cow::Borrowed(k));
                walk_strings(v, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Every value inside (including the value itself), without paths.
pub(crate) fn each_value<'t>(t: &'t Tracked, f: &mut dyn FnMut(&'t Tracked)) {
    f(t);
    match &t.value {
        Value::List(items) => items.iter().for_each(|item| each_value(item, f)),
        Value::Map(m) => m.values().for_each(|v| each_value(v, f)),
        _ => {}
    }
}

/// Every value inside (including the value itself) with its path.
pub(crate) fn walk_values<'t>(
    t: &'t Tracked,
    path: &mut Vec<Seg<'t>>,
    f: &mut dyn FnMut(&[Seg<'t>], &'t Tracked),
) {
    f(path, t);
    match &t.value {
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(index_seg(i));
                walk_values(item, path, f);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, v) in m.iter() {
                path.push(Cow::Borrowed(k));
                walk_values(v, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The attribute path as users write it: `rule[0].destination[0].bucket`.
pub(crate) fn display_path(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for part in path {
        if part.bytes().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// Whether an unknown value is computed by a resource managed in the configuration, and so is
/// the customer's own (a key created alongside): a reference the model follows to a managed
/// resource, or — in a plan — a value Terraform reports as known only after apply whose references
/// name no data source (variables always have values in a plan, so what is still unknown comes from
/// resources the plan creates or changes, possibly through module inputs the plan does not
/// resolve). A variable without a value, a data source attribute or anything else is not.
pub(crate) fn computed_by_managed_resource(
    cx: &RuleContext<'_>,
    from: &ResourceInstance,
    t: &Tracked,
) -> bool {
    let referenced = referenced_resources(cx, from, t);
    if referenced
        .iter()
        .any(|(r, _)| r.mode == crate::model::ResourceMode::Managed)
    {
        return true;
    }
    // `data.TYPE.NAME…` or `module.M.data.TYPE.NAME…` among the words of the reason.
    let names_data_source = |reason: &str| {
        reason
            .split([' ', ',', '(', ')'])
            .any(|word| word.starts_with("data.") || word.contains(".data."))
    };
    let mut from_plan = false;
    let mut data = !referenced.is_empty();
    each_value(t, &mut |v| {
        if let Value::Unknown(u) = &v.value {
            from_plan |= u.reason.starts_with(crate::plan::build::KNOWN_AFTER_APPLY);
            data |= names_data_source(&u.reason);
        }
    });
    from_plan && !data
}

/// The resources a value refers to (`bucket = aws_s3_bucket.data.id`), with the attribute referred
/// to. Uses the evaluator's convention ([`crate::eval::referenced_address`]: an unknown reason
/// `ADDRESS.ATTR (known after apply)` or a provenance step `ADDRESS.ATTR = VALUE`) and, failing
/// that, any `TYPE.NAME.ATTR` word in the unknown reasons and provenance, looked up in the same
/// module instance, else in the modules that call it (a value passed in as a module input).
pub(crate) fn referenced_resources<'m, 't>(
    cx: &RuleContext<'m>,
    from: &ResourceInstance,
    t: &'t Tracked,
) -> Vec<(&'m ResourceInstance, Option<String>)> {
    let mut found: Vec<(&'m ResourceInstance, Option<String>)> = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut collect = |v: &'t Tracked| {
        if let Some(address) = crate::eval::referenced_address(v)
            && let Some(r) = cx.resource(address)
            && !found.iter().any(|(f, _)| std::ptr::eq(*f, r))
        {
            let text = v.unknown_reason().or_else(|| {
                v.provenance
                    .iter()
                    .find(|s| s.description.starts_with(address))
                    .map(|s| &*s.description)
            });
            let attr = text
                .and_then(|text| text.strip_prefix(address))
                .and_then(|rest| rest.strip_prefix('.'))
                .map(|rest| {
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .filter(|a| !a.is_empty());
            found.push((r, attr));
        }
        if found.is_empty() {
            if let Value::Unknown(u) = &v.value {
                texts.push(&u.reason);
            }
            texts.extend(v.provenance.iter().map(|step| &*step.description));
        }
    };
    each_value(t, &mut collect);
    if !found.is_empty() {
        return found;
    }
    for text in texts {
        // A resource type has an underscore: texts without one name no resource.
        if !text.contains('_') {
            continue;
        }
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "_.-[]\"*".contains(c))) {
            if !word.contains('_') || !word.contains('.') {
                continue;
            }
            let word = strip_indexes(word);
            let mut parts = word.split('.');
            let (Some(resource_type), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            if !resource_type.contains('_') {
                continue;
            }
            let attr = parts.next().map(str::to_string);
            // The module's own resources first; then its callers', up to the root: a value that
            // came in through a module input names a resource of the calling module.
            let mut scopes = module_call_addresses(&from.module_address);
            scopes.reverse();
            scopes.push(String::new());
            let named = scopes
                .iter()
                .map(|scope| cx.resources_named(scope, resource_type, name))
                .find(|named| !named.is_empty())
                .unwrap_or_default();
            for r in named {
                if !found.iter().any(|(f, _)| std::ptr::eq(*f, r)) {
                    found.push((r, attr.clone()));
                }
            }
        }
    }
    found
}

fn strip_indexes(word: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in word.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The cloud of a resource (by type prefix; `sovereign_*` is AWS).
pub(crate) fn cloud_of(resource: &ResourceInstance) -> Option<Cloud> {
    Cloud::from_resource_type(&resource.resource_type)
}

/// Checks a region or zone name: zones are checked by the region they lie in.
pub(crate) fn check_region_or_zone(cx: &RuleContext<'_>, cloud: Cloud, name: &str) -> Verdict {
    // The common case, a region inside, needs no explanation (callers read reasons of outsides).
    if cx.scope.region_inside(cloud, name) {
        return Verdict {
            inside: true,
            reason: String::new(),
        };
    }
    match region_of_zone(cloud, name) {
        Some(region) => {
            let v = cx.scope.check_region(Some(cloud), &region);
            Verdict {
                inside: v.inside,
                reason: format!("zone `{name}` is in `{region}`: {}", v.reason),
            }
        }
        None => cx
            .scope
            .check_region(Some(cloud), &normalize_region(cloud, name)),
    }
}

/// "an AWS region", "an Azure region", "a Google Cloud region".
pub(crate) fn a_cloud(cloud: Cloud) -> String {
    match cloud {
        Cloud::Google => format!("a {cloud}"),
        _ => format!("an {cloud}"),
    }
}

pub(crate) fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_uppercase() && !s.starts_with("AWS") => {
            c.to_ascii_lowercase().to_string() + chars.as_str()
        }
        Some(c) => c.to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Where a resource's region comes from.
pub(crate) enum RegionOf<'m> {
    /// Its own `region`/`location` argument.
    Own(&'m Tracked),
    /// Its provider configuration's `region`.
    Provider(&'m ProviderConfig, &'m Tracked),
    /// Not known from configuration (no region anywhere).
    Missing,
}

impl<'m> RegionOf<'m> {
    pub fn value(&self) -> Option<&'m Tracked> {
        match self {
            RegionOf::Own(t) | RegionOf::Provider(_, t) => Some(t),
            RegionOf::Missing => None,
        }
    }
}

/// The region a resource is created in: its own `region` (AWS provider v6, Google) or `location`
/// (Azure, Google), else its provider's `region`; for a data source only its own.
pub(crate) fn region_of<'m>(cx: &RuleContext<'m>, resource: &'m ResourceInstance) -> RegionOf<'m> {
    for attr in ["region", "location"] {
        if let Some(t) = resource.attr(attr)
            && !t.is_null()
        {
            return RegionOf::Own(t);
        }
    }
    // A data source reads an object wherever it is (a bucket by name, a key by alias): its
    // provider's region says nothing about where that object lives.
    if resource.mode == crate::model::ResourceMode::Data {
        return RegionOf::Missing;
    }
    if let Some(p) = cx.model.provider_of(resource)
        && let Some(t) = p.attr("region")
        && !t.is_null()
    {
        return RegionOf::Provider(p, t);
    }
    RegionOf::Missing
}

/// Data-bearing resource types: storage, databases, volumes, queues and streams, registries, ML
/// artifacts, logs and backups (SOV003 requires tags on them, SOV006 a customer-managed key).
pub(crate) const DATA_BEARING: &[&str] = &[
    // AWS
    "aws_s3_bucket",
    // S3 directory buckets (S3 Express One Zone), S3 Tables and S3 Vectors (hashicorp/aws 6.21:
    // tags on all four).
    "aws_s3_directory_bucket",
    "aws_s3tables_table_bucket",
    "aws_s3tables_table",
    "aws_s3vectors_vector_bucket",
    "aws_s3vectors_index",
    "aws_ebs_volume",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_dynamodb_table",
    "aws_efs_file_system",
    "aws_fsx_lustre_file_system",
    "aws_fsx_windows_file_system",
    "aws_fsx_ontap_file_system",
    "aws_fsx_openzfs_file_system",
    "aws_elasticache_replication_group",
    "aws_elasticache_cluster",
    "aws_redshift_cluster",
    "aws_opensearch_domain",
    "aws_elasticsearch_domain",
    "aws_kinesis_stream",
    "aws_kinesis_firehose_delivery_stream",
    "aws_msk_cluster",
    "aws_sqs_queue",
    "aws_sns_topic",
    "aws_ecr_repository",
    "aws_sagemaker_model",
    "aws_sagemaker_endpoint_configuration",
    "aws_sagemaker_notebook_instance",
    "aws_sagemaker_domain",
    "aws_sagemaker_feature_group",
    "aws_redshiftserverless_namespace",
    "aws_keyspaces_table",
    "aws_bedrock_custom_model",
    "aws_backup_vault",
    "aws_docdb_cluster",
    "aws_neptune_cluster",
    "aws_memorydb_cluster",
    "aws_timestreamwrite_database",
    "aws_glue_catalog_database",
    "aws_athena_workgroup",
    "aws_cloudwatch_log_group",
    "aws_secretsmanager_secret",
    // Azure
    "azurerm_storage_account",
    "azurerm_managed_disk",
    "azurerm_mssql_server",
    "azurerm_mssql_database",
    "azurerm_postgresql_flexible_server",
    "azurerm_mysql_flexible_server",
    "azurerm_cosmosdb_account",
    "azurerm_container_registry",
    "azurerm_machine_learning_workspace",
    "azurerm_servicebus_namespace",
    "azurerm_eventhub_namespace",
    "azurerm_key_vault",
    "azurerm_cognitive_account",
    "azurerm_synapse_workspace",
    "azurerm_machine_learning_datastore_blobstorage",
    "azurerm_redis_cache",
    "azurerm_kusto_cluster",
    "azurerm_mssql_managed_instance",
    "azurerm_search_service",
    // Not `azurerm_storage_data_lake_gen2_filesystem`: it takes no tags (azurerm 5.2), its data
    // is its storage account's.
    // Google
    "google_storage_bucket",
    "google_compute_disk",
    "google_sql_database_instance",
    "google_bigquery_dataset",
    "google_bigquery_table",
    "google_spanner_instance",
    "google_pubsub_topic",
    "google_artifact_registry_repository",
    "google_vertex_ai_dataset",
    "google_vertex_ai_featurestore",
    "google_vertex_ai_endpoint",
    "google_vertex_ai_index",
    "google_vertex_ai_tensorboard",
    "google_vertex_ai_feature_online_store",
    "google_workbench_instance",
    "google_alloydb_cluster",
    "google_redis_instance",
    "google_dataproc_metastore_service",
    // Not google_firestore_database or google_vertex_ai_metadata_store: they take no labels
    // (google 7.45; Firestore's `tags` are resource manager tag bindings). SOV006 still checks
    // their keys.
    "google_filestore_instance",
    "google_bigtable_instance",
    // sovereign
    "sovereign_bucket",
];

/// The ARM resource types of the data-bearing azurerm types above, for resources created with
/// `azapi_resource` (`type = "Microsoft.Storage/storageAccounts@2023-05-01"`, as Azure Verified
/// Modules do); lower case. Child types (`…/storageAccounts/blobServices`) take no tags.
const DATA_BEARING_ARM: &[&str] = &[
    "microsoft.storage/storageaccounts",
    "microsoft.compute/disks",
    "microsoft.sql/servers",
    "microsoft.sql/servers/databases",
    "microsoft.sql/managedinstances",
    "microsoft.dbforpostgresql/flexibleservers",
    "microsoft.dbformysql/flexibleservers",
    "microsoft.documentdb/databaseaccounts",
    "microsoft.containerregistry/registries",
    "microsoft.machinelearningservices/workspaces",
    "microsoft.servicebus/namespaces",
    "microsoft.eventhub/namespaces",
    "microsoft.keyvault/vaults",
    "microsoft.cognitiveservices/accounts",
    "microsoft.synapse/workspaces",
    "microsoft.cache/redis",
    "microsoft.kusto/clusters",
    "microsoft.search/searchservices",
];

pub(crate) fn is_data_bearing(resource: &ResourceInstance) -> bool {
    static SET: std::sync::OnceLock<foldhash::HashSet<&'static str>> = std::sync::OnceLock::new();
    if resource.mode != crate::model::ResourceMode::Managed {
        return false;
    }
    if resource.resource_type == "azapi_resource" {
        return resource
            .attr("type")
            .and_then(Tracked::as_str)
            .is_some_and(|arm| {
                let arm = arm.split('@').next().unwrap_or(arm).trim();
                DATA_BEARING_ARM.iter().any(|d| arm.eq_ignore_ascii_case(d))
            });
    }
    SET.get_or_init(|| DATA_BEARING.iter().copied().collect())
        .contains(resource.resource_type.as_str())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{features, features_of, get_path, module_call_addresses};
    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn features_summarise_what_rules_walk_for() {
        let model = ModelBuilder::new()
            .resource(
                "aws_s3_bucket",
                "plain",
                json!({"bucket": "b", "tags": {"a": "arn:aws:kms:us-east-1:1:key/x"}}),
            )
            .resource(
                "aws_kms_grant",
                "arn",
                json!({"key_id": "arn:aws:kms:us-east-1:1:key/x"}),
            )
            .resource(
                "aws_instance",
                "ip",
                json!({"network_interface": [{"associate_public_ip_address": true}]}),
            )
            .resource(
                "aws_lambda_function",
                "ep",
                json!({"environment": [{"variables": {"API_ENDPOINT": "x"}}]}),
            )
            .resource(
                "aws_ecs_task_definition",
                "img",
                json!({"container_definitions": "[]"}),
            )
            .build();
        let got: Vec<u8> = model.resources.iter().map(features_of).collect();
        assert_eq!(
            got,
            [
                0,
                features::ARN,
                features::PUBLIC_IP_KEY,
                features::ENDPOINT_KEY,
                features::IMAGE_KEY
            ]
        );
    }

    #[test]
    fn attribute_paths_walk_maps_and_first_blocks() {
        let model = ModelBuilder::new()
            .resource(
                "aws_s3_bucket",
                "b",
                json!({"rule": [{"apply": [{"sse": "aws:kms"}]}, {"apply": []}], "a.b": 1, "top": "x"}),
            )
            .build();
        let attrs = &model.resources[0].attributes;
        let at = |path: &str| get_path(attrs, path).map(|t| t.render());
        assert_eq!(at("top").as_deref(), Some("\"x\""));
        assert_eq!(at("rule.apply.sse").as_deref(), Some("\"aws:kms\""));
        assert_eq!(at("rule.apply.missing"), None);
        assert_eq!(at("missing.apply"), None);
        assert_eq!(at("top.more"), None);
        assert_eq!(at("a.b"), None, "a dot always separates segments");
        assert_eq!(at(""), None);
    }

    #[test]
    fn tag_maps_are_not_requests() {
        // A tag that happens to be named like an argument asks for nothing.
        let model = ModelBuilder::new()
            .resource(
                "aws_subnet",
                "tagged",
                json!({"tags": {"map_public_ip_on_launch": "true", "endpoint_url": "https://x.example.com"}}),
            )
            .build();
        assert!(lint(&model, "", &["SOV002", "SOV005"]).is_empty());
    }

    /// A resource named in a reason is looked up in the module first, then in its callers.
    #[test]
    fn references_reach_the_calling_modules() {
        let mut model = ModelBuilder::new()
            .resource("aws_kms_key", "k", json!({}))
            .resource("aws_kms_key", "k", json!({}))
            .resource(
                "aws_s3_bucket_replication_configuration",
                "r",
                json!({"key": "?dynamic \"encryption_configuration\" for_each is unknown (aws_kms_key.k.arn)"}),
            )
            .resource(
                "aws_s3_bucket_replication_configuration",
                "r",
                json!({"key": "?dynamic \"encryption_configuration\" for_each is unknown (aws_kms_key.k.arn)"}),
            )
            .build();
        // Root key, a key in module.a; a configuration in module.a.module.b, one in module.a.
        model.resources[1].module_address = "module.a".into();
        model.resources[2].module_address = "module.a.module.b".into();
        model.resources[3].module_address = "module.a".into();
        let policy = sovereign_schemas::Policy::default();
        let cx = crate::rules::RuleContext::new(&model, &policy);
        for (from, want) in [(2, 1), (3, 1)] {
            let r = &model.resources[from];
            let Some(t) = r.attr("key") else {
                panic!("the fixture has a key")
            };
            let found = super::referenced_resources(&cx, r, t);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(std::ptr::eq(found[0].0, &model.resources[want]));
        }
        model.resources[1].module_address = "module.z".into();
        let cx = crate::rules::RuleContext::new(&model, &policy);
        let r = &model.resources[2];
        let found = r
            .attr("key")
            .map(|t| super::referenced_resources(&cx, r, t))
            .unwrap_or_default();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(std::ptr::eq(found[0].0, &model.resources[0]), "the root's");
    }

    #[test]
    fn module_calls_of_an_address() {
        assert!(module_call_addresses("").is_empty());
        assert_eq!(
            module_call_addresses(r#"module.a["x.module.y"].module.b[0]"#),
            vec![
                r#"module.a["x.module.y"]"#,
                r#"module.a["x.module.y"].module.b[0]"#
            ]
        );
    }
}
