//! The `sovereign-lint` command: parse the command line, run the pipeline, write the reports.
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, error::ErrorKind};
use sovereign_lint::cli::{Cli, Command, Format, VerifyArgs};
use sovereign_lint::engine::{self, RunOptions};
use sovereign_lint::eval::EvalOptions;
use sovereign_lint::evidence::{self, AttestOptions};
use sovereign_lint::report::{self, HumanOptions};
use sovereign_lint::rules;
use sovereign_lint::suppress::Date;

// Evaluation allocates many small values (maps, strings, provenance chains) per instance; mimalloc
// cuts the time glibc malloc/free took in profiles of large monorepos.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    sovereign_lint::allocator::configure();
    install_panic_hook();
    sovereign_lint::eval::install_thread_pool();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap exits 2 for usage errors and 0 for --help/--version.
        Err(e) => e.exit(),
    };
    match &cli.command {
        Some(Command::Rules) => {
            print!("{}", rules::rules_table());
            return ExitCode::SUCCESS;
        }
        Some(Command::Explain { rule }) => {
            return match rules::explain(rule) {
                Some(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                None => {
                    let ids: Vec<&str> = rules::all_rules().iter().map(|r| r.info().id).collect();
                    eprintln!(
                        "error: unknown rule `{rule}`; rules are {} (see `sovereign-lint rules`)",
                        ids.join(", ")
                    );
                    ExitCode::from(2)
                }
            };
        }
        Some(Command::Verify(args)) => return verify(args),
        None => {}
    }

    let outputs = match cli.outputs() {
        Ok(o) => o,
        Err(message) => Cli::command()
            .error(ErrorKind::ArgumentConflict, message)
            .exit(),
    };
    if cli.plan.is_some() && cli.paths.len() > 1 {
        Cli::command()
            .error(
                ErrorKind::TooManyValues,
                "--plan takes at most one PATH: the configuration directory the plan was made from",
            )
            .exit();
    }

    let opts = RunOptions {
        paths: cli.scan_paths(),
        plan: cli.plan.clone(),
        config: cli.config.clone(),
        jurisdiction: cli.jurisdiction.clone(),
        eval: EvalOptions {
            vars: cli
                .vars
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect(),
            var_files: cli.var_files.clone(),
            env: std::env::vars()
                .filter(|(k, _)| k.starts_with("TF_VAR_"))
                .collect(),
        },
        inline_ignores: !cli.no_inline_ignores,
        baseline: cli.baseline.clone(),
        write_baseline: cli.write_baseline.clone(),
        min_severity: cli.min_severity.severity(),
        fail_on: cli.fail_on.severity(),
        today: Date::today(),
        finding_snippets: outputs.iter().any(|spec| spec.format == Format::Human),
    };
    // A bad signing key is a usage error found before the (possibly long) run.
    let attest = match &cli.attest {
        Some(output) => {
            let signing_key = match cli
                .signing_key
                .as_deref()
                .map(evidence::keys::SigningKey::load)
            {
                Some(Ok(key)) => Some(key),
                Some(Err(e)) => {
                    eprintln!("error: {e}");
                    eprintln!("  help: {}", evidence_help(&e));
                    return ExitCode::from(2);
                }
                None => None,
            };
            Some(AttestOptions::start(
                output.clone(),
                signing_key,
                cli.plan.as_deref(),
                cli.tfplan.clone(),
            ))
        }
        None => None,
    };

    let (report, inputs) = engine::run_with_inputs(&opts);
    let mut code = report.exit_code();

    // Input errors go to standard error whatever the formats, so a redirected or machine-readable
    // report never hides them.
    if !report.errors.is_empty() {
        let terminal = std::io::stderr().is_terminal();
        let human = HumanOptions {
            color: wants_color(terminal),
            width: if terminal {
                terminal_width()
            } else {
                HumanOptions::default().width
            },
        };
        eprint!("{}", report::render_input_errors(&report, &human));
    }

    for spec in &outputs {
        let to_terminal = spec.output.is_none() && std::io::stdout().is_terminal();
        let human = HumanOptions {
            color: wants_color(to_terminal),
            width: if to_terminal {
                terminal_width()
            } else {
                HumanOptions::default().width
            },
        };
        match &spec.output {
            Some(path) => {
                let written = std::fs::File::create(path).and_then(|file| {
                    let mut file = std::io::BufWriter::new(file);
                    report::write(spec.format, &report, &human, &mut file)?;
                    file.flush()
                });
                if let Err(e) = written {
                    eprintln!(
                        "error: cannot write {} report to {}: {e}",
                        spec.format.name(),
                        path.display()
                    );
                    code = 2;
                }
            }
            None => {
                let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
                // A closed pipe (`| head`) is not an error worth a message.
                let _ = report::write(spec.format, &report, &human, &mut stdout)
                    .and_then(|()| stdout.flush());
            }
        }
    }
    if let Some(attest) = &attest {
        code = write_evidence(&opts, attest, &report, &inputs, code);
    }
    // With every report going to files, say the outcome on stderr so CI logs show it.
    if outputs.iter().all(|o| o.output.is_some())
        && !outputs
            .iter()
            .any(|o| o.format == Format::Human && o.output.is_none())
    {
        eprintln!("{}", report::summary_line(&report));
    }
    // The process ends here: freeing hundreds of thousands of findings one by one would only
    // delay the exit.
    std::mem::forget(report);
    ExitCode::from(code as u8)
}

/// `--attest`: the evidence of a run that checked its inputs (exit 0 or 1); none after input
/// errors. Returns the exit code (2 when the evidence cannot be written).
fn write_evidence(
    opts: &RunOptions,
    attest: &AttestOptions,
    report: &report::Report,
    inputs: &engine::RunInputs,
    code: i32,
) -> i32 {
    if code == 2 {
        eprintln!(
            "note: no evidence written to {}: the run had input errors, so it proves nothing",
            attest.output.display()
        );
        // A bundle from an earlier run must not pass for this one.
        let _ = std::fs::remove_file(&attest.output);
        return code;
    }
    match evidence::write_evidence(opts, attest, report, inputs) {
        Ok(written) => {
            eprintln!(
                "{} {} ({}) to {}",
                if written.signed {
                    "wrote signed evidence"
                } else {
                    "wrote the unsigned in-toto Statement"
                },
                written.verification_result,
                if written.signed {
                    "Sigstore bundle v0.3"
                } else {
                    "sign it with cosign attest-blob --statement"
                },
                written.path.display()
            );
            code
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("  help: {}", evidence_help(&e));
            2
        }
    }
}

fn evidence_help(e: &evidence::EvidenceError) -> String {
    use miette::Diagnostic;
    e.help().map(|h| h.to_string()).unwrap_or_default()
}

/// `sovereign-lint verify`: 0 valid and PASSED, 1 valid and FAILED, 2 invalid.
fn verify(args: &VerifyArgs) -> ExitCode {
    let opts = evidence::VerifyOptions {
        evidence: args.evidence.clone(),
        key: args.key.clone(),
        plan: args.plan.clone(),
        tfplan: args.tfplan.clone(),
        recheck: args.recheck,
    };
    match evidence::verify(&opts) {
        Ok(verified) => {
            print!(
                "{}",
                evidence::verify::render_verified(&args.evidence, &verified)
            );
            ExitCode::from(verified.exit_code())
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.evidence.display());
            if let Some(help) = &e.help {
                eprintln!("  help: {help}");
            }
            ExitCode::from(2)
        }
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org).
fn wants_color(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The terminal's width, within reason; 100 columns when unknown.
fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .unwrap_or(100)
        .clamp(60, 200)
}

/// Last resort: no code path should panic, but if one does, say so plainly and exit 2.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "sovereign-lint: internal error: {info}\n\
             This is a bug in sovereign-lint, not in your configuration. Please report it with the \
             command line and, if you can, the smallest configuration that reproduces it."
        );
        std::process::exit(2);
    }));
}
