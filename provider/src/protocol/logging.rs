//! Logs on stderr as JSON lines in hclog's shape (`@level`, `@message`, `@timestamp`, `@module`),
//! which go-plugin parses and Terraform shows under `TF_LOG`. Level from `TF_LOG_PROVIDER` or
//! `TF_LOG` (TRACE, DEBUG, INFO, WARN, ERROR; JSON = TRACE); nothing below WARN otherwise.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The level selected by the environment.
pub fn level_from_env() -> Option<Level> {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("TF_LOG").ok())?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "OFF" => None,
        _ => Some(Level::WARN),
    }
}

/// Installs the stderr logger (idempotent: a second call does nothing).
pub fn init() {
    let max = match std::env::var("TF_LOG_PROVIDER").or_else(|_| std::env::var("TF_LOG")) {
        Ok(_) => level_from_env(),
        Err(_) => Some(Level::WARN),
    };
    let layer = HclogLayer { max };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct HclogLayer {
    max: Option<Level>,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let Some(max) = self.max else {
            return false;
        };
        // Dependencies (h2, hyper, tonic) log every frame at DEBUG/TRACE: keep them at INFO unless
        // TRACE is asked for.
        let own = metadata.target().starts_with("sovereign_provider")
            || metadata
                .target()
                .starts_with("terraform_provider_sovereign");
        let max = if own || max == Level::TRACE {
            max
        } else {
            max.min(Level::INFO)
        };
        *metadata.level() <= max
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let mut line = serde_json::Map::new();
        let level = match *event.metadata().level() {
            Level::TRACE => "trace",
            Level::DEBUG => "debug",
            Level::INFO => "info",
            Level::WARN => "warn",
            Level::ERROR => "error",
        };
        line.insert("@level".into(), level.into());
        line.insert("@message".into(), fields.message.unwrap_or_default().into());
        line.insert("@module".into(), "sovereign".into());
        line.insert("@timestamp".into(), timestamp_now().into());
        for (k, v) in fields.extra {
            line.insert(k, v);
        }
        let mut text = serde_json::Value::Object(line).to_string();
        text.push('\n');
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    extra: Vec<(String, serde_json::Value)>,
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.extra.push((field.name().to_string(), value.into()));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.extra.push((field.name().to_string(), value.into()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.extra.push((field.name().to_string(), value.into()));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.extra.push((field.name().to_string(), value.into()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.extra.push((field.name().to_string(), text.into()));
        }
    }
}

/// hclog's timestamp layout `2006-01-02T15:04:05.000000Z07:00`, in UTC.
pub fn timestamp_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_timestamp(now.as_secs(), now.subsec_micros())
}

fn format_timestamp(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{micros:06}Z")
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_timestamps_like_hclog() {
        assert_eq!(super::format_timestamp(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            super::format_timestamp(1_767_225_600 + 3661, 42),
            "2026-01-01T01:01:01.000042Z"
        );
        assert_eq!(
            super::format_timestamp(951_782_400, 0),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
