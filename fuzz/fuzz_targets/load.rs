//! Any bytes, as a `.tf`, `.tf.json`, `.tfvars` or `.tfvars.json` file, must give a syntax tree
//! or an input error naming the file — never a panic, a stack overflow or a hang; and the fast
//! native parser agrees with hcl-edit.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sovereign_lint::load::{SourceFile, decode_text, parse_config, parse_tfvars, parse_with_both};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the syntax, the rest is the file.
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let name = match selector % 4 {
        0 => "main.tf",
        1 => "main.tf.json",
        2 => "terraform.tfvars",
        _ => "terraform.tfvars.json",
    };
    let rel: Arc<str> = Arc::from(name);
    let text = match decode_text(bytes, &rel) {
        Ok(text) => text,
        Err(error) => {
            assert_eq!(error.file.as_deref(), Some(name));
            return;
        }
    };
    if name == "main.tf" {
        // The fast native parser must read what hcl-edit reads, and never accept what it rejects.
        match parse_with_both(&text) {
            (Some(fast), Some(reference)) => assert_eq!(fast, reference),
            (Some(_), None) => panic!("the fast parser accepts input hcl-edit rejects"),
            _ => {}
        }
    }
    let source = SourceFile::new(rel, Arc::from(text));
    let result = if name.contains("tfvars") {
        parse_tfvars(&source).map(|_| ())
    } else {
        parse_config(&source).map(|_| ())
    };
    if let Err(error) = result {
        assert_eq!(error.file.as_deref(), Some(name));
        assert!(!error.message.is_empty());
    }
});
