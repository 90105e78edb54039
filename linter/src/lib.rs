//! sovereign-lint library.
