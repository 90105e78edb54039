//! The provider itself: configuration → [`SovereignData`] (policy, region, AWS clients), and the
//! list of resources and data sources.

use std::collections::BTreeMap;
use std::sync::Arc;

use sovereign_schemas::Policy;
use tokio::sync::OnceCell;

use crate::aws::{AwsClients, aws_error_diagnostic, build_clients, ignored_endpoint_env_vars};
use crate::config::{
    ProviderConfig, configure_settings, provider_schema, validate_provider_config,
};
use crate::data_sources::jurisdiction::JurisdictionDataSource;
use crate::framework::{
    DataSource, Diagnostic, Diagnostics, Provider, ProviderData, Resource, Schema, Value,
    async_trait,
};

/// The configured provider every resource operation receives.
pub struct SovereignData {
    pub config: ProviderConfig,
    pub clients: AwsClients,
    account_id: OnceCell<String>,
}

impl std::fmt::Debug for SovereignData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SovereignData")
            .field("region", &self.config.region)
            .field("jurisdiction", &self.config.policy.jurisdiction)
            .finish_non_exhaustive()
    }
}

impl SovereignData {
    pub fn new(config: ProviderConfig, clients: AwsClients) -> SovereignData {
        SovereignData {
            config,
            clients,
            account_id: OnceCell::new(),
        }
    }

    /// Builds the data from a validated configuration (no AWS request is made).
    pub async fn from_config(config: ProviderConfig) -> SovereignData {
        let clients = build_clients(&config.client).await;
        SovereignData::new(config, clients)
    }

    pub fn region(&self) -> &str {
        &self.config.region
    }
    pub fn partition(&self) -> &str {
        &self.config.partition
    }
    pub fn dns_suffix(&self) -> &str {
        &self.config.dns_suffix
    }
    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }

    /// The account id of the credentials in use (STS GetCallerIdentity, asked once).
    pub async fn account_id(&self) -> Result<String, Diagnostic> {
        self.account_id
            .get_or_try_init(|| async {
                let out = self
                    .clients
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| aws_error_diagnostic("GetCallerIdentity", "the configured credentials", &e))?;
                out.account().map(str::to_owned).ok_or_else(|| {
                    Diagnostic::error(
                        "AWS GetCallerIdentity returned no account",
                        "STS answered without an account id; the provider needs it to write key policies.",
                    )
                })
            })
            .await
            .cloned()
    }

    /// An account id set up front (tests, or callers that already know it).
    pub fn with_account_id(self, account: impl Into<String>) -> SovereignData {
        let cell = OnceCell::new();
        let _ = cell.set(account.into());
        SovereignData {
            account_id: cell,
            ..self
        }
    }
}

impl ProviderData for SovereignData {
    fn default_tags(&self) -> BTreeMap<String, String> {
        self.config.default_tags.clone()
    }
}

/// `provider "sovereign" {}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SovereignProvider;

#[async_trait]
impl Provider for SovereignProvider {
    type Data = SovereignData;

    fn type_name(&self) -> &'static str {
        "sovereign"
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    async fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        validate_provider_config(config, diags);
    }

    async fn configure(
        &self,
        _terraform_version: &str,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<SovereignData> {
        let settings = configure_settings(config, diags)?;
        let ignored = ignored_endpoint_env_vars();
        if !ignored.is_empty() {
            diags.warning(
                "AWS endpoint environment variables ignored",
                format!(
                    "{} {} set; the sovereign provider only uses endpoints from its endpoints {{}} block, where every \
                     host is checked against the jurisdiction.",
                    ignored.join(", "),
                    if ignored.len() == 1 { "is" } else { "are" }
                ),
            );
        }
        Some(SovereignData::from_config(settings).await)
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<SovereignData>>> {
        crate::resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<SovereignData>>> {
        vec![Arc::new(JurisdictionDataSource)]
    }
}
