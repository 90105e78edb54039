//! Bad and extreme inputs, generated in a temp dir: every broken file gives an input error naming
//! the file (and line), valid extreme files evaluate fully, nothing panics or overflows the stack.
use std::fmt::Write as _;
use std::path::Path;

use sovereign_lint::eval::{EvalOptions, evaluate_root};
use sovereign_lint::load::DiscoveredRoot;
use sovereign_lint::model::Model;

fn eval_dir(dir: &Path) -> Model {
    evaluate_root(
        &DiscoveredRoot {
            dir: dir.to_path_buf(),
            scan_root: dir.to_path_buf(),
        },
        &EvalOptions::default(),
    )
}

/// Writes one file next to a valid one and evaluates the directory.
fn eval_with(name: &str, bytes: &[u8]) -> Model {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    std::fs::write(
        dir.path().join("ok.tf"),
        "resource \"aws_s3_bucket\" \"fine\" {\n  bucket = \"fine\"\n}\n",
    )
    .unwrap();
    let model = eval_dir(dir.path());
    // The valid file is still evaluated.
    assert!(
        model
            .resources
            .iter()
            .any(|r| r.address == "aws_s3_bucket.fine"),
        "{:?}",
        model.errors
    );
    model
}

fn single_error(model: &Model, file: &str) -> (u32, String, String) {
    assert_eq!(model.errors.len(), 1, "{:?}", model.errors);
    let error = &model.errors[0];
    assert_eq!(error.file.as_deref(), Some(file));
    let line = error.location.as_ref().map_or(0, |l| l.line);
    (
        line,
        error.message.clone(),
        error.help.clone().unwrap_or_default(),
    )
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let model = eval_with(
        "bad.tf",
        b"resource \"a_b\" \"c\" {\n  name = \"caf\xe9\"\n}\n",
    );
    let (line, message, help) = single_error(&model, "bad.tf");
    assert_eq!(line, 2);
    assert!(message.contains("not valid UTF-8"), "{message}");
    assert!(help.contains("UTF-8"), "{help}");
    // The source text is kept for files that parse; broken encodings have none.
    assert!(model.sources.get("ok.tf").is_some());
}

#[test]
fn binary_garbage() {
    let mut bytes = Vec::new();
    for i in 0..4096u32 {
        bytes.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
    }
    bytes[10] = 0;
    let model = eval_with("garbage.tf", &bytes);
    let (_, message, _) = single_error(&model, "garbage.tf");
    assert!(
        message.contains("not a text file") || message.contains("UTF-8"),
        "{message}"
    );
}

#[test]
fn truncated_file() {
    let model = eval_with(
        "cut.tf",
        b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n  tags = {\n    a = \"b\"\n",
    );
    let (line, message, help) = single_error(&model, "cut.tf");
    // The block left open is named: `cut.tf:1:…: unexpected end of file: `{` opened here is never closed`.
    assert_eq!(line, 1, "{message}");
    assert!(
        message.contains("end of file") && message.contains("never closed"),
        "{message}"
    );
    assert!(
        help.contains("truncated") || help.contains("not closed"),
        "{help}"
    );
    assert!(
        model.sources.get("cut.tf").is_some(),
        "unparsable files are still shown"
    );
}

#[test]
fn unclosed_heredoc() {
    let model = eval_with(
        "doc.tf",
        b"locals {\n  a = 1\n  policy = <<EOT\n{\"x\": 1}\n}\n",
    );
    let (line, message, help) = single_error(&model, "doc.tf");
    assert_eq!(line, 3);
    assert!(
        message.contains("heredoc") && message.contains("EOT"),
        "{message}"
    );
    assert!(help.contains("EOT"), "{help}");
}

#[test]
fn unbalanced_braces() {
    let model = eval_with(
        "brace.tf",
        b"resource \"a_b\" \"c\" {\n  x = 1\n}\n}\nresource \"a_b\" \"d\" {}\n",
    );
    let (line, message, _) = single_error(&model, "brace.tf");
    assert_eq!(line, 4, "{message}");
    assert!(message.contains("cannot parse HCL"), "{message}");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    for (open, close) in [("[", "]"), ("{a=", "}"), ("(", ")")] {
        let mut text = String::from("locals {\n  x = ");
        text.push_str(&open.repeat(100_000));
        text.push('1');
        text.push_str(&close.repeat(100_000));
        text.push_str("\n}\n");
        let model = eval_with("deep.tf", text.as_bytes());
        let (line, message, _) = single_error(&model, "deep.tf");
        assert_eq!(line, 2);
        assert!(message.contains("nested"), "{message}");
    }
    // Unbalanced deep nesting too, and in JSON syntax.
    let unbalanced = format!("x = {}", "[".repeat(100_000));
    let model = eval_with("deep2.tf", unbalanced.as_bytes());
    single_error(&model, "deep2.tf");
    let json = format!(
        "{{\"locals\": {{\"x\": {}1{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let model = eval_with("deep.tf.json", json.as_bytes());
    let (_, message, _) = single_error(&model, "deep.tf.json");
    assert!(message.contains("deeper than"), "{message}");
}

#[test]
fn bad_json_and_bad_tfvars() {
    let model = eval_with(
        "bad.tf.json",
        b"{\n  \"resource\": {\n    \"aws_s3_bucket\": {\"b\": {\"bucket\": \"x\"}\n",
    );
    let (line, message, _) = single_error(&model, "bad.tf.json");
    assert!(line >= 3, "{message}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), "variable \"region\" {}\n").unwrap();
    std::fs::write(
        dir.path().join("terraform.tfvars"),
        "region = \"eu-west-1\nother = 1\n",
    )
    .unwrap();
    let model = eval_dir(dir.path());
    let (_, message, _) = single_error(&model, "terraform.tfvars");
    assert!(
        message.contains("cannot parse HCL") || message.contains("end of file"),
        "{message}"
    );
}

#[test]
fn five_megabyte_file_with_twenty_thousand_resources() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("variable \"region\" {\n  default = \"eu-central-1\"\n}\n");
    for i in 0..20_000 {
        let _ = write!(
            text,
            "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"bucket-{i}-${{var.region}}\"\n  region = var.region\n  tags = {{\n    data-classification = \"internal\"\n    owner               = \"team-{i}\"\n    cost-center         = \"cc-{}\"\n  }}\n  # padding padding padding padding padding padding padding padding padding padding padding padding\n}}\n\n",
            i % 97
        );
    }
    assert!(text.len() > 5_000_000, "{}", text.len());
    std::fs::write(dir.path().join("big.tf"), &text).unwrap();
    let model = eval_dir(dir.path());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    assert_eq!(model.resources.len(), 20_000);
    let last = model
        .resources
        .iter()
        .find(|r| r.address == "aws_s3_bucket.b19999")
        .unwrap();
    assert_eq!(
        last.attr("bucket").unwrap().as_str(),
        Some("bucket-19999-eu-central-1")
    );
    assert_eq!(last.location.line, 3 + 19_999 * 11 + 1);
}

#[test]
fn module_source_missing_and_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"gone\" {\n  source = \"./nowhere\"\n}\n",
    )
    .unwrap();
    let model = eval_dir(dir.path());
    let (line, message, _) = single_error(&model, "main.tf");
    assert_eq!(line, 1);
    assert!(message.contains("not a directory"), "{message}");
    let empty = tempfile::tempdir().unwrap();
    let model = eval_dir(empty.path());
    assert!(model.errors.is_empty() && model.resources.is_empty());
}

#[test]
fn large_file_with_heredocs_that_look_like_block_ends() {
    // Large files are parsed in chunks split after lines holding only `}`; a heredoc holding
    // such lines must still be read whole.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..4_000 {
        if i % 500 == 250 {
            let _ = write!(
                text,
                "resource \"aws_iam_policy\" \"p{i}\" {{\n  policy = <<EOT\n{{\n  \"a\": 1\n}}\n}}\nresource \"fake\" \"x\" {{\n{}\nEOT\n}}\n\n",
                "#".repeat(200_000 / 8)
            );
        } else {
            let _ = write!(
                text,
                "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"bucket-{i}\"\n}}\n\n"
            );
        }
    }
    std::fs::write(dir.path().join("main.tf"), &text).unwrap();
    let model = eval_dir(dir.path());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    assert_eq!(model.resources.len(), 4_000);
    assert!(model.resources.iter().all(|r| r.resource_type != "fake"));
    let policy = model
        .resources
        .iter()
        .find(|r| r.address == "aws_iam_policy.p250")
        .unwrap();
    assert!(
        policy
            .attr("policy")
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("{\n  \"a\": 1\n}\n}\nresource")
    );
}

#[test]
fn the_binary_exits_2_and_names_the_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cut.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sovereign-lint"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("cut.tf") && text.contains("never closed"),
        "{text}"
    );
}

#[test]
fn long_reference_chains_and_deep_module_nesting_fit_a_small_stack() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("locals {\n");
    let nested = |inner: &str| format!("{}{inner}{}", "[".repeat(40), "]".repeat(40));
    for i in 0..200 {
        let _ = writeln!(text, "  l{i} = {}", nested(&format!("local.l{}", i + 1)));
    }
    text.push_str("  l200 = \"end\"\n}\nresource \"x_y\" \"z\" {\n  v = local.l0\n}\nmodule \"m\" {\n  source = \"./m\"\n}\n");
    std::fs::write(dir.path().join("main.tf"), &text).unwrap();
    // 40 nested module directories, each calling the next.
    let mut path = dir.path().to_path_buf();
    for depth in 0..40 {
        path = path.join("m");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(
            path.join("main.tf"),
            format!("variable \"v\" {{\n  default = {depth}\n}}\nresource \"x_y\" \"z\" {{\n  v = var.v\n}}\nmodule \"m\" {{\n  source = \"./m\"\n  v      = var.v + 1\n}}\n"),
        )
        .unwrap();
    }
    let root = dir.path().to_path_buf();
    // Rayon's worker threads (where the CLI evaluates) have 2 MiB stacks.
    let model = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || eval_dir(&root))
        .unwrap()
        .join()
        .unwrap();
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    assert!(model.resources.iter().any(|r| r.address == "x_y.z"));
    assert!(model.resources.len() > 30, "{}", model.resources.len());
}
