//! JSON syntax (`.tf.json`, `.tfvars.json`): a small JSON reader that keeps byte spans (serde_json
//! does not), and the mapping of Terraform's JSON configuration syntax onto [`ast`](super::ast).
use super::ast::*;
use super::hcl::{self, SpanMode};

/// Deeper JSON than this is rejected (the reader and the evaluator recurse).
pub const MAX_JSON_DEPTH: usize = 128;

#[derive(Debug)]
pub(crate) struct JsonError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug)]
pub(crate) struct JValue {
    pub kind: JKind,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) enum JKind {
    Null,
    Bool(bool),
    Number(f64),
    /// The decoded string and whether it had no escapes (then offsets inside map 1:1 to the file).
    String(String, bool),
    Array(Vec<JValue>),
    Object(Vec<(String, Span, JValue)>),
}

pub(crate) fn parse(text: &str) -> Result<JValue, JsonError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    reader.skip_ws();
    let value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> JsonError {
        JsonError {
            offset: self.pos.min(self.bytes.len()),
            message: message.to_string(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JValue, JsonError> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.error(&format!("JSON nested deeper than {MAX_JSON_DEPTH} levels")));
        }
        let start = self.pos;
        let kind = match self.bytes.get(self.pos) {
            None => return Err(self.error("unexpected end of file: the JSON value is incomplete")),
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let key_start = self.pos;
                        if self.bytes.get(self.pos) != Some(&b'"') {
                            return Err(self.error("expected a quoted object key"));
                        }
                        let (key, _) = self.string()?;
                        let key_span = Span::new(key_start, self.pos);
                        self.skip_ws();
                        if self.bytes.get(self.pos) != Some(&b':') {
                            return Err(self.error("expected `:` after an object key"));
                        }
                        self.pos += 1;
                        self.skip_ws();
                        let value = self.value(depth + 1)?;
                        members.push((key, key_span, value));
                        self.skip_ws();
                        match self.bytes.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            None => return Err(self.error("unexpected end of file: unclosed `{`")),
                            _ => return Err(self.error("expected `,` or `}` in an object")),
                        }
                    }
                }
                JKind::Object(members)
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.bytes.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            None => return Err(self.error("unexpected end of file: unclosed `[`")),
                            _ => return Err(self.error("expected `,` or `]` in an array")),
                        }
                    }
                }
                JKind::Array(items)
            }
            Some(b'"') => {
                let (s, plain) = self.string()?;
                JKind::String(s, plain)
            }
            Some(b't') => self.literal("true", JKind::Bool(true))?,
            Some(b'f') => self.literal("false", JKind::Bool(false))?,
            Some(b'n') => self.literal("null", JKind::Null)?,
            Some(b'-' | b'0'..=b'9') => {
                while let Some(b) = self.bytes.get(self.pos) {
                    if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let raw = &self.text[start..self.pos];
                match raw.parse::<f64>() {
                    Ok(n) => JKind::Number(n),
                    Err(_) => {
                        return Err(JsonError {
                            offset: start,
                            message: format!("invalid number `{raw}`"),
                        });
                    }
                }
            }
            Some(_) => return Err(self.error("expected a JSON value")),
        };
        Ok(JValue {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    fn literal(&mut self, word: &str, kind: JKind) -> Result<JKind, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    /// Reads a string starting at the opening quote; returns it decoded and whether it had no escapes.
    fn string(&mut self) -> Result<(String, bool), JsonError> {
        self.pos += 1;
        let start = self.pos;
        let mut out = String::new();
        let mut plain = true;
        loop {
            match self.bytes.get(self.pos) {
                None => {
                    return Err(JsonError {
                        offset: start - 1,
                        message: "unterminated string".to_string(),
                    });
                }
                Some(b'"') => {
                    if plain {
                        out.push_str(&self.text[start..self.pos]);
                    }
                    self.pos += 1;
                    return Ok((out, plain));
                }
                Some(b'\\') => {
                    if plain {
                        out.push_str(&self.text[start..self.pos]);
                        plain = false;
                    }
                    self.pos += 1;
                    let escaped = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let code = self.hex4(self.pos + 1)?;
                            self.pos += 4;
                            if (0xD800..0xDC00).contains(&code)
                                && self.bytes.get(self.pos + 1) == Some(&b'\\')
                                && self.bytes.get(self.pos + 2) == Some(&b'u')
                            {
                                let low = self.hex4(self.pos + 3)?;
                                self.pos += 6;
                                let combined = 0x10000
                                    + ((code - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF);
                                char::from_u32(combined).unwrap_or('\u{FFFD}')
                            } else {
                                char::from_u32(code).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    };
                    out.push(escaped);
                    self.pos += 1;
                }
                Some(b'\n') => {
                    return Err(self.error("unterminated string (newline inside a string)"));
                }
                Some(_) => {
                    let ch_len = self.text[self.pos..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                    if !plain {
                        out.push_str(&self.text[self.pos..self.pos + ch_len]);
                    }
                    self.pos += ch_len;
                }
            }
        }
    }

    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        self.text
            .get(at..at + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| JsonError {
                offset: at,
                message: "invalid \\u escape".to_string(),
            })
    }
}

/// Problems converting JSON syntax (a template that does not parse).
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// Converts a `.tf.json` document into a configuration body.
pub(crate) fn config_body(root: &JValue) -> Result<Body, SyntaxError> {
    let JKind::Object(members) = &root.kind else {
        return Err(SyntaxError {
            span: root.span,
            message: "a .tf.json file must hold a JSON object".into(),
        });
    };
    let mut body = Body::default();
    for (key, key_span, value) in members {
        let block_span = Span {
            start: key_span.start,
            end: value.span.end,
        };
        match key.as_str() {
            "resource" | "data" => {
                for (type_name, _, by_name) in object_members(value) {
                    for (name, name_span, block) in object_members(by_name) {
                        for item in one_or_many(block) {
                            body.blocks.push(Block {
                                kind: key.as_str().into(),
                                labels: vec![type_name.as_str().into(), name.as_str().into()],
                                span: Span {
                                    start: name_span.start,
                                    end: item.span.end,
                                },
                                body: block_body(item, true)?,
                            });
                        }
                    }
                }
            }
            "module" | "provider" | "variable" | "output" => {
                for (name, name_span, block) in object_members(value) {
                    let many = matches!(block.kind, JKind::Array(_));
                    for item in one_or_many(block) {
                        body.blocks.push(Block {
                            kind: key.as_str().into(),
                            labels: vec![name.as_str().into()],
                            span: Span {
                                start: if many {
                                    item.span.start
                                } else {
                                    name_span.start
                                },
                                end: item.span.end,
                            },
                            body: block_body(item, key == "provider")?,
                        });
                    }
                }
            }
            "locals" => {
                for item in one_or_many(value) {
                    body.blocks.push(Block {
                        kind: "locals".into(),
                        labels: Vec::new(),
                        span: block_span,
                        body: block_body(item, false)?,
                    });
                }
            }
            "terraform" => {
                for item in one_or_many(value) {
                    let mut tf = Body::default();
                    for (name, name_span, inner) in object_members(item) {
                        match name.as_str() {
                            "backend" => {
                                for (backend_type, type_span, cfg) in object_members(inner) {
                                    tf.blocks.push(Block {
                                        kind: "backend".into(),
                                        labels: vec![backend_type.as_str().into()],
                                        span: Span {
                                            start: type_span.start,
                                            end: cfg.span.end,
                                        },
                                        body: block_body(cfg, true)?,
                                    });
                                }
                            }
                            "cloud" | "required_providers" => tf.blocks.push(Block {
                                kind: name.as_str().into(),
                                labels: Vec::new(),
                                span: Span {
                                    start: name_span.start,
                                    end: inner.span.end,
                                },
                                body: block_body(inner, true)?,
                            }),
                            _ => tf.attributes.push(Attribute {
                                name: name.as_str().into(),
                                span: Span {
                                    start: name_span.start,
                                    end: inner.span.end,
                                },
                                expr: expr(inner, true)?,
                            }),
                        }
                    }
                    body.blocks.push(Block {
                        kind: "terraform".into(),
                        labels: Vec::new(),
                        span: block_span,
                        body: tf,
                    });
                }
            }
            // `"//"` comments and anything Terraform would reject are not configuration.
            _ => {}
        }
    }
    Ok(body)
}

/// Converts a `.tfvars.json` document: top-level members are variable values, strings are literal.
pub(crate) fn tfvars_body(root: &JValue) -> Result<Body, SyntaxError> {
    let JKind::Object(members) = &root.kind else {
        return Err(SyntaxError {
            span: root.span,
            message: "a .tfvars.json file must hold a JSON object".into(),
        });
    };
    let mut body = Body::default();
    for (name, name_span, value) in members {
        body.attributes.push(Attribute {
            name: name.as_str().into(),
            span: Span {
                start: name_span.start,
                end: value.span.end,
            },
            expr: expr(value, false)?,
        });
    }
    Ok(body)
}

fn object_members(value: &JValue) -> impl Iterator<Item = &(String, Span, JValue)> {
    let members: &[(String, Span, JValue)] = match &value.kind {
        JKind::Object(m) => m,
        _ => &[],
    };
    members.iter()
}

fn one_or_many(value: &JValue) -> Vec<&JValue> {
    match &value.kind {
        JKind::Array(items) => items.iter().collect(),
        _ => vec![value],
    }
}

/// A block body: each member is an attribute (objects become maps, arrays of objects lists of
/// maps — the same values nested blocks evaluate to), except the meta-blocks Terraform defines.
fn block_body(value: &JValue, templates: bool) -> Result<Body, SyntaxError> {
    let mut body = Body::default();
    for (name, name_span, inner) in object_members(value) {
        let span = Span {
            start: name_span.start,
            end: inner.span.end,
        };
        match name.as_str() {
            "//" => {}
            "dynamic" => {
                for (label, label_span, dynamic) in object_members(inner) {
                    for item in one_or_many(dynamic) {
                        let mut dyn_body = Body::default();
                        for (key, key_span, v) in object_members(item) {
                            let span = Span {
                                start: key_span.start,
                                end: v.span.end,
                            };
                            if key == "content" {
                                dyn_body.blocks.push(Block {
                                    kind: "content".into(),
                                    labels: Vec::new(),
                                    span,
                                    body: block_body(v, templates)?,
                                });
                            } else {
                                dyn_body.attributes.push(Attribute {
                                    name: key.as_str().into(),
                                    span,
                                    expr: expr(v, templates)?,
                                });
                            }
                        }
                        body.blocks.push(Block {
                            kind: "dynamic".into(),
                            labels: vec![label.as_str().into()],
                            span: Span {
                                start: label_span.start,
                                end: item.span.end,
                            },
                            body: dyn_body,
                        });
                    }
                }
            }
            "lifecycle" | "provisioner" | "connection" => {}
            _ => body.attributes.push(Attribute {
                name: name.as_str().into(),
                span,
                expr: expr(inner, templates)?,
            }),
        }
    }
    Ok(body)
}

fn expr(value: &JValue, templates: bool) -> Result<Expr, SyntaxError> {
    let span = value.span;
    let kind = match &value.kind {
        JKind::Null => ExprKind::Null,
        JKind::Bool(b) => ExprKind::Bool(*b),
        JKind::Number(n) => ExprKind::Number(*n),
        JKind::String(s, plain) => {
            if templates && (s.contains("${") || s.contains("%{")) {
                let mode = if *plain {
                    SpanMode::Offset(span.start as usize + 1)
                } else {
                    SpanMode::Fixed(span)
                };
                return hcl::parse_template_expr(s, mode, span).map_err(|e| SyntaxError {
                    span,
                    message: format!("invalid template in JSON string: {}", e.message()),
                });
            }
            ExprKind::String(s.as_str().into())
        }
        JKind::Array(items) => ExprKind::Array(
            items
                .iter()
                .map(|i| expr(i, templates))
                .collect::<Result<_, _>>()?,
        ),
        JKind::Object(members) => ExprKind::Object(
            members
                .iter()
                .map(|(k, _, v)| Ok((ObjectKey::Ident(k.as_str().into()), expr(v, templates)?)))
                .collect::<Result<_, SyntaxError>>()?,
        ),
    };
    Ok(Expr { kind, span })
}
