//! S3 XML: serialize a 1,000-key ListObjectsV2 result, parse a 1,000-key DeleteObjects body.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use s4_s3_xml::{
    parse_timestamp, Delete, EncodingType, ListObjectsV2Result, ObjectEntry, ObjectIdentifier,
    Owner, XmlDocument, DEFAULT_BODY_LIMIT,
};

fn list_v2(keys: usize, encoding_type: Option<EncodingType>) -> ListObjectsV2Result {
    let last_modified = parse_timestamp("2024-05-17T08:31:12.345Z").unwrap();
    ListObjectsV2Result {
        name: "bench-bucket".into(),
        prefix: "photos/".into(),
        delimiter: None,
        max_keys: 1000,
        is_truncated: true,
        continuation_token: None,
        next_continuation_token: Some("MTAwMA==".into()),
        start_after: None,
        contents: (0..keys)
            .map(|i| ObjectEntry {
                key: format!("photos/2024/05/IMG_{i:06} copy & more.jpg"),
                last_modified,
                etag: format!("{:032x}", i * 7919),
                size: 1_000_000 + i as u64,
            })
            .collect(),
        common_prefixes: vec![],
        encoding_type,
        owner: Some(Owner::new(
            "57A54E56B89C54B767F01987C0BC77929B5212C0BF165E3CF2B8DF818C46B66C",
            "158563168473704",
        )),
    }
}

fn delete_body(keys: usize) -> Vec<u8> {
    Delete {
        objects: (0..keys)
            .map(|i| ObjectIdentifier::new(format!("photos/2024/05/IMG_{i:06} copy & more.jpg")))
            .collect(),
        quiet: true,
    }
    .to_xml()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("s3_xml");

    let plain = list_v2(1000, None);
    let size = plain.to_xml().len();
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function("list_objects_v2_1000_keys_serialize", |b| {
        let mut out = Vec::with_capacity(size);
        b.iter(|| {
            out.clear();
            black_box(&plain).write_xml(&mut out);
            black_box(out.len())
        });
    });
    let encoded = list_v2(1000, Some(EncodingType::Url));
    group.bench_function("list_objects_v2_1000_keys_serialize_url", |b| {
        let mut out = Vec::with_capacity(size * 2);
        b.iter(|| {
            out.clear();
            black_box(&encoded).write_xml(&mut out);
            black_box(out.len())
        });
    });

    let body = delete_body(1000);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("delete_1000_keys_parse", |b| {
        b.iter(|| {
            let delete = Delete::parse(black_box(&body), DEFAULT_BODY_LIMIT).unwrap();
            black_box(delete.objects.len())
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
