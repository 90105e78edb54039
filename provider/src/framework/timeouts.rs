//! The `timeouts { create = "30m" ... }` block and Go duration syntax.

use std::time::Duration;

use super::schema::{Attribute, Block, NestedBlock, Validator};
use super::value::{Type, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason}")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses Go's `time.ParseDuration` syntax: a sequence of decimal numbers with units
/// `ns`, `us`/`µs`, `ms`, `s`, `m`, `h` (e.g. "30m", "1h30m", "1.5h"). Negative durations are refused.
pub fn parse_go_duration(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError {
        input: input.to_string(),
        reason,
    };
    let mut rest = input.trim();
    if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest.starts_with('-') {
        return Err(err("negative durations are not allowed"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(err("empty duration"));
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(err("expected a number"));
        }
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| err("malformed number"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(err("missing unit")),
            _ => return Err(err("unknown unit")),
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    if !total.is_finite() || total > 1.0e12 {
        return Err(err("duration too large"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// The operations a `timeouts` block can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// A `timeouts` nested block (nesting single) with optional Go-duration strings for `operations`.
/// Add it to a resource with `Block::block(timeouts_block(&[Operation::Create, Operation::Delete]))`.
pub fn timeouts_block(operations: &[Operation]) -> NestedBlock {
    let mut block = Block::new()
        .description("Time limits for operations, in Go duration syntax (\"30m\", \"1h30m\").");
    for op in operations {
        block = block.attribute(
            Attribute::optional(op.name(), Type::String)
                .description(format!(
                    "How long to wait for the {} operation, e.g. \"30m\".",
                    op.name()
                ))
                .validator(Validator::GoDuration),
        );
    }
    NestedBlock::single("timeouts", block)
}

/// The timeout for `operation` from a resource value's `timeouts` block, or `default`.
pub fn timeout_for(resource_value: &Value, operation: Operation, default: Duration) -> Duration {
    resource_value
        .attr("timeouts")
        .get_str(operation.name())
        .and_then(|s| parse_go_duration(s).ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_go_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(
            parse_go_duration("1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(parse_go_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(
            parse_go_duration("250ms").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_go_duration("30").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("-5m").is_err());
        assert!(parse_go_duration("5 minutes").is_err());
        assert!(parse_go_duration("h").is_err());
    }

    #[test]
    fn reads_timeouts_from_value() {
        let v = Value::object([(
            "timeouts",
            Value::object([("create", Value::from("45m")), ("delete", Value::Null)]),
        )]);
        let d = Duration::from_secs(60);
        assert_eq!(
            timeout_for(&v, Operation::Create, d),
            Duration::from_secs(2700)
        );
        assert_eq!(timeout_for(&v, Operation::Delete, d), d);
        assert_eq!(timeout_for(&Value::Null, Operation::Update, d), d);
    }
}
