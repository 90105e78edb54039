//! Registry-format documentation (`docs/index.md`, `docs/resources/*.md`, `docs/data-sources/*.md`)
//! rendered from the provider's real schemas and the files under `examples/`.
//!
//! The test fails when a page is stale. Regenerate with `scripts/gen-provider-docs`
//! (= `SOVEREIGN_UPDATE_DOCS=1 cargo test -p terraform-provider-sovereign --test resources_docs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sovereign_provider::framework::{
    Attribute, Block, Mode, NestedBlock, Nesting, Provider, Type, Value,
};
use sovereign_provider::sovereign::SovereignProvider;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read_example(relative: &str) -> Option<String> {
    std::fs::read_to_string(repo_root().join(relative)).ok()
}

fn type_words(ty: &Type) -> String {
    match ty {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_words(e)),
        Type::Set(e) => format!("Set of {}", type_words(e)),
        Type::Map(e) => format!("Map of {}", type_words(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn value_words(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(value_words).collect::<Vec<_>>().join(", ")
        ),
        other => format!("{other:?}"),
    }
}

fn attribute_line(a: &Attribute) -> String {
    let mut kind = type_words(&a.ty);
    if a.sensitive {
        kind.push_str(", Sensitive");
    }
    if a.deprecated {
        kind.push_str(", Deprecated");
    }
    let mut line = format!("- `{}` ({kind})", a.name);
    if !a.description.is_empty() {
        line.push(' ');
        line.push_str(&a.description);
    }
    if let Some(default) = &a.default
        && !a.description.contains("Default")
    {
        let _ = write!(line, " Defaults to `{}`.", value_words(default));
    }
    if a.has_modifier(&sovereign_provider::framework::PlanModifier::RequiresReplace)
        && !a.description.contains("replace")
    {
        line.push_str(" Changing it forces replacement.");
    }
    line
}

fn anchor(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        format!("nestedblock--{name}")
    } else {
        format!("nestedblock--{prefix}--{name}")
    }
}

fn block_line(b: &NestedBlock, prefix: &str) -> String {
    let nesting = match b.nesting {
        Nesting::Single => "Block".to_string(),
        Nesting::List => "Block List".to_string(),
        Nesting::Set => "Block Set".to_string(),
    };
    let limits = if b.max_items > 0 {
        format!(", Max: {}", b.max_items)
    } else {
        String::new()
    };
    let mut line = format!("- `{}` ({nesting}{limits})", b.name);
    if !b.block.description.is_empty() {
        line.push(' ');
        line.push_str(&b.block.description);
    }
    let _ = write!(
        line,
        " (see [below for nested schema](#{}))",
        anchor(prefix, &b.name)
    );
    line
}

/// The `## Schema` section of a block, tfplugindocs style.
fn render_schema(block: &Block, out: &mut String) {
    render_block_sections(block, "", false, out);
    render_nested(block, "", out);
}

fn render_block_sections(block: &Block, prefix: &str, nested: bool, out: &mut String) {
    let required: Vec<String> = block
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Required)
        .map(attribute_line)
        .chain(
            block
                .blocks
                .iter()
                .filter(|b| b.min_items > 0)
                .map(|b| block_line(b, prefix)),
        )
        .collect();
    let optional: Vec<String> = block
        .attributes
        .iter()
        .filter(|a| a.mode.is_optional())
        .map(attribute_line)
        .chain(
            block
                .blocks
                .iter()
                .filter(|b| b.min_items == 0)
                .map(|b| block_line(b, prefix)),
        )
        .collect();
    let read_only: Vec<String> = block
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Computed)
        .map(attribute_line)
        .collect();
    for (title, lines) in [
        ("Required", required),
        ("Optional", optional),
        ("Read-Only", read_only),
    ] {
        if lines.is_empty() {
            continue;
        }
        if nested {
            let _ = writeln!(out, "{title}:\n");
        } else {
            let _ = writeln!(out, "### {title}\n");
        }
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
}

fn render_nested(block: &Block, prefix: &str, out: &mut String) {
    for b in &block.blocks {
        let id = anchor(prefix, &b.name);
        let path = if prefix.is_empty() {
            b.name.clone()
        } else {
            format!("{prefix}.{}", b.name)
        };
        let _ = writeln!(out, "<a id=\"{id}\"></a>\n### Nested Schema for `{path}`\n");
        render_block_sections(&b.block, &path.replace('.', "--"), true, out);
        render_nested(&b.block, &path.replace('.', "--"), out);
    }
}

fn frontmatter(title: &str, description: &str) -> String {
    let mut out = format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n");
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out
}

fn example_section(out: &mut String, example: Option<String>) {
    if let Some(example) = example {
        let _ = writeln!(
            out,
            "## Example Usage\n\n```terraform\n{}\n```\n",
            example.trim_end()
        );
    }
}

const GENERATED: &str = "<!-- Generated from the provider schema by provider/tests/resources_docs.rs; \
                         run scripts/gen-provider-docs to update. -->\n\n";

fn provider_page() -> String {
    let provider = SovereignProvider;
    let schema = provider.schema();
    let mut out = frontmatter("Provider: Sovereign", &schema.block.description);
    out.push_str(GENERATED);
    out.push_str("# Sovereign Provider\n\n");
    let _ = writeln!(out, "{}\n", schema.block.description);
    out.push_str(PROVIDER_GUIDE);
    example_section(&mut out, read_example("examples/provider/provider.tf"));
    out.push_str("## Schema\n\n");
    render_schema(&schema.block, &mut out);
    out.trim_end().to_string() + "\n"
}

const PROVIDER_GUIDE: &str = "\
What it refuses, and why nothing is created when it does: the checks run while Terraform validates and plans, \
before any AWS call, with the same jurisdiction catalog and policy code as `sovereign-lint`.

- `jurisdiction` must be a catalog id; `region` must be one of its AWS regions (and in `allowed_regions` when set);
  `allowed_regions` may only narrow the jurisdiction.
- Every `endpoints {}` URL must be sovereign: a regional endpoint of a region in the jurisdiction, or a host listed in
  `allowed_endpoint_hosts`; plain `http://` only for loopback hosts. `AWS_ENDPOINT_URL*` variables and profile
  `endpoint_url` settings are ignored, so no unchecked host is ever used.
- Every resource's `tags` merged over `default_tags` must carry each of `required_tags`.
- A `kms_key_arn` must be in the provider's region and partition; a flow-log bucket ARN in its partition.
- `sovereign_network`: every Availability Zone must be a zone of the region; every interface endpoint service must be
  a service of the region (named as AWS names it in that partition).
- `sovereign_gpu_cluster`: a GPU/accelerator instance type; `node_count` × its on-demand price within
  `max_hourly_cost_usd` (and a price known when a budget is set); Nitro Enclaves only where the type has them; subnets
  and security groups in the region (read-only DescribeSubnets/DescribeSecurityGroups when they are known), in one
  Availability Zone for `cluster` placement.

Credentials: `access_key`/`secret_key`, else `profile`, else the default AWS credential chain (environment, shared
files, SSO, web identity, container and instance roles). Requests are retried with exponential backoff (standard
mode, 5 attempts; `SOVEREIGN_AWS_MAX_ATTEMPTS` overrides).

";

fn resource_page(
    kind: &str,
    type_name: &str,
    block: &Block,
    example_dir: &str,
    example_file: &str,
) -> String {
    let title = format!("{type_name} {kind} - terraform-provider-sovereign");
    let mut out = frontmatter(&title, &block.description);
    out.push_str(GENERATED);
    let _ = writeln!(out, "# {type_name} ({kind})\n\n{}\n", block.description);
    example_section(
        &mut out,
        read_example(&format!("{example_dir}/{type_name}/{example_file}")),
    );
    out.push_str("## Schema\n\n");
    render_schema(block, &mut out);
    if let Some(import) = read_example(&format!("{example_dir}/{type_name}/import.sh")) {
        let _ = writeln!(
            out,
            "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```\n",
            import.trim_end()
        );
    }
    out.trim_end().to_string() + "\n"
}

/// Every documentation page: (path relative to the repository, content).
fn pages() -> Vec<(String, String)> {
    let provider = SovereignProvider;
    let mut pages = vec![("docs/index.md".to_string(), provider_page())];
    for resource in provider.resources() {
        let name = resource.type_name();
        let schema = resource.schema();
        pages.push((
            format!(
                "docs/resources/{}.md",
                name.trim_start_matches("sovereign_")
            ),
            resource_page(
                "Resource",
                name,
                &schema.block,
                "examples/resources",
                "resource.tf",
            ),
        ));
    }
    for data_source in provider.data_sources() {
        let name = data_source.type_name();
        let schema = data_source.schema();
        pages.push((
            format!(
                "docs/data-sources/{}.md",
                name.trim_start_matches("sovereign_")
            ),
            resource_page(
                "Data Source",
                name,
                &schema.block,
                "examples/data-sources",
                "data-source.tf",
            ),
        ));
    }
    pages
}

#[test]
fn registry_docs_match_the_schema() {
    let update = std::env::var_os("SOVEREIGN_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, content) in pages() {
        let full = repo_root().join(&path);
        let current = std::fs::read_to_string(&full).unwrap_or_default();
        if current == content {
            continue;
        }
        if update {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &content).unwrap();
        } else {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "documentation is stale: {stale:?}. Run scripts/gen-provider-docs and commit the result."
    );
}

#[test]
fn every_resource_and_data_source_has_examples() {
    let provider = SovereignProvider;
    for resource in provider.resources() {
        let name = resource.type_name();
        for file in ["resource.tf", "import.sh"] {
            assert!(
                read_example(&format!("examples/resources/{name}/{file}")).is_some(),
                "examples/resources/{name}/{file} is missing"
            );
        }
    }
    for data_source in provider.data_sources() {
        let name = data_source.type_name();
        assert!(
            read_example(&format!("examples/data-sources/{name}/data-source.tf")).is_some(),
            "examples/data-sources/{name}/data-source.tf is missing"
        );
    }
}

#[test]
fn every_attribute_is_described() {
    fn walk(block: &Block, path: &str, missing: &mut Vec<String>) {
        for a in &block.attributes {
            if a.description.trim().is_empty() {
                missing.push(format!("{path}.{}", a.name));
            }
        }
        for b in &block.blocks {
            walk(&b.block, &format!("{path}.{}", b.name), missing);
        }
    }
    let provider = SovereignProvider;
    let mut missing = Vec::new();
    walk(&provider.schema().block, "provider", &mut missing);
    for r in provider.resources() {
        walk(&r.schema().block, r.type_name(), &mut missing);
    }
    for d in provider.data_sources() {
        walk(&d.schema().block, d.type_name(), &mut missing);
    }
    assert!(
        missing.is_empty(),
        "attributes without a description: {missing:?}"
    );
}
