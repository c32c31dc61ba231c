//! The official AWS SDK for Rust against the service: its default checksums (over plain HTTP a
//! signed body plus an `x-amz-checksum-crc32` header for in-memory bodies, and
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (signed chunks, signed CRC32 trailer) for
//! streamed file bodies), `when_required`, listings, copies, deletes and presigned URLs.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;

use crate::harness::TestServer;

fn client(s: &TestServer, checksums: RequestChecksumCalculation) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("eu-central-1"))
        .endpoint_url(format!("http://{}", s.addr))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            s.root.id.clone(),
            s.root.secret.clone(),
            None,
            None,
            "test",
        ))
        .request_checksum_calculation(checksums)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn sdk_round_trip_with_each_checksum_setting() {
    let s = TestServer::start().await;
    for (bucket, setting) in [
        ("sdk-default", RequestChecksumCalculation::WhenSupported),
        ("sdk-required", RequestChecksumCalculation::WhenRequired),
    ] {
        let c = client(&s, setting);
        c.create_bucket().bucket(bucket).send().await.unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let put = c
            .put_object()
            .bucket(bucket)
            .key("dir/a b+c.bin")
            .content_type("application/x-test")
            .metadata("origin", "sdk")
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        let etag = put.e_tag().unwrap().to_owned();
        assert!(etag.starts_with('"'));

        let got = c
            .get_object()
            .bucket(bucket)
            .key("dir/a b+c.bin")
            .send()
            .await
            .unwrap();
        assert_eq!(got.e_tag(), Some(etag.as_str()));
        assert_eq!(got.content_type(), Some("application/x-test"));
        assert_eq!(
            got.metadata()
                .and_then(|m| m.get("origin"))
                .map(String::as_str),
            Some("sdk")
        );
        let body = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(&body[..], &data[..]);

        let ranged = c
            .get_object()
            .bucket(bucket)
            .key("dir/a b+c.bin")
            .range("bytes=10-19")
            .send()
            .await
            .unwrap();
        assert_eq!(ranged.content_range(), Some("bytes 10-19/300000"));
        let body = ranged.body.collect().await.unwrap().into_bytes();
        assert_eq!(&body[..], &data[10..20]);

        let head = c
            .head_object()
            .bucket(bucket)
            .key("dir/a b+c.bin")
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_length(), Some(300_000));

        c.copy_object()
            .bucket(bucket)
            .key("copy")
            .copy_source(format!("{bucket}/dir/a b+c.bin"))
            .send()
            .await
            .unwrap();
        for i in 0..5 {
            c.put_object()
                .bucket(bucket)
                .key(format!("many/{i}"))
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
                .unwrap();
        }
        let mut keys = Vec::new();
        let mut pages = c
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(2)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.unwrap();
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        assert_eq!(keys.len(), 7, "{keys:?}");
        assert!(keys.contains(&"dir/a b+c.bin".to_owned()));

        let listed = c
            .list_objects_v2()
            .bucket(bucket)
            .delimiter("/")
            .send()
            .await
            .unwrap();
        let prefixes: Vec<&str> = listed
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .collect();
        assert_eq!(prefixes, ["dir/", "many/"]);

        let delete = Delete::builder()
            .set_objects(Some(
                keys.iter()
                    .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap();
        let deleted = c
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.deleted().len(), 7);
        assert!(deleted.errors().is_empty());

        let missing = c
            .get_object()
            .bucket(bucket)
            .key("dir/a b+c.bin")
            .send()
            .await
            .unwrap_err();
        assert!(missing.into_service_error().is_no_such_key());

        c.delete_bucket().bucket(bucket).send().await.unwrap();
        let gone = c.head_bucket().bucket(bucket).send().await.unwrap_err();
        assert!(gone.into_service_error().is_not_found());
    }
}

#[tokio::test]
async fn sdk_streamed_file_upload() {
    let s = TestServer::start().await;
    let c = client(&s, RequestChecksumCalculation::WhenSupported);
    c.create_bucket().bucket("files").send().await.unwrap();
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i % 241) as u8).collect();
    let path = std::env::temp_dir().join(format!("s4-service-sdk-{}.bin", std::process::id()));
    std::fs::write(&path, &data).unwrap();
    let body = ByteStream::from_path(&path).await.unwrap();
    c.put_object()
        .bucket("files")
        .key("streamed")
        .body(body)
        .send()
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let got = c
        .get_object()
        .bucket("files")
        .key("streamed")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), data.len());
    assert!(body[..] == data[..]);
}

#[tokio::test]
async fn sdk_presigned_urls() {
    let s = TestServer::start().await;
    let c = client(&s, RequestChecksumCalculation::WhenRequired);
    c.create_bucket().bucket("presigned").send().await.unwrap();
    let config = PresigningConfig::expires_in(Duration::from_mins(5)).unwrap();
    let put = c
        .put_object()
        .bucket("presigned")
        .key("file name.txt")
        .presigned(config.clone())
        .await
        .unwrap();
    let request = Request::put(put.uri())
        .body(Full::new(Bytes::from_static(b"presigned body")))
        .unwrap();
    s.raw(request).await.assert_status(200);
    let get = c
        .get_object()
        .bucket("presigned")
        .key("file name.txt")
        .presigned(config)
        .await
        .unwrap();
    let request = Request::get(get.uri())
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = s.raw(request).await;
    r.assert_status(200);
    assert_eq!(r.text(), "presigned body");
}

#[tokio::test]
async fn sdk_multipart_upload() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

    let s = TestServer::start_with(
        s4_storage::memory::MemoryStore::new().with_min_part_size(64 * 1024),
    )
    .await;
    let c = client(&s, RequestChecksumCalculation::WhenSupported);
    c.create_bucket().bucket("mpu").send().await.unwrap();
    let created = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("big file")
        .content_type("application/x-big")
        .send()
        .await
        .unwrap();
    let upload_id = created.upload_id().unwrap().to_owned();
    let data: Vec<u8> = (0..150_000u32).map(|i| (i % 239) as u8).collect();
    let mut parts = Vec::new();
    for (i, chunk) in data.chunks(64 * 1024).enumerate() {
        let number = i32::try_from(i).unwrap() + 1;
        let part = c
            .upload_part()
            .bucket("mpu")
            .key("big file")
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    let listed = c
        .list_parts()
        .bucket("mpu")
        .key("big file")
        .upload_id(&upload_id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 3);
    let done = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big file")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(done.e_tag().unwrap().ends_with("-3\""));
    let got = c
        .get_object()
        .bucket("mpu")
        .key("big file")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-big"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert!(body[..] == data[..]);
}
