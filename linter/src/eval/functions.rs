//! Terraform's built-in functions that matter for residency: string, collection, type
//! conversion, encoding and network functions. Unsupported functions give an unknown value
//! whose reason names them (never an error: the rules then report SOV010 where it matters).
use crate::model::AttrMap;

use super::expr::{Scope, eval, truthy};
use super::value::*;
use crate::load::ast::Expr;
use crate::model::{Provenance, Tracked, Value};

pub(crate) fn call(
    scope: &Scope<'_>,
    name: &str,
    arg_exprs: &[Expr],
    expand_final: bool,
    call: &Expr,
) -> Tracked {
    match name {
        // Lazy, and the one place errors and unknowns differ: like Terraform, an argument whose
        // evaluation fails falls through to the next; one that depends on a value not known yet
        // makes the result unknown (it may fail or succeed once known).
        "try" => {
            let mut last = error("try() with no arguments");
            for e in arg_exprs {
                let v = eval(scope, e);
                if v.pending_unknown().is_some() {
                    return match v.evaluation_error() {
                        None => v,
                        Some(_) => v.pending_unknown().map_or(v.clone(), propagate_unknown),
                    };
                }
                if v.evaluation_error().is_none() {
                    return v;
                }
                last = v;
            }
            return match last.evaluation_error() {
                Some(e) => error(format!(
                    "try(): no argument could be evaluated (the last: {}) at {}",
                    e.unknown_reason().unwrap_or_default(),
                    scope.location(call.span)
                )),
                None => last,
            };
        }
        "can" => {
            return match arg_exprs.first().map(|e| eval(scope, e)) {
                Some(v) => match v.pending_unknown() {
                    Some(u) => propagate_unknown(u),
                    None => boolean(v.evaluation_error().is_none()),
                },
                None => error("can() needs an argument"),
            };
        }
        _ => {}
    }
    let mut args: Vec<Tracked> = arg_exprs.iter().map(|e| eval(scope, e)).collect();
    if expand_final && let Some(last) = args.pop() {
        match last.value {
            Value::List(items) => args.extend(items),
            Value::Unknown(_) => return propagate_unknown(&last),
            _ => return error(format!("{name}(…): the expanded argument is not a list")),
        }
    }
    // `merge` of known maps (tags on every resource): move the arguments instead of copying them.
    if name == "merge"
        && !args.is_empty()
        && args
            .iter()
            .all(|a| matches!(a.value, Value::Map(_) | Value::Null))
    {
        let mut provenance = Provenance::new();
        for a in &args {
            provenance.merge(&a.provenance);
        }
        let mut out: Option<AttrMap> = None;
        for a in args {
            if let Value::Map(m) = a.value {
                match &mut out {
                    None => out = Some(m),
                    Some(o) => {
                        o.reserve(m.len());
                        for (k, v) in m {
                            o.insert(k, v);
                        }
                    }
                }
            }
        }
        return Tracked {
            value: Value::Map(out.unwrap_or_default()),
            location: None,
            provenance,
        };
    }
    if name == "file" {
        return read_file(scope, &args, call);
    }
    if name == "templatefile" {
        return template_file(scope, &args, call);
    }
    if name == "fileset" {
        return file_set(scope, &args, call);
    }
    let result = apply(name, &args);
    let mut result = match result {
        Ok(v) => v,
        Err(Failure::Unknown(u)) => return *u,
        // Arguments not known yet may be what made them look wrong: the result is not known yet.
        Err(Failure::Invalid(message)) => match args.iter().find_map(Tracked::pending_unknown) {
            Some(pending) => propagate_unknown(pending),
            None => error(format!(
                "{name}(): {message} at {}",
                scope.location(call.span)
            )),
        },
    };
    let inputs: Vec<&Tracked> = args.iter().collect();
    result.location = None;
    derived(result, &inputs)
}

enum Failure {
    /// An argument is unknown: the result is that unknown.
    Unknown(Box<Tracked>),
    /// Wrong arguments.
    Invalid(String),
}

type Result<T> = std::result::Result<T, Failure>;

fn invalid(message: impl Into<String>) -> Failure {
    Failure::Invalid(message.into())
}

fn known(t: &Tracked) -> Result<&Tracked> {
    match t.value {
        Value::Unknown(_) => Err(Failure::Unknown(Box::new(propagate_unknown(t)))),
        _ => Ok(t),
    }
}

fn arg(args: &[Tracked], i: usize) -> Result<&Tracked> {
    args.get(i)
        .ok_or_else(|| invalid(format!("missing argument {}", i + 1)))
        .and_then(known)
}

fn str_arg(args: &[Tracked], i: usize) -> Result<String> {
    let t = arg(args, i)?;
    as_string(t).ok_or_else(|| {
        invalid(format!(
            "argument {} must be a string, got {}",
            i + 1,
            t.render()
        ))
    })
}

fn num_arg(args: &[Tracked], i: usize) -> Result<f64> {
    let t = arg(args, i)?;
    t.as_number().ok_or_else(|| {
        invalid(format!(
            "argument {} must be a number, got {}",
            i + 1,
            t.render()
        ))
    })
}

fn list_arg(args: &[Tracked], i: usize) -> Result<Vec<Tracked>> {
    let t = arg(args, i)?;
    match &t.value {
        Value::List(items) => Ok(items.clone()),
        Value::Map(m) => Ok(sorted_entries(m)
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect()),
        _ => Err(invalid(format!(
            "argument {} must be a list, got {}",
            i + 1,
            t.render()
        ))),
    }
}

fn map_arg(args: &[Tracked], i: usize) -> Result<AttrMap> {
    let t = arg(args, i)?;
    match &t.value {
        Value::Map(m) => Ok(m.clone()),
        Value::Null => Ok(AttrMap::new()),
        _ => Err(invalid(format!(
            "argument {} must be a map, got {}",
            i + 1,
            t.render()
        ))),
    }
}

fn string_list(items: &[Tracked]) -> Result<Vec<String>> {
    items
        .iter()
        .map(|t| {
            known(t)?;
            as_string(t).ok_or_else(|| invalid(format!("expected strings, got {}", t.render())))
        })
        .collect()
}

/// Files `file()` reads at most (a policy or container definition, not a data set).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// `templatefile(PATH, VARS)`: the file rendered as a template with `VARS` as its variables.
fn template_file(scope: &Scope<'_>, args: &[Tracked], call: &Expr) -> Tracked {
    let [path, vars] = args else {
        return unknown(format!(
            "templatefile() takes a path and a map of variables at {}",
            scope.location(call.span)
        ));
    };
    let text = read_file(scope, std::slice::from_ref(path), call);
    let Some(body) = text.as_str() else {
        return text;
    };
    let name = as_string(path).unwrap_or_default();
    let Some(parts) = crate::load::parse_template(body) else {
        return error(format!("templatefile({name:?}): not a valid template"));
    };
    let vars: Vec<(&str, &Tracked)> = match &vars.value {
        Value::Map(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        Value::Null => Vec::new(),
        _ => return propagate_unknown(vars),
    };
    // The template's own file, so that what it holds is located in it.
    let file = crate::load::SourceFile::new(name.as_str().into(), body.into());
    let inner = Scope::new(scope.inst, &file);
    let mut rendered = with_bindings(&inner, &vars, &|s| super::expr::eval_template(s, &parts));
    rendered.location = None;
    rendered.provenance = Provenance::chain(
        crate::model::ProvenanceStep {
            description: format!("templatefile({name:?})").into(),
            location: Some(scope.location(call.span)),
        },
        &rendered.provenance,
    );
    rendered
}

/// Evaluates `f` in `scope` with `vars` bound as names.
fn with_bindings(
    scope: &Scope<'_>,
    vars: &[(&str, &Tracked)],
    f: &dyn Fn(&Scope<'_>) -> Tracked,
) -> Tracked {
    match vars.split_first() {
        None => f(scope),
        Some(((name, value), rest)) => with_bindings(&scope.bind(name, value), rest, f),
    }
}

/// `file(PATH)`: the text of a file, the path relative to the root module directory (as
/// Terraform resolves it; `path.module` makes module paths relative to it too). What cannot be
/// read is unknown, with the reason.
/// `fileset(PATH, PATTERN)`: the files under PATH (relative to the root module, like `file()`)
/// whose path relative to PATH matches PATTERN (`*` within a directory, `**` across them), sorted.
/// Module factories read their YAML and JSON files this way.
fn file_set(scope: &Scope<'_>, args: &[Tracked], call: &Expr) -> Tracked {
    const MAX_FILES: usize = 10_000;
    const MAX_VISITED: usize = 100_000;
    let at = || scope.location(call.span);
    let [dir, pattern] = args else {
        return error(format!("fileset() takes a path and a pattern at {}", at()));
    };
    if let Some(pending) = args.iter().find_map(Tracked::pending_unknown) {
        return propagate_unknown(pending);
    }
    let (Some(dir_text), Some(pattern_text)) = (as_string(dir), as_string(pattern)) else {
        return error(format!("fileset() takes two strings at {}", at()));
    };
    let matcher = match globset::GlobBuilder::new(&pattern_text)
        .literal_separator(true)
        .build()
    {
        Ok(glob) => glob.compile_matcher(),
        Err(e) => {
            return error(format!(
                "fileset(): invalid pattern {pattern_text:?}: {e} at {}",
                at()
            ));
        }
    };
    let base = scope.inst.shared.root_dir.join(&dir_text);
    let mut found = Vec::new();
    for (visited, entry) in walkdir::WalkDir::new(&base)
        .follow_links(false)
        .max_depth(32)
        .into_iter()
        .enumerate()
    {
        if visited > MAX_VISITED || found.len() > MAX_FILES {
            return unknown(format!(
                "fileset({dir_text:?}, {pattern_text:?}): more files than sovereign-lint reads at {}",
                at()
            ));
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(&base) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if matcher.is_match(&relative) {
            found.push(relative);
        }
    }
    found.sort();
    let mut t = list(found.into_iter().map(string).collect());
    t.provenance.push(crate::model::ProvenanceStep {
        description: format!("fileset({dir_text:?}, {pattern_text:?})").into(),
        location: Some(at()),
    });
    t
}

fn read_file(scope: &Scope<'_>, args: &[Tracked], call: &Expr) -> Tracked {
    let [arg] = args else {
        return error(format!(
            "file() takes one argument at {}",
            scope.location(call.span)
        ));
    };
    let Some(path) = as_string(arg) else {
        return propagate_unknown(arg);
    };
    let full = scope.inst.shared.root_dir.join(&path);
    let text = std::fs::metadata(&full)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            if m.len() > MAX_FILE_BYTES {
                Err(format!("larger than {MAX_FILE_BYTES} bytes"))
            } else {
                std::fs::read_to_string(&full).map_err(|e| e.to_string())
            }
        });
    match text {
        Ok(text) => {
            let mut t = string(text);
            t.provenance = Provenance::chain(
                crate::model::ProvenanceStep {
                    description: format!("file({path:?})").into(),
                    location: Some(scope.location(call.span)),
                },
                &arg.provenance,
            );
            t
        }
        Err(e) => error(format!("file({path:?}) cannot be read: {e}")),
    }
}

fn apply(name: &str, args: &[Tracked]) -> Result<Tracked> {
    Ok(match name {
        "format" => string(format_fn(&str_arg(args, 0)?, &args[1..])?),
        "formatlist" => {
            // Lists not known yet (or with elements not known yet) make the list not known yet.
            if let Some(pending) = args.iter().find_map(Tracked::pending_unknown) {
                return Err(Failure::Unknown(Box::new(propagate_unknown(pending))));
            }
            let fmt = str_arg(args, 0)?;
            let lists: Vec<Option<Vec<Tracked>>> = args[1..]
                .iter()
                .map(|a| a.as_list().map(<[Tracked]>::to_vec))
                .collect();
            let n = lists.iter().flatten().map(Vec::len).max().unwrap_or(0);
            let mut out = Vec::new();
            for i in 0..n {
                let row: Vec<Tracked> = args[1..]
                    .iter()
                    .zip(&lists)
                    .map(|(a, l)| {
                        l.as_ref()
                            .and_then(|l| l.get(i).cloned())
                            .unwrap_or_else(|| a.clone())
                    })
                    .collect();
                out.push(string(format_fn(&fmt, &row)?));
            }
            list(out)
        }
        "lookup" => {
            let m = map_arg(args, 0)?;
            let key = str_arg(args, 1)?;
            match m.get(key.as_str()) {
                Some(v) => v.clone(),
                None => match args.get(2) {
                    Some(d) => d.clone(),
                    None => return Err(invalid(format!("key {key:?} not in map"))),
                },
            }
        }
        "merge" => {
            let mut out = AttrMap::default();
            for i in 0..args.len() {
                let t = arg(args, i)?;
                match &t.value {
                    Value::Map(m) => {
                        for (k, v) in m.iter() {
                            out.insert(k.clone(), v.clone());
                        }
                    }
                    Value::Null => {}
                    _ => {
                        return Err(invalid(format!(
                            "argument {} must be a map, got {}",
                            i + 1,
                            t.render()
                        )));
                    }
                }
            }
            map(out)
        }
        "concat" => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                out.extend(list_arg(args, i)?);
            }
            list(out)
        }
        "coalesce" => {
            for a in args {
                known(a)?;
                if !a.is_null() && as_string(a).is_none_or(|s| !s.is_empty()) {
                    return Ok(a.clone());
                }
            }
            return Err(invalid("no non-null, non-empty argument"));
        }
        "coalescelist" => {
            for a in args {
                known(a)?;
                if a.as_list().is_some_and(|l| !l.is_empty()) {
                    return Ok(a.clone());
                }
            }
            return Err(invalid("no non-empty list argument"));
        }
        "element" => {
            let items = list_arg(args, 0)?;
            let i = num_arg(args, 1)? as usize;
            if items.is_empty() {
                return Err(invalid("element() of an empty list"));
            }
            items[i % items.len()].clone()
        }
        "index" => {
            let items = list_arg(args, 0)?;
            let needle = arg(args, 1)?;
            match items
                .iter()
                .position(|t| values_equal(&t.value, &needle.value))
            {
                Some(i) => number(i as f64),
                None => return Err(invalid("value not in list")),
            }
        }
        "join" => string(string_list(&list_arg(args, 1)?)?.join(&str_arg(args, 0)?)),
        "split" => {
            let sep = str_arg(args, 0)?;
            let s = str_arg(args, 1)?;
            if sep.is_empty() {
                list(s.chars().map(|c| string(c.to_string())).collect())
            } else {
                list(s.split(sep.as_str()).map(string).collect())
            }
        }
        "lower" => string(str_arg(args, 0)?.to_lowercase()),
        "upper" => string(str_arg(args, 0)?.to_uppercase()),
        "title" => string(
            str_arg(args, 0)?
                .split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "trimspace" => string(str_arg(args, 0)?.trim()),
        "trim" => {
            let cut = str_arg(args, 1)?;
            string(str_arg(args, 0)?.trim_matches(|c| cut.contains(c)))
        }
        "replace" => {
            let s = str_arg(args, 0)?;
            let from = str_arg(args, 1)?;
            let to = str_arg(args, 2)?;
            if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                let re = compile_regex(&from[1..from.len() - 1])?;
                return Ok(string(re.replace_all(&s, to.as_str()).into_owned()));
            }
            string(s.replace(&from, &to))
        }
        "substr" => {
            let s: Vec<char> = str_arg(args, 0)?.chars().collect();
            let offset = num_arg(args, 1)?;
            let length = num_arg(args, 2)?;
            let start = if offset < 0.0 {
                (s.len() as f64 + offset).max(0.0) as usize
            } else {
                offset as usize
            };
            let start = start.min(s.len());
            let end = if length < 0.0 {
                s.len()
            } else {
                start.saturating_add(length as usize).min(s.len())
            };
            string(s[start..end].iter().collect::<String>())
        }
        "trimprefix" => {
            let s = str_arg(args, 0)?;
            let p = str_arg(args, 1)?;
            string(s.strip_prefix(p.as_str()).unwrap_or(&s))
        }
        "trimsuffix" => {
            let s = str_arg(args, 0)?;
            let p = str_arg(args, 1)?;
            string(s.strip_suffix(p.as_str()).unwrap_or(&s))
        }
        "startswith" => boolean(str_arg(args, 0)?.starts_with(&str_arg(args, 1)?)),
        "endswith" => boolean(str_arg(args, 0)?.ends_with(&str_arg(args, 1)?)),
        "strcontains" => boolean(str_arg(args, 0)?.contains(&str_arg(args, 1)?)),
        "contains" => {
            let items = list_arg(args, 0)?;
            let needle = arg(args, 1)?;
            if items.iter().any(|t| values_equal(&t.value, &needle.value)) {
                boolean(true)
            } else if let Some(pending) = items.iter().find_map(Tracked::pending_unknown) {
                // An element not known yet may be the one.
                return Err(Failure::Unknown(Box::new(propagate_unknown(pending))));
            } else {
                boolean(false)
            }
        }
        "length" => {
            let t = arg(args, 0)?;
            number(match &t.value {
                Value::List(items) => items.len(),
                Value::Map(m) => m.len(),
                Value::String(s) => s.chars().count(),
                _ => return Err(invalid(format!("length() of {}", t.render()))),
            } as f64)
        }
        "keys" => list(
            sorted_entries(&map_arg(args, 0)?)
                .into_iter()
                .map(|(k, _)| string(k.clone()))
                .collect(),
        ),
        "values" => list(
            sorted_entries(&map_arg(args, 0)?)
                .into_iter()
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        "tomap" => map(map_arg(args, 0)?),
        "tolist" => list(list_arg(args, 0)?),
        "toset" => list(to_set(list_arg(args, 0)?)),
        "tostring" => {
            let t = arg(args, 0)?;
            if t.is_null() {
                null()
            } else {
                string(
                    as_string(t).ok_or_else(|| {
                        invalid(format!("cannot convert {} to string", t.render()))
                    })?,
                )
            }
        }
        "tonumber" => {
            let t = arg(args, 0)?;
            if t.is_null() {
                null()
            } else {
                number(
                    t.as_number().ok_or_else(|| {
                        invalid(format!("cannot convert {} to number", t.render()))
                    })?,
                )
            }
        }
        "tobool" => {
            let t = arg(args, 0)?;
            if t.is_null() {
                null()
            } else {
                boolean(
                    t.as_bool()
                        .ok_or_else(|| invalid("cannot convert to bool"))?,
                )
            }
        }
        "jsonencode" => {
            let t = arg(args, 0)?;
            if t.contains_unknown() {
                let mut u = first_nested_unknown(t);
                if let Value::Unknown(inner) = &mut u.value
                    && !matches!(t.value, Value::Unknown(_))
                {
                    inner.known_json = serde_json::to_string(&to_json_marking_unknowns(t))
                        .ok()
                        .map(Into::into);
                }
                return Err(Failure::Unknown(Box::new(u)));
            }
            string(serde_json::to_string(&to_json(t)).map_err(|e| invalid(e.to_string()))?)
        }
        "jsondecode" => {
            let s = str_arg(args, 0)?;
            let v: serde_json::Value =
                serde_json::from_str(&s).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
            from_json(&v)
        }
        "yamldecode" => {
            let text = str_arg(args, 0)?;
            let documents = yaml_rust2::YamlLoader::load_from_str(&text)
                .map_err(|e| invalid(format!("invalid YAML: {e}")))?;
            match documents.as_slice() {
                [] => null(),
                [document] => from_yaml(document, 0)?,
                _ => return Err(invalid("a YAML stream of several documents")),
            }
        }
        "flatten" => {
            let mut out = Vec::new();
            flatten_into(&list_arg(args, 0)?, &mut out)?;
            list(out)
        }
        "distinct" => {
            let mut out: Vec<Tracked> = Vec::new();
            for item in list_arg(args, 0)? {
                if !out.iter().any(|o| values_equal(&o.value, &item.value)) {
                    out.push(item);
                }
            }
            list(out)
        }
        "zipmap" => {
            let keys = string_list(&list_arg(args, 0)?)?;
            let values = list_arg(args, 1)?;
            map(keys.into_iter().map(Into::into).zip(values).collect())
        }
        "compact" => list(
            list_arg(args, 0)?
                .into_iter()
                .filter(|t| !t.is_null() && t.as_str() != Some(""))
                .collect(),
        ),
        "reverse" => {
            let mut items = list_arg(args, 0)?;
            items.reverse();
            list(items)
        }
        "sort" => {
            let mut items = string_list(&list_arg(args, 0)?)?;
            items.sort();
            list(items.into_iter().map(string).collect())
        }
        "slice" => {
            let items = list_arg(args, 0)?;
            let start = (num_arg(args, 1)? as usize).min(items.len());
            let end = (num_arg(args, 2)? as usize).clamp(start, items.len());
            list(items[start..end].to_vec())
        }
        "setunion" => {
            let mut all = Vec::new();
            for i in 0..args.len() {
                all.extend(list_arg(args, i)?);
            }
            list(to_set(all))
        }
        "one" => {
            let items = list_arg(args, 0)?;
            match items.len() {
                0 => null(),
                1 => items[0].clone(),
                _ => return Err(invalid("one() of a list with more than one element")),
            }
        }
        "min" | "max" => {
            let mut nums = Vec::new();
            for i in 0..args.len() {
                nums.push(num_arg(args, i)?);
            }
            let pick = if name == "min" {
                nums.iter().copied().fold(f64::INFINITY, f64::min)
            } else {
                nums.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            };
            number(pick)
        }
        "abs" => number(num_arg(args, 0)?.abs()),
        "ceil" => number(num_arg(args, 0)?.ceil()),
        "floor" => number(num_arg(args, 0)?.floor()),
        "range" => {
            let nums: Vec<f64> = (0..args.len())
                .map(|i| num_arg(args, i))
                .collect::<Result<_>>()?;
            let (start, end, step) = match nums.as_slice() {
                [end] => (0.0, *end, 1.0),
                [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
                [start, end, step] => (*start, *end, *step),
                _ => return Err(invalid("range() takes 1 to 3 numbers")),
            };
            if step == 0.0 {
                return Err(invalid("range() step must not be 0"));
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() >= 1024 {
                    return Err(invalid("range() longer than 1024 elements"));
                }
                out.push(number(x));
                x += step;
            }
            list(out)
        }
        "cidrsubnet" => string(cidrsubnet(
            &str_arg(args, 0)?,
            num_arg(args, 1)?,
            num_arg(args, 2)?,
        )?),
        "cidrsubnets" => {
            let prefix = str_arg(args, 0)?;
            let newbits = (1..args.len())
                .map(|i| num_arg(args, i))
                .collect::<Result<Vec<_>>>()?;
            list(
                cidrsubnets(&prefix, &newbits)?
                    .into_iter()
                    .map(string)
                    .collect(),
            )
        }
        "base64encode" => string(base64_encode(str_arg(args, 0)?.as_bytes())),
        "regex" => {
            let re = compile_regex(&str_arg(args, 0)?)?;
            let text = str_arg(args, 1)?;
            match re.captures(&text) {
                Some(c) => regex_match(&re, &c)?,
                None => return Err(invalid("the pattern does not match")),
            }
        }
        "regexall" => {
            let re = compile_regex(&str_arg(args, 0)?)?;
            let text = str_arg(args, 1)?;
            list(
                re.captures_iter(&text)
                    .map(|c| regex_match(&re, &c))
                    .collect::<Result<Vec<_>>>()?,
            )
        }
        // Values pass through; sensitivity does not change where data lives.
        "sensitive" | "nonsensitive" => arg(args, 0)?.clone(),
        "setproduct" => {
            let sets = (0..args.len())
                .map(|i| list_arg(args, i))
                .collect::<Result<Vec<_>>>()?;
            if sets.is_empty() {
                return Err(invalid("setproduct() needs at least one set"));
            }
            let mut rows: Vec<Vec<Tracked>> = vec![Vec::new()];
            for set in &sets {
                if rows.len().saturating_mul(set.len()) > 4096 {
                    return Err(invalid("setproduct() of more than 4096 combinations"));
                }
                rows = rows
                    .iter()
                    .flat_map(|row| {
                        set.iter().map(move |item| {
                            let mut next = row.clone();
                            next.push(item.clone());
                            next
                        })
                    })
                    .collect();
            }
            list(rows.into_iter().map(list).collect())
        }
        "setintersection" | "setsubtract" => {
            // Which elements match depends on every element.
            if let Some(pending) = args.iter().find_map(Tracked::pending_unknown) {
                return Err(Failure::Unknown(Box::new(propagate_unknown(pending))));
            }
            let first = list_arg(args, 0)?;
            let others = (1..args.len())
                .map(|i| list_arg(args, i))
                .collect::<Result<Vec<_>>>()?;
            let in_all = |t: &Tracked| {
                others
                    .iter()
                    .all(|o| o.iter().any(|x| values_equal(&x.value, &t.value)))
            };
            let in_any = |t: &Tracked| {
                others
                    .iter()
                    .any(|o| o.iter().any(|x| values_equal(&x.value, &t.value)))
            };
            let kept = first
                .into_iter()
                .filter(|t| {
                    if name == "setintersection" {
                        in_all(t)
                    } else {
                        !in_any(t)
                    }
                })
                .collect();
            list(to_set(kept))
        }
        "alltrue" | "anytrue" => {
            let items = list_arg(args, 0)?;
            let decided = name == "anytrue";
            if items.iter().any(|t| truthy(t) == Some(decided)) {
                boolean(decided)
            } else if let Some(pending) = items.iter().find_map(Tracked::pending_unknown) {
                return Err(Failure::Unknown(Box::new(propagate_unknown(pending))));
            } else if items.iter().all(|t| truthy(t).is_some()) {
                boolean(!decided)
            } else {
                return Err(invalid(format!("{name}() of a list that is not all bools")));
            }
        }
        "sum" => {
            let items = list_arg(args, 0)?;
            let mut total = 0.0;
            for (i, _) in items.iter().enumerate() {
                total += num_arg(&items, i)?;
            }
            number(total)
        }
        "chunklist" => {
            let items = list_arg(args, 0)?;
            let size = num_arg(args, 1)?;
            if size < 0.0 {
                return Err(invalid("chunklist() size must not be negative"));
            }
            if size == 0.0 {
                list(vec![list(items)])
            } else {
                list(
                    items
                        .chunks(size as usize)
                        .map(|c| list(c.to_vec()))
                        .collect(),
                )
            }
        }
        "matchkeys" => {
            let values = list_arg(args, 0)?;
            let keys = list_arg(args, 1)?;
            let wanted = list_arg(args, 2)?;
            if values.len() != keys.len() {
                return Err(invalid("matchkeys() lists must have the same length"));
            }
            list(
                values
                    .into_iter()
                    .zip(keys)
                    .filter(|(_, k)| wanted.iter().any(|w| values_equal(&w.value, &k.value)))
                    .map(|(v, _)| v)
                    .collect(),
            )
        }
        "transpose" => {
            let m = map_arg(args, 0)?;
            let mut out: AttrMap = AttrMap::default();
            for (k, v) in sorted_entries(&m) {
                for item in string_list(known(v)?.as_list().unwrap_or_default())? {
                    match out.get_mut(item.as_str()) {
                        Some(Tracked {
                            value: Value::List(keys),
                            ..
                        }) => keys.push(string(k.clone())),
                        _ => {
                            out.insert(item.as_str().into(), list(vec![string(k.clone())]));
                        }
                    }
                }
            }
            map(out)
        }
        "chomp" => string(str_arg(args, 0)?.trim_end_matches(['\n', '\r']).to_string()),
        "strrev" => string(str_arg(args, 0)?.chars().rev().collect::<String>()),
        "parseint" => {
            let text = str_arg(args, 0)?;
            let base = num_arg(args, 1)?;
            if !(2.0..=62.0).contains(&base) {
                return Err(invalid("parseint() base must be between 2 and 62"));
            }
            match i64::from_str_radix(&text, base as u32) {
                Ok(n) => number(n as f64),
                Err(_) => return Err(invalid(format!("{text:?} is not a base-{base} integer"))),
            }
        }
        // The AWS provider's functions (Terraform ≥ 1.8): ARNs carry regions.
        "provider::aws::arn_parse" => {
            let text = str_arg(args, 0)?;
            let parts: Vec<&str> = text.splitn(6, ':').collect();
            let [prefix, partition, service, region, account_id, resource] = parts.as_slice()
            else {
                return Err(invalid(format!("{text:?} is not an ARN")));
            };
            if *prefix != "arn" {
                return Err(invalid(format!("{text:?} is not an ARN")));
            }
            let mut out = AttrMap::default();
            for (k, v) in [
                ("partition", partition),
                ("service", service),
                ("region", region),
                ("account_id", account_id),
                ("resource", resource),
            ] {
                out.insert(k.into(), string(*v));
            }
            map(out)
        }
        "provider::aws::arn_build" => {
            let parts = (0..5)
                .map(|i| str_arg(args, i))
                .collect::<Result<Vec<_>>>()?;
            string(format!("arn:{}", parts.join(":")))
        }
        "basename" => string(path_base(&str_arg(args, 0)?)),
        "dirname" => string(path_dir(&str_arg(args, 0)?)),
        // Only a leading `~` depends on the machine that runs Terraform (its home directory);
        // any other path is returned as given.
        "pathexpand" => {
            let path = str_arg(args, 0)?;
            if path == "~" || path.starts_with("~/") || path.starts_with("~\\") {
                return Err(Failure::Unknown(Box::new(unknown(format!(
                    "pathexpand({path:?}) depends on the home directory of the machine running Terraform"
                )))));
            }
            string(path)
        }
        "filebase64" | "fileexists" | "timestamp" | "uuid" | "bcrypt" => {
            return Err(Failure::Unknown(Box::new(unknown(format!(
                "{name}() is not evaluated by sovereign-lint"
            )))));
        }
        other => {
            return Err(Failure::Unknown(Box::new(unknown(format!(
                "function {other}() is not evaluated by sovereign-lint"
            )))));
        }
    })
}

/// `basename`, as Terraform computes it (Go's `filepath.Base` with `/` separators).
fn path_base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// `dirname`, as Terraform computes it (Go's `filepath.Dir`: all but the last element, cleaned).
fn path_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path_clean(&path[..=i]),
        None => ".".into(),
    }
}

/// Go's `path.Clean`: the shortest equivalent path (`a//b/./c/..` is `a/b`).
fn path_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// A YAML node as a value: mappings become objects (keys as strings), sequences lists, scalars
/// as YAML 1.2's core schema reads them (`yes` is a string), as Terraform's `yamldecode` does.
fn from_yaml(node: &yaml_rust2::Yaml, depth: usize) -> Result<Tracked> {
    use yaml_rust2::Yaml;
    if depth > 64 {
        return Err(invalid("YAML nested more than 64 levels"));
    }
    Ok(match node {
        Yaml::Null => null(),
        Yaml::Boolean(b) => boolean(*b),
        Yaml::Integer(i) => number(*i as f64),
        Yaml::Real(r) => number(
            r.parse::<f64>()
                .map_err(|_| invalid(format!("invalid YAML number {r:?}")))?,
        ),
        Yaml::String(s) => string(s.as_str()),
        Yaml::Array(items) => list(
            items
                .iter()
                .map(|i| from_yaml(i, depth + 1))
                .collect::<Result<Vec<_>>>()?,
        ),
        Yaml::Hash(entries) => {
            let mut out = AttrMap::with_capacity(entries.len());
            for (k, v) in entries {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    _ => return Err(invalid("a YAML mapping key that is not a scalar")),
                };
                out.insert(key.into(), from_yaml(v, depth + 1)?);
            }
            map(out)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err(invalid("an unresolved YAML alias")),
    })
}

/// A pattern of Terraform's regex functions (RE2 syntax, which the `regex` crate follows), with a
/// size limit: patterns come from configurations.
fn compile_regex(pattern: &str) -> Result<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| invalid(format!("invalid pattern {pattern:?}: {e}")))
}

/// One match as Terraform's `regex()` returns it: the matched text without capture groups, a list
/// of the groups when they are unnamed, an object of them when they are named.
fn regex_match(re: &regex::Regex, c: &regex::Captures<'_>) -> Result<Tracked> {
    let group = |m: Option<regex::Match<'_>>| m.map_or_else(null, |m| string(m.as_str()));
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Ok(group(c.get(0)));
    }
    match (
        names.iter().all(Option::is_some),
        names.iter().all(Option::is_none),
    ) {
        (true, _) => Ok(map(names
            .iter()
            .flatten()
            .map(|n| ((*n).into(), group(c.name(n))))
            .collect())),
        (_, true) => Ok(list((1..=names.len()).map(|i| group(c.get(i))).collect())),
        _ => Err(invalid("named and unnamed capture groups cannot be mixed")),
    }
}

fn first_nested_unknown(t: &Tracked) -> Tracked {
    match &t.value {
        Value::Unknown(_) => propagate_unknown(t),
        Value::List(items) => items
            .iter()
            .find(|i| i.contains_unknown())
            .map_or_else(|| unknown("unknown"), first_nested_unknown),
        Value::Map(m) => m
            .values()
            .find(|i| i.contains_unknown())
            .map_or_else(|| unknown("unknown"), first_nested_unknown),
        _ => unknown("unknown"),
    }
}

fn to_set(items: Vec<Tracked>) -> Vec<Tracked> {
    let mut out: Vec<Tracked> = Vec::new();
    for item in items {
        if !out.iter().any(|o| values_equal(&o.value, &item.value)) {
            out.push(item);
        }
    }
    // Sets of strings iterate in lexical order in Terraform.
    if out.iter().all(|t| matches!(t.value, Value::String(_))) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    out
}

fn flatten_into(items: &[Tracked], out: &mut Vec<Tracked>) -> Result<()> {
    for item in items {
        known(item)?;
        match &item.value {
            Value::List(inner) => flatten_into(inner, out)?,
            _ => out.push(item.clone()),
        }
    }
    Ok(())
}

/// `format()` verbs: %s %d %f %v %q %t %%, with optional width/precision.
fn format_fn(fmt: &str, args: &[Tracked]) -> Result<String> {
    let mut out = String::with_capacity(fmt.len() + 32);
    let mut chars = fmt.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '.' || d == '-' || d == '+' || d == '#' || d == ' ' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let Some(verb) = chars.next() else {
            return Err(invalid("format string ends with %"));
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let a = args
            .get(next_arg)
            .ok_or_else(|| invalid("not enough arguments for format"))?;
        next_arg += 1;
        known(a)?;
        // The common case, a plain `%s` of a string, is copied straight in.
        if spec.is_empty()
            && matches!(verb, 's' | 'v')
            && let Value::String(s) = &a.value
        {
            out.push_str(s);
            continue;
        }
        let text = match verb {
            's' | 'v' => match &a.value {
                Value::List(_) | Value::Map(_) if verb == 'v' => {
                    serde_json::to_string(&to_json(a)).unwrap_or_default()
                }
                _ => as_string(a).ok_or_else(|| invalid(format!("%{verb} of {}", a.render())))?,
            },
            'd' => format_number(
                a.as_number()
                    .ok_or_else(|| invalid("%d of a non-number"))?
                    .trunc(),
            ),
            'f' => {
                let n = a.as_number().ok_or_else(|| invalid("%f of a non-number"))?;
                let precision = spec
                    .split('.')
                    .nth(1)
                    .and_then(|p| p.parse::<usize>().ok())
                    .unwrap_or(6)
                    .min(64);
                format!("{n:.precision$}")
            }
            'q' => format!("{:?}", as_string(a).unwrap_or_default()),
            't' => a
                .as_bool()
                .ok_or_else(|| invalid("%t of a non-bool"))?
                .to_string(),
            other => return Err(invalid(format!("unsupported format verb %{other}"))),
        };
        // Widths are capped: a format string must not allocate gigabytes.
        let width: usize = spec
            .trim_start_matches(['-', '+', '#', ' '])
            .split('.')
            .next()
            .and_then(|w| w.parse::<usize>().ok())
            .unwrap_or(0)
            .min(1024);
        if spec.starts_with('-') {
            out.push_str(&format!("{text:<width$}"));
        } else {
            out.push_str(&format!("{text:>width$}"));
        }
    }
    Ok(out)
}

pub(crate) fn to_json(t: &Tracked) -> serde_json::Value {
    match &t.value {
        Value::Null | Value::Unknown(_) => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                serde_json::Value::from(*n as i64)
            } else {
                serde_json::Number::from_f64(*n)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect())
        }
    }
}

/// [`to_json`], with each part not known yet written as [`crate::model::Unknown::JSON_MARK`].
fn to_json_marking_unknowns(t: &Tracked) -> serde_json::Value {
    match &t.value {
        Value::Unknown(_) => serde_json::Value::String(crate::model::Unknown::JSON_MARK.into()),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(to_json_marking_unknowns).collect())
        }
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (k.to_string(), to_json_marking_unknowns(v)))
                .collect(),
        ),
        _ => to_json(t),
    }
}

pub(crate) fn from_json(v: &serde_json::Value) -> Tracked {
    match v {
        serde_json::Value::Null => null(),
        serde_json::Value::Bool(b) => boolean(*b),
        serde_json::Value::Number(n) => number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => string(s.clone()),
        serde_json::Value::Array(items) => list(items.iter().map(from_json).collect()),
        serde_json::Value::Object(m) => {
            map(m.iter().map(|(k, v)| (k.into(), from_json(v))).collect())
        }
    }
}

fn cidrsubnet(prefix: &str, newbits: f64, netnum: f64) -> Result<String> {
    let (addr, len) = prefix
        .split_once('/')
        .ok_or_else(|| invalid("cidrsubnet() needs a CIDR prefix"))?;
    let len: u32 = len.parse().map_err(|_| invalid("invalid prefix length"))?;
    let ip: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| invalid("only IPv4 prefixes are evaluated"))?;
    if !(0.0..=32.0).contains(&newbits) || len > 32 || len + newbits as u32 > 32 {
        return Err(invalid("prefix too long"));
    }
    let newbits = newbits as u32;
    let new_len = len + newbits;
    let max = 1u64 << newbits;
    if netnum < 0.0 || netnum >= max as f64 {
        return Err(invalid("netnum too large for newbits"));
    }
    let base = u32::from(ip) & if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let shift = 32 - new_len;
    let net = base | u32::try_from((netnum as u64) << shift).unwrap_or(0);
    Ok(format!("{}/{new_len}", std::net::Ipv4Addr::from(net)))
}

/// Consecutive subnets of `prefix`, each `newbits` longer and aligned to its own size, as
/// Terraform's `cidrsubnets` allocates them (IPv4, like [`cidrsubnet`]).
fn cidrsubnets(prefix: &str, newbits: &[f64]) -> Result<Vec<String>> {
    let (addr, len) = prefix
        .split_once('/')
        .ok_or_else(|| invalid("cidrsubnets() needs a CIDR prefix"))?;
    let len: u32 = len.parse().map_err(|_| invalid("invalid prefix length"))?;
    let ip: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| invalid("only IPv4 prefixes are evaluated"))?;
    if len > 32 {
        return Err(invalid("prefix too long"));
    }
    let base = u64::from(u32::from(ip) & if len == 0 { 0 } else { u32::MAX << (32 - len) });
    let end = base + (1u64 << (32 - len));
    let mut next = base;
    let mut out = Vec::with_capacity(newbits.len());
    for &bits in newbits {
        if !(1.0..=32.0).contains(&bits) || bits.fract() != 0.0 || len + bits as u32 > 32 {
            return Err(invalid(
                "cidrsubnets() newbits must be between 1 and the room left in the prefix",
            ));
        }
        let size = 1u64 << (32 - len - bits as u32);
        let start = next.div_ceil(size) * size;
        if start + size > end {
            return Err(invalid(
                "not enough remaining address space for cidrsubnets()",
            ));
        }
        let net = u32::try_from(start).map_err(|_| invalid("address out of range"))?;
        out.push(format!(
            "{}/{}",
            std::net::Ipv4Addr::from(net),
            len + bits as u32
        ));
        next = start + size;
    }
    Ok(out)
}

fn base64_encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Tracked {
        string(v)
    }
    fn n(v: f64) -> Tracked {
        number(v)
    }
    fn l(items: Vec<Tracked>) -> Tracked {
        list(items)
    }
    fn m(entries: &[(&str, Tracked)]) -> Tracked {
        map(entries
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect())
    }
    fn pending() -> Tracked {
        unknown("aws_s3_bucket.x.arn (known after apply)")
    }

    /// A call as `call()` finishes it: an argument error with an argument not known yet is that
    /// unknown (the argument may be what made it look wrong).
    fn result(name: &str, args: &[Tracked]) -> Tracked {
        match apply(name, args) {
            Ok(v) => v,
            Err(Failure::Unknown(u)) => *u,
            Err(Failure::Invalid(message)) => {
                match args.iter().find_map(Tracked::pending_unknown) {
                    Some(p) => propagate_unknown(p),
                    None => error(message),
                }
            }
        }
    }

    /// Every function, with arguments it accepts.
    fn calls() -> Vec<(&'static str, Vec<Tracked>)> {
        let strs = || l(vec![s("b"), s("a")]);
        vec![
            ("format", vec![s("%s-%s"), s("a"), s("b")]),
            ("formatlist", vec![s("%s-x"), strs()]),
            ("lookup", vec![m(&[("a", s("1"))]), s("a"), s("d")]),
            ("merge", vec![m(&[("a", s("1"))]), m(&[("b", s("2"))])]),
            ("concat", vec![strs(), strs()]),
            ("coalesce", vec![s("a"), s("b")]),
            ("coalescelist", vec![strs(), strs()]),
            ("element", vec![strs(), n(1.0)]),
            ("index", vec![strs(), s("a")]),
            ("join", vec![s(","), strs()]),
            ("split", vec![s(","), s("a,b")]),
            ("lower", vec![s("A")]),
            ("upper", vec![s("a")]),
            ("title", vec![s("a b")]),
            ("trimspace", vec![s(" a ")]),
            ("trim", vec![s("xax"), s("x")]),
            ("replace", vec![s("a-b"), s("-"), s("_")]),
            ("substr", vec![s("abcdef"), n(1.0), n(2.0)]),
            ("trimprefix", vec![s("eu-west-1"), s("eu-")]),
            ("pathexpand", vec![s("data/projects")]),
            ("basename", vec![s("data/projects/ml.yaml")]),
            ("dirname", vec![s("data/projects/ml.yaml")]),
            ("trimsuffix", vec![s("eu-west-1a"), s("a")]),
            ("startswith", vec![s("eu-west-1"), s("eu-")]),
            ("endswith", vec![s("eu-west-1"), s("-1")]),
            ("strcontains", vec![s("eu-west-1"), s("west")]),
            ("contains", vec![strs(), s("a")]),
            ("length", vec![strs()]),
            ("keys", vec![m(&[("a", s("1"))])]),
            ("values", vec![m(&[("a", s("1"))])]),
            ("tomap", vec![m(&[("a", s("1"))])]),
            ("tolist", vec![strs()]),
            ("toset", vec![strs()]),
            ("tostring", vec![n(1.0)]),
            ("tonumber", vec![s("1")]),
            ("tobool", vec![s("true")]),
            ("jsonencode", vec![m(&[("a", s("1"))])]),
            ("jsondecode", vec![s("{\"a\":1}")]),
            ("yamldecode", vec![s("region: eu-west-1\n")]),
            ("flatten", vec![l(vec![strs(), strs()])]),
            ("distinct", vec![strs()]),
            ("zipmap", vec![strs(), strs()]),
            ("compact", vec![strs()]),
            ("reverse", vec![strs()]),
            ("sort", vec![strs()]),
            ("slice", vec![strs(), n(0.0), n(1.0)]),
            ("setunion", vec![strs(), strs()]),
            ("one", vec![l(vec![s("a")])]),
            ("min", vec![n(1.0), n(2.0)]),
            ("max", vec![n(1.0), n(2.0)]),
            ("abs", vec![n(-1.0)]),
            ("ceil", vec![n(1.5)]),
            ("floor", vec![n(1.5)]),
            ("range", vec![n(3.0)]),
            ("cidrsubnet", vec![s("10.0.0.0/16"), n(8.0), n(1.0)]),
            (
                "cidrsubnets",
                vec![s("10.0.0.0/16"), n(4.0), n(4.0), n(8.0)],
            ),
            ("base64encode", vec![s("a")]),
            ("sensitive", vec![s("a")]),
            ("nonsensitive", vec![s("a")]),
            ("setproduct", vec![strs(), strs()]),
            ("setintersection", vec![strs(), strs()]),
            ("setsubtract", vec![strs(), strs()]),
            ("alltrue", vec![l(vec![boolean(true)])]),
            ("anytrue", vec![l(vec![boolean(false)])]),
            ("sum", vec![l(vec![n(1.0), n(2.0)])]),
            ("chunklist", vec![strs(), n(1.0)]),
            ("matchkeys", vec![strs(), strs(), l(vec![s("a")])]),
            ("transpose", vec![m(&[("a", l(vec![s("x")]))])]),
            ("chomp", vec![s("a\n")]),
            ("strrev", vec![s("ab")]),
            ("parseint", vec![s("ff"), n(16.0)]),
            ("regex", vec![s("^([a-z]+)-([a-z]+)"), s("eu-west-1")]),
            ("regexall", vec![s("[0-9]"), s("eu-west-1a2")]),
            ("replace", vec![s("eu-west-1a"), s("/[a-z]$/"), s("")]),
            (
                "provider::aws::arn_parse",
                vec![s("arn:aws:kms:eu-west-1:123456789012:key/k")],
            ),
            (
                "provider::aws::arn_build",
                vec![
                    s("aws"),
                    s("kms"),
                    s("eu-west-1"),
                    s("123456789012"),
                    s("key/k"),
                ],
            ),
        ]
    }

    /// `regex`, `regexall` and `replace` with a `/pattern/`: availability zones to regions, registry
    /// hosts out of image references.
    #[test]
    fn regular_expressions_evaluate_like_terraform() {
        let r = |name: &str, args: &[Tracked]| result(name, args).render();
        assert_eq!(
            r("replace", &[s("eu-west-1a"), s("/[a-z]$/"), s("")]),
            "\"eu-west-1\""
        );
        assert_eq!(
            r(
                "replace",
                &[s("eu-west-1"), s("/^(\\w+)-(\\w+)/"), s("$2-$1")]
            ),
            "\"west-eu-1\""
        );
        assert_eq!(
            r("regex", &[s("^[^/]+"), s("ghcr.io/acme/model:1")]),
            "\"ghcr.io\""
        );
        assert_eq!(
            r("regex", &[s("^([^/]+)/(.*)$"), s("ghcr.io/acme/model")]),
            "[\"ghcr.io\", \"acme/model\"]"
        );
        assert_eq!(
            r("regex", &[s("^(?P<host>[^/]+)/"), s("ghcr.io/acme/model")]),
            "{ host = \"ghcr.io\" }"
        );
        assert_eq!(r("regexall", &[s("[0-9]"), s("a1b2")]), "[\"1\", \"2\"]");
        // No match and bad patterns are errors (try() falls through them), not unknowns.
        for args in [[s("^x"), s("eu")], [s("("), s("eu")]] {
            let v = result("regex", &args);
            assert!(v.evaluation_error().is_some(), "{}", v.render());
        }
    }

    /// `cidrsubnets`: terraform-aws-vpc examples size their subnets with it.
    #[test]
    fn cidrsubnets_evaluate_like_terraform() {
        let r = |name: &str, args: &[Tracked]| result(name, args).render();
        assert_eq!(
            r(
                "cidrsubnets",
                &[s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
            ),
            "[\"10.1.0.0/20\", \"10.1.16.0/20\", \"10.1.32.0/24\", \"10.1.48.0/20\"]"
        );
        assert!(
            result("cidrsubnets", &[s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)])
                .evaluation_error()
                .is_some()
        );
    }

    /// `pathexpand`: factories read their data directories through it (`pathexpand(var.path)`);
    /// only a path under the home directory depends on the machine.
    #[test]
    fn pathexpand_keeps_paths_outside_the_home_directory() {
        assert_eq!(
            result("pathexpand", &[s("data/projects")]).render(),
            "\"data/projects\""
        );
        let home = result("pathexpand", &[s("~/data")]);
        assert!(
            home.pending_unknown().is_some() && home.evaluation_error().is_none(),
            "{}",
            home.render()
        );
    }

    /// `basename` and `dirname`: factories name instances after their files and folders.
    #[test]
    fn path_functions_follow_go_filepath() {
        let r = |name: &str, path: &str| result(name, &[s(path)]).render();
        for (path, base, dir) in [
            ("data/projects/ml.yaml", "ml.yaml", "data/projects"),
            ("ml.yaml", "ml.yaml", "."),
            ("data/vpcs/", "vpcs", "data/vpcs"),
            ("/etc/x", "x", "/etc"),
            ("/x", "x", "/"),
            ("/", "/", "/"),
            ("", ".", "."),
            ("a/./b/../c/d", "d", "a/c"),
            ("../x/y", "y", "../x"),
        ] {
            assert_eq!(
                r("basename", path),
                format!("{base:?}"),
                "basename({path:?})"
            );
            assert_eq!(r("dirname", path), format!("{dir:?}"), "dirname({path:?})");
        }
    }

    /// `yamldecode`: settings kept in YAML files (factories of published modules) are read.
    #[test]
    fn yaml_decodes_like_terraform() {
        let v = result(
            "yamldecode",
            &[s(
                "region: eu-west-1\nzones: [a, b]\nlabels:\n  team: ml\n  on: yes\nsize: 3\n",
            )],
        );
        assert_eq!(
            v.render(),
            "{ region = \"eu-west-1\", zones = [\"a\", \"b\"], labels = { team = \"ml\", on = \"yes\" }, size = 3 }"
        );
        let anchors = result(
            "yamldecode",
            &[s("base: &b {region: eu-north-1}\ncopy: *b\n")],
        );
        assert_eq!(
            anchors
                .get("copy")
                .and_then(|c| c.get("region"))
                .and_then(Tracked::as_str),
            Some("eu-north-1")
        );
        for bad in ["a: [", "a: 1\n---\nb: 2\n"] {
            assert!(
                result("yamldecode", &[s(bad)]).evaluation_error().is_some(),
                "{bad}"
            );
        }
    }

    /// Terraform's rule: a function whose argument is not known yet returns a value not known yet
    /// — never a known value computed as if it were absent, never an error. (Functions that look
    /// inside collections follow the same rule for the elements they need; `length` of a known
    /// list stays known.)
    #[test]
    fn every_function_keeps_an_argument_not_known_yet_unknown() {
        // Terraform's documented exceptions: arguments after the one that decides.
        let decided_earlier = [("lookup", 3), ("coalesce", 2), ("coalescelist", 2)];
        let mut wrong = Vec::new();
        for (name, args) in calls() {
            let known = result(name, &args);
            assert!(
                !known.contains_unknown(),
                "{name} with known arguments: {}",
                known.render()
            );
            for i in 0..args.len() {
                let mut with_unknown = args.clone();
                with_unknown[i] = pending();
                let r = result(name, &with_unknown);
                if r.pending_unknown().is_none() && !decided_earlier.contains(&(name, i + 1)) {
                    wrong.push(format!("{name} (argument {}): {}", i + 1, r.render()));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "known results from unknown arguments: {wrong:#?}"
        );
    }

    /// Elements not known yet inside a known collection: the result is unknown unless it does not
    /// depend on them (Terraform's `length`, `keys`, `concat`... of a known collection).
    #[test]
    fn elements_not_known_yet_inside_collections() {
        let with_pending = || l(vec![s("a"), pending()]);
        for (name, args) in [
            ("join", vec![s(","), with_pending()]),
            ("contains", vec![with_pending(), s("x")]),
            ("index", vec![with_pending(), s("x")]),
            ("formatlist", vec![s("%s"), with_pending()]),
            ("distinct", vec![with_pending()]),
            ("toset", vec![with_pending()]),
            ("sort", vec![with_pending()]),
            ("compact", vec![with_pending()]),
            ("one", vec![l(vec![pending()])]),
            ("alltrue", vec![l(vec![boolean(true), pending()])]),
            ("anytrue", vec![l(vec![boolean(false), pending()])]),
            ("sum", vec![l(vec![n(1.0), pending()])]),
            ("setintersection", vec![with_pending(), l(vec![s("x")])]),
            ("setsubtract", vec![with_pending(), l(vec![s("a")])]),
        ] {
            let r = result(name, &args);
            assert!(
                r.contains_unknown(),
                "{name}: known result {} from an element not known yet",
                r.render()
            );
        }
        // What does not depend on the element stays known, as in Terraform.
        assert_eq!(
            result("lookup", &[m(&[("a", s("1"))]), s("a"), pending()]).as_str(),
            Some("1")
        );
        assert_eq!(result("coalesce", &[s("a"), pending()]).as_str(), Some("a"));
        assert!(
            result("coalesce", &[pending(), s("a")])
                .pending_unknown()
                .is_some()
        );
        assert_eq!(result("length", &[with_pending()]).as_number(), Some(2.0));
        assert_eq!(
            result("contains", &[with_pending(), s("a")]).as_bool(),
            Some(true)
        );
        assert_eq!(
            result("alltrue", &[l(vec![boolean(false), pending()])]).as_bool(),
            Some(false)
        );
    }
}
