//! AWS clients for the configured provider: one SDK configuration (region, credentials, retries,
//! HTTP client) and per-service clients whose endpoints come only from the provider's `endpoints {}`
//! block, so every host the provider talks to has passed the jurisdiction check.

pub mod ec2;
pub mod error;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_smithy_types::retry::RetryConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;

pub use error::{AwsResultExt, aws_error_diagnostic, error_code};

/// Environment variable that overrides the number of attempts per AWS request (tests set it to 1).
pub const MAX_ATTEMPTS_ENV: &str = "SOVEREIGN_AWS_MAX_ATTEMPTS";
/// Attempts per request by default (standard retry mode: exponential backoff with jitter on
/// throttling and transient errors).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Endpoint overrides from the provider's `endpoints {}` block (already checked to be sovereign).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub ec2: Option<String>,
    pub kms: Option<String>,
    pub s3: Option<String>,
    pub sts: Option<String>,
}

/// Everything needed to build the AWS clients.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    pub region: String,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub profile: Option<String>,
    pub endpoints: Endpoints,
    pub s3_use_path_style: bool,
    pub max_attempts: u32,
}

/// The AWS clients resources use.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// The shared SDK configuration (region, credentials, retries, HTTP client). Build another
    /// service's client from it and ALWAYS set its endpoint explicitly, so that AWS_ENDPOINT_URL*
    /// variables and profile settings are discarded (as [`build_clients`] does for each client below).
    pub sdk_config: SdkConfig,
    pub kms: aws_sdk_kms::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    pub ec2: aws_sdk_ec2::Client,
}

/// Attempts per request: `SOVEREIGN_AWS_MAX_ATTEMPTS` when set to a positive number, else 5.
pub fn max_attempts_from_env() -> u32 {
    std::env::var(MAX_ATTEMPTS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_ATTEMPTS)
}

/// The HTTP client: hyper with rustls on the *ring* provider (no OpenSSL, no legacy TLS stack).
fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Loads the SDK configuration and builds the clients. Makes no AWS request: credentials are
/// resolved lazily on the first call.
pub async fn build_clients(settings: &ClientSettings) -> AwsClients {
    let retry = RetryConfig::standard()
        .with_max_attempts(settings.max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(20));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(retry)
        .http_client(http_client());
    if let (Some(access), Some(secret)) = (&settings.access_key, &settings.secret_key) {
        loader = loader.credentials_provider(Credentials::new(
            access.clone(),
            secret.clone(),
            None,
            None,
            "sovereign-provider-config",
        ));
    } else if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile.clone());
    }
    let sdk_config = loader.load().await;

    // `Builder::from(&SdkConfig)` picks up AWS_ENDPOINT_URL* variables and profile `endpoint_url`s;
    // setting the endpoint explicitly (None = the SDK's regional endpoint) discards them, so only
    // hosts from the checked `endpoints {}` block are ever used.
    let mut kms = aws_sdk_kms::config::Builder::from(&sdk_config);
    kms.set_endpoint_url(settings.endpoints.kms.clone());
    let mut s3 =
        aws_sdk_s3::config::Builder::from(&sdk_config).force_path_style(settings.s3_use_path_style);
    s3.set_endpoint_url(settings.endpoints.s3.clone());
    let mut sts = aws_sdk_sts::config::Builder::from(&sdk_config);
    sts.set_endpoint_url(settings.endpoints.sts.clone());
    let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk_config);
    ec2.set_endpoint_url(settings.endpoints.ec2.clone());
    AwsClients {
        ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
        kms: aws_sdk_kms::Client::from_conf(kms.build()),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
        sdk_config,
    }
}

/// Environment variables through which the SDK would otherwise take endpoint overrides; the
/// provider ignores them (see [`build_clients`]) and warns when they are set.
pub fn ignored_endpoint_env_vars() -> Vec<String> {
    std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k == "AWS_ENDPOINT_URL" || k.starts_with("AWS_ENDPOINT_URL_"))
        .collect()
}
