//! Which provider configuration a planned resource uses, the way Terraform decides it.
//!
//! `configuration.provider_config` is keyed by `LOCAL` at the root (`aws`, `aws.west`) and by
//! `MODULE_PATH:LOCAL` in modules (`module.a.module.b:aws`). Resources name their configuration
//! with `provider_config_key`, and its shape depends on the Terraform that wrote the plan:
//!
//! - Terraform 0.12–1.x write module resources' keys with the *call name* only (`b:aws` for a
//!   resource in `module.a.module.b`), which matches no `provider_config` key;
//! - Terraform 0.13–1.x record a module's `required_providers` entry that has no `provider` block
//!   (name, module address, maybe a version constraint, no expressions): the module's resources
//!   inherit their caller's configuration; newer versions rewrite the resources' keys to the
//!   caller's configuration themselves;
//! - Terraform 0.12 and some 1.x versions leave out `full_name`, and 0.12 writes short
//!   `provider_name`s (`aws`).
//!
//! [`ProviderKeys::resolve`] turns every form into the key of the configuration that applies: the
//! module's own block when it has one, else its caller's, up to the root, as Terraform's implicit
//! provider inheritance does. Provider names are normalised to their full source address so the
//! same configuration gets the same provider address whatever format the plan is in.
use std::collections::HashMap;

use indexmap::IndexMap;

use super::json::ConfigProvider;

/// Terraform's default registry namespace for provider names written without one (0.12 plans).
const DEFAULT_NAMESPACE: &str = "registry.terraform.io/hashicorp/";

/// The plan's provider configurations and the provider source addresses its resources name.
pub struct ProviderKeys<'a> {
    entries: &'a IndexMap<String, ConfigProvider>,
    /// `aws` → `registry.terraform.io/hashicorp/aws`, from the resources' `provider_name`s.
    full_names: HashMap<String, String>,
}

impl<'a> ProviderKeys<'a> {
    /// `provider_names`: every `provider_name` the plan's resources carry.
    pub fn new<'n>(
        entries: &'a IndexMap<String, ConfigProvider>,
        provider_names: impl Iterator<Item = &'n str>,
    ) -> Self {
        let mut full_names = HashMap::new();
        for name in provider_names {
            if let Some((_, provider_type)) = name.rsplit_once('/') {
                full_names
                    .entry(provider_type.to_string())
                    .or_insert_with(|| name.to_string());
            }
        }
        ProviderKeys {
            entries,
            full_names,
        }
    }

    /// Whether an entry is a provider configuration (a `provider` block, or the root module's
    /// default configuration) rather than a module's record of a requirement it inherits.
    pub fn is_configuration(&self, entry: &ConfigProvider) -> bool {
        entry.module_address.is_empty() || !entry.expressions.is_empty()
    }

    /// The provider type of an entry: `aws` (the `name` of a passed-in entry may carry its alias).
    pub fn provider_type(entry: &ConfigProvider) -> &str {
        entry.name.split('.').next().unwrap_or(&entry.name)
    }

    /// The full source address of an entry's provider.
    pub fn full_name(&self, entry: &ConfigProvider) -> String {
        if entry.full_name.is_empty() {
            self.full_name_of(Self::provider_type(entry))
        } else {
            entry.full_name.clone()
        }
    }

    /// A resource's `provider_name` (`aws` in 0.12 plans, `registry.terraform.io/hashicorp/aws`
    /// later) as a full source address.
    pub fn full_name_of(&self, provider_name: &str) -> String {
        if provider_name.contains('/') {
            return provider_name.to_string();
        }
        match self.full_names.get(provider_name) {
            Some(full) => full.clone(),
            None => format!("{DEFAULT_NAMESPACE}{provider_name}"),
        }
    }

    /// The `provider_config` key of the configuration a resource in module `module_path`
    /// (configuration path, no instance keys) with `provider_config_key` `key` uses; `None` when
    /// no configuration in the plan applies (the root module's implicit default configuration).
    pub fn resolve(&self, module_path: &str, key: &str) -> Option<&'a str> {
        if key.is_empty() {
            return None;
        }
        if let Some((found, entry)) = self.entries.get_key_value(key)
            && self.is_configuration(entry)
        {
            return Some(found.as_str());
        }
        // `module.a.module.b:aws`, `b:aws` and `aws` all name the local provider `aws`.
        let local = key.split_once(':').map_or(key, |(_, local)| local);
        let mut path = module_path;
        loop {
            let candidate = if path.is_empty() {
                local.to_string()
            } else {
                format!("{path}:{local}")
            };
            if let Some((found, entry)) = self.entries.get_key_value(candidate.as_str())
                && self.is_configuration(entry)
            {
                return Some(found.as_str());
            }
            if path.is_empty() {
                return None;
            }
            path = parent_module(path);
        }
    }
}

/// `module.a.module.b` → `module.a`; `module.a` → the root (``).
fn parent_module(path: &str) -> &str {
    match path.rfind(".module.") {
        Some(i) => &path[..i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(json: serde_json::Value) -> IndexMap<String, ConfigProvider> {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn short_full_and_root_keys_reach_the_configuration_that_applies() {
        let map = entries(serde_json::json!({
            "aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}},
            "aws.west": {"name": "aws", "alias": "west", "expressions": {"region": {"constant_value": "us-west-2"}}},
            // A requirement record: inherits.
            "module.a:aws": {"name": "aws", "module_address": "module.a", "version_constraint": ">= 5.0"},
            // The module's own block.
            "module.a.module.b:aws": {"name": "aws", "module_address": "module.a.module.b",
                                      "expressions": {"region": {"constant_value": "eu-north-1"}}}
        }));
        let keys = ProviderKeys::new(&map, std::iter::empty());
        assert_eq!(keys.resolve("", "aws"), Some("aws"));
        assert_eq!(keys.resolve("", "aws.west"), Some("aws.west"));
        // Short keys (call name only) and full keys of a module that records only a version.
        assert_eq!(keys.resolve("module.a", "a:aws"), Some("aws"));
        assert_eq!(keys.resolve("module.a", "module.a:aws"), Some("aws"));
        // A module with its own block keeps it, under either key form.
        assert_eq!(
            keys.resolve("module.a.module.b", "b:aws"),
            Some("module.a.module.b:aws")
        );
        // A module below it inherits the nearest block.
        assert_eq!(
            keys.resolve("module.a.module.b.module.c", "c:aws"),
            Some("module.a.module.b:aws")
        );
        // Aliases travel up under their own name.
        assert_eq!(keys.resolve("module.a", "a:aws.west"), Some("aws.west"));
        // Nothing configured anywhere: the root's implicit default configuration.
        assert_eq!(keys.resolve("module.a", "a:google"), None);
        assert_eq!(keys.resolve("", ""), None);
    }

    #[test]
    fn short_provider_names_become_full_source_addresses() {
        let map = entries(serde_json::json!({
            "aws": {"name": "aws"},
            "sovereign": {"name": "sovereign"}
        }));
        let keys = ProviderKeys::new(
            &map,
            ["registry.terraform.io/sovereign-ml/sovereign", "aws"].into_iter(),
        );
        assert_eq!(
            keys.full_name(&map["aws"]),
            "registry.terraform.io/hashicorp/aws"
        );
        assert_eq!(
            keys.full_name(&map["sovereign"]),
            "registry.terraform.io/sovereign-ml/sovereign"
        );
        assert_eq!(
            keys.full_name_of("aws"),
            "registry.terraform.io/hashicorp/aws"
        );
        assert_eq!(parent_module("module.a.module.b"), "module.a");
        assert_eq!(parent_module("module.a"), "");
    }
}
