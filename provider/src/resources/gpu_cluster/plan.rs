//! Plan-time arithmetic of `sovereign_gpu_cluster`, no AWS call: the clock (settable for tests), the TTL, the
//! cost, which subnet each slot goes to, and deterministic client tokens.

use std::time::SystemTime;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Environment variable that sets the provider's clock (RFC 3339), for tests of TTL expiry.
pub const CLOCK_ENV: &str = "SOVEREIGN_CLOCK";

/// Now, or the time `SOVEREIGN_CLOCK` names.
pub fn now() -> DateTime {
    std::env::var(CLOCK_ENV)
        .ok()
        .and_then(|t| DateTime::from_str(t.trim(), Format::DateTime).ok())
        .unwrap_or_else(|| DateTime::from(SystemTime::now()))
}

/// `at` + `hours`, as RFC 3339 (whole seconds, UTC).
pub fn expiry(at: DateTime, hours: i64) -> String {
    let end = DateTime::from_secs(at.secs() + hours * 3600);
    end.fmt(Format::DateTime).unwrap_or_default()
}

/// True when `expires_at` (RFC 3339) has passed at `now`. An unreadable time counts as not expired.
pub fn expired(expires_at: Option<&str>, now: DateTime) -> bool {
    expires_at
        .and_then(|t| DateTime::from_str(t, Format::DateTime).ok())
        .is_some_and(|end| now.secs() >= end.secs())
}

/// The subnet of `slot`: round-robin over the cluster's subnets.
pub fn subnet_of(subnets: &[String], slot: u32) -> Option<&String> {
    (!subnets.is_empty()).then(|| &subnets[slot as usize % subnets.len()])
}

/// A RunInstances client token (≤ 64 characters, AWS's limit) derived from the cluster, the batch's slots, the
/// template version and the attempt (a slot relaunched after its instance was terminated needs a new token:
/// attempt 1, 2, …), so a retried or interrupted apply never launches a slot twice.
pub fn client_token(cluster: &str, slots: &[u32], version: i64, attempt: u32) -> String {
    let slots: Vec<String> = slots.iter().map(u32::to_string).collect();
    let material = format!("{cluster}\n{}\n{version}\n{attempt}", slots.join(","));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, material.as_bytes());
    let hex: String = digest.as_ref()[..20]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sgc-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_arithmetic() {
        let t = DateTime::from_str("2026-12-03T10:00:00Z", Format::DateTime).unwrap();
        assert_eq!(expiry(t, 5), "2026-12-03T15:00:00Z");
        assert!(!expired(Some("2026-12-03T15:00:00Z"), t));
        let later = DateTime::from_str("2026-12-03T15:00:00Z", Format::DateTime).unwrap();
        assert!(expired(Some("2026-12-03T15:00:00Z"), later));
        assert!(!expired(None, later));
        assert!(!expired(Some("soon"), later));
    }

    #[test]
    fn tokens_are_deterministic_short_and_distinct() {
        let a = client_token("train", &[0, 2], 1, 0);
        assert_eq!(a, client_token("train", &[0, 2], 1, 0));
        assert!(a.len() <= 64 && a.is_ascii());
        assert_ne!(a, client_token("train", &[0, 2], 2, 0));
        assert_ne!(a, client_token("train", &[0, 2], 1, 1));
        assert_ne!(a, client_token("train", &[0], 1, 0));
        assert_ne!(a, client_token("other", &[0, 2], 1, 0));
    }

    #[test]
    fn slots_spread_round_robin() {
        let subnets = vec!["a".to_string(), "b".to_string()];
        assert_eq!(subnet_of(&subnets, 0).unwrap(), "a");
        assert_eq!(subnet_of(&subnets, 3).unwrap(), "b");
        assert_eq!(subnet_of(&[], 0), None);
    }
}
