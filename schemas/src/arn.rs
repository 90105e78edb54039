//! Amazon Resource Names: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.

/// A parsed ARN. `region` is empty for global resources (IAM, S3 buckets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Parses an ARN; `None` when `text` is not one.
pub fn parse_arn(text: &str) -> Option<Arn<'_>> {
    let mut parts = text.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    if !partition.starts_with("aws") || service.is_empty() {
        return None;
    }
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kms_arn() {
        let arn = parse_arn("arn:aws-eusc:kms:eusc-de-east-1:123456789012:key/abc").unwrap();
        assert_eq!(arn.partition, "aws-eusc");
        assert_eq!(arn.service, "kms");
        assert_eq!(arn.region, "eusc-de-east-1");
        assert_eq!(arn.resource, "key/abc");
        assert_eq!(parse_arn("arn:aws:s3:::bucket").unwrap().region, "");
        assert!(parse_arn("not-an-arn").is_none());
        assert!(parse_arn("arn:aws:kms").is_none());
    }
}
