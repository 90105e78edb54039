//! ## What it does
//! Checks how customer-managed keys are kept:
//!
//! - `aws_kms_key`: symmetric encryption keys (`customer_master_key_spec` `SYMMETRIC_DEFAULT`, `key_usage`
//!   `ENCRYPT_DECRYPT`) need `enable_key_rotation = true`; `rotation_period_in_days` must lie in
//!   90–2560. Rotation is impossible — and not asked for — for asymmetric and HMAC keys, imported
//!   key material (`aws_kms_external_key`) and keys in a custom key store (`custom_key_store_id`,
//!   CloudHSM or external).
//! - `azurerm_key_vault_key`: a `rotation_policy` block with `automatic { … }` rotation.
//! - `google_kms_crypto_key`: `rotation_period` for `ENCRYPT_DECRYPT` keys (the default purpose).
//! - With `require_hsm_keys = true`: `aws_kms_key` needs a `custom_key_store_id` (CloudHSM key store),
//!   `aws_kms_external_key` is refused, `sovereign_key` needs `custom_key_store_id` (`require_hsm =
//!   true` alone is refused by the provider), Azure keys need `key_type` `RSA-HSM`/`EC-HSM` (or a
//!   managed HSM), Google keys `version_template { protection_level = "HSM" }` (or `EXTERNAL`).
//!
//! `sovereign_key` always rotates keys it can rotate.
//!
//! The rule fails closed: `enable_key_rotation`, `rotation_period_in_days`, `rotation_period` or
//! `rotation_policy`, and (with `require_hsm_keys`) `key_type`, `protection_level` or a
//! `custom_key_store_id` that cannot be resolved statically are SOV010 — except a key store id
//! computed by a resource managed in the configuration (a key store created alongside).
//!
//! ## Why is this bad?
//! An unrotated key protects ever more data with the same material, so one leak exposes all of it.
//! Keys outside an HSM can be exported or used by the cloud operator's software; regulators and
//! sovereign-cloud frameworks often require HSM custody for the keys of restricted data.
//!
//! ## Example
//! ```hcl
//! resource "aws_kms_key" "data" {
//!   description = "training data"
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! resource "aws_kms_key" "data" {
//!   description             = "training data"
//!   enable_key_rotation     = true
//!   rotation_period_in_days = 180
//! }
//! ```
//!
//! ## Options
//! - `require_hsm_keys`: also require HSM-backed keys (default false).
use super::support::{
    Subject, Unproven, computed_by_managed_resource, decisive_path, finding, loc, unresolved_as,
};
use super::{Rule, RuleContext, RuleInfo, docs};
use crate::finding::{Finding, Severity};
use crate::model::{ResourceInstance, ResourceMode, Tracked, Value};

pub(crate) static INFO: RuleInfo = RuleInfo {
    id: "SOV007",
    name: "key-custody",
    summary: "a customer-managed key is not rotated (where rotation is possible), or not HSM-backed when require_hsm_keys",
    docs: docs::SOV007,
    default_severity: Severity::Error,
};

pub(crate) struct KeyCustody;

impl Rule for KeyCustody {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let hsm = cx.policy.require_hsm_keys;
        for r in cx
            .model
            .resources
            .iter()
            .filter(|r| r.mode == ResourceMode::Managed)
        {
            match r.resource_type.as_str() {
                "aws_kms_key" => aws_kms_key(cx, out, r, hsm),
                "aws_kms_external_key" if hsm => report(
                    out,
                    r,
                    None,
                    "holds imported key material outside any HSM key store, but the policy requires HSM-backed keys".into(),
                    "create the key with `custom_key_store_id` set to a CloudHSM key store",
                ),
                "sovereign_key" if hsm && !in_key_store(cx, out, r) => report(
                    out,
                    r,
                    r.attr("require_hsm"),
                    "is not HSM-backed (no `custom_key_store_id`), but the policy requires HSM-backed keys".into(),
                    "set `custom_key_store_id` to a CloudHSM key store (and `require_hsm = true`)",
                ),
                "azurerm_key_vault_key" => azure_key(cx, out, r, hsm),
                "google_kms_crypto_key" => google_key(cx, out, r, hsm),
                _ => {}
            }
        }
    }
}

fn is_set(t: Option<&Tracked>) -> bool {
    t.is_some_and(|t| !matches!(&t.value, Value::Null) && t.as_str() != Some(""))
}

/// Whether a value that decides custody is unknown; then SOV010 (fails closed) unless it names a
/// key store (`names_store`) computed by a resource managed in the configuration (created here,
/// known after apply). An unknown setting (rotation, period, key type, protection level) is always
/// SOV010: computed at apply time, it says nothing about its value.
fn unknown_unproven(
    cx: &RuleContext<'_>,
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    what: &str,
    t: Option<&Tracked>,
    names_store: bool,
) -> bool {
    let Some(t) = t.filter(|t| t.unknown_reason().is_some()) else {
        return false;
    };
    let managed = names_store && computed_by_managed_resource(cx, r, t);
    if !managed {
        unresolved_as(
            cx,
            out,
            Subject::resource(r),
            &format!("`{what}`"),
            t,
            Unproven::Custody,
        );
    }
    !managed
}

/// `custom_key_store_id` is set (an unknown one only when it refers to a key store of the
/// configuration; otherwise SOV010 and `true`, so no second finding on the same value).
fn in_key_store(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance) -> bool {
    let t = r.attr("custom_key_store_id");
    unknown_unproven(cx, out, r, "custom_key_store_id", t, true);
    is_set(t)
}

fn report(
    out: &mut Vec<Finding>,
    r: &ResourceInstance,
    at: Option<&Tracked>,
    why: String,
    help: &str,
) {
    let location = at.map_or_else(|| r.location.clone(), |t| loc(t, &r.location));
    out.push(finding(
        INFO.id,
        Subject::resource(r),
        location,
        format!("key {} {why}", r.address),
        at,
        help.to_string(),
    ));
}

fn str_attr<'t>(r: &'t ResourceInstance, name: &str) -> Option<&'t str> {
    r.attr(name).and_then(Tracked::as_str)
}

fn aws_kms_key(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance, hsm: bool) {
    let in_key_store = in_key_store(cx, out, r);
    if hsm && !in_key_store {
        report(
            out,
            r,
            None,
            "is not HSM-backed (no `custom_key_store_id`), but the policy requires HSM-backed keys"
                .into(),
            "set `custom_key_store_id` to a CloudHSM key store (origin AWS_CLOUDHSM)",
        );
    }
    // `aws_kms_key` names the spec `customer_master_key_spec` (there is no `key_spec` argument).
    let spec = str_attr(r, "customer_master_key_spec").unwrap_or("SYMMETRIC_DEFAULT");
    let usage = str_attr(r, "key_usage").unwrap_or("ENCRYPT_DECRYPT");
    let rotatable = !in_key_store && spec == "SYMMETRIC_DEFAULT" && usage == "ENCRYPT_DECRYPT";
    if !rotatable {
        return;
    }
    let rotation = r.attr("enable_key_rotation");
    match rotation.map(|t| (&t.value, t.as_bool())) {
        Some((Value::Unknown(_), _)) => {
            unknown_unproven(cx, out, r, "enable_key_rotation", rotation, false);
        }
        Some((_, Some(true))) => {
            let period = r.attr("rotation_period_in_days");
            if unknown_unproven(cx, out, r, "rotation_period_in_days", period, false) {
                return;
            }
            if let Some(p) = period
                && let Some(days) = p.as_number()
                && !(90.0..=2560.0).contains(&days)
            {
                report(
                    out,
                    r,
                    Some(p),
                    format!(
                        "has `rotation_period_in_days = {}`, outside the 90–2560 days KMS accepts",
                        p.render()
                    ),
                    "set `rotation_period_in_days` between 90 and 2560 (365 is the default)",
                );
            }
        }
        _ => report(
            out,
            r,
            rotation,
            "is a symmetric key without automatic rotation (`enable_key_rotation` is not true)"
                .into(),
            "set `enable_key_rotation = true` (and optionally `rotation_period_in_days`, 90–2560)",
        ),
    }
}

fn azure_key(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance, hsm: bool) {
    // Keys of a managed HSM are another type (`azurerm_key_vault_managed_hardware_security_module_key`);
    // a vault key is HSM-protected by its `key_type`.
    let key_type = str_attr(r, "key_type").unwrap_or("");
    if hsm && unknown_unproven(cx, out, r, "key_type", r.attr("key_type"), false) {
        // SOV010 says it.
    } else if hsm && !key_type.ends_with("-HSM") {
        report(
            out,
            r,
            r.attr("key_type"),
            format!(
                "has `key_type = \"{key_type}\"`, which is software-protected, but the policy requires HSM-backed keys"
            ),
            "use `key_type = \"RSA-HSM\"` or `\"EC-HSM\"` in a Premium key vault, or a managed HSM",
        );
    }
    let Ok(automatic) = decisive_path(
        cx,
        out,
        Subject::resource(r),
        &r.attributes,
        "rotation_policy.automatic",
        Unproven::Custody,
    ) else {
        return;
    };
    if automatic.is_some_and(|t| t.unknown_reason().is_some()) {
        unknown_unproven(cx, out, r, "rotation_policy.automatic", automatic, false);
    } else if automatic.is_none_or(|t| t.items().is_empty()) {
        report(
            out,
            r,
            r.attr("rotation_policy"),
            "has no automatic rotation (`rotation_policy { automatic { … } }`)".into(),
            "add `rotation_policy { automatic { time_before_expiry = \"P30D\" } expire_after = \"P1Y\" }`",
        );
    }
}

fn google_key(cx: &RuleContext<'_>, out: &mut Vec<Finding>, r: &ResourceInstance, hsm: bool) {
    let purpose = str_attr(r, "purpose").unwrap_or("ENCRYPT_DECRYPT");
    let period = r.attr("rotation_period");
    if purpose == "ENCRYPT_DECRYPT"
        && unknown_unproven(cx, out, r, "rotation_period", period, false)
    {
        // SOV010 says it.
    } else if purpose == "ENCRYPT_DECRYPT" && !is_set(period) {
        report(
            out,
            r,
            None,
            "is a symmetric key without `rotation_period`".into(),
            "set `rotation_period` (e.g. \"7776000s\" for 90 days)",
        );
    }
    if hsm {
        let Ok(level) = decisive_path(
            cx,
            out,
            Subject::resource(r),
            &r.attributes,
            "version_template.protection_level",
            Unproven::Custody,
        ) else {
            return;
        };
        let ok = level
            .and_then(Tracked::as_str)
            .is_some_and(|l| l == "HSM" || l == "EXTERNAL" || l == "EXTERNAL_VPC");
        if unknown_unproven(
            cx,
            out,
            r,
            "version_template.protection_level",
            level,
            false,
        ) {
            // SOV010 says it.
        } else if !ok && level.is_none_or(|l| l.unknown_reason().is_none()) {
            report(
                out,
                r,
                level,
                "is software-protected, but the policy requires HSM-backed keys".into(),
                "add `version_template { algorithm = \"GOOGLE_SYMMETRIC_ENCRYPTION\" protection_level = \"HSM\" }`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_support::{ModelBuilder, lint};

    #[test]
    fn rotation_and_hsm() {
        let model = ModelBuilder::new()
            .resource("aws_kms_key", "unrotated", json!({"description": "x"}))
            .resource(
                "aws_kms_key",
                "rotated",
                json!({"enable_key_rotation": true}),
            )
            .resource(
                "aws_kms_key",
                "signing",
                json!({"customer_master_key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY"}),
            )
            .resource(
                "aws_kms_key",
                "hsm",
                json!({"custom_key_store_id": "cks-1234"}),
            )
            .resource("sovereign_key", "soft", json!({"require_hsm": false}))
            .resource("google_kms_crypto_key", "g", json!({"name": "k"}))
            .build();
        let got = lint(&model, "", &["SOV007"]);
        assert_eq!(got.len(), 2, "{got:#?}");
        let got = lint(&model, "require_hsm_keys = true", &["SOV007"]);
        assert_eq!(got.len(), 7, "{got:#?}");
    }

    /// What decides custody but cannot be resolved is SOV010, not a pass (and not a second,
    /// guessed SOV007); a key store created in the configuration is known after apply and counts.
    #[test]
    fn unresolved_custody_fails_closed() {
        let model = ModelBuilder::new()
            .resource("aws_kms_custom_key_store", "hsm", json!({"custom_key_store_name": "hsm"}))
            .resource("aws_kms_key", "store_var", json!({"custom_key_store_id": "?var.store has no value"}))
            .resource("aws_kms_key", "store_here", json!({"custom_key_store_id": "?aws_kms_custom_key_store.hsm.id known after apply"}))
            .resource("aws_kms_key", "period", json!({"enable_key_rotation": true, "rotation_period_in_days": "?var.days has no value"}))
            .resource("azurerm_key_vault_key", "type", json!({"key_type": "?var.key_type has no value", "rotation_policy": [{"automatic": [{"time_before_expiry": "P30D"}]}]}))
            .resource("azurerm_key_vault_key", "policy", json!({"key_type": "RSA-HSM", "rotation_policy": "?var.policy has no value"}))
            .resource("google_kms_crypto_key", "level", json!({"rotation_period": "7776000s", "version_template": [{"protection_level": "?var.level has no value"}]}))
            .resource("google_kms_crypto_key", "period", json!({"rotation_period": "?var.period has no value", "version_template": [{"protection_level": "HSM"}]}))
            .build();
        let got = lint(&model, "require_hsm_keys = true", &["SOV007", "SOV010"]);
        let unresolved: Vec<&String> = got.iter().filter(|l| l.contains("SOV010")).collect();
        for what in [
            "`custom_key_store_id` of aws_kms_key.store_var",
            "`rotation_period_in_days` of aws_kms_key.period",
            "`key_type` of azurerm_key_vault_key.type",
            "`rotation_policy.automatic` of azurerm_key_vault_key.policy",
            "`version_template.protection_level` of google_kms_crypto_key.level",
            "`rotation_period` of google_kms_crypto_key.period",
        ] {
            assert!(
                unresolved.iter().any(|l| l.contains(what)),
                "{what}: {got:#?}"
            );
        }
        assert_eq!(unresolved.len(), 6, "{got:#?}");
        // The only SOV007: `period` is not HSM-backed (no key store), which is known.
        let custody: Vec<&String> = got.iter().filter(|l| l.contains("SOV007")).collect();
        assert_eq!(custody.len(), 1, "{got:#?}");
        assert!(
            custody[0].contains("aws_kms_key.period is not HSM-backed"),
            "{got:#?}"
        );
    }
}
