//! The record of what the rules read: `arguments.toml` lists, for every resource type whose
//! arguments a rule reads by name, those arguments — top-level (`kms_key_id`) and nested, as dotted
//! paths through blocks and objects (`replica.region_name`) — and the provider documentation (name
//! and version) they were checked against. A rule that reads an argument the provider does not have
//! can never fire (or always fires); the test below fails when a rule reads an argument or nested
//! path that is not in the record, so every new read is checked against the documentation first.
//!
//! Reads are caught where names are resolved ([`crate::model::argument_reads`]), so a nested read
//! is recorded whichever helper a rule used to reach it. A recorded path also records the blocks
//! that lead to it (`replica.region_name` records `replica`).

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use crate::model::{Model, ResourceInstance, ResourceMode, argument_reads};

    const RECORD: &str = include_str!("arguments.toml");

    /// Every resource type named in the rules' sources.
    fn types_in_rule_sources() -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('"').skip(1).step_by(2) {
                let typed = ["aws_", "azurerm_", "google_", "sovereign_"]
                    .iter()
                    .any(|p| piece.starts_with(p));
                if typed
                    && piece
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    out.insert(piece.to_string());
                }
            }
        }
        out
    }

    /// Maps whose keys are users' (tags, labels): looking keys up in them reads no argument.
    fn holds_user_keys(name: &str) -> bool {
        super::super::support::is_tag_map(name) || name == "user_labels"
    }

    /// Runs the rules on `model` with its maps registered, so that lookups in them are recorded.
    fn run_recorded(model: &Model, policy: &sovereign_schemas::Policy) {
        argument_reads::register(model, &holds_user_keys);
        super::super::run(model, policy);
        argument_reads::unregister();
    }

    /// What the rules read over every rule fixture (and the fail-closed fixture) and over one
    /// bare instance of every type.
    fn reads() -> BTreeSet<(String, String)> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs: Vec<std::path::PathBuf> = Vec::new();
        for rule in std::fs::read_dir(manifest.join("tests/fixtures/rules")).unwrap() {
            for case in ["fail", "pass"] {
                dirs.push(rule.as_ref().unwrap().path().join(case));
            }
        }
        dirs.push(manifest.join("tests/fixtures/fail_closed/config"));
        let policy = sovereign_schemas::Policy::default();
        argument_reads::during(|| {
            {
                for dir in dirs {
                    if !dir.is_dir() {
                        continue;
                    }
                    let root = crate::load::DiscoveredRoot {
                        dir: dir.clone(),
                        scan_root: dir,
                    };
                    let model = crate::eval::evaluate_root(&root, &Default::default());
                    run_recorded(&model, &policy);
                }
            }
            let mut model = Model::default();
            for t in types_in_rule_sources() {
                model.resources.push(ResourceInstance {
                    address: format!("{t}.x"),
                    module_address: Default::default(),
                    mode: ResourceMode::Managed,
                    resource_type: t.as_str().into(),
                    name: "x".into(),
                    attributes: Default::default(),
                    provider: None,
                    location: crate::model::Location::new("main.tf", 1, 1),
                    call_chain: Default::default(),
                });
            }
            model.instance_features = model
                .resources
                .iter()
                .map(super::super::instance_features)
                .collect();
            run_recorded(&model, &policy);
        })
    }

    /// Whether `read` is recorded in `recorded`: exactly, or as a block on the way to a recorded
    /// nested path (`replica` by `replica.region_name`).
    fn is_recorded(recorded: &BTreeSet<String>, read: &str) -> bool {
        recorded.contains(read)
            || recorded
                .range(format!("{read}.")..)
                .next()
                .is_some_and(|r| r.starts_with(&format!("{read}.")))
    }

    /// The record: `[any]` arguments and the arguments of each resource type.
    fn record() -> (
        BTreeSet<String>,
        BTreeMap<String, BTreeSet<String>>,
        toml::Table,
    ) {
        let table: toml::Table = RECORD.parse().expect("arguments.toml is TOML");
        let strings = |v: &toml::Value| -> BTreeSet<String> {
            v.as_array()
                .expect("a list of argument names")
                .iter()
                .map(|a| a.as_str().expect("an argument name").to_string())
                .collect()
        };
        let any = strings(&table["any"]["arguments"]);
        let resources = table["resources"]
            .as_table()
            .expect("[resources]")
            .iter()
            .map(|(t, args)| (t.clone(), strings(args)))
            .collect();
        (any, resources, table)
    }

    /// Every argument a rule reads is in the record, under its resource type (or read on any
    /// resource), and every recorded type names the provider documentation it was checked against.
    #[test]
    fn every_argument_the_rules_read_is_recorded() {
        let (any, resources, table) = record();
        let mut read = reads();
        for (t, a) in super::super::sov006_unmanaged_encryption::encryption_arguments() {
            read.insert((t.to_string(), a.to_string()));
        }
        let missing: Vec<String> = read
            .iter()
            .filter(|(t, a)| {
                !is_recorded(&any, a) && !resources.get(t).is_some_and(|r| is_recorded(r, a))
            })
            .map(|(t, a)| format!("{t}.{a}"))
            .collect();
        assert!(
            missing.is_empty(),
            "rules read arguments that src/rules/arguments.toml does not record (check the provider \
             documentation, then record them): {missing:?}"
        );
        let providers = table["providers"].as_table().expect("[providers]");
        for t in resources.keys() {
            let provider = t.split('_').next().unwrap_or(t);
            assert!(
                providers
                    .get(provider)
                    .and_then(|p| p.get("documentation"))
                    .is_some(),
                "{t}: no [providers.{provider}] documentation"
            );
        }
    }

    /// Arguments providers do not have are not read (the mistakes this record was made to stop).
    #[test]
    fn arguments_the_providers_do_not_have_are_not_read() {
        let read = reads();
        for (t, a) in [
            ("aws_ami_copy", "source_region"),
            (
                "aws_db_cluster_snapshot_copy",
                "source_db_snapshot_identifier",
            ),
            ("aws_docdb_cluster", "replication_source_identifier"),
            ("aws_db_instance", "replication_source_identifier"),
            ("aws_kms_key", "key_spec"),
            ("azurerm_key_vault_key", "managed_hsm_id"),
            // Found in the issue #11 review (azurerm 5.2.0, hashicorp/aws 6.x pages).
            (
                "azurerm_machine_learning_workspace",
                "encryption.key_vault_key_id",
            ),
            (
                "azurerm_eventhub_namespace",
                "customer_managed_key.key_vault_key_ids",
            ),
            (
                "azurerm_storage_account_customer_managed_key",
                "managed_hsm_key_id",
            ),
            (
                "aws_s3_bucket",
                "replication_configuration.rules.destination.encryption_configuration.replica_kms_key_id",
            ),
        ] {
            assert!(
                !read.contains(&(t.to_string(), a.to_string())),
                "{t}.{a} is read"
            );
        }
        let (_, resources, _) = record();
        assert!(resources["aws_ami_copy"].contains("source_ami_region"));
    }

    /// Nested reads are recorded with their path, whichever way a rule reaches them, and only
    /// while recording; users' tag keys are not arguments.
    #[test]
    fn nested_reads_are_recorded_with_their_path() {
        let model = crate::rules::test_support::ModelBuilder::new()
            .resource(
                "aws_dynamodb_table",
                "t",
                serde_json::json!({"replica": [{"region_name": "eu-west-1"}, {"region_name": "eu-north-1"}],
                                   "tags": {"owner": "x"}}),
            )
            .build();
        let r = &model.resources[0];
        let read = argument_reads::during(|| {
            argument_reads::register(&model, &holds_user_keys);
            for replica in r
                .attr("replica")
                .map(crate::model::Tracked::items)
                .unwrap_or_default()
            {
                let _ = replica.get("region_name");
            }
            let _ = super::super::support::get_path(
                &r.attributes,
                "server_side_encryption.kms_key_arn",
            );
            let _ = r.attr("tags").and_then(|t| t.get("owner"));
        });
        let read: Vec<String> = read.into_iter().map(|(t, a)| format!("{t}.{a}")).collect();
        assert_eq!(
            read,
            [
                "aws_dynamodb_table.replica",
                "aws_dynamodb_table.replica.region_name",
                "aws_dynamodb_table.server_side_encryption",
                "aws_dynamodb_table.server_side_encryption.kms_key_arn",
                "aws_dynamodb_table.tags",
            ]
        );
        // Not recording: nothing is kept, and a map of the last model is not taken for another's.
        let after = argument_reads::during(|| {
            let _ = r.attr("replica").map(|t| t.items()[0].get("region_name"));
        });
        assert_eq!(after.len(), 1, "{after:?}");
    }

    /// A nested path the record lacks fails the check; its blocks are recorded by it.
    #[test]
    fn recorded_paths_cover_their_blocks_only() {
        let recorded: BTreeSet<String> =
            ["replica.region_name".to_string(), "rule".to_string()].into();
        assert!(is_recorded(&recorded, "replica"));
        assert!(is_recorded(&recorded, "replica.region_name"));
        assert!(is_recorded(&recorded, "rule"));
        assert!(!is_recorded(&recorded, "replica.kms_key_arn"));
        assert!(!is_recorded(&recorded, "rule.destination"));
        assert!(!is_recorded(&recorded, "repl"));
    }

    /// What the rules read, one `type.path` a line:
    /// `cargo test -p sovereign-lint --lib arguments::tests::dump -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn dump() {
        for (t, a) in reads() {
            println!("{t}.{a}");
        }
    }
}
