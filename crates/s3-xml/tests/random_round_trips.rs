//! Randomized round trips with a fixed-seed generator (no extra dependency): arbitrary keys,
//! markup and control characters included, survive serialize-then-parse for requests, and
//! response keys read back (XML-unescaped, or URL-decoded with `encoding-type=url`) equal the
//! originals.

use quick_xml::events::Event;
use quick_xml::Reader;
use s4_s3_xml::{
    parse_timestamp, url_decode_plus, CompleteMultipartUpload, CompletedPart, Delete, EncodingType,
    ListObjectsV2Result, ObjectEntry, ObjectIdentifier, XmlDocument, DEFAULT_BODY_LIMIT,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn key(&mut self) -> String {
        const POOL: &[char] = &[
            'a', 'Z', '0', '/', ' ', '+', '%', '&', '<', '>', '"', '\'', ';', '=', '?', '#', '~',
            '*', '@', '\t', '\n', '\r', '\u{1}', '\u{1f}', '\u{7f}', 'é', 'ß', '€', '😀',
            '\u{fffe}', '\u{ffff}', '\u{fffd}', ']', '!', '-', '.', '_',
        ];
        let len = 1 + self.below(24) as usize;
        (0..len)
            .map(|_| POOL[self.below(POOL.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn random_delete_bodies_round_trip() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..300 {
        let n = 1 + rng.below(40) as usize;
        let delete = Delete {
            objects: (0..n)
                .map(|_| ObjectIdentifier {
                    version_id: (rng.below(4) == 0).then(|| rng.key()),
                    size: (rng.below(4) == 0).then(|| rng.next()),
                    ..ObjectIdentifier::new(rng.key())
                })
                .collect(),
            quiet: rng.below(2) == 0,
        };
        let bytes = delete.to_xml();
        assert_eq!(
            Delete::parse(&bytes, DEFAULT_BODY_LIMIT).unwrap(),
            delete,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn random_complete_bodies_round_trip() {
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for _ in 0..300 {
        let mut number = 0;
        let parts = (0..=rng.below(30))
            .map(|_| {
                number += 1 + rng.below(300) as u32;
                let etag = format!("{:x}-{}", rng.next(), rng.below(100));
                CompletedPart {
                    checksum_crc32: (rng.below(2) == 0).then(|| format!("{:x}==", rng.next())),
                    checksum_sha256: (rng.below(5) == 0).then(|| format!("{:x}", rng.next())),
                    ..CompletedPart::new(number.min(10_000), &etag)
                }
            })
            .collect::<Vec<_>>();
        let mut complete = CompleteMultipartUpload { parts };
        complete.parts.dedup_by_key(|p| p.part_number);
        let bytes = complete.to_xml();
        assert_eq!(
            CompleteMultipartUpload::parse(&bytes, DEFAULT_BODY_LIMIT).unwrap(),
            complete
        );
    }
}

fn keys_in(xml: &[u8]) -> Vec<String> {
    let mut reader = Reader::from_reader(xml);
    let mut keys = Vec::new();
    let mut in_key = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"Key" => {
                in_key = true;
                keys.push(String::new());
            }
            Event::End(e) if e.name().as_ref() == b"Key" => in_key = false,
            Event::Text(t) if in_key => keys.last_mut().unwrap().push_str(&t.unescape().unwrap()),
            Event::Eof => break,
            _ => {}
        }
    }
    keys
}

#[test]
fn random_listing_keys_read_back() {
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    let last_modified = parse_timestamp("2024-01-01T00:00:00.000Z").unwrap();
    for round in 0..100 {
        let contents: Vec<ObjectEntry> = (0..=rng.below(20))
            .map(|_| ObjectEntry {
                key: rng.key(),
                last_modified,
                etag: "e".into(),
                size: 1,
            })
            .collect();
        let originals: Vec<String> = contents.iter().map(|c| c.key.clone()).collect();
        let encoding_type = (round % 2 == 0).then_some(EncodingType::Url);
        let result = ListObjectsV2Result {
            name: "b".into(),
            prefix: String::new(),
            delimiter: None,
            max_keys: 1000,
            is_truncated: false,
            continuation_token: None,
            next_continuation_token: None,
            start_after: None,
            contents,
            common_prefixes: vec![],
            encoding_type,
            owner: None,
        };
        let keys = keys_in(&result.to_xml());
        let decoded: Vec<String> = match encoding_type {
            Some(_) => keys.iter().map(|k| url_decode_plus(k).unwrap()).collect(),
            None => keys,
        };
        assert_eq!(decoded, originals);
    }
}
