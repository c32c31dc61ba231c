//! Golden, byte-exact outputs for every response writer, built from the spec's samples.

use s4_s3_xml::{
    AccessControlPolicy, BucketEntry, CompleteMultipartUploadResult, CopyObjectResult,
    CopyPartResult, DeleteError, DeleteResult, EncodingType, ErrorDocument,
    InitiateMultipartUploadResult, ListAllMyBucketsResult, ListMultipartUploadsResult,
    ListObjectsResult, ListObjectsV2Result, ListPartsResult, LocationConstraint, ObjectEntry,
    Owner, PartEntry, UploadEntry, XmlDocument,
};
use time::macros::datetime;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn owner() -> Owner {
    Owner::new(
        "57A54E56B89C54B767F01987C0BC77929B5212C0BF165E3CF2B8DF818C46B66C",
        "158563168473704",
    )
}

fn xml(doc: &impl XmlDocument) -> String {
    let bytes = doc.to_xml();
    let mut appended = b"prefix".to_vec();
    doc.write_xml(&mut appended);
    assert_eq!(
        &appended[6..],
        &bytes[..],
        "write_xml appends the same bytes"
    );
    String::from_utf8(bytes).unwrap()
}

#[test]
fn list_all_my_buckets() {
    let doc = ListAllMyBucketsResult {
        owner: owner(),
        buckets: vec![
            BucketEntry {
                name: "bucket1".into(),
                creation_date: datetime!(2022-01-28 11:44:13 UTC),
            },
            BucketEntry {
                name: "bucket2".into(),
                creation_date: datetime!(2022-02-15 18:22:37.25 UTC),
            },
        ],
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Buckets>",
            "<Bucket><CreationDate>2022-01-28T11:44:13.000Z</CreationDate><Name>bucket1</Name></Bucket>",
            "<Bucket><CreationDate>2022-02-15T18:22:37.250Z</CreationDate><Name>bucket2</Name></Bucket>",
            "</Buckets>",
            "<Owner><ID>57A54E56B89C54B767F01987C0BC77929B5212C0BF165E3CF2B8DF818C46B66C</ID>",
            "<DisplayName>158563168473704</DisplayName></Owner>",
            "</ListAllMyBucketsResult>"
        )
    );
    let empty = ListAllMyBucketsResult {
        owner: Owner::new("id", "name"),
        buckets: vec![],
    };
    assert_eq!(
        xml(&empty),
        format!("{DECL}<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets></Buckets><Owner><ID>id</ID><DisplayName>name</DisplayName></Owner></ListAllMyBucketsResult>")
    );
}

#[test]
fn location_constraint_is_empty() {
    assert_eq!(
        xml(&LocationConstraint::default()),
        format!("{DECL}<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>")
    );
    assert_eq!(
        xml(&LocationConstraint {
            location: "EU".into()
        }),
        format!("{DECL}<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">EU</LocationConstraint>")
    );
}

#[test]
fn access_control_policy_is_canned_full_control() {
    assert_eq!(
        xml(&AccessControlPolicy::canned(Owner::new("abc", "158563168473704"))),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Owner><ID>abc</ID><DisplayName>158563168473704</DisplayName></Owner>",
            "<AccessControlList><Grant>",
            "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">",
            "<ID>abc</ID><DisplayName>158563168473704</DisplayName></Grantee>",
            "<Permission>FULL_CONTROL</Permission>",
            "</Grant></AccessControlList>",
            "</AccessControlPolicy>"
        )
    );
}

fn entries() -> Vec<ObjectEntry> {
    vec![
        ObjectEntry {
            key: "a&b <c>.txt".into(),
            last_modified: datetime!(2013-01-10 21:45:09 UTC),
            etag: "1d921b22129502cbbe5cbaf2c8bac682".into(),
            size: 10_000,
        },
        ObjectEntry {
            key: "dir/x y+z".into(),
            last_modified: datetime!(2013-01-10 22:45:09.5 UTC),
            etag: "\"3858f62230ac3c915f300c664312c11f-9\"".into(),
            size: 0,
        },
    ]
}

#[test]
fn list_objects_v1() {
    let doc = ListObjectsResult {
        name: "bucket".into(),
        prefix: String::new(),
        marker: String::new(),
        next_marker: None,
        delimiter: None,
        max_keys: 1000,
        is_truncated: false,
        contents: entries(),
        common_prefixes: vec![],
        encoding_type: None,
        owner: Some(Owner::new("id1", "acct")),
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<IsTruncated>false</IsTruncated><Marker></Marker>",
            "<Contents><ETag>&quot;1d921b22129502cbbe5cbaf2c8bac682&quot;</ETag>",
            "<Key>a&amp;b &lt;c&gt;.txt</Key><LastModified>2013-01-10T21:45:09.000Z</LastModified>",
            "<Owner><DisplayName>acct</DisplayName><ID>id1</ID></Owner>",
            "<Size>10000</Size><StorageClass>STANDARD</StorageClass></Contents>",
            "<Contents><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>",
            "<Key>dir/x y+z</Key><LastModified>2013-01-10T22:45:09.500Z</LastModified>",
            "<Owner><DisplayName>acct</DisplayName><ID>id1</ID></Owner>",
            "<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>",
            "<Name>bucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>",
            "</ListBucketResult>"
        )
    );
}

#[test]
fn list_objects_v1_truncated_with_delimiter_and_url_encoding() {
    let doc = ListObjectsResult {
        name: "bucket".into(),
        // Written as sent: botocore does not decode a v1 `Prefix`.
        prefix: "dir/ x".into(),
        marker: "dir/a b".into(),
        next_marker: Some("dir/x y+z".into()),
        delimiter: Some("/".into()),
        max_keys: 2,
        is_truncated: true,
        contents: vec![entries().remove(1)],
        common_prefixes: vec!["dir/sub dir/".into(), "dir/é\u{1}/".into()],
        encoding_type: Some(EncodingType::Url),
        owner: None,
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<IsTruncated>true</IsTruncated><Marker>dir/a%20b</Marker><NextMarker>dir/x%20y%2Bz</NextMarker>",
            "<Contents><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>",
            "<Key>dir/x%20y%2Bz</Key><LastModified>2013-01-10T22:45:09.500Z</LastModified>",
            "<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>",
            "<Name>bucket</Name><Prefix>dir/ x</Prefix><Delimiter>/</Delimiter><MaxKeys>2</MaxKeys>",
            "<CommonPrefixes><Prefix>dir/sub%20dir/</Prefix></CommonPrefixes>",
            "<CommonPrefixes><Prefix>dir/%C3%A9%01/</Prefix></CommonPrefixes>",
            "<EncodingType>url</EncodingType>",
            "</ListBucketResult>"
        )
    );
}

fn v2() -> ListObjectsV2Result {
    ListObjectsV2Result {
        name: "bucket".into(),
        prefix: String::new(),
        delimiter: None,
        max_keys: 1000,
        is_truncated: false,
        continuation_token: None,
        next_continuation_token: None,
        start_after: None,
        contents: entries(),
        common_prefixes: vec![],
        encoding_type: None,
        owner: None,
    }
}

#[test]
fn list_objects_v2_minimal() {
    assert_eq!(
        xml(&v2()),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<IsTruncated>false</IsTruncated>",
            "<Contents><ETag>&quot;1d921b22129502cbbe5cbaf2c8bac682&quot;</ETag>",
            "<Key>a&amp;b &lt;c&gt;.txt</Key><LastModified>2013-01-10T21:45:09.000Z</LastModified>",
            "<Size>10000</Size><StorageClass>STANDARD</StorageClass></Contents>",
            "<Contents><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>",
            "<Key>dir/x y+z</Key><LastModified>2013-01-10T22:45:09.500Z</LastModified>",
            "<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>",
            "<Name>bucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><KeyCount>2</KeyCount>",
            "</ListBucketResult>"
        )
    );
}

#[test]
fn list_objects_v2_everything() {
    let doc = ListObjectsV2Result {
        prefix: "p re".into(),
        delimiter: Some("+".into()),
        max_keys: 3,
        is_truncated: true,
        continuation_token: Some("tok+/=".into()),
        next_continuation_token: Some("next+/=".into()),
        start_after: Some("s a".into()),
        contents: vec![entries().remove(0)],
        common_prefixes: vec!["p re+x+".into()],
        encoding_type: Some(EncodingType::Url),
        owner: Some(Owner::new("id1", "acct")),
        ..v2()
    };
    assert_eq!(doc.key_count(), 2);
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<IsTruncated>true</IsTruncated>",
            "<ContinuationToken>tok+/=</ContinuationToken>",
            "<NextContinuationToken>next+/=</NextContinuationToken>",
            "<Contents><ETag>&quot;1d921b22129502cbbe5cbaf2c8bac682&quot;</ETag>",
            "<Key>a%26b%20%3Cc%3E.txt</Key><LastModified>2013-01-10T21:45:09.000Z</LastModified>",
            "<Owner><DisplayName>acct</DisplayName><ID>id1</ID></Owner>",
            "<Size>10000</Size><StorageClass>STANDARD</StorageClass></Contents>",
            "<Name>bucket</Name><Prefix>p%20re</Prefix><Delimiter>%2B</Delimiter><MaxKeys>3</MaxKeys>",
            "<CommonPrefixes><Prefix>p%20re%2Bx%2B</Prefix></CommonPrefixes>",
            "<EncodingType>url</EncodingType><KeyCount>2</KeyCount><StartAfter>s%20a</StartAfter>",
            "</ListBucketResult>"
        )
    );
}

#[test]
fn control_characters_without_encoding_type_become_references() {
    let doc = ListObjectsV2Result {
        contents: vec![ObjectEntry {
            key: "a\u{1}b\rc\td\u{1f}".into(),
            ..entries().remove(0)
        }],
        ..v2()
    };
    let out = xml(&doc);
    assert!(out.contains("<Key>a&#x1;b&#xD;c\td&#x1F;</Key>"), "{out}");
    let encoded = ListObjectsV2Result {
        encoding_type: Some(EncodingType::Url),
        ..doc
    };
    assert!(xml(&encoded).contains("<Key>a%01b%0Dc%09d%1F</Key>"));
}

#[test]
fn copy_results() {
    let copy = CopyObjectResult {
        last_modified: datetime!(2009-10-12 17:50:30 UTC),
        etag: "9b2cf535f27731c974343645a3985328".into(),
    };
    assert_eq!(
        xml(&copy),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<LastModified>2009-10-12T17:50:30.000Z</LastModified>",
            "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>",
            "</CopyObjectResult>"
        )
    );
    let part = CopyPartResult {
        etag: "\"b92d2a7e1ab5d1e8cd8b0e2b6e2cd57c\"".into(),
        last_modified: datetime!(2011-04-11 20:34:56.001 UTC),
    };
    assert_eq!(
        xml(&part),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<CopyPartResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<ETag>&quot;b92d2a7e1ab5d1e8cd8b0e2b6e2cd57c&quot;</ETag>",
            "<LastModified>2011-04-11T20:34:56.001Z</LastModified>",
            "</CopyPartResult>"
        )
    );
}

#[test]
fn delete_result() {
    let doc = DeleteResult {
        deleted: vec!["sample1.txt".into(), "a&b".into()],
        errors: vec![DeleteError {
            key: "sample2.txt".into(),
            code: "AccessDenied".into(),
            message: "Access Denied".into(),
        }],
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Deleted><Key>sample1.txt</Key></Deleted>",
            "<Deleted><Key>a&amp;b</Key></Deleted>",
            "<Error><Code>AccessDenied</Code><Key>sample2.txt</Key><Message>Access Denied</Message></Error>",
            "</DeleteResult>"
        )
    );
    assert_eq!(
        xml(&DeleteResult::default()),
        format!(
            "{DECL}<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>"
        )
    );
}

#[test]
fn initiate_and_complete_multipart() {
    let init = InitiateMultipartUploadResult {
        bucket: "example-bucket".into(),
        key: "example-object".into(),
        upload_id: "VXBsb2FkIElE".into(),
    };
    assert_eq!(
        xml(&init),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Bucket>example-bucket</Bucket><Key>example-object</Key><UploadId>VXBsb2FkIElE</UploadId>",
            "</InitiateMultipartUploadResult>"
        )
    );
    let done = CompleteMultipartUploadResult {
        location: "http://s3.s4.localhost/example-bucket/a%20b?x=1&y=2".into(),
        bucket: "example-bucket".into(),
        key: "a b".into(),
        etag: "3858f62230ac3c915f300c664312c11f-9".into(),
    };
    assert_eq!(
        xml(&done),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Location>http://s3.s4.localhost/example-bucket/a%20b?x=1&amp;y=2</Location>",
            "<Bucket>example-bucket</Bucket><Key>a b</Key>",
            "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>",
            "</CompleteMultipartUploadResult>"
        )
    );
}

#[test]
fn list_parts() {
    let doc = ListPartsResult {
        bucket: "example-bucket".into(),
        key: "example-object".into(),
        upload_id: "XXBsb2FkIElE".into(),
        part_number_marker: 1,
        next_part_number_marker: Some(3),
        max_parts: 2,
        is_truncated: true,
        parts: vec![
            PartEntry {
                part_number: 2,
                last_modified: datetime!(2010-11-10 20:48:34 UTC),
                etag: "7778aef83f66abc1fa1e8477f296d394".into(),
                size: 10_485_760,
            },
            PartEntry {
                part_number: 3,
                last_modified: datetime!(2010-11-10 20:48:33 UTC),
                etag: "\"aaaa18db4cc2f85cedef654fccc4a4x8\"".into(),
                size: 10_485_760,
            },
        ],
        initiator: Owner::new("arn:aws:iam::111122223333:user/some-user", "umat-user"),
        owner: owner(),
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Bucket>example-bucket</Bucket><Key>example-object</Key><UploadId>XXBsb2FkIElE</UploadId>",
            "<PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>",
            "<MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>",
            "<Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>",
            "<ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>10485760</Size></Part>",
            "<Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>",
            "<ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4x8&quot;</ETag><Size>10485760</Size></Part>",
            "<Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID><DisplayName>umat-user</DisplayName></Initiator>",
            "<Owner><ID>57A54E56B89C54B767F01987C0BC77929B5212C0BF165E3CF2B8DF818C46B66C</ID>",
            "<DisplayName>158563168473704</DisplayName></Owner>",
            "<StorageClass>STANDARD</StorageClass>",
            "</ListPartsResult>"
        )
    );
    let first_page = ListPartsResult {
        part_number_marker: 0,
        next_part_number_marker: None,
        is_truncated: false,
        parts: vec![],
        ..doc
    };
    let out = xml(&first_page);
    assert!(out.contains("<PartNumberMarker>0</PartNumberMarker><MaxParts>2</MaxParts>"));
    assert!(!out.contains("NextPartNumberMarker"));
}

#[test]
fn list_multipart_uploads() {
    let doc = ListMultipartUploadsResult {
        bucket: "bucket".into(),
        key_marker: String::new(),
        upload_id_marker: String::new(),
        next_key_marker: "my-movie.m2ts".into(),
        next_upload_id_marker: "YW55IGlk".into(),
        prefix: None,
        delimiter: None,
        max_uploads: 3,
        is_truncated: true,
        uploads: vec![
            UploadEntry {
                key: "my-divisor".into(),
                upload_id: "XMgbGlr".into(),
                initiator: None,
                owner: None,
                initiated: datetime!(2010-11-10 20:48:33 UTC),
            },
            UploadEntry {
                key: "my-movie.m2ts".into(),
                upload_id: "VXBsb2Fk".into(),
                initiator: Some(Owner::new(
                    "b1d16700c70b0b05597d7acd6a3f92be",
                    "InitiatorDisplayName",
                )),
                owner: Some(Owner::new(
                    "b1d16700c70b0b05597d7acd6a3f92be",
                    "OwnerDisplayName",
                )),
                initiated: datetime!(2010-11-10 20:48:33.5 UTC),
            },
        ],
        common_prefixes: vec![],
        encoding_type: None,
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Bucket>bucket</Bucket>",
            "<Upload><Key>my-divisor</Key><UploadId>XMgbGlr</UploadId>",
            "<StorageClass>STANDARD</StorageClass><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>",
            "<Upload><Key>my-movie.m2ts</Key><UploadId>VXBsb2Fk</UploadId>",
            "<Initiator><ID>b1d16700c70b0b05597d7acd6a3f92be</ID><DisplayName>InitiatorDisplayName</DisplayName></Initiator>",
            "<Owner><ID>b1d16700c70b0b05597d7acd6a3f92be</ID><DisplayName>OwnerDisplayName</DisplayName></Owner>",
            "<StorageClass>STANDARD</StorageClass><Initiated>2010-11-10T20:48:33.500Z</Initiated></Upload>",
            "<MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>",
            "<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>",
            "<NextKeyMarker>my-movie.m2ts</NextKeyMarker><NextUploadIdMarker>YW55IGlk</NextUploadIdMarker>",
            "</ListMultipartUploadsResult>"
        )
    );
}

#[test]
fn list_multipart_uploads_with_prefixes_and_url_encoding() {
    let doc = ListMultipartUploadsResult {
        bucket: "bucket".into(),
        key_marker: "a b".into(),
        upload_id_marker: "u+1".into(),
        next_key_marker: " (test)+".into(),
        next_upload_id_marker: "u+2".into(),
        prefix: Some("fo o".into()),
        delimiter: Some("/".into()),
        max_uploads: 1000,
        is_truncated: false,
        uploads: vec![UploadEntry {
            key: " (test)+".into(),
            upload_id: "u+2".into(),
            initiator: None,
            owner: None,
            initiated: datetime!(2026-05-25 19:16:46 UTC),
        }],
        common_prefixes: vec!["fo o/".into(), "fo obar/".into()],
        encoding_type: Some(EncodingType::Url),
    };
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Bucket>bucket</Bucket>",
            "<Upload><Key>%20%28test%29%2B</Key><UploadId>u+2</UploadId>",
            "<StorageClass>STANDARD</StorageClass><Initiated>2026-05-25T19:16:46.000Z</Initiated></Upload>",
            "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>",
            "<KeyMarker>a%20b</KeyMarker><UploadIdMarker>u+1</UploadIdMarker>",
            "<NextKeyMarker>%20%28test%29%2B</NextKeyMarker><NextUploadIdMarker>u+2</NextUploadIdMarker>",
            "<Prefix>fo%20o</Prefix><Delimiter>/</Delimiter>",
            "<CommonPrefixes><Prefix>fo%20o/</Prefix></CommonPrefixes>",
            "<CommonPrefixes><Prefix>fo%20obar/</Prefix></CommonPrefixes>",
            "<EncodingType>url</EncodingType>",
            "</ListMultipartUploadsResult>"
        )
    );
}

#[test]
fn error_document_spec_sample() {
    let doc = ErrorDocument::new("NoSuchKey", "The specified key does not exist.")
        .with_resource("/myobj")
        .with_request_id("HC0000000000000001");
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>",
            "<Resource>/myobj</Resource><RequestId>HC0000000000000001</RequestId></Error>"
        )
    );
}

#[test]
fn error_document_extra_fields_in_order() {
    let doc = ErrorDocument::new(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    )
    .with_resource("/bucket/a&b")
    .with_extra("AWSAccessKeyId", "AKIDEXAMPLE")
    .with_extra(
        "StringToSign",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n<scope>",
    )
    .with_extra("CanonicalRequest", "GET\n/\n\nhost:example.amazonaws.com\n")
    .with_extra("bad name", "skipped")
    .with_extra("", "skipped")
    .with_extra("1x", "skipped")
    .with_request_id("4442587FB7D0A2F9")
    .with_host_id("host/id+=");
    assert_eq!(
        xml(&doc),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<Error><Code>SignatureDoesNotMatch</Code>",
            "<Message>The request signature we calculated does not match the signature you provided.</Message>",
            "<Resource>/bucket/a&amp;b</Resource>",
            "<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>",
            "<StringToSign>AWS4-HMAC-SHA256\n20150830T123600Z\n&lt;scope&gt;</StringToSign>",
            "<CanonicalRequest>GET\n/\n\nhost:example.amazonaws.com\n</CanonicalRequest>",
            "<RequestId>4442587FB7D0A2F9</RequestId><HostId>host/id+=</HostId></Error>"
        )
    );
    let minimal = ErrorDocument::new("InternalError", "We encountered an internal error.");
    assert_eq!(
        xml(&minimal),
        format!("{DECL}<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>")
    );
}

#[test]
fn condition_and_key_extras() {
    let doc = ErrorDocument::new(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
    .with_extra("Condition", "If-Match")
    .with_extra("Key", "k\u{1}")
    .with_extra("BucketName", "b");
    let out = xml(&doc);
    assert!(out.ends_with(
        "<Condition>If-Match</Condition><Key>k&#x1;</Key><BucketName>b</BucketName></Error>"
    ));
}
