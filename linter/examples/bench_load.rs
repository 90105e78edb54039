//! Loader + evaluator benchmark harness (no rules, no reporting): discovers every root under the
//! given paths, evaluates them in parallel like `sovereign-lint` does, and prints what it read.
//! Used by `scripts/bench-lint`; not a test.
//!
//! Usage: `cargo run --release -p sovereign-lint --example bench_load -- PATH...`
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use sovereign_lint::eval::{EvalOptions, ModuleCache, evaluate_root_with};
use sovereign_lint::load::discover;

// The same allocator as the `sovereign-lint` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    sovereign_lint::allocator::configure();
    // Like the CLI: evaluation runs in place on large-stack pool threads.
    sovereign_lint::eval::install_thread_pool();
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let start = Instant::now();
    let roots = match discover(&paths, &[]) {
        Ok(roots) => roots,
        Err(e) => {
            eprintln!("error: {}", e.message);
            std::process::exit(2);
        }
    };
    let discovered = start.elapsed();
    let opts = EvalOptions::default();
    let cache = ModuleCache::default();
    // Like the CLI: one model per root, dropped after use.
    let stats: Vec<(usize, usize, usize, usize)> = roots
        .par_iter()
        .map(|root| {
            let model = evaluate_root_with(root, &opts, &cache);
            let bytes = model.sources.files.values().map(|t| t.len()).sum();
            let stats = (
                model.sources.files.len(),
                bytes,
                model.resources.len(),
                model.errors.len(),
            );
            sovereign_lint::eval::recycle_resources(model.resources);
            stats
        })
        .collect();
    let elapsed = start.elapsed();
    let (files, bytes, resources, errors) = stats.iter().fold((0, 0, 0, 0), |a, s| {
        (a.0 + s.0, a.1 + s.1, a.2 + s.2, a.3 + s.3)
    });
    println!(
        "roots={} files={files} bytes={bytes} resources={resources} errors={errors} discover_s={:.3} total_s={:.3}",
        roots.len(),
        discovered.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}
