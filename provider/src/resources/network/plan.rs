//! Plan-time arithmetic of `sovereign_network`, with no AWS call: subnet CIDRs derived from `cidr_block` by zone
//! letter (so adding or removing a zone never moves another zone's subnet), and VPC endpoint service names per
//! partition (the European Sovereign Cloud names some services `eu.amazonaws.…`).

use std::net::Ipv4Addr;

/// Bits added to the VPC prefix for each zone's subnet: 16 zone letters (a–p), each a sixteenth of the VPC.
pub const SUBNET_NEWBITS: u8 = 4;
/// The largest VPC prefix that still leaves room for /28 subnets (AWS's smallest).
pub const MAX_VPC_PREFIX: u8 = 24;
/// AWS's largest VPC.
pub const MIN_VPC_PREFIX: u8 = 16;

/// An IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub address: u32,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` whose host bits are zero.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a CIDR block (a.b.c.d/n)"))?;
        let address: Ipv4Addr = address.parse().map_err(|_| {
            format!("{text:?} is not a CIDR block: {address:?} is not an IPv4 address")
        })?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("{text:?} is not a CIDR block: the prefix must be 0–32"))?;
        let address = u32::from(address);
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        if address & !mask != 0 {
            return Err(format!(
                "{text:?} has host bits set: the network address is {}/{prefix}",
                Ipv4Addr::from(address & mask)
            ));
        }
        Ok(Cidr { address, prefix })
    }

    /// The `index`-th subnet with `newbits` more prefix bits (Terraform's `cidrsubnet`).
    pub fn subnet(&self, newbits: u8, index: u32) -> Option<Cidr> {
        let prefix = self.prefix.checked_add(newbits).filter(|p| *p <= 32)?;
        if newbits < 32 && index >= (1u32 << newbits) {
            return None;
        }
        let shift = 32 - u32::from(prefix);
        let offset = if shift >= 32 { 0 } else { index << shift };
        Some(Cidr {
            address: self.address | offset,
            prefix,
        })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.address), self.prefix)
    }
}

/// Checks a VPC `cidr_block`: a private (RFC 1918) network between /16 and /24.
pub fn check_vpc_cidr(text: &str) -> Result<Cidr, String> {
    let cidr = Cidr::parse(text)?;
    if !(MIN_VPC_PREFIX..=MAX_VPC_PREFIX).contains(&cidr.prefix) {
        return Err(format!(
            "{text:?} is a /{}: a sovereign_network needs /{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX} (AWS allows at most \
             /16, and each zone's subnet is a sixteenth of the block)",
            cidr.prefix
        ));
    }
    if !Ipv4Addr::from(cidr.address).is_private() {
        return Err(format!(
            "{text:?} is not a private (RFC 1918) range: use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        ));
    }
    Ok(cidr)
}

/// The index of a zone's letter (`eu-central-1b` → 1), for the 16 letters a–p a network supports.
pub fn zone_index(zone: &str) -> Option<u32> {
    let letter = zone.bytes().last().filter(u8::is_ascii_lowercase)?;
    Some(u32::from(letter - b'a')).filter(|i| *i < (1 << SUBNET_NEWBITS))
}

/// The subnet CIDR of `zone` (`eu-central-1b` → the second sixteenth of the VPC), from its zone letter.
pub fn subnet_cidr(vpc: &Cidr, zone: &str) -> Option<Cidr> {
    vpc.subnet(SUBNET_NEWBITS, zone_index(zone)?)
}

/// Services whose VPC endpoint names start `eu.amazonaws.` in the European Sovereign Cloud.
const EUSC_EU_PREFIXED: [&str; 4] = ["ecr.api", "ecr.dkr", "execute-api", "securityhub"];

/// Known prefixes of full endpoint service names.
const SERVICE_PREFIXES: [&str; 3] = ["cn.com.amazonaws.", "com.amazonaws.", "eu.amazonaws."];

/// The endpoint service name of `entry` in `region`: a short name (`kms`, `ecr.dkr`) becomes
/// `com.amazonaws.REGION.kms` (`eu.amazonaws.eusc-de-east-1.ecr.dkr` in the European Sovereign Cloud,
/// `cn.com.amazonaws.…` in China); a full name is kept.
pub fn service_name(region: &str, entry: &str) -> String {
    if is_full_name(entry) {
        return entry.to_string();
    }
    let prefix = if region.starts_with("eusc-") && EUSC_EU_PREFIXED.contains(&entry) {
        "eu.amazonaws"
    } else if region.starts_with("cn-") {
        "cn.com.amazonaws"
    } else {
        "com.amazonaws"
    };
    format!("{prefix}.{region}.{entry}")
}

fn is_full_name(entry: &str) -> bool {
    SERVICE_PREFIXES.iter().any(|p| entry.starts_with(p))
}

/// The short name of a full service name in `region` (`com.amazonaws.eu-central-1.kms` → `kms`).
pub fn short_name<'a>(region: &str, full: &'a str) -> &'a str {
    SERVICE_PREFIXES
        .iter()
        .find_map(|p| {
            full.strip_prefix(p)?
                .strip_prefix(region)?
                .strip_prefix('.')
        })
        .unwrap_or(full)
}

/// The region a full service name points at, if it names one.
pub fn service_region(full: &str) -> Option<&str> {
    let rest = SERVICE_PREFIXES.iter().find_map(|p| full.strip_prefix(p))?;
    rest.split('.').find(|part| looks_like_region(part))
}

fn looks_like_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Checks one `interface_endpoints` entry against the provider's region: a short service name, or a full name
/// in that region. Returns why not.
pub fn check_service(region: &str, entry: &str) -> Result<(), String> {
    if entry.is_empty()
        || !entry
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b))
    {
        return Err(format!(
            "{entry:?} is not a service name: use a short name such as \"kms\" or \"ecr.dkr\", or a full endpoint \
             service name"
        ));
    }
    if !is_full_name(entry) {
        return Ok(());
    }
    match service_region(entry) {
        Some(r) if r == region => {
            let expected = service_name(region, short_name(region, entry));
            if expected == entry {
                Ok(())
            } else {
                Err(format!(
                    "{entry:?} is not how AWS names this service in {region}: use {expected:?}"
                ))
            }
        }
        Some(other) => Err(format!(
            "{entry:?} is a service of region {other}, outside the provider's region {region}: an interface \
             endpoint to another region carries the network's traffic across the border. Use the service of \
             {region} (\"{}\").",
            short_name(other, entry)
        )),
        None => Err(format!(
            "{entry:?} names no region, so it cannot be shown to stay in {region}: use a short service name"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_follow_zone_letters() {
        let vpc = check_vpc_cidr("10.20.0.0/16").unwrap();
        assert_eq!(
            subnet_cidr(&vpc, "eu-central-1a").unwrap().to_string(),
            "10.20.0.0/20"
        );
        assert_eq!(
            subnet_cidr(&vpc, "eu-central-1b").unwrap().to_string(),
            "10.20.16.0/20"
        );
        assert_eq!(
            subnet_cidr(&vpc, "eu-central-1c").unwrap().to_string(),
            "10.20.32.0/20"
        );
        let small = check_vpc_cidr("192.168.4.0/24").unwrap();
        assert_eq!(
            subnet_cidr(&small, "eusc-de-east-1b").unwrap().to_string(),
            "192.168.4.16/28"
        );
        assert_eq!(subnet_cidr(&small, "eu-central-1q"), None);
    }

    #[test]
    fn vpc_cidrs_are_checked() {
        assert!(check_vpc_cidr("10.0.0.0/16").is_ok());
        assert!(
            check_vpc_cidr("10.0.0.1/16")
                .unwrap_err()
                .contains("host bits")
        );
        assert!(
            check_vpc_cidr("10.0.0.0/8")
                .unwrap_err()
                .contains("/16 to /24")
        );
        assert!(
            check_vpc_cidr("10.0.0.0/25")
                .unwrap_err()
                .contains("/16 to /24")
        );
        assert!(
            check_vpc_cidr("8.8.0.0/16")
                .unwrap_err()
                .contains("RFC 1918")
        );
        assert!(check_vpc_cidr("10.0.0.0").is_err());
        assert!(check_vpc_cidr("10.0.0.0/x").is_err());
    }

    #[test]
    fn service_names_per_partition() {
        assert_eq!(
            service_name("eu-central-1", "kms"),
            "com.amazonaws.eu-central-1.kms"
        );
        assert_eq!(
            service_name("eu-central-1", "ecr.dkr"),
            "com.amazonaws.eu-central-1.ecr.dkr"
        );
        assert_eq!(
            service_name("eusc-de-east-1", "ecr.dkr"),
            "eu.amazonaws.eusc-de-east-1.ecr.dkr"
        );
        assert_eq!(
            service_name("eusc-de-east-1", "ecr.api"),
            "eu.amazonaws.eusc-de-east-1.ecr.api"
        );
        assert_eq!(
            service_name("eusc-de-east-1", "kms"),
            "com.amazonaws.eusc-de-east-1.kms"
        );
        assert_eq!(
            service_name("us-gov-west-1", "sts"),
            "com.amazonaws.us-gov-west-1.sts"
        );
        assert_eq!(
            short_name("eusc-de-east-1", "eu.amazonaws.eusc-de-east-1.ecr.api"),
            "ecr.api"
        );
        assert_eq!(
            short_name("eu-central-1", "com.amazonaws.eu-central-1.s3"),
            "s3"
        );
    }

    #[test]
    fn services_outside_the_region_are_refused() {
        assert!(check_service("eu-central-1", "kms").is_ok());
        assert!(check_service("eu-central-1", "com.amazonaws.eu-central-1.kms").is_ok());
        let err = check_service("eu-central-1", "com.amazonaws.us-east-1.kms").unwrap_err();
        assert!(err.contains("region us-east-1"), "{err}");
        let err =
            check_service("eusc-de-east-1", "com.amazonaws.eusc-de-east-1.ecr.dkr").unwrap_err();
        assert!(err.contains("eu.amazonaws.eusc-de-east-1.ecr.dkr"), "{err}");
        assert!(
            check_service(
                "eu-central-1",
                "com.amazonaws.vpce.eu-central-1.vpce-svc-0123"
            )
            .is_ok()
        );
        assert!(
            check_service("eu-central-1", "com.amazonaws.vpce.us-east-1.vpce-svc-0123").is_err()
        );
        assert!(check_service("eu-central-1", "KMS").is_err());
        assert!(check_service("eu-central-1", "").is_err());
    }
}
