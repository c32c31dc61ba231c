//! ListObjects: UTF-8 binary order, prefix, delimiter, start-after and pagination.

use std::collections::BTreeSet;

use bytes::Bytes;
use s4_naming::AccountId;

use super::support::{
    account_a, account_b, create_bucket, etag_of, expect_err, keys_of, list, object, pattern, put,
    query,
};
use super::{case, Case};
use s4_storage::{ListPage, ListQuery};
use s4_storage::{ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(listing::utf8_binary_order),
        case!(listing::prefix_filters),
        case!(listing::delimiter_rolls_up_common_prefixes),
        case!(listing::multi_character_delimiter),
        case!(listing::pagination_returns_everything_once),
        case!(listing::start_after),
        case!(listing::start_after_inside_a_common_prefix),
        case!(listing::max_keys_zero),
        case!(listing::accounts_do_not_share_listings),
    ]
}

const BUCKET: &str = "listing";

/// Keys whose UTF-8 byte order differs from naive orders (case-insensitive, UTF-16, code
/// point by code point in other encodings, "/" before "+").
const ORDER_KEYS: [&str; 10] = [
    "b",
    "a\u{1F600}",
    "a",
    "aé",
    "a/b",
    "A",
    "a+b",
    "a\u{FFFD}",
    "a\u{7F}",
    "a b",
];

/// Puts each key with a few bytes, none for folder markers (keys ending in `/`).
async fn put_keys<S: ObjectStore>(store: &S, account: AccountId, keys: &[&str]) {
    for (i, key) in keys.iter().enumerate() {
        let len = if key.ends_with('/') { 0 } else { i % 7 };
        put(store, &object(account, BUCKET, key), &pattern(i as u8, len)).await;
    }
}

fn sorted(keys: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    out.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    out
}

async fn utf8_binary_order<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &ORDER_KEYS).await;
    let page = list(store, a, BUCKET, &query("", None, 1000)).await;
    let expected = [
        "A",
        "a",
        "a b",
        "a+b",
        "a/b",
        "a\u{7F}",
        "aé",
        "a\u{FFFD}",
        "a\u{1F600}",
        "b",
    ];
    assert_eq!(
        keys_of(&page),
        expected,
        "keys must be listed in UTF-8 binary order"
    );
    assert_eq!(
        expected.to_vec(),
        sorted(&ORDER_KEYS),
        "the kit's own expectation"
    );
    assert!(!page.is_truncated, "a complete listing is not truncated");
    assert!(
        page.common_prefixes.is_empty(),
        "no delimiter, no common prefixes"
    );
    for summary in &page.objects {
        let i = ORDER_KEYS
            .iter()
            .position(|k| *k == summary.key)
            .expect("a listed key was put");
        let bytes = pattern(i as u8, i % 7);
        assert_eq!(
            summary.size,
            bytes.len() as u64,
            "listed size of {:?}",
            summary.key
        );
        assert_eq!(
            summary.etag,
            etag_of(&bytes),
            "listed ETag of {:?}",
            summary.key
        );
    }
    // Paging one key at a time follows the same order.
    let mut paged = Vec::new();
    let mut q = query("", None, 1);
    loop {
        let page = list(store, a, BUCKET, &q).await;
        paged.extend(keys_of(&page));
        if !page.is_truncated {
            break;
        }
        q.start_after.clone_from(&page.next_start_after);
        assert!(
            paged.len() <= expected.len(),
            "paging does not end: {paged:?}"
        );
    }
    assert_eq!(paged, expected, "paging one key at a time");
}

async fn prefix_filters<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &ORDER_KEYS).await;
    let cases: [(&str, &[&str]); 6] = [
        (
            "a",
            &[
                "a",
                "a b",
                "a+b",
                "a/b",
                "a\u{7F}",
                "aé",
                "a\u{FFFD}",
                "a\u{1F600}",
            ],
        ),
        ("a/", &["a/b"]),
        ("a/b", &["a/b"]),
        ("A", &["A"]),
        ("a\u{1F600}", &["a\u{1F600}"]),
        ("zzz", &[]),
    ];
    for (prefix, expected) in cases {
        let page = list(store, a, BUCKET, &query(prefix, None, 1000)).await;
        assert_eq!(keys_of(&page), expected, "keys with prefix {prefix:?}");
        assert!(!page.is_truncated, "prefix {prefix:?}: not truncated");
    }
    // A prefix longer than every key under it matches nothing.
    let page = list(store, a, BUCKET, &query("a/bc", None, 1000)).await;
    assert!(
        page.objects.is_empty(),
        "prefix longer than the key: {page:?}"
    );
}

const TREE: [&str; 11] = [
    "photos/2024/jan.jpg",
    "photos/2024/feb.jpg",
    "photos/2025/x.jpg",
    "photos/index.html",
    "photos/",
    "photos/ /space",
    "readme",
    "videos/a.mp4",
    "videos/b/c.mp4",
    "z/",
    "zz",
];

async fn delimiter_rolls_up_common_prefixes<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &TREE).await;
    let cases: [(&str, &[&str], &[&str]); 6] = [
        ("", &["readme", "zz"], &["photos/", "videos/", "z/"]),
        (
            "photos/",
            &["photos/", "photos/index.html"],
            &["photos/ /", "photos/2024/", "photos/2025/"],
        ),
        (
            "photos/2024/",
            &["photos/2024/feb.jpg", "photos/2024/jan.jpg"],
            &[],
        ),
        ("photos", &[], &["photos/"]),
        ("videos/b", &[], &["videos/b/"]),
        ("nothing/", &[], &[]),
    ];
    for (prefix, objects, prefixes) in cases {
        let page = list(store, a, BUCKET, &query(prefix, Some("/"), 1000)).await;
        assert_eq!(
            keys_of(&page),
            objects,
            "objects under {prefix:?} with delimiter /"
        );
        assert_eq!(
            page.common_prefixes, prefixes,
            "common prefixes under {prefix:?} with delimiter /"
        );
        assert!(!page.is_truncated, "{prefix:?}: not truncated");
    }
    // A delimiter that no key contains lists flat.
    let page = list(store, a, BUCKET, &query("", Some("#"), 1000)).await;
    assert_eq!(keys_of(&page), sorted(&TREE), "delimiter # lists every key");
    assert!(page.common_prefixes.is_empty(), "delimiter #: no prefixes");
}

async fn multi_character_delimiter<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &["a--b--c", "a--d", "a-e", "b--", "c", "é--é"]).await;
    let page = list(store, a, BUCKET, &query("", Some("--"), 1000)).await;
    assert_eq!(keys_of(&page), ["a-e", "c"], "objects with delimiter --");
    assert_eq!(
        page.common_prefixes,
        ["a--", "b--", "é--"],
        "common prefixes with delimiter --"
    );
    let page = list(store, a, BUCKET, &query("a--", Some("--"), 1000)).await;
    assert_eq!(
        keys_of(&page),
        ["a--d"],
        "objects under a-- with delimiter --"
    );
    assert_eq!(
        page.common_prefixes,
        ["a--b--"],
        "prefixes under a-- with delimiter --"
    );
    let page = list(store, a, BUCKET, &query("", Some("é"), 1000)).await;
    assert_eq!(page.common_prefixes, ["é"], "a multi-byte delimiter");
}

/// One entry of a listing, as the kit merges objects and prefixes back into order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Listed {
    Key(String),
    Prefix(String),
}

impl Listed {
    fn name(&self) -> &str {
        match self {
            Self::Key(n) | Self::Prefix(n) => n,
        }
    }
}

fn entries(page: &ListPage) -> Vec<Listed> {
    let mut all: Vec<Listed> = page
        .objects
        .iter()
        .map(|o| Listed::Key(o.key.clone()))
        .chain(page.common_prefixes.iter().cloned().map(Listed::Prefix))
        .collect();
    all.sort_by(|x, y| x.name().as_bytes().cmp(y.name().as_bytes()));
    all
}

/// Pages through a listing with `max_keys` per page and checks every page's shape.
async fn page_through<S: ObjectStore>(
    store: &S,
    account: AccountId,
    base: &ListQuery,
    what: &str,
) -> Vec<Listed> {
    let mut out: Vec<Listed> = Vec::new();
    let mut q = base.clone();
    for page_number in 1.. {
        let page = list(store, account, BUCKET, &q).await;
        let got = entries(&page);
        let sorted_within = page.objects.windows(2).all(|w| w[0].key < w[1].key)
            && page.common_prefixes.windows(2).all(|w| w[0] < w[1]);
        assert!(
            sorted_within,
            "{what}: page {page_number} is not sorted: {page:?}"
        );
        if page.is_truncated {
            assert_eq!(
                got.len(),
                q.max_keys,
                "{what}: truncated page {page_number} must hold max_keys objects and prefixes together: {page:?}"
            );
            let last = got.last().map(|e| e.name().to_owned());
            assert_eq!(
                page.next_start_after, last,
                "{what}: page {page_number}: next_start_after must be the last key or prefix returned"
            );
        } else {
            assert!(
                got.len() <= q.max_keys,
                "{what}: page {page_number} holds more than max_keys entries: {page:?}"
            );
        }
        if let (Some(prev), Some(first)) = (out.last(), got.first()) {
            assert!(
                prev.name().as_bytes() < first.name().as_bytes(),
                "{what}: page {page_number} starts with {first:?}, not after {prev:?}"
            );
        }
        out.extend(got);
        if !page.is_truncated {
            return out;
        }
        q.start_after.clone_from(&page.next_start_after);
        assert!(page_number < 200, "{what}: the listing never ends");
    }
    unreachable!("the loop returns")
}

async fn pagination_returns_everything_once<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let mut keys: Vec<&str> = TREE.to_vec();
    keys.extend(ORDER_KEYS);
    keys.extend(["p/1", "p/2/x", "p/2/y", "p/3/", "p/4", "p/é/1", "q"]);
    put_keys(store, a, &keys).await;
    for prefix in ["", "p/", "photos/", "a"] {
        for delimiter in [None, Some("/")] {
            let whole = list(store, a, BUCKET, &query(prefix, delimiter, 1000)).await;
            assert!(!whole.is_truncated, "one page of 1000 holds everything");
            let expected = entries(&whole);
            let unique: BTreeSet<&Listed> = expected.iter().collect();
            assert_eq!(unique.len(), expected.len(), "duplicates in {whole:?}");
            for max_keys in [1, 2, 3, 1000] {
                let what =
                    format!("prefix {prefix:?}, delimiter {delimiter:?}, max_keys {max_keys}");
                let paged =
                    page_through(store, a, &query(prefix, delimiter, max_keys), &what).await;
                assert_eq!(
                    paged, expected,
                    "{what}: pages joined must equal one big page"
                );
            }
        }
    }
    // With the full page computed independently of the backend.
    let flat = list(store, a, BUCKET, &query("", None, 1000)).await;
    assert_eq!(keys_of(&flat), sorted(&keys), "a flat listing of every key");
}

async fn start_after<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &ORDER_KEYS).await;
    let all = sorted(&ORDER_KEYS);
    let with_start = |start: &str, prefix: &str| ListQuery {
        prefix: prefix.to_owned(),
        delimiter: None,
        start_after: Some(start.to_owned()),
        max_keys: 1000,
    };
    // An existing key, a key that does not exist, before everything, after everything.
    for start in ["a+b", "a+c", "", "0", "a\u{1F600}", "\u{10FFFF}"] {
        let page = list(store, a, BUCKET, &with_start(start, "")).await;
        let expected: Vec<String> = all
            .iter()
            .filter(|k| k.as_bytes() > start.as_bytes())
            .cloned()
            .collect();
        assert_eq!(keys_of(&page), expected, "keys after {start:?}");
    }
    // A start-after before the prefix starts at the prefix; after it, the result is empty.
    let page = list(store, a, BUCKET, &with_start("A", "a/")).await;
    assert_eq!(keys_of(&page), ["a/b"], "start_after before the prefix");
    let page = list(store, a, BUCKET, &with_start("a/b", "a/")).await;
    assert!(
        page.objects.is_empty(),
        "start_after the only key under the prefix: {page:?}"
    );
    let page = list(store, a, BUCKET, &with_start("b", "a")).await;
    assert!(
        page.objects.is_empty(),
        "start_after beyond the prefix: {page:?}"
    );
}

async fn start_after_inside_a_common_prefix<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &TREE).await;
    let base = |start: &str| ListQuery {
        prefix: String::new(),
        delimiter: Some("/".to_owned()),
        start_after: Some(start.to_owned()),
        max_keys: 1000,
    };
    // The marker is the common prefix itself, or a key inside it: the rest of it is skipped.
    for start in [
        "photos/",
        "photos/2024/feb.jpg",
        "photos/index.html",
        "photos/zzz",
    ] {
        let page = list(store, a, BUCKET, &base(start)).await;
        assert_eq!(keys_of(&page), ["readme", "zz"], "objects after {start:?}");
        assert_eq!(
            page.common_prefixes,
            ["videos/", "z/"],
            "common prefixes after {start:?}: photos/ must not come back"
        );
    }
    // A marker before the common prefix still returns it.
    let page = list(store, a, BUCKET, &base("photo")).await;
    assert_eq!(
        page.common_prefixes,
        ["photos/", "videos/", "z/"],
        "a marker sorting before photos/"
    );
    // The same with a prefix: marker inside photos/2024/.
    let q = ListQuery {
        prefix: "photos/".to_owned(),
        delimiter: Some("/".to_owned()),
        start_after: Some("photos/2024/jan.jpg".to_owned()),
        max_keys: 1000,
    };
    let page = list(store, a, BUCKET, &q).await;
    assert_eq!(
        page.common_prefixes,
        ["photos/2025/"],
        "common prefixes under photos/ after a key in photos/2024/"
    );
    assert_eq!(
        keys_of(&page),
        ["photos/index.html"],
        "objects under photos/ after it"
    );
}

async fn max_keys_zero<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put_keys(store, a, &TREE).await;
    for delimiter in [None, Some("/")] {
        let page = list(store, a, BUCKET, &query("", delimiter, 0)).await;
        assert!(
            page.objects.is_empty() && page.common_prefixes.is_empty(),
            "max_keys 0 returns nothing: {page:?}"
        );
        assert!(!page.is_truncated, "max_keys 0 is not truncated: {page:?}");
    }
    // An empty bucket answers an empty page too.
    create_bucket(store, a, "empty").await;
    let page = store
        .list_objects(&a, "empty", &query("", Some("/"), 1000))
        .await
        .expect("list an empty bucket");
    assert_eq!(page, ListPage::default(), "an empty bucket's listing");
}

async fn accounts_do_not_share_listings<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, BUCKET).await;
    create_bucket(store, b, BUCKET).await;
    put_keys(store, a, &["shared/a", "only-a"]).await;
    put(
        store,
        &object(b, BUCKET, "shared/b"),
        &Bytes::from_static(b"b"),
    )
    .await;
    let page = list(store, b, BUCKET, &query("", Some("/"), 1000)).await;
    assert!(page.objects.is_empty(), "B's objects at the root: {page:?}");
    assert_eq!(page.common_prefixes, ["shared/"], "B's prefixes");
    let page = list(store, b, BUCKET, &query("shared/", None, 1000)).await;
    assert_eq!(keys_of(&page), ["shared/b"], "B's keys under shared/");
    create_bucket(store, a, "a-only").await;
    expect_err!(
        store.list_objects(&b, "a-only", &query("", None, 10)).await,
        StorageError::NoSuchBucket,
        "listing a bucket B does not own"
    );
}
