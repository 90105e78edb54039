//! Endpoint URLs and host classification: which cloud and region a host serves.
use crate::catalog::catalog;
use crate::region::{Cloud, normalize_region};

/// The parts of an endpoint that decide residency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    /// `http`, `https`, … ; `None` for a bare host.
    pub scheme: Option<String>,
    /// Lower-case host without port or brackets.
    pub host: String,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("`{0}` has no host")]
    NoHost(String),
    #[error("`{0}` has an invalid port")]
    BadPort(String),
    #[error("`{0}` contains characters that cannot appear in a host name")]
    BadHost(String),
}

/// Parses `https://kms.eu-central-1.amazonaws.com:443/path`, `127.0.0.1:4566` or a bare host.
pub fn parse_endpoint(text: &str) -> Result<EndpointUrl, EndpointError> {
    let text = text.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, text),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or_else(|| EndpointError::BadHost(text.to_string()))?;
        let port = after.strip_prefix(':');
        (host.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_string(), Some(p)),
            _ => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(EndpointError::NoHost(text.to_string()));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || "\"'<>\\{}|^`".contains(c))
    {
        return Err(EndpointError::BadHost(text.to_string()));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| EndpointError::BadPort(text.to_string()))?,
        ),
    };
    Ok(EndpointUrl {
        scheme,
        host: host.trim_end_matches('.').to_ascii_lowercase(),
        port,
    })
}

/// What a host is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// `localhost`, `127.0.0.0/8`, `::1`.
    Loopback,
    /// A regional AWS host: `kms.eu-central-1.amazonaws.com`, `s3.eusc-de-east-1.amazonaws.eu`,
    /// FIPS and dual-stack forms, `ACCOUNT.dkr.ecr.REGION.amazonaws.com`, `s3-eu-west-1.amazonaws.com`.
    AwsRegional { region: String, partition: String },
    /// An AWS host that names no region (`s3.amazonaws.com`, `sts.amazonaws.com`, `iam.amazonaws.com`).
    AwsGlobal { partition: String },
    /// An Azure host naming a region (`westeurope.api.cognitive.microsoft.com`, `x.westeurope.data.azurecr.io`).
    AzureRegional { region: String, cloud: String },
    /// An Azure host of a cloud (`public`, `usgov`, `china`) that names no region (`management.azure.com`).
    AzureCloud { cloud: String },
    /// A Google regional host (`SERVICE.REGION.rep.googleapis.com`, `REGION-SERVICE.googleapis.com`,
    /// `REGION-docker.pkg.dev`, `eu.gcr.io`).
    GoogleRegional { region: String },
    /// A Google host that names no location (`storage.googleapis.com`, `gcr.io`).
    GoogleGlobal,
    /// Anything else: a private or third-party host.
    Other,
}

const AZURE_SUFFIXES: &[(&str, &str)] = &[
    ("usgovcloudapi.net", "usgov"),
    ("azurecr.us", "usgov"),
    ("usgovtrafficmanager.net", "usgov"),
    ("chinacloudapi.cn", "china"),
    ("azure.cn", "china"),
    ("azurecr.cn", "china"),
    ("azure.com", "public"),
    ("azure.net", "public"),
    ("windows.net", "public"),
    ("azurecr.io", "public"),
    ("azurewebsites.net", "public"),
    ("azure-api.net", "public"),
    ("azurecontainer.io", "public"),
    ("azmk8s.io", "public"),
    ("microsoft.com", "public"),
    ("azuredatabricks.net", "public"),
];

const GOOGLE_SUFFIXES: &[&str] = &[
    "googleapis.com",
    "pkg.dev",
    "gcr.io",
    "cloudfunctions.net",
    "run.app",
];

fn has_suffix<'h>(host: &'h str, suffix: &str) -> Option<&'h str> {
    if host == suffix {
        return Some("");
    }
    host.strip_suffix(suffix)?.strip_suffix('.')
}

/// SPEC §2's loopback hosts: `localhost`, 127.0.0.0/8 and `::1` (also written `[::1]`, or as the
/// IPv4-mapped `::ffff:127.x.y.z`): traffic to them never leaves the machine.
fn is_loopback(host: &str) -> bool {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host == "localhost" {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// Classifies a host name (lower-case, no port).
pub fn classify_host(host: &str) -> HostKind {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if is_loopback(&host) {
        return HostKind::Loopback;
    }
    if let Some(kind) = classify_aws(&host) {
        return kind;
    }
    if let Some(kind) = classify_azure(&host) {
        return kind;
    }
    if let Some(kind) = classify_google(&host) {
        return kind;
    }
    HostKind::Other
}

fn classify_aws(host: &str) -> Option<HostKind> {
    let c = catalog();
    // Longest suffix first: `amazonaws.com.cn` before `amazonaws.com`, `api.aws.ic.gov` before `api.aws`.
    let mut suffixes: Vec<(&str, &str)> = c
        .aws_partitions
        .iter()
        .flat_map(|p| {
            [
                (p.dns_suffix.as_str(), p.id.as_str()),
                (p.dualstack_suffix.as_str(), p.id.as_str()),
            ]
        })
        .collect();
    suffixes.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    let (prefix, suffix_partition, suffix) = suffixes.iter().find_map(|(suffix, partition)| {
        has_suffix(host, suffix).map(|prefix| (prefix, *partition, *suffix))
    })?;
    for label in prefix.split('.').rev() {
        // Legacy S3 forms: s3-eu-west-1, s3-fips-us-gov-west-1, s3-website-eu-west-1.
        let candidates = [
            label,
            label.trim_start_matches("s3-website-"),
            label.trim_start_matches("s3-fips-"),
            label.trim_start_matches("s3-"),
        ];
        for candidate in candidates {
            if let Some(partition) = c.aws_partition_of(candidate) {
                let suffix_ok =
                    partition.dns_suffix == suffix || partition.dualstack_suffix == suffix;
                if !suffix_ok {
                    // e.g. eusc-de-east-1.amazonaws.com: no such host; the region is not served there.
                    return Some(HostKind::Other);
                }
                return Some(HostKind::AwsRegional {
                    region: candidate.to_string(),
                    partition: partition.id.clone(),
                });
            }
        }
    }
    Some(HostKind::AwsGlobal {
        partition: suffix_partition.to_string(),
    })
}

fn classify_azure(host: &str) -> Option<HostKind> {
    let (prefix, cloud) = AZURE_SUFFIXES
        .iter()
        .find_map(|(suffix, cloud)| has_suffix(host, suffix).map(|prefix| (prefix, *cloud)))?;
    let c = catalog();
    for label in prefix.split('.') {
        let region = normalize_region(Cloud::Azure, label);
        if c.azure_regions.contains_key(&region) {
            return Some(HostKind::AzureRegional {
                region,
                cloud: cloud.to_string(),
            });
        }
    }
    Some(HostKind::AzureCloud {
        cloud: cloud.to_string(),
    })
}

fn classify_google(host: &str) -> Option<HostKind> {
    let (prefix, suffix) = GOOGLE_SUFFIXES
        .iter()
        .find_map(|suffix| has_suffix(host, suffix).map(|prefix| (prefix, *suffix)))?;
    let c = catalog();
    let labels: Vec<&str> = prefix.split('.').filter(|l| !l.is_empty()).collect();
    // SERVICE.REGION.rep.googleapis.com
    if suffix == "googleapis.com" && labels.len() >= 3 && labels[labels.len() - 1] == "rep" {
        let region = labels[labels.len() - 2];
        if c.google_regions.contains_key(region) {
            return Some(HostKind::GoogleRegional {
                region: region.to_string(),
            });
        }
    }
    // eu.gcr.io (legacy Container Registry multi-region)
    if suffix == "gcr.io" && labels.len() == 1 && c.google_regions.contains_key(labels[0]) {
        return Some(HostKind::GoogleRegional {
            region: labels[0].to_string(),
        });
    }
    // REGION-SERVICE.googleapis.com, REGION-docker.pkg.dev, SERVICE-REGION… is not a Google form.
    if let Some(first) = labels.last() {
        let mut best: Option<&str> = None;
        for region in c.google_regions.keys() {
            if first.starts_with(region.as_str())
                && first.as_bytes().get(region.len()) == Some(&b'-')
                && best.is_none_or(|b| region.len() > b.len())
            {
                best = Some(region);
            }
        }
        if let Some(region) = best {
            return Some(HostKind::GoogleRegional {
                region: region.to_string(),
            });
        }
    }
    Some(HostKind::GoogleGlobal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(region: &str, partition: &str) -> HostKind {
        HostKind::AwsRegional {
            region: region.into(),
            partition: partition.into(),
        }
    }

    #[test]
    fn parses_endpoint_forms() {
        let e = parse_endpoint("https://KMS.eu-central-1.amazonaws.com:443/x").unwrap();
        assert_eq!(e.scheme.as_deref(), Some("https"));
        assert_eq!(e.host, "kms.eu-central-1.amazonaws.com");
        assert_eq!(e.port, Some(443));
        let e = parse_endpoint("http://[::1]:4566").unwrap();
        assert_eq!(e.host, "::1");
        assert_eq!(parse_endpoint("127.0.0.1:4566").unwrap().host, "127.0.0.1");
        assert!(parse_endpoint("https://").is_err());
        assert!(parse_endpoint("http://host:99999").is_err());
    }

    #[test]
    fn aws_hosts() {
        assert_eq!(
            classify_host("kms.eu-central-1.amazonaws.com"),
            aws("eu-central-1", "aws")
        );
        assert_eq!(
            classify_host("kms-fips.us-gov-west-1.amazonaws.com"),
            aws("us-gov-west-1", "aws-us-gov")
        );
        assert_eq!(
            classify_host("s3.dualstack.eu-west-1.amazonaws.com"),
            aws("eu-west-1", "aws")
        );
        assert_eq!(
            classify_host("s3.eu-west-3.api.aws"),
            aws("eu-west-3", "aws")
        );
        assert_eq!(
            classify_host("s3-eu-west-1.amazonaws.com"),
            aws("eu-west-1", "aws")
        );
        assert_eq!(
            classify_host("s3.eusc-de-east-1.amazonaws.eu"),
            aws("eusc-de-east-1", "aws-eusc")
        );
        assert_eq!(
            classify_host("sts.eusc-de-east-1.api.amazonwebservices.eu"),
            aws("eusc-de-east-1", "aws-eusc")
        );
        assert_eq!(
            classify_host("123456789012.dkr.ecr.eu-central-1.amazonaws.com"),
            aws("eu-central-1", "aws")
        );
        assert_eq!(
            classify_host("vpce-0a1b.kms.eu-central-1.vpce.amazonaws.com"),
            aws("eu-central-1", "aws")
        );
        assert_eq!(
            classify_host("s3.cn-north-1.amazonaws.com.cn"),
            aws("cn-north-1", "aws-cn")
        );
        assert_eq!(
            classify_host("s3.amazonaws.com"),
            HostKind::AwsGlobal {
                partition: "aws".into()
            }
        );
        assert_eq!(
            classify_host("sts.amazonaws.com"),
            HostKind::AwsGlobal {
                partition: "aws".into()
            }
        );
        // A European Sovereign Cloud region under the commercial suffix does not exist.
        assert_eq!(
            classify_host("sts.eusc-de-east-1.amazonaws.com"),
            HostKind::Other
        );
    }

    #[test]
    fn azure_and_google_hosts() {
        assert_eq!(
            classify_host("westeurope.api.cognitive.microsoft.com"),
            HostKind::AzureRegional {
                region: "westeurope".into(),
                cloud: "public".into()
            }
        );
        assert_eq!(
            classify_host("management.azure.com"),
            HostKind::AzureCloud {
                cloud: "public".into()
            }
        );
        assert_eq!(
            classify_host("management.usgovcloudapi.net"),
            HostKind::AzureCloud {
                cloud: "usgov".into()
            }
        );
        assert_eq!(
            classify_host("aiplatform.europe-west3.rep.googleapis.com"),
            HostKind::GoogleRegional {
                region: "europe-west3".into()
            }
        );
        assert_eq!(
            classify_host("europe-west4-aiplatform.googleapis.com"),
            HostKind::GoogleRegional {
                region: "europe-west4".into()
            }
        );
        assert_eq!(
            classify_host("europe-west10-docker.pkg.dev"),
            HostKind::GoogleRegional {
                region: "europe-west10".into()
            }
        );
        assert_eq!(
            classify_host("eu.gcr.io"),
            HostKind::GoogleRegional {
                region: "eu".into()
            }
        );
        assert_eq!(
            classify_host("storage.googleapis.com"),
            HostKind::GoogleGlobal
        );
        assert_eq!(classify_host("localhost"), HostKind::Loopback);
        assert_eq!(classify_host("127.0.0.1"), HostKind::Loopback);
        assert_eq!(classify_host("registry.sov.example"), HostKind::Other);
    }
}
