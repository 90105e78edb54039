//! The `sovereign.toml` policy: parsing with spans, validation against the catalog, and [`Scope`],
//! the questions both programs ask of a policy.
use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::arn::parse_arn;
use crate::catalog::{Jurisdiction, catalog};
use crate::endpoint::{HostKind, classify_host, parse_endpoint};
use crate::region::{Cloud, guess_cloud, normalize_region};
use crate::registry::registry_host;

/// The rule ids a policy's `[rules]` table may name (SPEC §3).
pub const RULE_IDS: [&str; 11] = [
    "SOV001", "SOV002", "SOV003", "SOV004", "SOV005", "SOV006", "SOV007", "SOV008", "SOV009",
    "SOV010", "SOV011",
];

/// The default policy file name, looked up from the scanned directory upwards.
pub const POLICY_FILE_NAME: &str = "sovereign.toml";

/// A rule's severity as configured.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Off,
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// What to do with a value that decides residency but cannot be resolved statically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Unresolved {
    #[default]
    Error,
    Warn,
}

/// Tag requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPolicy {
    pub required: Vec<String>,
    pub allowed_values: BTreeMap<String, Vec<String>>,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub jurisdiction: String,
    pub allowed_regions: Option<Vec<String>>,
    pub allowed_endpoint_hosts: Vec<String>,
    pub allowed_registries: Option<Vec<String>>,
    pub allowed_module_hosts: Option<Vec<String>>,
    pub require_hsm_keys: bool,
    pub unresolved: Unresolved,
    pub exclude_paths: Vec<String>,
    pub tags: TagPolicy,
    pub rules: BTreeMap<String, Severity>,
}

impl Default for Policy {
    /// SPEC §2: jurisdiction `eu`, required tag `data-classification`, `unresolved = "error"`.
    fn default() -> Self {
        Policy {
            jurisdiction: "eu".to_string(),
            allowed_regions: None,
            allowed_endpoint_hosts: Vec::new(),
            allowed_registries: None,
            allowed_module_hosts: None,
            require_hsm_keys: false,
            unresolved: Unresolved::Error,
            exclude_paths: Vec::new(),
            tags: TagPolicy {
                required: vec!["data-classification".to_string()],
                allowed_values: BTreeMap::new(),
            },
            rules: BTreeMap::new(),
        }
    }
}

/// An invalid policy: what is wrong, where (byte span into the TOML), and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub message: String,
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
}

impl PolicyError {
    fn at(message: impl Into<String>, span: Range<usize>, help: impl Into<String>) -> Self {
        PolicyError {
            message: message.into(),
            span: Some(span),
            help: Some(help.into()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    jurisdiction: Option<Spanned<String>>,
    allowed_regions: Option<Vec<Spanned<String>>>,
    allowed_endpoint_hosts: Option<Vec<Spanned<String>>>,
    allowed_registries: Option<Vec<Spanned<String>>>,
    allowed_module_hosts: Option<Vec<Spanned<String>>>,
    require_hsm_keys: Option<bool>,
    unresolved: Option<Unresolved>,
    exclude_paths: Option<Vec<Spanned<String>>>,
    tags: Option<RawTags>,
    rules: Option<BTreeMap<Spanned<String>, Severity>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTags {
    required: Option<Vec<String>>,
    allowed_values: Option<BTreeMap<String, Vec<String>>>,
}

fn plain(list: Option<Vec<Spanned<String>>>) -> Option<Vec<String>> {
    list.map(|l| l.into_iter().map(Spanned::into_inner).collect())
}

impl Policy {
    /// Parses and validates a policy file's text. Unset keys take the defaults of [`Policy::default`].
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError {
            message: e.message().to_string(),
            span: e.span(),
            help: Some(
                "see SPEC §2: keys are jurisdiction, allowed_regions, allowed_endpoint_hosts, allowed_registries, \
                 allowed_module_hosts, require_hsm_keys, unresolved, exclude_paths, [tags], [rules]"
                    .to_string(),
            ),
        })?;
        let defaults = Policy::default();
        let ids = || catalog().jurisdiction_ids().collect::<Vec<_>>().join(", ");

        let jurisdiction = match &raw.jurisdiction {
            Some(j) => {
                if catalog().jurisdiction(j.get_ref()).is_none() {
                    return Err(PolicyError::at(
                        format!("unknown jurisdiction `{}`", j.get_ref()),
                        j.span(),
                        format!("use one of: {}", ids()),
                    ));
                }
                j.get_ref().clone()
            }
            None => defaults.jurisdiction.clone(),
        };
        let Some(j) = catalog().jurisdiction(&jurisdiction) else {
            return Err(PolicyError {
                message: format!("unknown jurisdiction `{jurisdiction}`"),
                span: None,
                help: Some(format!("use one of: {}", ids())),
            });
        };

        if let Some(regions) = &raw.allowed_regions {
            for r in regions {
                let name = r.get_ref();
                let inside = Cloud::ALL
                    .iter()
                    .any(|cloud| j.contains(*cloud, &normalize_region(*cloud, name)));
                if !inside {
                    return Err(PolicyError::at(
                        format!("allowed region `{name}` is not in jurisdiction `{jurisdiction}`"),
                        r.span(),
                        format!(
                            "allowed_regions narrows the jurisdiction; its AWS regions are: {}",
                            j.aws_regions.join(", ")
                        ),
                    ));
                }
            }
        }
        for list in [
            &raw.allowed_endpoint_hosts,
            &raw.allowed_registries,
            &raw.allowed_module_hosts,
        ]
        .into_iter()
        .flatten()
        {
            for host in list {
                let h = host.get_ref();
                if h.is_empty() || h.contains("://") || h.contains(char::is_whitespace) {
                    return Err(PolicyError::at(
                        format!("`{h}` is not a host name"),
                        host.span(),
                        "write an exact host (`registry.sov.example`) or a domain suffix starting with a dot \
                         (`.sov.example`), without a scheme",
                    ));
                }
            }
        }
        if let Some(globs) = &raw.exclude_paths {
            for g in globs {
                if let Err(e) = globset::Glob::new(g.get_ref()) {
                    return Err(PolicyError::at(
                        format!("invalid glob `{}`: {e}", g.get_ref()),
                        g.span(),
                        "use glob syntax such as `legacy/**`",
                    ));
                }
            }
        }
        let mut rules = BTreeMap::new();
        if let Some(table) = raw.rules {
            for (id, severity) in table {
                if !RULE_IDS.contains(&id.get_ref().as_str()) {
                    return Err(PolicyError::at(
                        format!("unknown rule `{}`", id.get_ref()),
                        id.span(),
                        format!("rules are {}", RULE_IDS.join(", ")),
                    ));
                }
                rules.insert(id.into_inner(), severity);
            }
        }
        let tags = match raw.tags {
            Some(t) => TagPolicy {
                required: t.required.unwrap_or(defaults.tags.required),
                allowed_values: t.allowed_values.unwrap_or_default(),
            },
            None => defaults.tags,
        };
        Ok(Policy {
            jurisdiction,
            allowed_regions: plain(raw.allowed_regions),
            allowed_endpoint_hosts: plain(raw.allowed_endpoint_hosts).unwrap_or_default(),
            allowed_registries: plain(raw.allowed_registries),
            allowed_module_hosts: plain(raw.allowed_module_hosts),
            require_hsm_keys: raw.require_hsm_keys.unwrap_or(false),
            unresolved: raw.unresolved.unwrap_or_default(),
            exclude_paths: plain(raw.exclude_paths).unwrap_or_default(),
            tags,
            rules,
        })
    }

    /// The same policy with another jurisdiction (`--jurisdiction`); `allowed_regions` outside it are dropped.
    pub fn with_jurisdiction(mut self, id: &str) -> Result<Policy, PolicyError> {
        let Some(j) = catalog().jurisdiction(id) else {
            return Err(PolicyError {
                message: format!("unknown jurisdiction `{id}`"),
                span: None,
                help: Some(format!(
                    "use one of: {}",
                    catalog().jurisdiction_ids().collect::<Vec<_>>().join(", ")
                )),
            });
        };
        self.jurisdiction = id.to_string();
        if let Some(regions) = &mut self.allowed_regions {
            regions.retain(|r| j.contains_any(r));
        }
        Ok(self)
    }

    /// The severity configured for a rule, or `default`.
    pub fn rule_severity(&self, rule: &str, default: Severity) -> Severity {
        self.rules.get(rule).copied().unwrap_or(default)
    }

    pub fn scope(&self) -> Scope<'_> {
        let jurisdiction = catalog()
            .jurisdiction(&self.jurisdiction)
            .or_else(|| catalog().jurisdiction("eu"))
            .unwrap_or_else(|| unreachable_catalog());
        Scope {
            policy: self,
            jurisdiction,
        }
    }
}

#[cold]
fn unreachable_catalog() -> &'static Jurisdiction {
    // Policies are validated against the catalog on construction; the embedded catalog has `eu`.
    panic!("embedded catalog lacks jurisdiction `eu`")
}

/// An answer to "is this inside?" with the reason in words a user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub inside: bool,
    pub reason: String,
}

impl Verdict {
    fn inside(reason: impl Into<String>) -> Self {
        Verdict {
            inside: true,
            reason: reason.into(),
        }
    }
    fn outside(reason: impl Into<String>) -> Self {
        Verdict {
            inside: false,
            reason: reason.into(),
        }
    }
}

/// A policy bound to its catalog jurisdiction.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub policy: &'a Policy,
    pub jurisdiction: &'static Jurisdiction,
}

fn host_matches(host: &str, pattern: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix('.') {
        Some(domain) => host == domain || host.ends_with(&pattern),
        None => host == pattern,
    }
}

impl Scope<'_> {
    fn describe(&self, cloud: Cloud, region: &str) -> String {
        match catalog().describe_region(cloud, region) {
            Some(d) => format!("`{region}` ({d})"),
            None => format!("`{region}`"),
        }
    }

    fn jurisdiction_words(&self) -> String {
        format!(
            "jurisdiction `{}` ({})",
            self.jurisdiction.id, self.jurisdiction.name
        )
    }

    /// Is a region (or zone-free region name) of `cloud` inside the jurisdiction and `allowed_regions`?
    /// With `cloud = None` the cloud is guessed from the name.
    /// Whether a region of `cloud` is inside (what [`Scope::check_region`] decides for a known
    /// cloud, without building its explanation).
    pub fn region_inside(&self, cloud: Cloud, region: &str) -> bool {
        // Names already in canonical form (nearly all) are compared without a copy.
        let trimmed = region.trim();
        let canonical = match cloud {
            Cloud::Aws => true,
            Cloud::Google => !trimmed.bytes().any(|b| b.is_ascii_uppercase()),
            Cloud::Azure => trimmed
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_uppercase()),
        };
        let name: std::borrow::Cow<'_, str> = if canonical {
            std::borrow::Cow::Borrowed(trimmed)
        } else {
            std::borrow::Cow::Owned(normalize_region(cloud, region))
        };
        self.jurisdiction.contains(cloud, &name)
            && self
                .policy
                .allowed_regions
                .as_ref()
                .is_none_or(|allowed| allowed.iter().any(|a| normalize_region(cloud, a) == name))
    }

    pub fn check_region(&self, cloud: Option<Cloud>, region: &str) -> Verdict {
        let Some(cloud) = cloud.or_else(|| guess_cloud(region)) else {
            let inside = Cloud::ALL.iter().any(|c| {
                self.jurisdiction
                    .contains(*c, &normalize_region(*c, region))
            });
            return if inside {
                Verdict::inside(format!("`{region}` is in {}", self.jurisdiction_words()))
            } else {
                Verdict::outside(format!(
                    "`{region}` is not a region of {}",
                    self.jurisdiction_words()
                ))
            };
        };
        let name = normalize_region(cloud, region);
        if !self.jurisdiction.contains(cloud, &name) {
            return Verdict::outside(format!(
                "{} region {} is outside {}",
                cloud,
                self.describe(cloud, &name),
                self.jurisdiction_words()
            ));
        }
        if let Some(allowed) = &self.policy.allowed_regions {
            let ok = allowed.iter().any(|a| normalize_region(cloud, a) == name);
            if !ok {
                return Verdict::outside(format!(
                    "{} region {} is in {} but not in the policy's allowed_regions ({})",
                    cloud,
                    self.describe(cloud, &name),
                    self.jurisdiction_words(),
                    allowed.join(", ")
                ));
            }
        }
        Verdict::inside(format!(
            "{} region {} is in {}",
            cloud,
            self.describe(cloud, &name),
            self.jurisdiction_words()
        ))
    }

    /// Is this host listed in `allowed_endpoint_hosts`?
    pub fn host_allowed_by_policy(&self, host: &str) -> bool {
        self.policy
            .allowed_endpoint_hosts
            .iter()
            .any(|p| host_matches(host, p))
    }

    /// Is an endpoint URL (or bare host) sovereign? SPEC §2: a regional host of a region inside, a
    /// host the policy allows, or a loopback host; global hosts are not; plain http only to
    /// loopback.
    pub fn check_endpoint(&self, url: &str) -> Verdict {
        let endpoint = match parse_endpoint(url) {
            Ok(e) => e,
            Err(e) => return Verdict::outside(format!("not a valid endpoint: {e}")),
        };
        let host = endpoint.host.as_str();
        let kind = classify_host(host);
        if endpoint.scheme.as_deref() == Some("http") && kind != HostKind::Loopback {
            return Verdict::outside(format!(
                "plain http to `{host}`: traffic leaves unencrypted (http is allowed only for loopback hosts)"
            ));
        }
        if self.host_allowed_by_policy(host) {
            return Verdict::inside(format!("`{host}` is listed in allowed_endpoint_hosts"));
        }
        match kind {
            // SPEC §2 (c): a sidecar or local emulator; the traffic never leaves the machine.
            HostKind::Loopback => Verdict::inside(format!(
                "`{host}` is a loopback host: traffic to it never leaves the machine"
            )),
            HostKind::AwsRegional { region, .. } => self.region_host(host, Cloud::Aws, &region),
            HostKind::AzureRegional { region, .. } => self.region_host(host, Cloud::Azure, &region),
            HostKind::GoogleRegional { region } => self.region_host(host, Cloud::Google, &region),
            HostKind::AzureCloud { cloud }
                if cloud != "public" && self.jurisdiction.azure_clouds.contains(&cloud) =>
            {
                Verdict::inside(format!(
                    "`{host}` belongs to the Azure {cloud} cloud of {}",
                    self.jurisdiction_words()
                ))
            }
            HostKind::AwsGlobal { .. } | HostKind::AzureCloud { .. } | HostKind::GoogleGlobal => {
                Verdict::outside(format!(
                    "`{host}` is a global endpoint: it names no region, so requests may be served outside {}",
                    self.jurisdiction_words()
                ))
            }
            HostKind::Other => Verdict::outside(format!(
                "`{host}` is neither a regional cloud endpoint in {} nor listed in allowed_endpoint_hosts",
                self.jurisdiction_words()
            )),
        }
    }

    fn region_host(&self, host: &str, cloud: Cloud, region: &str) -> Verdict {
        let v = self.check_region(Some(cloud), region);
        Verdict {
            inside: v.inside,
            reason: format!("`{host}` is a regional endpoint: {}", v.reason),
        }
    }

    /// Is a container image pulled from a sovereign registry? With `allowed_registries` set, only those
    /// hosts; otherwise a regional registry host in the jurisdiction.
    pub fn check_image(&self, image: &str) -> Verdict {
        let host = registry_host(image);
        if let Some(allowed) = &self.policy.allowed_registries {
            return if allowed.iter().any(|p| host_matches(&host, p)) {
                Verdict::inside(format!("registry `{host}` is listed in allowed_registries"))
            } else {
                Verdict::outside(format!(
                    "registry `{host}` is not listed in allowed_registries ({})",
                    allowed.join(", ")
                ))
            };
        }
        match classify_host(&host) {
            HostKind::AwsRegional { region, .. } => {
                self.region_registry(&host, Cloud::Aws, &region)
            }
            HostKind::AzureRegional { region, .. } => {
                self.region_registry(&host, Cloud::Azure, &region)
            }
            HostKind::GoogleRegional { region } => {
                self.region_registry(&host, Cloud::Google, &region)
            }
            _ => Verdict::outside(format!(
                "registry `{host}` is not a regional registry in {} (set allowed_registries to list private registries)",
                self.jurisdiction_words()
            )),
        }
    }

    fn region_registry(&self, host: &str, cloud: Cloud, region: &str) -> Verdict {
        let v = self.check_region(Some(cloud), region);
        Verdict {
            inside: v.inside,
            reason: format!("registry `{host}` is regional: {}", v.reason),
        }
    }

    /// Is a module source allowed? `None` when module sources are not checked (no `allowed_module_hosts`)
    /// or the source is local.
    pub fn check_module_source(&self, source: &str) -> Option<Verdict> {
        let allowed = self.policy.allowed_module_hosts.as_ref()?;
        let host = module_source_host(source)?;
        Some(if allowed.iter().any(|p| host_matches(&host, p)) {
            Verdict::inside(format!(
                "module host `{host}` is listed in allowed_module_hosts"
            ))
        } else {
            Verdict::outside(format!(
                "module host `{host}` is not listed in allowed_module_hosts ({})",
                allowed.join(", ")
            ))
        })
    }

    /// [`Scope::check_arn`]'s verdict when it is "outside"; `None` otherwise. An ARN inside (the
    /// common case, checked for every ARN-valued attribute) costs no explanation text.
    pub fn arn_outside(&self, text: &str) -> Option<Verdict> {
        let arn = parse_arn(text)?;
        if !arn.region.is_empty()
            && self.region_inside(Cloud::Aws, arn.region)
            && catalog()
                .aws_partition_of(arn.region)
                .is_none_or(|p| p.id == arn.partition)
        {
            return None;
        }
        self.check_arn(text).filter(|v| !v.inside)
    }

    /// Is the region of an ARN inside? `None` when the ARN names no region (global resources) or
    /// the text is not an ARN.
    pub fn check_arn(&self, text: &str) -> Option<Verdict> {
        let arn = parse_arn(text)?;
        if arn.region.is_empty() {
            let partitions = self.jurisdiction.aws_partitions();
            if !partitions.is_empty() && !partitions.contains(&arn.partition) {
                return Some(Verdict::outside(format!(
                    "ARN partition `{}` is not a partition of {} ({})",
                    arn.partition,
                    self.jurisdiction_words(),
                    partitions.join(", ")
                )));
            }
            return None;
        }
        let v = self.check_region(Some(Cloud::Aws), arn.region);
        if v.inside
            && let Some(p) = catalog().aws_partition_of(arn.region)
            && p.id != arn.partition
        {
            return Some(Verdict::outside(format!(
                "ARN partition `{}` does not match region `{}` (partition `{}`)",
                arn.partition, arn.region, p.id
            )));
        }
        Some(v)
    }
}

/// The host a Terraform module source downloads from; `None` for local paths.
/// `hashicorp/consul/aws` → `registry.terraform.io`; `git::https://git.sov.example/x.git` →
/// `git.sov.example`; `git@github.com:org/x.git` → `github.com`; `s3::https://s3-eu-west-1.amazonaws.com/b/x.zip`.
pub fn module_source_host(source: &str) -> Option<String> {
    let s = source.trim();
    if s.starts_with("./") || s.starts_with("../") || s == "." || s == ".." || s.starts_with('/') {
        return None;
    }
    let s = match s.split_once("::") {
        Some((forced, rest)) if !forced.contains('/') => rest,
        _ => s,
    };
    if let Some(rest) = s.strip_prefix("git@") {
        return rest.split(':').next().map(str::to_ascii_lowercase);
    }
    if s.contains("://") {
        return parse_endpoint(s).ok().map(|e| e.host);
    }
    let first = s.split('/').next().unwrap_or(s);
    if first.contains('.') {
        return Some(first.to_ascii_lowercase());
    }
    // <NAMESPACE>/<NAME>/<PROVIDER> on the public registry.
    Some("registry.terraform.io".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(toml: &str) -> Policy {
        Policy::from_toml(toml).unwrap()
    }

    #[test]
    fn region_inside_agrees_with_check_region() {
        let policies = [
            scope_of(""),
            scope_of("jurisdiction = \"de\""),
            scope_of("allowed_regions = [\"eu-central-1\", \"West Europe\"]"),
        ];
        let names = [
            (Cloud::Aws, "eu-central-1"),
            (Cloud::Aws, " eu-west-1 "),
            (Cloud::Aws, "us-east-1"),
            (Cloud::Aws, "eu-central-1a"),
            (Cloud::Azure, "West Europe"),
            (Cloud::Azure, "westeurope"),
            (Cloud::Azure, "eastus"),
            (Cloud::Google, "europe-west3"),
            (Cloud::Google, "EUROPE-WEST3"),
            (Cloud::Google, "us-central1"),
        ];
        for policy in &policies {
            let scope = policy.scope();
            for (cloud, name) in names {
                assert_eq!(
                    scope.region_inside(cloud, name),
                    scope.check_region(Some(cloud), name).inside,
                    "{cloud} {name:?} under {:?}",
                    policy.allowed_regions
                );
            }
        }
    }

    #[test]
    fn arn_outside_agrees_with_check_arn() {
        let policies = [
            scope_of(""),
            scope_of("jurisdiction = \"de\""),
            scope_of("jurisdiction = \"us-gov\""),
            scope_of("allowed_regions = [\"eu-central-1\"]"),
        ];
        let arns = [
            "arn:aws:kms:eu-central-1:123456789012:key/abc",
            "arn:aws:kms:eu-west-1:123456789012:key/abc",
            "arn:aws:kms:us-east-1:123456789012:key/abc",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/abc",
            "arn:aws:kms:us-gov-west-1:123456789012:key/abc",
            "arn:aws-eusc:kms:eusc-de-east-1:123456789012:key/abc",
            "arn:aws:s3:::bucket",
            "arn:aws-cn:s3:::bucket",
            "not an arn",
        ];
        for policy in &policies {
            let scope = policy.scope();
            for arn in arns {
                assert_eq!(
                    scope.arn_outside(arn),
                    scope.check_arn(arn).filter(|v| !v.inside),
                    "{arn} under {:?} {:?}",
                    policy.jurisdiction,
                    policy.allowed_regions
                );
            }
        }
    }

    #[test]
    fn defaults_match_spec() {
        let p = scope_of("");
        assert_eq!(p.jurisdiction, "eu");
        assert_eq!(p.tags.required, vec!["data-classification"]);
        assert_eq!(p.unresolved, Unresolved::Error);
        assert_eq!(p, Policy::default());
    }

    #[test]
    fn full_spec_example_parses() {
        let p = scope_of(
            r#"
jurisdiction = "eu"
allowed_regions = ["eu-central-1", "eu-west-1"]
allowed_endpoint_hosts = [".sov.example", "registry.internal.example"]
allowed_registries = ["123456789012.dkr.ecr.eu-central-1.amazonaws.com", "registry.sov.example"]
allowed_module_hosts = ["git.sov.example"]
require_hsm_keys = false
unresolved = "error"
exclude_paths = ["legacy/**"]

[tags]
required = ["data-classification", "jurisdiction"]
[tags.allowed_values]
data-classification = ["public", "internal", "restricted"]

[rules]
SOV005 = "warn"
"#,
        );
        assert_eq!(p.rules.get("SOV005"), Some(&Severity::Warn));
        assert_eq!(p.tags.required.len(), 2);
        let s = p.scope();
        assert!(s.check_region(None, "eu-central-1").inside);
        let v = s.check_region(None, "eu-west-3");
        assert!(!v.inside);
        assert!(v.reason.contains("allowed_regions"), "{}", v.reason);
        assert!(s.check_endpoint("https://api.sov.example").inside);
        assert!(
            s.check_endpoint("https://registry.internal.example/v2")
                .inside
        );
        assert!(!s.check_endpoint("https://evil.example").inside);
        assert!(s.check_image("registry.sov.example/ml/train:1").inside);
        assert!(!s.check_image("ghcr.io/org/train:1").inside);
        assert!(
            s.check_module_source("git::https://git.sov.example/mods/x.git")
                .unwrap()
                .inside
        );
        assert!(
            !s.check_module_source("terraform-aws-modules/vpc/aws")
                .unwrap()
                .inside
        );
        assert!(s.check_module_source("./modules/x").is_none());
    }

    #[test]
    fn invalid_policies_point_at_the_value() {
        let text = "jurisdiction = \"mars\"\n";
        let e = Policy::from_toml(text).unwrap_err();
        assert_eq!(&text[e.span.clone().unwrap()], "\"mars\"");
        assert!(e.help.unwrap().contains("eu-esc"));

        let text = "allowed_regions = [\"eu-central-1\", \"eu-west-2\"]\n";
        let e = Policy::from_toml(text).unwrap_err();
        assert_eq!(&text[e.span.clone().unwrap()], "\"eu-west-2\"");

        let text = "[rules]\nSOV999 = \"off\"\n";
        let e = Policy::from_toml(text).unwrap_err();
        assert_eq!(&text[e.span.clone().unwrap()], "SOV999");

        let text = "jurisdicton = \"eu\"\n";
        let e = Policy::from_toml(text).unwrap_err();
        assert!(e.message.contains("jurisdicton"), "{}", e.message);
        assert!(e.span.is_some());

        let text = "[rules]\nSOV001 = \"loud\"\n";
        let e = Policy::from_toml(text).unwrap_err();
        assert!(e.span.is_some());
    }

    #[test]
    fn endpoints_under_eu() {
        let p = Policy::default();
        let s = p.scope();
        assert!(
            s.check_endpoint("https://kms.eu-central-1.amazonaws.com")
                .inside
        );
        assert!(
            s.check_endpoint("https://s3.eusc-de-east-1.amazonaws.eu")
                .inside
        );
        assert!(
            !s.check_endpoint("https://kms.us-east-1.amazonaws.com")
                .inside
        );
        assert!(!s.check_endpoint("https://s3.amazonaws.com").inside);
        assert!(!s.check_endpoint("https://sts.amazonaws.com").inside);
        assert!(!s.check_endpoint("https://management.azure.com").inside);
        assert!(!s.check_endpoint("https://storage.googleapis.com").inside);
        let v = s.check_endpoint("http://kms.eu-central-1.amazonaws.com");
        assert!(!v.inside && v.reason.contains("plain http"), "{}", v.reason);
        let p = Policy {
            allowed_endpoint_hosts: vec!["127.0.0.1".into()],
            ..Policy::default()
        };
        assert!(p.scope().check_endpoint("http://127.0.0.1:4566").inside);
    }

    /// SPEC §2 (c): loopback hosts are sovereign without being listed, over http too; hosts that
    /// only look local are not.
    #[test]
    fn loopback_hosts_are_sovereign() {
        let policy = Policy::default();
        let s = policy.scope();
        for url in [
            "http://localhost:4317",
            "https://LOCALHOST.",
            "http://127.0.0.1:4566",
            "http://127.12.0.9",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]:8080",
            "localhost",
        ] {
            let v = s.check_endpoint(url);
            assert!(v.inside, "{url}: {}", v.reason);
            assert!(v.reason.contains("loopback"), "{url}: {}", v.reason);
        }
        for url in [
            "http://localhost.evil.example",
            "http://api.localhost",
            "http://128.0.0.1",
            "http://0.0.0.0:8080",
            "http://[::2]",
            "http://10.0.0.5:4317",
        ] {
            assert!(!s.check_endpoint(url).inside, "{url}");
        }
        // Plain http to anything else is still refused.
        let v = s.check_endpoint("http://collector.sov.example:4317");
        assert!(!v.inside && v.reason.contains("plain http"), "{}", v.reason);
    }

    #[test]
    fn us_gov_and_eu_esc() {
        let gov = Policy::default().with_jurisdiction("us-gov").unwrap();
        let s = gov.scope();
        assert!(s.check_region(Some(Cloud::Aws), "us-gov-west-1").inside);
        assert!(!s.check_region(Some(Cloud::Aws), "us-east-1").inside);
        assert!(
            s.check_endpoint("https://management.usgovcloudapi.net")
                .inside
        );
        assert!(
            s.check_endpoint("https://kms-fips.us-gov-east-1.amazonaws.com")
                .inside
        );
        let esc = Policy::default().with_jurisdiction("eu-esc").unwrap();
        let s = esc.scope();
        assert!(!s.check_region(None, "eu-central-1").inside);
        assert!(s.check_region(None, "eusc-de-east-1").inside);
        assert!(
            !s.check_endpoint("https://sts.eusc-de-east-1.amazonaws.com")
                .inside
        );
        assert!(
            s.check_endpoint("https://sts.eusc-de-east-1.amazonaws.eu")
                .inside
        );
    }

    #[test]
    fn arns_and_images() {
        let p = Policy::default();
        let s = p.scope();
        assert!(
            s.check_arn("arn:aws:kms:eu-central-1:111122223333:key/x")
                .unwrap()
                .inside
        );
        assert!(
            !s.check_arn("arn:aws:kms:us-east-1:111122223333:key/x")
                .unwrap()
                .inside
        );
        assert!(
            !s.check_arn("arn:aws-us-gov:kms:eu-central-1:111122223333:key/x")
                .unwrap()
                .inside
        );
        assert!(s.check_arn("arn:aws:s3:::bucket").is_none());
        assert!(
            s.check_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1")
                .inside
        );
        assert!(
            !s.check_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1")
                .inside
        );
        assert!(!s.check_image("nginx:latest").inside);
        assert!(s.check_image("europe-west3-docker.pkg.dev/p/r/i:1").inside);
        assert!(!s.check_region(Some(Cloud::Google), "europe-west2").inside);
        assert!(s.check_region(Some(Cloud::Azure), "West Europe").inside);
    }
}
