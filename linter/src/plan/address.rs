//! Terraform addresses: removing instance keys to reach the configuration block an instance came
//! from (`module.store["offsite"].aws_kms_replica_key.copy[0]` → `module.store.aws_kms_replica_key.copy`).

/// The address with every `[key]` instance index removed. Keys are quoted strings (which may hold
/// `[`, `]`, `.` and escaped quotes) or numbers.
pub fn strip_instance_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in address.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            '"' if depth > 0 => in_string = true,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The configuration path of a module instance address: `module.a["x"].module.b[0]` → `module.a.module.b`
/// (empty for the root module).
pub fn module_config_path(module_address: &str) -> String {
    strip_instance_keys(module_address)
}

/// Joins a module path and a module-relative address.
pub fn join(module: &str, relative: &str) -> String {
    if module.is_empty() {
        relative.to_string()
    } else {
        format!("{module}.{relative}")
    }
}

/// The module call names along a configuration module path: `module.a.module.b` → `["a", "b"]`.
pub fn module_call_names(config_path: &str) -> Vec<&str> {
    let parts: Vec<&str> = config_path.split('.').collect();
    parts
        .chunks(2)
        .filter(|c| c.len() == 2 && c[0] == "module")
        .map(|c| c[1])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_string_and_number_keys() {
        assert_eq!(
            strip_instance_keys(r#"module.store["offsite"].aws_kms_replica_key.copy[0]"#),
            "module.store.aws_kms_replica_key.copy"
        );
        assert_eq!(
            strip_instance_keys(r#"aws_s3_bucket.b["a.b]\"c"]"#),
            "aws_s3_bucket.b"
        );
        assert_eq!(strip_instance_keys("aws_s3_bucket.b"), "aws_s3_bucket.b");
    }

    #[test]
    fn module_names() {
        assert_eq!(module_call_names("module.a.module.b"), vec!["a", "b"]);
        assert!(module_call_names("").is_empty());
    }
}
