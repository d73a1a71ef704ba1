//! Tidy: the source tree's own rules, checked by `cargo test -p corridor-tidy`
//! (part of the test command), in the manner of rust-analyzer's tidy tests.
//! The rules are in `tests/tidy.rs`; this crate has no code of its own.
