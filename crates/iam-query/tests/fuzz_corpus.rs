//! Replays the `iam_query` fuzz seed corpus through the oracle the fuzz target runs
//! ([`s4_iam_query::fuzzing::check`]), so the seeds are checked on stable without libFuzzer.

use std::path::PathBuf;

use s4_iam_query::fuzzing::{check, FUZZ_BODY_LIMIT};

#[test]
fn seed_corpus_passes_the_oracle() {
    let dir: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "fuzz",
        "corpus",
        "iam_query",
    ]
    .iter()
    .collect();
    let mut files = 0;
    let mut accepted = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        accepted += check(&data);
        files += 1;
    }
    assert!(files >= 50, "seed corpus has only {files} files");
    // Every action has a valid seed, read both as a form and as a query: the round-trip half
    // of the oracle is exercised.
    assert!(accepted >= 60, "only {accepted} acceptances in the corpus");
}

#[test]
fn oracle_counts_and_limits() {
    let valid = b"Action=GetUser&Version=2010-05-08&UserName=alice";
    assert_eq!(check(valid), 2);
    assert_eq!(check(b"Action=GetUser&Version=2010-05-08&UserName=\xff"), 0);
    assert_eq!(check(b""), 0);
    let mut big = b"Action=GetUser&Version=2010-05-08&Pad=".to_vec();
    big.resize(FUZZ_BODY_LIMIT + 1, b'x');
    // Too large as a form, fine as a query string.
    assert_eq!(check(&big), 1);
}
