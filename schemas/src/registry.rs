//! Container image references: which registry host an image is pulled from.

/// The registry host of an image reference, as Docker resolves it: `nginx:1.27` and
/// `library/nginx` come from Docker Hub (`docker.io`); `ghcr.io/org/app:1` from `ghcr.io`.
pub fn registry_host(image: &str) -> String {
    let image = image.trim();
    let image = image.strip_prefix("docker://").unwrap_or(image);
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            let host = first.split(':').next().unwrap_or(first);
            host.to_ascii_lowercase()
        }
        _ => "docker.io".to_string(),
    }
}

/// Whether a string looks like a container image reference (used to pick image-valued attributes).
pub fn looks_like_image(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty()
        && !v.contains(char::is_whitespace)
        && !v.contains("://")
        && (v.contains('/') || v.contains(':') || v.contains('@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts() {
        assert_eq!(registry_host("nginx:1.27"), "docker.io");
        assert_eq!(registry_host("library/nginx"), "docker.io");
        assert_eq!(registry_host("ghcr.io/org/app:1"), "ghcr.io");
        assert_eq!(
            registry_host("123456789012.dkr.ecr.eu-central-1.amazonaws.com/train:latest"),
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com"
        );
        assert_eq!(registry_host("localhost:5000/x"), "localhost");
        assert_eq!(
            registry_host("registry.sov.example:5000/ml/x@sha256:ab"),
            "registry.sov.example"
        );
    }
}
