//! Discovery of configuration directories and parsing of `.tf`, `.tf.json` and `.tfvars` files with spans.
//!
//! - [`discover`] finds the root module directories under the scanned paths;
//! - [`load_module_dir`] reads and parses every configuration file of one directory (in parallel);
//! - [`load_tfvars`] reads a `.tfvars` / `.tfvars.json` file.
//!
//! Both syntaxes become the same [`ast`] (no whitespace or comments, byte spans into the file).
//! Native syntax is read by a fast parser (`native`) with hcl-edit (`hcl`) as the fallback for
//! anything it does not accept and as the reference both are tested against; files over 256 KB
//! are split at top-level blocks and the parts parsed in parallel.
//!
//! Files are read as UTF-8 (a BOM is dropped, CRLF line ends become LF — the text kept in
//! [`SourceFile::text`] is the normalised one all spans point into). Every problem becomes an
//! [`InputError`] naming the file and line (in its `file`/`location` fields; the message does not
//! repeat them); nothing here panics on bad input. Nesting depth is bounded (the fast parser gives
//! up beyond 48 levels, hcl-edit rejects more than 64, the JSON reader more than
//! [`json::MAX_JSON_DEPTH`]), so pathological input cannot overflow the stack.
pub mod ast;
mod hcl;
pub mod json;
mod native;

pub(crate) use native::parse_template;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

pub use crate::model::InputError;
use crate::model::Location;
use ast::{Body, Expr, Span};

/// A root module directory found under a scanned path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredRoot {
    /// The directory (absolute or as given).
    pub dir: PathBuf,
    /// The scanned path it was found under; locations are relative to it.
    pub scan_root: PathBuf,
}

/// One source file's text, with a line index for turning byte offsets into lines and columns.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the scan root, `/`-separated.
    pub rel: Arc<str>,
    /// Normalised text (no BOM, LF line ends).
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Whether the text is ASCII (columns are then byte distances).
    ascii: bool,
    /// Unique in the process (never reused, unlike addresses): the key of cached positions.
    id: u64,
}

static NEXT_SOURCE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

const LINE_COL_CACHE: usize = 1024;

/// ((file id, offset), (line, column)).
type LineColEntry = ((u64, usize), (u32, u32));

thread_local! {
    /// Recent `line_col` answers: ((file id, offset), (line, column)).
    static LINE_COLS: std::cell::RefCell<Vec<LineColEntry>> =
        std::cell::RefCell::new(vec![((u64::MAX, usize::MAX), (0, 0)); LINE_COL_CACHE]);
}

impl SourceFile {
    pub fn new(rel: Arc<str>, text: Arc<str>) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0u32);
        // A SIMD search for newlines (the whole text of every file is indexed).
        line_starts.extend(
            memchr::memchr_iter(b'\n', text.as_bytes())
                .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        SourceFile {
            rel,
            ascii: text.is_ascii(),
            id: NEXT_SOURCE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            text,
            line_starts,
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        // The same attributes are located once per instance of their block: a small per-thread
        // cache of recent answers (keyed by this file's id and the offset) skips the search.
        let key = (self.id, offset);
        let slot = (key.0 as usize ^ key.1.wrapping_mul(0x9E37_79B9)) % LINE_COL_CACHE;
        if let Some(hit) = LINE_COLS.with(|cache| {
            cache
                .borrow()
                .get(slot)
                .and_then(|&(k, v)| (k == key).then_some(v))
        }) {
            return hit;
        }
        let found = self.compute_line_col(offset);
        LINE_COLS.with(|cache| {
            if let Some(entry) = cache.borrow_mut().get_mut(slot) {
                *entry = (key, found);
            }
        });
        found
    }

    fn compute_line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let offset_u32 = u32::try_from(offset).unwrap_or(u32::MAX);
        let line_idx = match self.line_starts.binary_search(&offset_u32) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0) as usize;
        let column = if self.ascii {
            offset.saturating_sub(line_start)
        } else {
            self.text
                .get(line_start..offset)
                .map_or(offset - line_start, |s| s.chars().count())
        } + 1;
        (
            u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    pub fn location(&self, span: Span) -> Location {
        let (line, column) = self.line_col(span.start as usize);
        Location::new(self.rel.clone(), line, column)
            .with_span(span.start as usize, span.end as usize)
    }

    /// The source text of a span (for provenance descriptions).
    pub fn snippet(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// A parsed configuration file.
#[derive(Debug)]
pub struct ParsedFile {
    pub source: Arc<SourceFile>,
    pub body: Body,
}

/// Every configuration file of one module directory.
#[derive(Debug, Default)]
pub struct ModuleDir {
    pub dir: PathBuf,
    /// Files in lexical order of their names (as Terraform reads them).
    pub files: Vec<ParsedFile>,
    /// Sources of files that could not be parsed (still shown to users).
    pub unparsed: Vec<Arc<SourceFile>>,
    pub errors: Vec<InputError>,
}

/// `/`-separated path of `path` relative to `base` (with `..` where `path` is outside it).
pub fn relative_path(path: &Path, base: &Path) -> String {
    let path = normalize(path);
    let base = normalize(base);
    let path_parts: Vec<Component<'_>> = path.components().collect();
    let base_parts: Vec<Component<'_>> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..base_parts.len() {
        parts.push("..".to_string());
    }
    for part in &path_parts[common..] {
        parts.push(part.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Lexical normalisation: makes the path absolute (against the current directory) and removes
/// `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn input_error(
    file: &Arc<str>,
    location: Option<Location>,
    message: String,
    help: &str,
) -> InputError {
    InputError {
        file: Some(file.clone()),
        location,
        message,
        help: Some(help.to_string()),
    }
}

/// Reads a file as UTF-8 text: drops a BOM, turns CRLF into LF.
pub fn read_source(path: &Path, rel: &str) -> Result<SourceFile, InputError> {
    let rel: Arc<str> = Arc::from(rel);
    let bytes = std::fs::read(path).map_err(|e| {
        input_error(
            &rel,
            None,
            format!("cannot read {rel}: {e}"),
            "check that the file exists and is readable",
        )
    })?;
    // One copy: from the bytes read straight into the shared text.
    let text: Arc<str> = Arc::from(&*decode(&bytes, &rel)?);
    Ok(SourceFile::new(rel, text))
}

/// Decodes bytes as UTF-8 configuration text (used by [`read_source`] and the fuzz target).
pub fn decode_text(bytes: &[u8], rel: &Arc<str>) -> Result<String, InputError> {
    decode(bytes, rel).map(std::borrow::Cow::into_owned)
}

fn decode<'b>(bytes: &'b [u8], rel: &Arc<str>) -> Result<std::borrow::Cow<'b, str>, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count()
                + 1;
            let location = Location::new(
                rel.clone(),
                u32::try_from(line).unwrap_or(u32::MAX),
                u32::try_from(column).unwrap_or(u32::MAX),
            );
            let binary = bytes.iter().take(8192).filter(|b| **b == 0).count() > 0;
            let message = if binary {
                "not a text file: binary content (invalid UTF-8)".to_string()
            } else {
                "not valid UTF-8: invalid byte sequence".to_string()
            };
            return Err(input_error(
                rel,
                Some(location),
                message,
                "Terraform files must be UTF-8 encoded: re-save the file as UTF-8",
            ));
        }
    };
    if text.contains('\r') {
        Ok(std::borrow::Cow::Owned(text.replace("\r\n", "\n")))
    } else {
        Ok(std::borrow::Cow::Borrowed(text))
    }
}

/// Whether a file name is a configuration file Terraform loads.
fn is_config_file(name: &str) -> bool {
    (name.ends_with(".tf") || name.ends_with(".tf.json")) && !name.starts_with('.')
}

/// Parses one configuration file's text.
pub fn parse_config(source: &SourceFile) -> Result<Body, InputError> {
    if source.rel.ends_with(".json") {
        parse_json(source, false)
    } else {
        parse_native(source)
    }
}

/// Files larger than this are parsed in chunks of top-level blocks (see [`split_top_level`]).
const CHUNK_BYTES: usize = 128 * 1024;

fn parse_native(source: &SourceFile) -> Result<Body, InputError> {
    let text: &str = &source.text;
    let chunks = if text.len() > CHUNK_BYTES * 2 {
        split_top_level(text)
    } else {
        vec![(0, text.len())]
    };
    let parsed: Option<Vec<Body>> = chunks
        .par_iter()
        .map(|&(start, end)| parse_chunk(&text[start..end], start))
        .collect();
    // A chunk that does not parse on its own (a split inside a heredoc or comment, or a real
    // syntax error) sends the whole file through hcl-edit for the right answer or diagnostic.
    if let Some(mut bodies) = parsed {
        if bodies.len() == 1
            && let Some(body) = bodies.pop()
        {
            return Ok(body);
        }
        let mut body = Body::default();
        body.attributes
            .reserve(bodies.iter().map(|b| b.attributes.len()).sum());
        body.blocks
            .reserve(bodies.iter().map(|b| b.blocks.len()).sum());
        for part in bodies {
            body.attributes.extend(part.attributes);
            body.blocks.extend(part.blocks);
        }
        return Ok(body);
    }
    hcl::parse_body(text).map_err(|e| native_error(source, &e))
}

/// The fast parser, or hcl-edit where it gives up.
fn parse_chunk(text: &str, offset: usize) -> Option<Body> {
    native::parse_body(text, offset).or_else(|| hcl::parse_body_at(text, offset).ok())
}

/// Both parsers' normalised syntax trees of a text (for equivalence tests and fuzzing):
/// `(fast parser, hcl-edit)`, `None` where one rejects the text.
#[doc(hidden)]
pub fn parse_with_both(text: &str) -> (Option<String>, Option<String>) {
    let fast = native::parse_body(text, 0).map(|b| native::normalized(&b));
    let reference = hcl::parse_body(text).ok().map(|b| native::normalized(&b));
    (fast, reference)
}

/// Splits a large file into byte ranges of about [`CHUNK_BYTES`], each ending after a line that
/// is exactly `}` (the end of a top-level block in formatted configuration). Parsing chunks
/// separately bounds the parser's memory and lets one big file use every core; a wrong split
/// cannot change the result because any chunk that fails to parse makes the caller parse the
/// whole file instead.
fn split_top_level(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    while line_start < bytes.len() {
        let line_end = bytes[line_start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |p| line_start + p);
        let line = &bytes[line_start..line_end];
        let next = (line_end + 1).min(bytes.len());
        if line.first() == Some(&b'}')
            && line[1..].iter().all(u8::is_ascii_whitespace)
            && next - start >= CHUNK_BYTES
        {
            chunks.push((start, next));
            start = next;
        }
        line_start = line_end + 1;
    }
    if start < bytes.len() {
        chunks.push((start, bytes.len()));
    }
    chunks
}

fn parse_json(source: &SourceFile, tfvars: bool) -> Result<Body, InputError> {
    let value = json::parse(&source.text).map_err(|e| {
        let location = source.location(Span::new(e.offset, e.offset));
        let help = if e.message.contains("deeper") {
            "flatten the structure: Terraform configuration is never nested this deep"
        } else {
            "fix the JSON syntax at this position; the file may be truncated"
        };
        input_error(
            &source.rel,
            Some(location.clone()),
            format!("cannot parse JSON: {}", e.message),
            help,
        )
    })?;
    let converted = if tfvars {
        json::tfvars_body(&value)
    } else {
        json::config_body(&value)
    };
    converted.map_err(|e| {
        let location = source.location(e.span);
        input_error(
            &source.rel,
            Some(location.clone()),
            e.message,
            "fix the expression syntax",
        )
    })
}

/// hcl-edit rejects expressions nested deeper than this.
const HCL_MAX_NESTING: usize = 64;

fn native_error(source: &SourceFile, error: &hcl_edit::parser::Error) -> InputError {
    let rel = &source.rel;
    if let Some((line, delimiter)) = unclosed_heredoc(&source.text) {
        let location = Location::new(rel.clone(), line, 1);
        return input_error(
            rel,
            Some(location),
            format!("heredoc `<<{delimiter}` is never closed"),
            &format!("end the heredoc with a line holding only `{delimiter}`"),
        );
    }
    let (depth, depth_offset) = bracket_depth(&source.text);
    if depth > HCL_MAX_NESTING {
        let location = source.location(Span::new(depth_offset, depth_offset));
        return input_error(
            rel,
            Some(location.clone()),
            format!(
                "expressions are nested {depth} levels deep; at most {HCL_MAX_NESTING} are supported"
            ),
            "flatten the expression (locals help); generated files this deep are not valid configuration",
        );
    }
    if let Some(open_offset) = unclosed_bracket(&source.text) {
        let location = source.location(Span::new(open_offset, open_offset));
        let open = char::from(source.text.as_bytes()[open_offset]);
        return input_error(
            rel,
            Some(location.clone()),
            format!("unexpected end of file: `{open}` opened here is never closed"),
            "a block, bracket or string is not closed: the file may be truncated or a closing bracket is missing",
        );
    }
    let loc = error.location();
    let line = u32::try_from(loc.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(loc.column()).unwrap_or(u32::MAX);
    let location = Location::new(rel.clone(), line, column).with_span(loc.offset(), loc.offset());
    let at_end = loc.offset() >= source.text.trim_end().len();
    let (message, help) = if at_end {
        (
            format!("unexpected end of file ({})", error.message()),
            "a block, bracket or string is not closed: the file may be truncated or a `}` is missing",
        )
    } else {
        (
            format!("cannot parse HCL: {}", error.message()),
            "fix the syntax at this position (an unbalanced `{`/`}` or a missing quote is the usual cause)",
        )
    };
    input_error(rel, Some(location), message, help)
}

/// The first heredoc whose closing delimiter never appears: (line, delimiter).
fn unclosed_heredoc(text: &str) -> Option<(u32, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if let Some(delimiter) = heredoc_start(lines[i]) {
            match lines[i + 1..].iter().position(|l| l.trim() == delimiter) {
                Some(offset) => i += offset + 2,
                None => return Some((u32::try_from(i + 1).unwrap_or(u32::MAX), delimiter)),
            }
        } else {
            i += 1;
        }
    }
    None
}

fn heredoc_start(line: &str) -> Option<String> {
    let trimmed = line.trim_end();
    let pos = trimmed.rfind("<<")?;
    let rest = trimmed[pos + 2..]
        .strip_prefix('-')
        .unwrap_or(&trimmed[pos + 2..]);
    let valid = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    // `<<EOT` must follow `=` (or `(`/`,` in a call), not sit inside a string.
    let before = trimmed[..pos].trim_end();
    (valid && (before.ends_with('=') || before.ends_with('(') || before.ends_with(',')))
        .then(|| rest.to_string())
}

/// The offset of the outermost bracket left open at the end of the file (strings, heredocs are
/// not tracked precisely: a heuristic for diagnostics only).
fn unclosed_bracket(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'{' | b'[' | b'(' => stack.push(i),
            b'}' | b']' | b')' => {
                stack.pop()?;
            }
            _ => {}
        }
        i += 1;
    }
    stack.first().copied()
}

/// Maximum depth of `{[(` (ignoring strings and comments: a heuristic for diagnostics only).
fn bracket_depth(text: &str) -> (usize, usize) {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut at = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    at = i;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (max, at)
}

/// A file that could not be read (no source) or parsed (its source is still shown).
type Unparsed = (Option<Arc<SourceFile>>, InputError);

/// Reads and parses every configuration file of a module directory, in parallel.
pub fn load_module_dir(dir: &Path, scan_root: &Path) -> ModuleDir {
    let mut out = ModuleDir {
        dir: dir.to_path_buf(),
        ..ModuleDir::default()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let rel: Arc<str> = Arc::from(relative_path(dir, scan_root));
            out.errors.push(input_error(
                &rel,
                None,
                format!("cannot read directory {rel}: {e}"),
                "check that the directory exists and is readable",
            ));
            return out;
        }
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .filter(|e| is_config_file(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    names.sort();
    let results: Vec<Result<ParsedFile, Unparsed>> = names
        .par_iter()
        .map(|path| {
            let rel = relative_path(path, scan_root);
            let source = Arc::new(read_source(path, &rel).map_err(|e| (None, e))?);
            match parse_config(&source) {
                Ok(body) => Ok(ParsedFile { source, body }),
                Err(e) => Err((Some(source), e)),
            }
        })
        .collect();
    for result in results {
        match result {
            Ok(file) => out.files.push(file),
            Err((source, error)) => {
                out.unparsed.extend(source);
                out.errors.push(error);
            }
        }
    }
    out
}

/// A parsed variable-definitions file.
#[derive(Debug)]
pub struct TfvarsFile {
    pub source: Arc<SourceFile>,
    pub body: Body,
}

/// Reads a `.tfvars` or `.tfvars.json` file. Returns the source even when parsing fails.
pub fn load_tfvars(
    path: &Path,
    scan_root: &Path,
) -> (Option<Arc<SourceFile>>, Result<TfvarsFile, InputError>) {
    let rel = relative_path(path, scan_root);
    let source = match read_source(path, &rel) {
        Ok(s) => Arc::new(s),
        Err(e) => return (None, Err(e)),
    };
    let result = parse_tfvars(&source).map(|body| TfvarsFile {
        source: source.clone(),
        body,
    });
    (Some(source), result)
}

/// Parses a variable-definitions file's text (only `name = value` assignments are allowed).
pub fn parse_tfvars(source: &SourceFile) -> Result<Body, InputError> {
    let parsed = if source.rel.ends_with(".json") {
        parse_json(source, true)
    } else {
        parse_native(source)
    };
    parsed.and_then(|body| {
        if let Some(block) = body.blocks.first() {
            let location = source.location(block.span);
            return Err(input_error(
                &source.rel,
                Some(location.clone()),
                format!(
                    "blocks are not allowed in a variable definitions file (found `{}`)",
                    block.kind
                ),
                "a .tfvars file holds only `name = value` assignments",
            ));
        }
        Ok(body)
    })
}

/// Parses a `--var` value of a complex type (`["a","b"]`, `{k="v"}`).
pub fn parse_cli_expr(text: &str) -> Option<Expr> {
    hcl::parse_expr(text).ok()
}

fn build_excludes(exclude: &[String]) -> Result<GlobSet, InputError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in exclude {
        let glob = Glob::new(pattern).map_err(|e| InputError {
            file: None,
            location: None,
            message: format!("invalid exclude_paths pattern `{pattern}`: {e}"),
            help: Some("use glob syntax such as `legacy/**`".to_string()),
        })?;
        builder.add(glob);
        // `legacy/**` should also exclude the directory `legacy` itself.
        if let Some(prefix) = pattern.strip_suffix("/**")
            && let Ok(glob) = Glob::new(prefix)
        {
            builder.add(glob);
        }
    }
    builder.build().map_err(|e| InputError {
        file: None,
        location: None,
        message: format!("invalid exclude_paths: {e}"),
        help: None,
    })
}

/// Every directory under each PATH holding `.tf`/`.tf.json` files, minus the directories that
/// are only called as local modules by another discovered directory; `.terraform` and hidden
/// directories are skipped; `exclude` globs (relative to the scan root) are applied.
pub fn discover(paths: &[PathBuf], exclude: &[String]) -> Result<Vec<DiscoveredRoot>, InputError> {
    let excludes = build_excludes(exclude)?;
    let mut roots = Vec::new();
    for scan_path in paths {
        let metadata = std::fs::metadata(scan_path).map_err(|e| InputError {
            file: Some(Arc::from(scan_path.display().to_string())),
            location: None,
            message: format!("cannot read {}: {e}", scan_path.display()),
            help: Some("pass a directory holding Terraform configuration".to_string()),
        })?;
        if metadata.is_file() {
            // A single file: lint the directory holding it.
            let dir = scan_path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            roots.push(DiscoveredRoot {
                dir: dir.clone(),
                scan_root: dir,
            });
            continue;
        }
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let walker = walkdir::WalkDir::new(scan_path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        let walker = walker.filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_dir() {
                if name.starts_with('.') {
                    return false;
                }
                let rel = relative_path(entry.path(), scan_path);
                return !excludes.is_match(&rel);
            }
            true
        });
        for entry in walker.filter_map(Result::ok) {
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if !is_config_file(&name) {
                continue;
            }
            let rel = relative_path(entry.path(), scan_path);
            if excludes.is_match(&rel) {
                continue;
            }
            if let Some(parent) = entry.path().parent() {
                dirs.insert(parent.to_path_buf());
            }
        }
        let called: BTreeSet<PathBuf> = dirs
            .par_iter()
            .flat_map_iter(|dir| local_module_targets(dir).into_iter().map(|d| normalize(&d)))
            .collect();
        for dir in dirs {
            if called.contains(&normalize(&dir)) {
                continue;
            }
            roots.push(DiscoveredRoot {
                dir,
                scan_root: scan_path.clone(),
            });
        }
    }
    Ok(roots)
}

/// The directories a directory's module calls point at with local paths (`source = "./x"`),
/// found by a quick textual scan rather than a full parse.
fn local_module_targets(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_config_file(&name) {
            continue;
        }
        let Ok(text) = std::fs::read(entry.path()) else {
            continue;
        };
        let text = match std::str::from_utf8(&text) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&text),
        };
        // Most files call no module: one substring search rules them out.
        if !text.contains("source") {
            continue;
        }
        for line in text.lines() {
            let line = line.trim_start();
            let rest = line
                .strip_prefix("source")
                .or_else(|| line.strip_prefix("\"source\""))
                .map(str::trim_start);
            let Some(rest) = rest.and_then(|r| r.strip_prefix('=').or_else(|| r.strip_prefix(':')))
            else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(value) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                continue;
            };
            if value.starts_with("./") || value.starts_with("../") {
                out.push(dir.join(value));
            }
        }
    }
    out
}

/// One entry of Terraform's `.terraform/modules/modules.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ManifestEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Source", default)]
    pub source: String,
    #[serde(rename = "Dir", default)]
    pub dir: String,
}

#[derive(Debug, serde::Deserialize)]
struct Manifest {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestEntry>,
}

/// Reads `.terraform/modules/modules.json` of a root directory, if `terraform init` wrote one.
pub fn read_module_manifest(root_dir: &Path) -> Option<Result<Vec<ManifestEntry>, String>> {
    let path = root_dir
        .join(".terraform")
        .join("modules")
        .join("modules.json");
    let bytes = std::fs::read(&path).ok()?;
    Some(
        serde_json::from_slice::<Manifest>(&bytes)
            .map(|m| m.modules)
            .map_err(|e| e.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::SourceFile;

    #[test]
    fn positions_are_per_file_whatever_was_asked_before() {
        let a = SourceFile::new(Arc::from("a.tf"), Arc::from("x = 1\ny = 2\n"));
        let b = SourceFile::new(Arc::from("b.tf"), Arc::from("\n\n\nzé = 3\n"));
        for _ in 0..2 {
            assert_eq!(a.line_col(6), (2, 1));
            assert_eq!(b.line_col(6), (4, 3));
            assert_eq!(a.line_col(0), (1, 1));
            assert_eq!(b.line_col(0), (1, 1));
        }
        // A file dropped and another built (perhaps at the same address) answers for itself.
        drop(a);
        let c = SourceFile::new(Arc::from("c.tf"), Arc::from("abcdefgh\n"));
        assert_eq!(c.line_col(6), (1, 7));
    }
}
