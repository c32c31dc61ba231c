//! Replays the `s3_xml_requests` fuzz seed corpus through the same oracle the fuzz target
//! runs, so the seeds are checked on stable without libFuzzer.

use std::path::PathBuf;

use s4_s3_xml::fuzzing::{check_request_parsers, FUZZ_BODY_LIMIT};

#[test]
fn seed_corpus_passes_the_oracle() {
    let dir: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "fuzz",
        "corpus",
        "s3_xml_requests",
    ]
    .iter()
    .collect();
    let mut files = 0;
    let mut accepted = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        accepted += check_request_parsers(&data);
        files += 1;
    }
    assert!(files >= 30, "seed corpus has only {files} files");
    // Valid seeds of each document exist: the round-trip half of the oracle is exercised.
    assert!(
        accepted >= 12,
        "only {accepted} parser acceptances in the corpus"
    );
}

#[test]
fn oracle_checks_the_size_limit() {
    let big = vec![b' '; FUZZ_BODY_LIMIT + 1];
    assert_eq!(check_request_parsers(&big), 0);
    let valid = b"<Delete><Object><Key>a</Key></Object></Delete>";
    assert_eq!(check_request_parsers(valid), 1);
    // The empty body is a valid (empty) CreateBucket configuration only.
    assert_eq!(check_request_parsers(b""), 1);
}
