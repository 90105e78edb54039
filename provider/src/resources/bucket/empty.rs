//! Destroying a bucket that holds objects: emptied with `force_destroy`, refused without it.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::{build_err, s3};
use crate::aws::AwsResultExt;
use crate::framework::{Context, Diagnostic, PartResult};
use crate::sovereign::SovereignData;

/// Deletes every object version and delete marker (force_destroy). ListObjectVersions pages by two markers
/// and has no SDK paginator.
pub async fn empty_bucket(ctx: &Context<SovereignData>, name: &str) -> PartResult {
    let s3 = &s3(ctx);
    let what = format!("bucket {name}");
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(name)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .or_diag("ListObjectVersions", &what)?;
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let ids = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                let key = key?;
                Some(
                    ObjectIdentifier::builder()
                        .key(key)
                        .set_version_id(version.map(str::to_owned))
                        .build(),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_err("DeleteObjects", e))?;
        if !ids.is_empty() {
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| build_err("DeleteObjects", e))?;
            let out = s3
                .delete_objects()
                .bucket(name)
                .delete(delete)
                .bypass_governance_retention(true)
                .send()
                .await
                .or_diag("DeleteObjects", &what)?;
            if let Some(err) = out.errors().first() {
                return Err(Diagnostic::error(
                    format!("AWS DeleteObjects failed for {what}"),
                    format!(
                        "{} object version(s) could not be deleted; first: {} ({}): {}. Objects under COMPLIANCE \
                         retention cannot be deleted before their retention ends.",
                        out.errors().len(),
                        err.key().unwrap_or("?"),
                        err.code().unwrap_or("?"),
                        err.message().unwrap_or("")
                    ),
                ));
            }
        }
        if page.is_truncated() != Some(true) {
            return Ok(());
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
        if key_marker.is_none() && version_marker.is_none() {
            return Ok(());
        }
    }
}

/// Refuses to destroy a bucket that still holds anything (force_destroy false). `Ok(false)`: already gone.
pub async fn refuse_if_not_empty(ctx: &Context<SovereignData>, name: &str) -> PartResult<bool> {
    let page = s3(ctx)
        .list_object_versions()
        .bucket(name)
        .max_keys(1)
        .send()
        .await
        .found(
            "ListObjectVersions",
            &format!("bucket {name}"),
            &["NoSuchBucket"],
        )?;
    match page {
        None => Ok(false),
        Some(page) if !page.versions().is_empty() || !page.delete_markers().is_empty() => {
            Err(Diagnostic::error(
                format!("Bucket {name} is not empty"),
                "The bucket still holds objects (or object versions / delete markers), and force_destroy is false. \
                 Empty it first, or set force_destroy = true and apply before destroying.",
            ))
        }
        Some(_) => Ok(true),
    }
}
