//! Helpers shared by the crash tests.

/// The seed of a randomised test: `S4_TEST_SEED` when set (to replay a run), otherwise a fresh
/// one. Printed either way, so that a failure can be replayed with the same random choices.
pub fn test_seed(test: &str) -> u64 {
    let seed = match std::env::var("S4_TEST_SEED") {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|e| panic!("S4_TEST_SEED={text:?} is not an unsigned integer: {e}")),
        Err(_) => rand::random(),
    };
    eprintln!("{test}: seed {seed} (replay with S4_TEST_SEED={seed})");
    seed
}
