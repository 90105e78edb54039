//! Settings of the process allocator (mimalloc) that the `sovereign-lint` binary and the
//! benchmark harness install as their global allocator.

/// `mi_option_purge_delay` in the mimalloc v3 that `libmimalloc-sys` 0.1.49+ builds (its Rust
/// bindings only name the v2 options); checked by `purge_delay_is_the_option_we_mean` below.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory in the process instead of handing it back to the OS after a delay: each
/// root's model is freed once checked and the next root's is allocated in the same place, so
/// returning pages only to fault them back in (the kernel zeroing each one) cost ~200,000 page
/// faults and ~15% of the CPU time of a large monorepo run. Peak memory stays as it was (memory
/// is reused, not grown); the process is short-lived. `MIMALLOC_PURGE_DELAY` (read by mimalloc
/// when the process loads) still wins when set.
pub fn configure() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some()
        || std::env::var_os("MIMALLOC_RESET_DELAY").is_some()
    {
        return;
    }
    // SAFETY: stores an integer in mimalloc's option table at a valid index (checked by a test);
    // it touches no allocated memory (the value is read when memory is next freed).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mimalloc reads `MIMALLOC_PURGE_DELAY` into option `MI_OPTION_PURGE_DELAY` when the process
    /// loads: a child copy of this test started with it set shows that the index names that option.
    #[test]
    fn purge_delay_is_the_option_we_mean() {
        const MARK: &str = "SOVEREIGN_PURGE_DELAY_CHILD";
        // SAFETY: reads an integer from mimalloc's option table at a valid index.
        let current = || unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        if std::env::var_os(MARK).is_some() {
            assert_eq!(current(), 4321, "mimalloc option index of purge_delay");
            configure();
            assert_eq!(current(), 4321, "the environment overrides our setting");
            return;
        }
        let exe = std::env::current_exe().expect("test binary path");
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "allocator::tests::purge_delay_is_the_option_we_mean",
                "--test-threads=1",
            ])
            .env(MARK, "1")
            .env("MIMALLOC_PURGE_DELAY", "4321")
            .status()
            .expect("run the child test");
        assert!(status.success(), "child test failed");
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            configure();
            assert_eq!(current(), -1);
        }
    }
}
