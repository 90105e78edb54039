//! Terraform's msgpack value encoding (go-cty's wire format), always relative to a [`Type`].
//!
//! null = nil; unknown = an extension (Terraform writes ext 0; refined unknowns use ext 12 — any
//! extension decodes as unknown); objects are maps with every attribute; numbers are ints, floats
//! or decimal strings; `dynamic` values travel as `[type-json, value]`.

use std::collections::BTreeMap;

use rmp::Marker;

use super::value::{Number, Type, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("msgpack: unexpected end of input")]
    Eof,
    #[error("msgpack: {0}")]
    Invalid(String),
    #[error("value does not match type {ty} at {path}: {detail}")]
    Mismatch {
        ty: String,
        path: String,
        detail: String,
    },
}

// ---------------------------------------------------------------- encoding

/// Encodes `value` as msgpack for type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_into(&mut out, value, ty, "$")?;
    Ok(out)
}

fn w<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, CodecError> {
    r.map_err(|e| CodecError::Invalid(e.to_string()))
}

fn mismatch(ty: &Type, path: &str, value: &Value) -> CodecError {
    CodecError::Mismatch {
        ty: ty.to_string(),
        path: path.to_string(),
        detail: format!("got {value:?}"),
    }
}

fn encode_into(out: &mut Vec<u8>, value: &Value, ty: &Type, path: &str) -> Result<(), CodecError> {
    match value {
        Value::Null => {
            w(rmp::encode::write_nil(out))?;
            return Ok(());
        }
        Value::Unknown => {
            // fixext1, type 0, one zero byte: exactly what Terraform writes.
            out.extend_from_slice(&[0xd4, 0x00, 0x00]);
            return Ok(());
        }
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, v) => {
            let implied = v.implied_type();
            w(rmp::encode::write_array_len(out, 2))?;
            let type_json = implied.to_json_bytes();
            w(rmp::encode::write_bin(out, &type_json))?;
            encode_into(out, v, &implied, path)
        }
        (Type::Bool, Value::Bool(b)) => w(rmp::encode::write_bool(out, *b)),
        (Type::String, Value::String(s)) => w(rmp::encode::write_str(out, s)),
        (Type::Number, Value::Number(n)) => match n {
            Number::Int(i) => w(rmp::encode::write_sint(out, *i)).map(|_| ()),
            Number::Float(f) => w(rmp::encode::write_f64(out, *f)),
            Number::Decimal(s) => w(rmp::encode::write_str(out, s)),
        },
        (Type::List(et), Value::List(items) | Value::Set(items) | Value::Tuple(items))
        | (Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            w(rmp::encode::write_array_len(out, len32(items.len())?))?;
            for (i, item) in items.iter().enumerate() {
                encode_into(out, item, et, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Type::Tuple(types), Value::List(items) | Value::Tuple(items)) => {
            if types.len() != items.len() {
                return Err(mismatch(ty, path, value));
            }
            w(rmp::encode::write_array_len(out, len32(items.len())?))?;
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                encode_into(out, item, t, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Type::Map(et), Value::Map(m) | Value::Object(m)) => {
            w(rmp::encode::write_map_len(out, len32(m.len())?))?;
            for (k, v) in m {
                w(rmp::encode::write_str(out, k))?;
                encode_into(out, v, et, &format!("{path}[{k:?}]"))?;
            }
            Ok(())
        }
        (Type::Object(attrs), Value::Object(m) | Value::Map(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::Mismatch {
                    ty: ty.to_string(),
                    path: path.to_string(),
                    detail: format!("unexpected attribute {extra:?}"),
                });
            }
            w(rmp::encode::write_map_len(out, len32(attrs.len())?))?;
            for (name, t) in attrs {
                w(rmp::encode::write_str(out, name))?;
                let v = m.get(name).unwrap_or(&Value::Null);
                encode_into(out, v, t, &format!("{path}.{name}"))?;
            }
            Ok(())
        }
        _ => Err(mismatch(ty, path, value)),
    }
}

fn len32(n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| CodecError::Invalid("collection too large".into()))
}

// ---------------------------------------------------------------- decoding

/// Decodes msgpack `bytes` as a value of type `ty`. Trailing bytes are an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = r.value(ty, "$")?;
    if r.pos != bytes.len() {
        return Err(CodecError::Invalid("trailing bytes after value".into()));
    }
    Ok(v)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Eof)?;
        let s = self.buf.get(self.pos..end).ok_or(CodecError::Eof)?;
        self.pos = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }
    fn be(&mut self, n: usize) -> Result<u64, CodecError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
    fn len(&mut self, n: usize) -> Result<usize, CodecError> {
        usize::try_from(self.be(n)?).map_err(|_| CodecError::Invalid("length too large".into()))
    }

    /// Reads one raw msgpack item.
    fn item(&mut self) -> Result<Raw<'a>, CodecError> {
        let marker = Marker::from_u8(self.byte()?);
        Ok(match marker {
            Marker::Null => Raw::Nil,
            Marker::True => Raw::Bool(true),
            Marker::False => Raw::Bool(false),
            Marker::FixPos(n) => Raw::Int(i64::from(n)),
            Marker::FixNeg(n) => Raw::Int(i64::from(n)),
            Marker::U8 => Raw::Int(self.be(1)? as i64),
            Marker::U16 => Raw::Int(self.be(2)? as i64),
            Marker::U32 => Raw::Int(self.be(4)? as i64),
            Marker::U64 => {
                let u = self.be(8)?;
                match i64::try_from(u) {
                    Ok(i) => Raw::Int(i),
                    Err(_) => Raw::BigUint(u),
                }
            }
            Marker::I8 => Raw::Int(i64::from(self.be(1)? as u8 as i8)),
            Marker::I16 => Raw::Int(i64::from(self.be(2)? as u16 as i16)),
            Marker::I32 => Raw::Int(i64::from(self.be(4)? as u32 as i32)),
            Marker::I64 => Raw::Int(self.be(8)? as i64),
            Marker::F32 => Raw::Float(f64::from(f32::from_bits(self.be(4)? as u32))),
            Marker::F64 => Raw::Float(f64::from_bits(self.be(8)?)),
            Marker::FixStr(n) => Raw::Str(self.take(usize::from(n))?),
            Marker::Str8 => {
                let n = self.len(1)?;
                Raw::Str(self.take(n)?)
            }
            Marker::Str16 => {
                let n = self.len(2)?;
                Raw::Str(self.take(n)?)
            }
            Marker::Str32 => {
                let n = self.len(4)?;
                Raw::Str(self.take(n)?)
            }
            Marker::Bin8 => {
                let n = self.len(1)?;
                Raw::Bin(self.take(n)?)
            }
            Marker::Bin16 => {
                let n = self.len(2)?;
                Raw::Bin(self.take(n)?)
            }
            Marker::Bin32 => {
                let n = self.len(4)?;
                Raw::Bin(self.take(n)?)
            }
            Marker::FixArray(n) => Raw::Array(usize::from(n)),
            Marker::Array16 => Raw::Array(self.len(2)?),
            Marker::Array32 => Raw::Array(self.len(4)?),
            Marker::FixMap(n) => Raw::Map(usize::from(n)),
            Marker::Map16 => Raw::Map(self.len(2)?),
            Marker::Map32 => Raw::Map(self.len(4)?),
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => {
                let n = self.len(1)?;
                self.ext(n)?
            }
            Marker::Ext16 => {
                let n = self.len(2)?;
                self.ext(n)?
            }
            Marker::Ext32 => {
                let n = self.len(4)?;
                self.ext(n)?
            }
            Marker::Reserved => return Err(CodecError::Invalid("reserved marker 0xc1".into())),
        })
    }

    fn ext(&mut self, n: usize) -> Result<Raw<'a>, CodecError> {
        let _type_id = self.byte()?;
        self.take(n)?;
        Ok(Raw::Ext)
    }

    /// Skips `count` nested items (array elements / map entries counted as 2).
    fn skip(&mut self, count: usize) -> Result<(), CodecError> {
        let mut pending = count;
        while pending > 0 {
            pending -= 1;
            match self.item()? {
                Raw::Array(n) => pending = pending.checked_add(n).ok_or(CodecError::Eof)?,
                Raw::Map(n) => {
                    pending = pending
                        .checked_add(n.checked_mul(2).ok_or(CodecError::Eof)?)
                        .ok_or(CodecError::Eof)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn string(&mut self, path: &str) -> Result<String, CodecError> {
        match self.item()? {
            Raw::Str(s) => utf8(s),
            other => Err(self.unexpected(&Type::String, path, &other)),
        }
    }

    fn unexpected(&self, ty: &Type, path: &str, raw: &Raw<'_>) -> CodecError {
        CodecError::Mismatch {
            ty: ty.to_string(),
            path: path.to_string(),
            detail: format!("got msgpack {}", raw.kind()),
        }
    }

    fn value(&mut self, ty: &Type, path: &str) -> Result<Value, CodecError> {
        let raw = self.item()?;
        match raw {
            Raw::Nil => return Ok(Value::Null),
            Raw::Ext => return Ok(Value::Unknown),
            _ => {}
        }
        match (ty, raw) {
            (Type::Dynamic, Raw::Array(2)) => {
                let type_json = match self.item()? {
                    Raw::Bin(b) | Raw::Str(b) => b,
                    other => return Err(self.unexpected(ty, path, &other)),
                };
                let inner = Type::from_json_bytes(type_json)
                    .map_err(|e| CodecError::Invalid(e.to_string()))?;
                self.value(&inner, path)
            }
            (Type::Bool, Raw::Bool(b)) => Ok(Value::Bool(b)),
            (Type::String, Raw::Str(s)) => Ok(Value::String(utf8(s)?)),
            (Type::Number, Raw::Int(i)) => Ok(Value::int(i)),
            (Type::Number, Raw::BigUint(u)) => Ok(Value::Number(Number::Decimal(u.to_string()))),
            (Type::Number, Raw::Float(f)) => Ok(Value::float(f)),
            (Type::Number, Raw::Str(s)) => {
                let text = utf8(s)?;
                Number::parse(&text)
                    .map(Value::Number)
                    .ok_or_else(|| CodecError::Mismatch {
                        ty: ty.to_string(),
                        path: path.to_string(),
                        detail: format!("{text:?} is not a number"),
                    })
            }
            (Type::List(et) | Type::Set(et), Raw::Array(n)) => {
                let mut items = Vec::with_capacity(n.min(4096));
                for i in 0..n {
                    items.push(self.value(et, &format!("{path}[{i}]"))?);
                }
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(items)
                } else {
                    Value::List(items)
                })
            }
            (Type::Tuple(types), Raw::Array(n)) => {
                if n != types.len() {
                    return Err(CodecError::Mismatch {
                        ty: ty.to_string(),
                        path: path.to_string(),
                        detail: format!("tuple of {n} elements"),
                    });
                }
                let mut items = Vec::with_capacity(n);
                for (i, t) in types.iter().enumerate() {
                    items.push(self.value(t, &format!("{path}[{i}]"))?);
                }
                Ok(Value::Tuple(items))
            }
            (Type::Map(et), Raw::Map(n)) => {
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string(path)?;
                    let v = self.value(et, &format!("{path}[{k:?}]"))?;
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
            (Type::Object(attrs), Raw::Map(n)) => {
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string(path)?;
                    match attrs.get(&k) {
                        Some(t) => {
                            let v = self.value(t, &format!("{path}.{k}"))?;
                            m.insert(k, v);
                        }
                        // Tolerated: an attribute this schema does not know.
                        None => self.skip(1)?,
                    }
                }
                for name in attrs.keys() {
                    m.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(m))
            }
            (ty, raw) => Err(self.unexpected(ty, path, &raw)),
        }
    }
}

fn utf8(bytes: &[u8]) -> Result<String, CodecError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::Invalid("string is not UTF-8".into()))
}

enum Raw<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    BigUint(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

impl Raw<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Raw::Nil => "nil",
            Raw::Bool(_) => "bool",
            Raw::Int(_) | Raw::BigUint(_) => "integer",
            Raw::Float(_) => "float",
            Raw::Str(_) => "string",
            Raw::Bin(_) => "binary",
            Raw::Array(_) => "array",
            Raw::Map(_) => "map",
            Raw::Ext => "extension",
        }
    }
}

// ---------------------------------------------------------------- JSON (raw state)

/// Decodes a JSON value (as stored in Terraform state) against `ty`, leniently: missing object
/// attributes become null, unknown keys are ignored, numbers may be JSON numbers or strings.
pub fn from_json(json: &serde_json::Value, ty: &Type) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    let fail = |detail: String| CodecError::Mismatch {
        ty: ty.to_string(),
        path: "$".into(),
        detail,
    };
    if json.is_null() {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::Dynamic, J::Object(o)) if o.contains_key("type") && o.contains_key("value") => {
            let inner = Type::from_json(&o["type"]).map_err(|e| fail(e.to_string()))?;
            from_json(&o["value"], &inner)
        }
        (Type::Dynamic, other) => from_json(other, &json_implied_type(other)),
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, J::String(s)) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        (Type::String, J::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, J::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::Number, J::Number(n)) => Number::parse(&n.to_string())
            .map(Value::Number)
            .ok_or_else(|| fail(format!("{n} is not a number"))),
        (Type::Number, J::String(s)) => Number::parse(s)
            .map(Value::Number)
            .ok_or_else(|| fail(format!("{s:?} is not a number"))),
        (Type::List(et) | Type::Set(et), J::Array(items)) => {
            let items = items
                .iter()
                .map(|i| from_json(i, et))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            })
        }
        (Type::Tuple(types), J::Array(items)) if types.len() == items.len() => Ok(Value::Tuple(
            items
                .iter()
                .zip(types)
                .map(|(i, t)| from_json(i, t))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Map(et), J::Object(o)) => Ok(Value::Map(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), from_json(v, et)?)))
                .collect::<Result<_, CodecError>>()?,
        )),
        (Type::Object(attrs), J::Object(o)) => Ok(Value::Object(
            attrs
                .iter()
                .map(|(name, t)| {
                    let v = match o.get(name) {
                        Some(j) => from_json(j, t)?,
                        None => Value::Null,
                    };
                    Ok((name.clone(), v))
                })
                .collect::<Result<_, CodecError>>()?,
        )),
        (ty, other) => Err(CodecError::Mismatch {
            ty: ty.to_string(),
            path: "$".into(),
            detail: format!("got JSON {other}"),
        }),
    }
}

fn json_implied_type(json: &serde_json::Value) -> Type {
    use serde_json::Value as J;
    match json {
        J::Null => Type::Dynamic,
        J::Bool(_) => Type::Bool,
        J::Number(_) => Type::Number,
        J::String(_) => Type::String,
        J::Array(items) => Type::Tuple(items.iter().map(json_implied_type).collect()),
        J::Object(o) => Type::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), json_implied_type(v)))
                .collect(),
        ),
    }
}
