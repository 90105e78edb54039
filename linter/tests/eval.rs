//! The configuration evaluator, shown on fixtures under `tests/fixtures/eval/` that look like
//! real configurations: addresses, resolved values, provenance and locations in the produced model.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sovereign_lint::eval::{EvalOptions, evaluate_root, referenced_address};
use sovereign_lint::load::{DiscoveredRoot, discover};
use sovereign_lint::model::{Model, ModuleResolution, ResourceInstance, Tracked};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval")
}

fn root(dir: &Path) -> DiscoveredRoot {
    DiscoveredRoot {
        dir: dir.to_path_buf(),
        scan_root: dir.to_path_buf(),
    }
}

fn eval_fixture(name: &str, opts: &EvalOptions) -> Model {
    evaluate_root(&root(&fixtures().join(name)), opts)
}

fn resource<'m>(model: &'m Model, address: &str) -> &'m ResourceInstance {
    model
        .resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| {
            panic!(
                "no {address} in {:?}",
                model
                    .resources
                    .iter()
                    .map(|r| &r.address)
                    .collect::<Vec<_>>()
            )
        })
}

fn provenance(t: &Tracked) -> Vec<String> {
    t.provenance.iter().map(ToString::to_string).collect()
}

/// A compact, stable text rendering of a model for snapshots.
fn render(model: &Model) -> String {
    let mut out = String::new();
    for p in &model.providers {
        let _ = writeln!(
            out,
            "provider {} implicit={} at {}",
            p.address, p.implicit, p.location
        );
        for (k, v) in &p.attributes {
            let _ = writeln!(out, "  {k} = {}", v.render());
        }
    }
    for b in &model.backends {
        let _ = writeln!(out, "backend {} at {}", b.backend_type, b.location);
        for (k, v) in &b.attributes {
            let _ = writeln!(out, "  {k} = {}", v.render());
        }
    }
    for m in &model.module_calls {
        let _ = writeln!(
            out,
            "module {} source={} resolution={:?} at {}",
            m.address,
            m.source.render(),
            m.resolution,
            m.location
        );
    }
    for r in &model.resources {
        let provider = model.provider_of(r).map_or("-", |p| p.address.as_str());
        let _ = writeln!(out, "{} via {provider} at {}", r.address, r.location);
        for (k, v) in &r.attributes {
            let at = v
                .location
                .as_ref()
                .map_or_else(String::new, |l| format!("  @{l}"));
            let _ = writeln!(out, "  {k} = {}{at}", v.render());
            for step in &v.provenance {
                let _ = writeln!(out, "    <- {step}");
            }
        }
    }
    for n in &model.notes {
        let at = n
            .location
            .as_ref()
            .map_or_else(String::new, |l| format!("{l}: "));
        let _ = writeln!(out, "note: {at}{}", n.message);
    }
    for e in &model.errors {
        let _ = writeln!(out, "error: {}", e.message);
    }
    out
}

fn module_chain() -> Model {
    let opts = EvalOptions {
        var_files: vec![fixtures().join("module_chain/prod.tfvars")],
        ..EvalOptions::default()
    };
    eval_fixture("module_chain", &opts)
}

#[test]
fn module_chain_snapshot() {
    let model = module_chain();
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    insta::assert_snapshot!(render(&model));
}

#[test]
fn tfvars_value_reaches_a_module_input_with_its_provenance() {
    let model = module_chain();
    let bucket = resource(&model, "module.plain.aws_s3_bucket.this");
    let region = bucket.attr("region").unwrap();
    assert_eq!(region.as_str(), Some("us-east-1"));
    let location = region.location.as_ref().unwrap();
    assert_eq!(
        (&*location.file, location.line, location.column),
        ("modules/store/main.tf", 9, 12)
    );
    assert_eq!(
        provenance(region),
        [
            "var.region = \"us-east-1\" (from main.tf:36)",
            "module.plain input region = var.primary (from main.tf:36)",
            "var.primary = \"us-east-1\" (from prod.tfvars:2)",
        ]
    );
    // The child has no provider block: it inherits the root's default provider and its region.
    let provider = model.provider_of(bucket).unwrap();
    assert_eq!(
        provider.address,
        "provider[\"registry.terraform.io/hashicorp/aws\"]"
    );
    assert_eq!(provider.attr("region").unwrap().as_str(), Some("us-east-1"));
    assert_eq!(
        provenance(provider.attr("region").unwrap()),
        ["var.primary = \"us-east-1\" (from prod.tfvars:2)"]
    );
    // default_tags stays the provider's own attribute (a list holding one block).
    let default_tags = &provider.attr("default_tags").unwrap().items()[0];
    assert_eq!(
        default_tags
            .get("tags")
            .unwrap()
            .get("data-classification")
            .unwrap()
            .as_str(),
        Some("internal")
    );
}

#[test]
fn provider_alias_passed_into_for_each_module_instances() {
    let model = module_chain();
    for (key, region) in [("main", "us-east-1"), ("offsite", "eu-west-1")] {
        let bucket = resource(
            &model,
            &format!("module.store[\"{key}\"].aws_s3_bucket.this"),
        );
        assert_eq!(bucket.module_address, format!("module.store[\"{key}\"]"));
        assert_eq!(bucket.attr("region").unwrap().as_str(), Some(region));
        assert_eq!(
            bucket.attr("bucket").unwrap().as_str(),
            Some(format!("data-{key}").as_str())
        );
        let provider = model.provider_of(bucket).unwrap();
        assert_eq!(provider.alias.as_deref(), Some("west"));
        assert_eq!(provider.attr("region").unwrap().as_str(), Some("eu-west-1"));
        assert_eq!(bucket.call_chain.len(), 1);
        assert_eq!(bucket.call_chain[0].line, 26);
    }
    let call = model
        .module_calls
        .iter()
        .find(|m| m.address == "module.store[\"offsite\"]")
        .unwrap();
    assert_eq!(call.resolution, ModuleResolution::Local);
    assert_eq!(call.source.as_str(), Some("./modules/store"));
    assert_eq!(model.backends.len(), 1);
    assert_eq!(
        model.backends[0].attributes["region"].as_str(),
        Some("eu-central-1")
    );
}

#[test]
fn references_to_other_resources_are_literal_or_name_the_resource() {
    let model = module_chain();
    let copy = resource(&model, "module.store[\"offsite\"].aws_kms_replica_key.copy");
    let arn = copy.attr("primary_key_arn").unwrap();
    assert_eq!(
        arn.unknown_reason(),
        Some("module.store[\"offsite\"].aws_kms_key.k.arn (known after apply)")
    );
    assert_eq!(
        referenced_address(arn),
        Some("module.store[\"offsite\"].aws_kms_key.k")
    );
    let multi = copy.attr("multi").unwrap();
    assert_eq!(multi.as_bool(), Some(true));
    assert_eq!(
        referenced_address(multi),
        Some("module.store[\"offsite\"].aws_kms_key.k")
    );
    assert!(
        model
            .resources
            .iter()
            .any(|r| r.address == "module.store[\"offsite\"].aws_kms_key.k")
    );

    let model = eval_fixture("expressions", &EvalOptions::default());
    let sse = resource(
        &model,
        "aws_s3_bucket_server_side_encryption_configuration.data",
    );
    assert_eq!(
        referenced_address(sse.attr("bucket").unwrap()),
        Some("aws_s3_bucket.data")
    );
    assert_eq!(sse.attr("name").unwrap().as_str(), Some("dev-ml-data"));
    let unknowns = resource(&model, "aws_s3_bucket.unknowns");
    assert_eq!(
        referenced_address(unknowns.attr("other").unwrap()),
        Some("data.aws_region.current")
    );
    assert_eq!(referenced_address(unknowns.attr("bucket").unwrap()), None);
}

#[test]
fn expressions_snapshot() {
    let model = eval_fixture("expressions", &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    insta::assert_snapshot!(render(&model));
}

#[test]
fn count_for_each_and_per_resource_region() {
    let model = eval_fixture("expressions", &EvalOptions::default());
    let zones: Vec<_> = ["aws_instance.worker[0]", "aws_instance.worker[1]"]
        .iter()
        .map(|a| {
            resource(&model, a)
                .attr("availability_zone")
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(zones, ["eu-central-1a", "eu-central-1b"]);
    assert_eq!(
        resource(&model, "aws_instance.worker[1]")
            .attr("region")
            .unwrap()
            .as_str(),
        Some("eu-west-3")
    );
    let dr = resource(&model, "aws_s3_bucket.regional[\"dr\"]");
    assert_eq!(dr.attr("region").unwrap().as_str(), Some("eu-west-3"));
    assert_eq!(dr.attr("bucket").unwrap().as_str(), Some("b-dr"));
    assert_eq!(dr.name, "regional");
    assert_eq!(dr.resource_type, "aws_s3_bucket");
    // No provider block: one implicit provider without a region.
    let provider = model.provider_of(dr).unwrap();
    assert!(provider.implicit);
    assert!(provider.attr("region").is_none());
}

#[test]
fn functions_templates_dynamic_blocks_and_variable_precedence() {
    let model = eval_fixture("expressions", &EvalOptions::default());
    // b.auto.tfvars (env = "dev") wins over terraform.tfvars (env = "prod").
    let data = resource(&model, "aws_s3_bucket.data");
    assert_eq!(data.attr("bucket").unwrap().as_str(), Some("dev-ml-data"));
    assert!(
        provenance(data.attr("bucket").unwrap())
            .contains(&"var.env = \"dev\" (from b.auto.tfvars:1)".to_string())
    );
    let sg = resource(&model, "aws_security_group.sg");
    let egress = sg.attr("egress").unwrap().items();
    assert_eq!(egress.len(), 2);
    assert_eq!(
        egress[0].get("cidr_blocks").unwrap().items()[0].as_str(),
        Some("0.0.0.0/0")
    );
    assert_eq!(
        sg.attr("ingress").unwrap().items()[0]
            .get("cidr_blocks")
            .unwrap()
            .render(),
        "[\"10.0.2.0/24\"]"
    );
    let key = resource(&model, "aws_kms_key.k");
    assert_eq!(
        key.attr("description").unwrap().as_str(),
        Some("key for development\n")
    );
    assert_eq!(key.attr("lookup").unwrap().as_str(), Some("dr"));
    assert_eq!(key.attr("num").unwrap().as_number(), Some(5.0));
    let unknowns = resource(&model, "aws_s3_bucket.unknowns");
    let region = unknowns.attr("region").unwrap();
    assert_eq!(region.unknown_reason(), Some("var.region has no value"));
    assert_eq!(
        provenance(region),
        ["var.region has no value (from main.tf:5)"]
    );

    // TF_VAR_ < tfvars files < --var-file < --var.
    let dir = fixtures().join("expressions");
    let opts = EvalOptions {
        env: vec![
            ("TF_VAR_region".into(), "eu-north-1".into()),
            ("TF_VAR_env".into(), "env".into()),
        ],
        vars: vec![("size".into(), "2".into())],
        ..EvalOptions::default()
    };
    let model = evaluate_root(&root(&dir), &opts);
    let unknowns = resource(&model, "aws_s3_bucket.unknowns");
    assert_eq!(
        unknowns.attr("region").unwrap().as_str(),
        Some("eu-north-1")
    );
    assert_eq!(
        provenance(unknowns.attr("region").unwrap()),
        ["var.region = \"eu-north-1\" (from TF_VAR_region)"]
    );
    assert_eq!(
        resource(&model, "aws_s3_bucket.data")
            .attr("bucket")
            .unwrap()
            .as_str(),
        Some("dev-ml-data")
    );
    assert!(
        model
            .resources
            .iter()
            .any(|r| r.address == "aws_instance.worker[2]"),
        "--var size=2 gives 3 workers"
    );
}

#[test]
fn json_syntax() {
    let model = eval_fixture("json_syntax", &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let logs = resource(&model, "aws_s3_bucket.logs");
    assert_eq!(
        logs.attr("bucket").unwrap().as_str(),
        Some("logs-eu-central-1")
    );
    assert_eq!(
        logs.attr("bucket")
            .unwrap()
            .location
            .as_ref()
            .unwrap()
            .to_string(),
        "main.tf.json:13"
    );
    assert_eq!(
        model.provider_of(logs).unwrap().alias.as_deref(),
        Some("west")
    );
    assert_eq!(
        model.providers[0].attr("region").unwrap().as_str(),
        Some("eu-central-1")
    );
    assert_eq!(model.providers[1].location.line, 6);
    assert_eq!(model.backends[0].backend_type, "s3");
    assert!(model.sources.get("main.tf.json").is_some());
    assert!(model.sources.get("terraform.tfvars.json").is_some());
}

#[test]
fn crlf_and_bom() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}provider \"aws\" {\r\n  region = \"eu-west-1\"\r\n}\r\n\r\nresource \"aws_s3_bucket\" \"b\" {\r\n  bucket = <<EOT\r\nname\r\nEOT\r\n}\r\n";
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    assert_eq!(
        model.providers[0].attr("region").unwrap().as_str(),
        Some("eu-west-1")
    );
    let bucket = resource(&model, "aws_s3_bucket.b");
    assert_eq!(bucket.attr("bucket").unwrap().as_str(), Some("name\n"));
    assert_eq!(bucket.location.line, 5);
    assert_eq!(
        model.sources.get("main.tf").unwrap().lines().nth(1),
        Some("  region = \"eu-west-1\"")
    );
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn remote_modules_fetched_and_not_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path();
    write(
        &root_dir.join("main.tf"),
        "module \"store\" {\n  source  = \"git::https://git.example/store.git\"\n  region  = \"eu-west-3\"\n}\n\nmodule \"net\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n",
    );
    write(
        &root_dir.join(".terraform/modules/modules.json"),
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"store","Source":"git::https://git.example/store.git","Dir":".terraform/modules/store"}]}"#,
    );
    write(
        &root_dir.join(".terraform/modules/store/main.tf"),
        "variable \"region\" {}\nresource \"aws_kms_key\" \"k\" {\n  region = var.region\n}\n",
    );
    let model = evaluate_root(&root(root_dir), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let key = resource(&model, "module.store.aws_kms_key.k");
    assert_eq!(key.attr("region").unwrap().as_str(), Some("eu-west-3"));
    assert_eq!(
        key.location.file.as_ref(),
        ".terraform/modules/store/main.tf"
    );
    let store = model
        .module_calls
        .iter()
        .find(|m| m.address == "module.store")
        .unwrap();
    assert_eq!(store.resolution, ModuleResolution::Fetched);
    let net = model
        .module_calls
        .iter()
        .find(|m| m.address == "module.net")
        .unwrap();
    assert_eq!(net.resolution, ModuleResolution::NotFetched);
    assert_eq!(net.version.as_deref(), Some("5.0.0"));
    assert_eq!(model.notes.len(), 1);
    assert!(
        model.notes[0]
            .message
            .contains("terraform-aws-modules/vpc/aws"),
        "{}",
        model.notes[0].message
    );
    assert!(model.notes[0].message.contains("run `terraform init`"));
}

#[test]
fn module_count_recursion_and_discovery() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path();
    write(
        &root_dir.join("live/main.tf"),
        "module \"zone\" {\n  count  = 2\n  source = \"../modules/zone\"\n  name   = \"z${count.index}\"\n}\n",
    );
    write(
        &root_dir.join("modules/zone/main.tf"),
        "variable \"name\" {}\nresource \"aws_ebs_volume\" \"v\" {\n  availability_zone = var.name\n}\nmodule \"again\" {\n  source = \"./\"\n  name   = var.name\n}\n",
    );
    write(
        &root_dir.join("legacy/main.tf"),
        "resource \"aws_s3_bucket\" \"old\" {}\n",
    );
    write(
        &root_dir.join(".hidden/main.tf"),
        "resource \"aws_s3_bucket\" \"h\" {}\n",
    );
    let roots = discover(&[root_dir.to_path_buf()], &["legacy/**".to_string()]).unwrap();
    let dirs: Vec<_> = roots
        .iter()
        .map(|r| r.dir.strip_prefix(root_dir).unwrap().to_path_buf())
        .collect();
    assert_eq!(
        dirs,
        [PathBuf::from("live")],
        "modules/zone is only called, legacy excluded, hidden skipped"
    );
    let model = evaluate_root(&roots[0], &EvalOptions::default());
    assert_eq!(model.module_dir, "live");
    let addresses: Vec<_> = model.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "module.zone[0].aws_ebs_volume.v",
            "module.zone[1].aws_ebs_volume.v"
        ]
    );
    assert_eq!(
        resource(&model, "module.zone[1].aws_ebs_volume.v")
            .attr("availability_zone")
            .unwrap()
            .as_str(),
        Some("z1")
    );
    assert_eq!(
        model.resources[0].location.file.as_ref(),
        "modules/zone/main.tf"
    );
    assert!(
        model
            .notes
            .iter()
            .any(|n| n.message.contains("module recursion"))
    );
}

#[test]
fn module_outputs_are_evaluated_in_their_instance() {
    let model = eval_fixture("module_outputs", &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let data = resource(&model, "aws_s3_bucket.data");
    let region = data.attr("region").unwrap();
    assert_eq!(region.as_str(), Some("eu-central-1"));
    assert_eq!(
        provenance(region),
        [
            "module.settings.region = \"eu-central-1\" (from modules/settings/main.tf:8)",
            "local.regions = { prod = \"eu-central-1\", dev = \"eu-west-1\" } (from modules/settings/main.tf:4)",
            "var.env = \"prod\" (from main.tf:3)",
            "module.settings input env = \"prod\" (from main.tf:3)",
        ]
    );
    assert_eq!(data.attr("bucket").unwrap().as_str(), Some("data-prod"));
    // The output feeds another module's input.
    let key = resource(&model, "module.kms.aws_kms_key.this");
    assert_eq!(key.attr("region").unwrap().as_str(), Some("eu-central-1"));
    // An output that is another resource's computed attribute names that resource.
    let sse = resource(
        &model,
        "aws_s3_bucket_server_side_encryption_configuration.data",
    );
    let arn = sse.attr("key").unwrap();
    assert_eq!(
        arn.unknown_reason(),
        Some("module.kms.aws_kms_key.this.arn (known after apply)")
    );
    assert_eq!(referenced_address(arn), Some("module.kms.aws_kms_key.this"));
}

#[test]
fn functions_on_hostile_arguments_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"locals {
  a = cidrsubnet("10.0.0.0/8", 99999999999, 1)
  b = cidrsubnet("10.0.0.0/40", 2, 1)
  c = cidrsubnet("10.0.0.0/8", 8, -1)
  d = substr("abc", 1, 1e300)
  e = format("%999999999999s|%.99999f", "x", 1)
  f = element([], 3)
  g = range(0, 1e12)
  h = jsondecode("{")
  i = lookup({}, "k")
  j = 1 / 0
  k = cidrsubnet("10.0.0.0/8", 24, 16777215)
}

resource "x_y" "z" {
  values = [local.a, local.b, local.c, local.d, local.e, local.f, local.g, local.h, local.i, local.j, local.k]
  count  = 1e12
}
"#,
    )
    .unwrap();
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let z = model
        .resources
        .iter()
        .find(|r| r.address == "x_y.z[0]")
        .unwrap();
    let values = z.attr("values").unwrap().items();
    assert_eq!(values[3].as_str(), Some("bc"));
    assert!(values[4].as_str().unwrap().len() < 2_000);
    assert_eq!(values[10].as_str(), Some("10.255.255.255/32"));
    for i in [0, 1, 2, 5, 6, 7, 8] {
        assert!(
            values[i].unknown_reason().is_some(),
            "{i}: {}",
            values[i].render()
        );
    }
    assert!(
        model
            .notes
            .iter()
            .any(|n| n.message.contains("only the first"))
    );
}

#[test]
fn configuration_aliases_passed_to_a_module() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path();
    write(
        &root_dir.join("main.tf"),
        "provider \"aws\" {\n  region = \"eu-central-1\"\n}\n\nprovider \"aws\" {\n  alias  = \"dr\"\n  region = \"us-east-1\"\n}\n\nmodule \"replica\" {\n  source    = \"./replica\"\n  providers = {\n    aws         = aws\n    aws.replica = aws.dr\n  }\n}\n",
    );
    write(
        &root_dir.join("replica/main.tf"),
        "terraform {\n  required_providers {\n    aws = {\n      source                = \"hashicorp/aws\"\n      configuration_aliases = [aws.replica]\n    }\n  }\n}\n\nresource \"aws_s3_bucket\" \"primary\" {\n  bucket = \"p\"\n}\n\nresource \"aws_s3_bucket\" \"copy\" {\n  provider = aws.replica\n  bucket   = \"c\"\n}\n",
    );
    let model = evaluate_root(&root(root_dir), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let region_of = |address: &str| {
        let r = resource(&model, address);
        model
            .provider_of(r)
            .unwrap()
            .attr("region")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        region_of("module.replica.aws_s3_bucket.primary"),
        "eu-central-1"
    );
    assert_eq!(region_of("module.replica.aws_s3_bucket.copy"), "us-east-1");
    let copy = resource(&model, "module.replica.aws_s3_bucket.copy");
    assert_eq!(
        model.provider_of(copy).unwrap().address,
        "provider[\"registry.terraform.io/hashicorp/aws\"].dr"
    );
    assert!(model.providers.iter().all(|p| !p.implicit));
}

#[test]
fn published_module_style_configuration() {
    let model = eval_fixture("realistic", &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let bucket = resource(&model, "aws_s3_bucket.this[0]");
    assert_eq!(
        bucket
            .attr("tags")
            .unwrap()
            .get("data-classification")
            .unwrap()
            .as_str(),
        Some("restricted")
    );
    let lifecycle = resource(&model, "aws_s3_bucket_lifecycle_configuration.this[0]");
    assert_eq!(
        referenced_address(lifecycle.attr("bucket").unwrap()),
        Some("aws_s3_bucket.this[0]")
    );
    let rules = lifecycle.attr("rule").unwrap().items();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].get("status").unwrap().as_str(), Some("Enabled"));
    assert_eq!(rules[1].get("status").unwrap().as_str(), Some("Disabled"));
    let abort = rules[0]
        .get("abort_incomplete_multipart_upload")
        .unwrap()
        .items();
    assert_eq!(
        abort[0].get("days_after_initiation").unwrap().as_number(),
        Some(7.0)
    );
    assert!(
        rules[1]
            .get("abort_incomplete_multipart_upload")
            .unwrap()
            .items()
            .is_empty()
    );
    let subnet = resource(&model, "aws_subnet.private[\"eu-central-1b\"]");
    assert_eq!(
        subnet.attr("cidr_block").unwrap().as_str(),
        Some("10.0.16.0/20")
    );
    assert_eq!(
        subnet.attr("tags").unwrap().get("Tier").unwrap().as_str(),
        Some("private")
    );
}

#[test]
fn referenced_address_of_splats_and_nested_modules() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("main.tf"),
        "resource \"aws_instance\" \"x\" {\n  count = 2\n}\n\nresource \"aws_lb_target_group_attachment\" \"a\" {\n  ids  = aws_instance.x[*].id\n  one  = aws_instance.x[1].id\n  name = \"${aws_instance.x[0].id}-suffix\"\n  var  = var.missing\n}\n\nvariable \"missing\" {}\n",
    );
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    let a = resource(&model, "aws_lb_target_group_attachment.a");
    assert_eq!(
        referenced_address(a.attr("ids").unwrap()),
        Some("aws_instance.x")
    );
    assert_eq!(
        referenced_address(a.attr("one").unwrap()),
        Some("aws_instance.x[1]")
    );
    assert_eq!(
        referenced_address(a.attr("name").unwrap()),
        Some("aws_instance.x[0]")
    );
    assert_eq!(referenced_address(a.attr("var").unwrap()), None);
}

#[test]
fn roots_evaluate_in_parallel_like_the_cli() {
    use rayon::prelude::*;
    // The CLI evaluates roots on rayon's workers while each root parses its files on rayon too:
    // this must not deadlock, and gives the same models as sequential evaluation.
    let roots = discover(&[fixtures()], &[]).unwrap();
    assert!(roots.len() >= 5, "{roots:?}");
    let opts = EvalOptions::default();
    for _ in 0..3 {
        let parallel: Vec<String> = roots
            .par_iter()
            .map(|r| render(&evaluate_root(r, &opts)))
            .collect();
        let sequential: Vec<String> = roots
            .iter()
            .map(|r| render(&evaluate_root(r, &opts)))
            .collect();
        assert_eq!(parallel, sequential);
    }
}

#[test]
fn instance_features_are_computed_for_every_instance() {
    let model = module_chain();
    assert!(!model.resources.is_empty());
    let expected: Vec<u8> = model
        .resources
        .iter()
        .map(sovereign_lint::rules::instance_features)
        .collect();
    assert_eq!(model.instance_features, expected);
}

/// Nested blocks become lists after the attributes, in the order their kinds first appear; a
/// block named like an attribute takes the attribute's place; a `dynamic` block over an empty
/// collection still yields its (empty) list.
#[test]
fn nested_blocks_become_lists_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "aws_security_group" "sg" {
  name    = "sg"
  ingress = "attribute"
  egress { cidr_blocks = ["10.0.0.0/8"] }
  ingress { from_port = 1 }
  egress { cidr_blocks = ["10.1.0.0/16"] }
  dynamic "tag" {
    for_each = []
    content { key = tag.value }
  }
  ingress { from_port = 2 }
}
"#,
    )
    .unwrap();
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    let sg = resource(&model, "aws_security_group.sg");
    let keys: Vec<&str> = sg.attributes.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["name", "ingress", "egress", "tag"]);
    let ports: Vec<f64> = sg
        .attr("ingress")
        .unwrap()
        .items()
        .iter()
        .filter_map(|b| b.get("from_port").and_then(Tracked::as_number))
        .collect();
    assert_eq!(ports, [1.0, 2.0]);
    assert_eq!(
        sg.attr("ingress").unwrap().location.as_ref().unwrap().line,
        5
    );
    assert_eq!(sg.attr("egress").unwrap().items().len(), 2);
    assert_eq!(
        sg.attr("egress").unwrap().location.as_ref().unwrap().line,
        4
    );
    assert_eq!(sg.attr("tag").unwrap().items().len(), 0);
}

/// Override files (`override.tf`, `*_override.tf`) merge into the blocks of the other files, in
/// name order: arguments replace arguments, a nested block type replaces all blocks of that type,
/// locals and variable defaults are replaced by name, a backend replaces the backend. Module-call
/// overrides are not merged, and a note says so.
#[test]
fn override_files_merge_into_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "main.tf",
        r#"terraform {
  backend "s3" {
    region = "eu-central-1"
  }
}
variable "region" { default = "eu-central-1" }
locals { suffix = "base" }
provider "aws" { region = var.region }
resource "aws_s3_bucket" "b" {
  bucket = "b-${local.suffix}"
  region = "eu-west-1"
  tags   = { data-classification = "internal" }
  lifecycle_rule { id = "a" }
  lifecycle_rule { id = "b" }
}
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.region
}
module "m" {
  source = "./m"
}
"#,
    );
    write(
        "override.tf",
        r#"resource "aws_s3_bucket" "b" {
  count  = 2
  region = "us-east-1"
  lifecycle_rule { id = "o" }
}
"#,
    );
    write(
        "z_override.tf",
        r#"terraform {
  backend "s3" {
    region = "us-west-2"
  }
}
variable "region" { default = "eu-north-1" }
locals { suffix = "over" }
module "m" {
  source = "./other"
}
"#,
    );
    std::fs::create_dir(dir.path().join("m")).unwrap();
    write("m/main.tf", "");
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let b = resource(&model, "aws_s3_bucket.b[1]");
    assert_eq!(b.attr("region").unwrap().as_str(), Some("us-east-1"));
    assert_eq!(
        b.attr("region")
            .unwrap()
            .location
            .as_ref()
            .unwrap()
            .file
            .as_ref(),
        "override.tf"
    );
    assert_eq!(b.attr("bucket").unwrap().as_str(), Some("b-over"));
    assert_eq!(
        b.attr("tags")
            .unwrap()
            .get("data-classification")
            .unwrap()
            .as_str(),
        Some("internal")
    );
    let rules = b.attr("lifecycle_rule").unwrap().items();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].get("id").unwrap().as_str(), Some("o"));
    assert!(
        model
            .resources
            .iter()
            .all(|r| r.address != "aws_s3_bucket.b")
    );
    // A reference reads the overridden argument.
    let p = resource(&model, "aws_s3_bucket_policy.p");
    assert_eq!(
        p.attr("bucket").unwrap().unknown_reason().map(|_| ()),
        Some(())
    );
    let provider = &model.providers[0];
    assert_eq!(
        provider.attr("region").unwrap().as_str(),
        Some("eu-north-1")
    );
    assert_eq!(model.backends.len(), 1);
    assert_eq!(
        model.backends[0].attributes["region"].as_str(),
        Some("us-west-2")
    );
    assert!(
        model
            .notes
            .iter()
            .any(|n| n.message.contains("override of module.m is not merged")),
        "{:?}",
        model.notes
    );
}

/// The `semantics` fixture's `terraform_data.NAME` input as a map.
fn input<'m>(model: &'m Model, name: &str) -> &'m Tracked {
    resource(model, &format!("terraform_data.{name}"))
        .attr("input")
        .unwrap()
}

fn reason(t: &Tracked) -> &str {
    t.unknown_reason()
        .unwrap_or_else(|| panic!("expected an unknown, got {}", t.render()))
}

#[test]
fn semantics_snapshot() {
    let model = eval_fixture("semantics", &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    insta::assert_snapshot!(render(&model));
}

/// Like Terraform's `try`/`can`: an argument that fails to evaluate falls through, one that is not
/// known yet (known after apply, a variable without a value, anything inside it) makes the result
/// unknown — never the fallback, which would hide what the value becomes.
#[test]
fn try_and_can_keep_unknowns_and_fall_through_errors() {
    let model = eval_fixture("semantics", &EvalOptions::default());
    let t = input(&model, "try_and_can");
    let get = |k: &str| t.get(k).unwrap();
    assert_eq!(
        reason(get("replica_arn")),
        "aws_s3_bucket.replica.arn (known after apply)"
    );
    assert_eq!(reason(get("unset")), "var.instance_region has no value");
    assert_eq!(get("missing").as_str(), Some("fallback"));
    assert_eq!(get("present").as_str(), Some("yes"));
    assert_eq!(
        reason(get("joined")),
        "aws_s3_bucket.replica.id (known after apply)"
    );
    assert_eq!(get("can_missing").as_bool(), Some(false));
    assert!(get("can_unknown").unknown_reason().is_some());
    assert!(get("contains").unknown_reason().is_some());
    assert!(get("equal").unknown_reason().is_some());
    // Partly unknown: the value itself, its known parts intact.
    let nested = &get("nested").items()[0];
    assert_eq!(nested.get("id").unwrap().as_str(), Some("offsite"));
    assert_eq!(
        reason(nested.get("bucket").unwrap()),
        "aws_s3_bucket.replica.arn (known after apply)"
    );
    assert_eq!(get("nested_miss").items()[0].as_str(), Some("fallback"));
}

#[test]
fn keys_not_known_yet_stay_unknown_and_set_functions_evaluate() {
    let model = eval_fixture("semantics", &EvalOptions::default());
    let t = input(&model, "keys");
    let keyed = t.get("keyed_region").unwrap();
    assert_eq!(reason(keyed), "var.instance_region has no value");
    assert!(!keyed.render().contains("(var."), "{}", keyed.render());
    let pairs: Vec<String> = t
        .get("pairs")
        .unwrap()
        .items()
        .iter()
        .map(Tracked::render)
        .collect();
    assert_eq!(
        pairs,
        [
            r#"["eu-west-1", "a"]"#,
            r#"["eu-west-1", "b"]"#,
            r#"["eu-central-1", "a"]"#,
            r#"["eu-central-1", "b"]"#
        ]
    );
    assert_eq!(t.get("common").unwrap().render(), r#"["eu-west-1"]"#);
    assert_eq!(t.get("arn_region").unwrap().as_str(), Some("eu-west-3"));
}

/// `optional(T, DEFAULT)` attributes take their defaults when absent, at every depth: in map
/// elements, in nested objects (merged with what is given), in the elements of nested lists.
#[test]
fn optional_attribute_defaults_apply_at_every_depth() {
    let model = eval_fixture("semantics", &EvalOptions::default());
    let data = resource(&model, r#"aws_s3_bucket.typed["data"]"#);
    let region = data.attr("region").unwrap();
    assert_eq!(region.as_str(), Some("eu-west-1"));
    let steps = provenance(region);
    assert!(
        steps.iter().any(|s| s.starts_with(
            "default of optional attribute `region` in the type of var.buckets (from main.tf:19"
        )),
        "{steps:?}"
    );
    let tags = |r: &ResourceInstance| {
        let tags = r.attr("tags").unwrap();
        [
            tags.get("data-classification").unwrap().render(),
            tags.get("owner").unwrap().render(),
        ]
    };
    assert_eq!(tags(data), [r#""internal""#, r#""ml-platform""#]);
    let logs = resource(&model, r#"aws_s3_bucket.typed["logs"]"#);
    assert_eq!(logs.attr("region").unwrap().as_str(), Some("eu-north-1"));
    assert_eq!(tags(logs), [r#""internal""#, r#""sec""#]);
    let replication = resource(
        &model,
        r#"aws_s3_bucket_replication_configuration.typed["data"]"#,
    );
    let destination = &replication.attr("rule").unwrap().items()[0]
        .get("destination")
        .unwrap()
        .items()[0];
    assert_eq!(
        destination.get("region").unwrap().as_str(),
        Some("eu-central-1")
    );
    assert!(
        model
            .resources
            .iter()
            .all(|r| r.address != r#"aws_s3_bucket_replication_configuration.typed["logs"]"#)
    );
}

/// What the user sees: the replication read through `try()` is reported, and nothing is
/// unresolved that Terraform resolves.
#[test]
fn semantics_findings() {
    let dir = fixtures().join("semantics");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sovereign-lint"))
        .args([".", "--format", "compact"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("SOV010"), "{stdout}");
    insta::assert_snapshot!(stdout);
}

/// A resource or data source that does not write its region takes its provider's, known when the
/// provider's is: `data.aws_region`, an AWS resource's `region`.
#[test]
fn values_taken_from_the_provider_configuration_are_resolved() {
    let model = eval_fixture("semantics", &EvalOptions::default());
    let t = input(&model, "from_provider");
    let get = |k: &str| t.get(k).unwrap();
    assert_eq!(get("current_region").as_str(), Some("eu-central-1"));
    assert_eq!(get("us_region").as_str(), Some("us-east-1"));
    assert_eq!(get("replica_region").as_str(), Some("us-east-1"));
    assert_eq!(
        get("key_arn").as_str(),
        Some("arn:aws:kms:eu-central-1:123456789012:key/abc")
    );
    assert_eq!(
        provenance(get("us_region"))[0],
        r#"data.aws_region.us.region = "us-east-1" (the `region` of its provider aws.us) (from main.tf:9)"#
    );
}

/// Operators, templates, indexes and `for` over a value not known yet give a value not known yet;
/// only where the known side decides (`false && x`, `true || x`, equal branches) is it known.
#[test]
fn operators_keep_values_not_known_yet_unknown() {
    let model = eval_fixture("semantics", &EvalOptions::default());
    let t = input(&model, "operators");
    for key in [
        "arith", "compare", "equal", "not", "negate", "and_true", "cond", "template", "index",
        "for_each",
    ] {
        let v = t.get(key).unwrap();
        assert!(
            v.unknown_reason()
                .is_some_and(|r| r.contains("known after apply")),
            "{key}: {}",
            v.render()
        );
    }
    assert_eq!(t.get("and_false").unwrap().as_bool(), Some(false));
    assert_eq!(t.get("or_true").unwrap().as_bool(), Some(true));
    assert_eq!(t.get("cond_same").unwrap().as_str(), Some("eu-west-1"));
}

/// `fileset()` + `yamldecode(file())`: a factory's settings come from its YAML files, so the
/// regions written there are checked.
#[test]
fn factories_read_their_yaml_files() {
    let model = eval_fixture("factory", &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let region = |key: &str| {
        resource(&model, &format!("aws_s3_bucket.factory[\"{key}\"]"))
            .attr("region")
            .unwrap()
            .render()
    };
    assert_eq!(region("training"), "\"eu-west-1\"");
    assert_eq!(region("exports"), "\"us-east-1\"");
    assert_eq!(
        resource(&model, "terraform_data.listing")
            .attr("input")
            .unwrap()
            .render(),
        r#"["archive/old.yaml", "exports.yaml", "training.yaml"]"#
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sovereign-lint"))
        .args([".", "--format", "compact"])
        .current_dir(fixtures().join("factory"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let regions: Vec<&str> = stdout.lines().filter(|l| l.contains("SOV001")).collect();
    assert_eq!(regions.len(), 1, "{stdout}");
    assert!(
        regions[0].contains("aws_s3_bucket.factory[\"exports\"]")
            && regions[0].contains("us-east-1")
    );
    assert!(!stdout.contains("SOV010"), "{stdout}");
}

/// `nullable = false`: a null module argument takes the variable's default (with its
/// `optional()` attributes), as Terraform does; a nullable variable keeps the null.
#[test]
fn null_argument_of_a_non_nullable_variable_takes_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path();
    write(
        &root_dir.join("main.tf"),
        "module \"project\" {\n  source   = \"./project\"\n  config   = null\n  location = null\n}\n",
    );
    write(
        &root_dir.join("project/main.tf"),
        r#"variable "config" {
  type = object({
    host     = string
    location = optional(string, "europe-west3")
  })
  default  = { host = null }
  nullable = false
}

variable "location" {
  type    = string
  default = "europe-west4"
}

resource "google_storage_bucket" "a" {
  name     = "a"
  location = var.config.location
}

resource "google_storage_bucket" "b" {
  name     = "b"
  location = var.location
}
"#,
    );
    let model = evaluate_root(&root(root_dir), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let a = resource(&model, "module.project.google_storage_bucket.a");
    assert_eq!(
        a.attr("location").and_then(Tracked::as_str),
        Some("europe-west3")
    );
    let b = resource(&model, "module.project.google_storage_bucket.b");
    assert!(b.attr("location").is_none_or(Tracked::is_null));
}

/// `module.NAME` of a module with `for_each` is a map of its instances' outputs by key, and with
/// `count` a list, as Terraform gives them (factories pass whole module maps on).
#[test]
fn whole_module_references_are_maps_or_lists_of_instance_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path();
    write(
        &root_dir.join("main.tf"),
        r#"module "net" {
  source   = "./net"
  for_each = { core = "europe-west3", dev = "europe-west4" }
  region   = each.value
}

module "zone" {
  source = "./net"
  count  = 2
  region = "europe-west${count.index + 8}"
}

resource "google_compute_address" "by_key" {
  for_each = module.net
  name     = each.key
  region   = each.value.region
}

resource "google_compute_address" "by_index" {
  name   = "second"
  region = element(module.zone[*].region, 1)
}

resource "google_compute_address" "splat" {
  name   = "splat"
  region = values(module.net)[0].region
}
"#,
    );
    write(
        &root_dir.join("net/main.tf"),
        "variable \"region\" {}\noutput \"region\" {\n  value = var.region\n}\n",
    );
    let model = evaluate_root(&root(root_dir), &EvalOptions::default());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let region = |address: &str| {
        resource(&model, address)
            .attr("region")
            .map(Tracked::render)
            .unwrap_or_default()
    };
    assert_eq!(
        region("google_compute_address.by_key[\"core\"]"),
        "\"europe-west3\""
    );
    assert_eq!(
        region("google_compute_address.by_key[\"dev\"]"),
        "\"europe-west4\""
    );
    assert_eq!(region("google_compute_address.splat"), "\"europe-west3\"");
    assert_eq!(
        region("google_compute_address.by_index"),
        "\"europe-west9\""
    );
}

/// Found on published modules (terraform-aws-eks node groups): a variable declared
/// `nullable = false` that its caller sets to `null` takes its default, and a known map compared
/// with `null` is decided even when values inside it are known only after apply, so a
/// `for_each = var.groups != null ? var.groups : {}` over data-source ids still expands by key.
#[test]
fn non_nullable_inputs_and_null_comparisons_over_partly_unknown_values() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "main.tf",
        r#"data "aws_ami" "node" {}
module "group" {
  source  = "./group"
  groups  = { one = { ami = data.aws_ami.node.id } }
  options = null
  enabled = null
}
"#,
    );
    write(
        "group/main.tf",
        r#"variable "groups" {
  type    = map(object({ ami = optional(string) }))
  default = null
}
variable "options" {
  type     = object({ http_endpoint = optional(string, "enabled") })
  default  = { http_endpoint = "enabled" }
  nullable = false
}
variable "enabled" {
  type     = bool
  default  = true
  nullable = false
}
resource "aws_launch_template" "node" {
  for_each = var.enabled && var.groups != null ? var.groups : {}
  image_id = each.value.ami
  metadata_options {
    http_endpoint = var.options.http_endpoint
  }
}
"#,
    );
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    let template = resource(&model, r#"module.group.aws_launch_template.node["one"]"#);
    let endpoint = template
        .attr("metadata_options")
        .unwrap()
        .items()
        .first()
        .and_then(|b| b.get("http_endpoint"))
        .and_then(Tracked::as_str)
        .map(str::to_string);
    assert_eq!(endpoint.as_deref(), Some("enabled"));
}

/// Found on terraform-aws-ecs (`[for k, v in module.container_definition : v.container_definition]`):
/// a module call read as a whole is the object of its outputs, and one with `for_each` or `count`
/// is a map or list of them, so images built in a child module reach the task definition.
#[test]
fn module_calls_read_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "main.tf",
        r#"module "container" {
  source   = "./container"
  for_each = { app = "ghcr.io/acme/app:1", proxy = "nginx:1.27" }
  image    = each.value
}
module "single" {
  source = "./container"
  image  = "quay.io/acme/single:1"
}
module "counted" {
  source = "./container"
  count  = 2
  image  = "counted:${count.index}"
}
resource "terraform_data" "images" {
  input = {
    by_key  = [for k, v in module.container : v.definition.image]
    single  = module.single.definition.image
    whole   = module.single
    counted = module.counted[*].definition.image
  }
}
"#,
    );
    write(
        "container/main.tf",
        r#"variable "image" {
  type = string
}
output "definition" {
  value = { image = var.image }
}
"#,
    );
    let model = evaluate_root(&root(dir.path()), &EvalOptions::default());
    let input = resource(&model, "terraform_data.images")
        .attr("input")
        .unwrap();
    let strings = |key: &str| -> Vec<String> {
        input
            .get(key)
            .unwrap()
            .items()
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(strings("by_key"), ["ghcr.io/acme/app:1", "nginx:1.27"]);
    assert_eq!(strings("counted"), ["counted:0", "counted:1"]);
    assert_eq!(
        input.get("single").and_then(Tracked::as_str),
        Some("quay.io/acme/single:1")
    );
    let whole = input.get("whole").unwrap();
    assert_eq!(
        whole
            .get("definition")
            .and_then(|d| d.get("image"))
            .and_then(Tracked::as_str),
        Some("quay.io/acme/single:1")
    );
}
