//! Request parsers: client shapes, round trips, and every way a body can be refused.

use std::fmt::Write as _;

use s4_s3_xml::{
    CompleteMultipartUpload, CompletedPart, CreateBucketConfiguration, Delete, ObjectIdentifier,
    RequestError, XmlDocument, DEFAULT_BODY_LIMIT, MAX_DELETE_OBJECTS, S3_NAMESPACE,
};

const LIMIT: usize = DEFAULT_BODY_LIMIT;

fn code<T: std::fmt::Debug>(result: Result<T, RequestError>) -> &'static str {
    result.expect_err("expected an error").code()
}

fn delete_of(keys: &[&str]) -> Delete {
    Delete {
        objects: keys.iter().map(|k| ObjectIdentifier::new(*k)).collect(),
        quiet: false,
    }
}

fn delete_body(n: usize) -> Vec<u8> {
    let mut body = format!("<Delete xmlns=\"{S3_NAMESPACE}\">");
    for i in 0..n {
        write!(body, "<Object><Key>key-{i:05}</Key></Object>").unwrap();
    }
    body.push_str("</Delete>");
    body.into_bytes()
}

// ---------------------------------------------------------------- CreateBucketConfiguration

#[test]
fn create_bucket_with_and_without_namespace() {
    let with_ns = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateBucketConfiguration xmlns=\"{S3_NAMESPACE}\">\n  <LocationConstraint> eu-west-1 </LocationConstraint>\n</CreateBucketConfiguration>\n"
    );
    let without_ns =
        "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    for body in [with_ns.as_bytes(), without_ns.as_bytes()] {
        let config = CreateBucketConfiguration::parse(body, LIMIT).unwrap();
        assert_eq!(config.location_constraint.as_deref(), Some("eu-west-1"));
        assert_eq!(
            CreateBucketConfiguration::parse(&config.to_xml(), LIMIT).unwrap(),
            config
        );
    }
}

#[test]
fn create_bucket_empty_bodies_are_the_default() {
    for body in [&b""[..], b"  \r\n\t", b"<CreateBucketConfiguration/>"] {
        assert_eq!(
            CreateBucketConfiguration::parse(body, LIMIT).unwrap(),
            CreateBucketConfiguration::default()
        );
    }
    let empty_lc = CreateBucketConfiguration::parse(
        b"<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>",
        LIMIT,
    )
    .unwrap();
    assert_eq!(empty_lc.location_constraint.as_deref(), Some(""));
    assert_eq!(
        String::from_utf8(CreateBucketConfiguration::default().to_xml()).unwrap(),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateBucketConfiguration xmlns=\"{S3_NAMESPACE}\"></CreateBucketConfiguration>")
    );
}

#[test]
fn create_bucket_refusals() {
    let cases: &[&[u8]] = &[
        b"<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint><LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>",
        b"<CreateBucketConfiguration><Location><Name>x</Name></Location></CreateBucketConfiguration>",
        b"<CreateBucketConfiguration><Bucket/></CreateBucketConfiguration>",
        b"<Delete><Object><Key>a</Key></Object></Delete>",
        b"<CreateBucketConfiguration>",
        b"<CreateBucketConfiguration>text</CreateBucketConfiguration>",
        b"<CreateBucketConfiguration><LocationConstraint><X/></LocationConstraint></CreateBucketConfiguration>",
        b"not xml",
    ];
    for body in cases {
        assert_eq!(
            code(CreateBucketConfiguration::parse(body, LIMIT)),
            "MalformedXML",
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(
        code(CreateBucketConfiguration::parse(&[b' '; 11], 10)),
        "MaxMessageLengthExceeded"
    );
}

// ------------------------------------------------------------------------------- Delete

#[test]
fn delete_botocore_shape() {
    // botocore: namespace, Objects then Quiet.
    let body = format!(
        "<Delete xmlns=\"{S3_NAMESPACE}\"><Object><Key>a.txt</Key></Object><Object><Key>dir/b c.txt</Key></Object><Quiet>false</Quiet></Delete>"
    );
    let delete = Delete::parse(body.as_bytes(), LIMIT).unwrap();
    assert_eq!(delete, delete_of(&["a.txt", "dir/b c.txt"]));
}

#[test]
fn delete_minio_and_s3cmd_shapes() {
    // minio-py: declaration-less, Quiet true first; s3cmd: no namespace, indentation.
    let minio = b"<Delete><Quiet>true</Quiet><Object><Key>x</Key></Object></Delete>";
    let delete = Delete::parse(minio, LIMIT).unwrap();
    assert!(delete.quiet);
    assert_eq!(delete.objects, vec![ObjectIdentifier::new("x")]);

    let s3cmd = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete>\n  <Quiet>false</Quiet>\n  <Object>\n    <Key>photo 1.jpg</Key>\n  </Object>\n  <Object>\n    <Key>photo 2.jpg</Key>\n  </Object>\n</Delete>\n";
    let delete = Delete::parse(s3cmd, LIMIT).unwrap();
    assert_eq!(delete, delete_of(&["photo 1.jpg", "photo 2.jpg"]));
}

#[test]
fn delete_keeps_keys_verbatim() {
    let body = "<Delete><Object><Key>  spaced  </Key></Object><Object><Key>a&amp;b&lt;c&gt;d&quot;e&apos;f</Key></Object><Object><Key>ctl&#x1;&#13;&#x9;x</Key></Object><Object><Key><![CDATA[<raw & cdata>]]></Key></Object><Object><Key>é😀/ü</Key></Object><Object><Key>multi\nline</Key></Object><Object><Key>a<!-- c -->b</Key></Object></Delete>";
    let delete = Delete::parse(body.as_bytes(), LIMIT).unwrap();
    let keys: Vec<&str> = delete.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "  spaced  ",
            "a&b<c>d\"e'f",
            "ctl\u{1}\r\tx",
            "<raw & cdata>",
            "é😀/ü",
            "multi\nline",
            "ab"
        ]
    );
    assert_eq!(Delete::parse(&delete.to_xml(), LIMIT).unwrap(), delete);
}

#[test]
fn raw_line_ends_are_normalized_but_references_are_not() {
    let body = b"<Delete><Object><Key>a\r\nb\rc\nd&#13;e&#xD;&#10;f</Key></Object><Object><Key><![CDATA[x\r\ny]]></Key></Object></Delete>";
    let delete = Delete::parse(body, LIMIT).unwrap();
    assert_eq!(delete.objects[0].key, "a\nb\nc\nd\re\r\nf");
    assert_eq!(delete.objects[1].key, "x\ny");
    assert_eq!(Delete::parse(&delete.to_xml(), LIMIT).unwrap(), delete);
}

#[test]
fn delete_object_members_are_kept() {
    let body = b"<Delete><Object><VersionId>v1</VersionId><Key>k</Key><ETag>\"e\"</ETag><LastModifiedTime>2024-01-01T00:00:00Z</LastModifiedTime><Size> 42 </Size></Object></Delete>";
    let delete = Delete::parse(body, LIMIT).unwrap();
    let object = &delete.objects[0];
    assert_eq!(object.key, "k");
    assert_eq!(object.version_id.as_deref(), Some("v1"));
    assert_eq!(object.etag.as_deref(), Some("\"e\""));
    assert_eq!(
        object.last_modified_time.as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
    assert_eq!(object.size, Some(42));
    assert_eq!(Delete::parse(&delete.to_xml(), LIMIT).unwrap(), delete);
    for bad in [
        &b"<Delete><Object><Key>k</Key><Size>-1</Size></Object></Delete>"[..],
        b"<Delete><Object><Key>k</Key><Size>1 2</Size></Object></Delete>",
        b"<Delete><Object><Key>k</Key><Size>99999999999999999999999</Size></Object></Delete>",
        b"<Delete><Object><Key>k</Key><VersionId>a</VersionId><VersionId>b</VersionId></Object></Delete>",
    ] {
        assert_eq!(code(Delete::parse(bad, LIMIT)), "MalformedXML");
    }
}

#[test]
fn delete_quiet_values() {
    for (text, expected) in [
        ("true", true),
        ("TRUE", true),
        (" True\n", true),
        ("false", false),
        ("False", false),
    ] {
        let body = format!("<Delete><Object><Key>k</Key></Object><Quiet>{text}</Quiet></Delete>");
        assert_eq!(
            Delete::parse(body.as_bytes(), LIMIT).unwrap().quiet,
            expected
        );
    }
    for text in ["yes", "1", "", "truee"] {
        let body = format!("<Delete><Object><Key>k</Key></Object><Quiet>{text}</Quiet></Delete>");
        assert_eq!(code(Delete::parse(body.as_bytes(), LIMIT)), "MalformedXML");
    }
    let twice =
        b"<Delete><Quiet>true</Quiet><Object><Key>k</Key></Object><Quiet>true</Quiet></Delete>";
    assert_eq!(code(Delete::parse(twice, LIMIT)), "MalformedXML");
}

#[test]
fn delete_empty_key_is_user_key_must_be_specified() {
    for body in [
        &b"<Delete><Object><Key></Key></Object></Delete>"[..],
        b"<Delete><Object><Key/></Object></Delete>",
        b"<Delete><Object><Key>a</Key></Object><Object><Key><!-- nothing --></Key></Object></Delete>",
    ] {
        let err = Delete::parse(body, LIMIT).unwrap_err();
        assert_eq!(err, RequestError::UserKeyMustBeSpecified);
        assert_eq!(err.code(), "UserKeyMustBeSpecified");
    }
    // A structural error elsewhere wins over the empty key.
    let both = b"<Delete><Object><Key/></Object><Bogus/></Delete>";
    assert_eq!(code(Delete::parse(both, LIMIT)), "MalformedXML");
    // A whitespace key is a key.
    let ws = Delete::parse(b"<Delete><Object><Key> </Key></Object></Delete>", LIMIT).unwrap();
    assert_eq!(ws.objects[0].key, " ");
}

#[test]
fn delete_1000_keys_but_not_1001() {
    let ok = Delete::parse(&delete_body(MAX_DELETE_OBJECTS), LIMIT).unwrap();
    assert_eq!(ok.objects.len(), 1000);
    assert_eq!(ok.objects[999].key, "key-00999");
    assert_eq!(Delete::parse(&ok.to_xml(), LIMIT).unwrap(), ok);
    let err = Delete::parse(&delete_body(MAX_DELETE_OBJECTS + 1), LIMIT).unwrap_err();
    assert_eq!(err.code(), "MalformedXML");
}

#[test]
fn delete_structure_refusals() {
    let cases: &[&[u8]] = &[
        b"<Delete></Delete>",
        b"<Delete/>",
        b"<Delete><Quiet>true</Quiet></Delete>",
        b"<Delete><Object/></Delete>",
        b"<Delete><Object><VersionId>v</VersionId></Object></Delete>",
        b"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
        b"<Delete><Object><Key>a</Key><Extra/></Object></Delete>",
        b"<Delete><Object><Key>a<b/></Key></Object></Delete>",
        b"<Delete><Key>a</Key></Delete>",
        b"<Delete>junk<Object><Key>a</Key></Object></Delete>",
        b"<Delete><![CDATA[x]]><Object><Key>a</Key></Object></Delete>",
        b"<Deletes><Object><Key>a</Key></Object></Deletes>",
        b"<CompleteMultipartUpload><Part/></CompleteMultipartUpload>",
        b"<Delete><Object><Key>a</Key></Object></Delete><Delete/>",
        b"<Delete><Object><Key>a</Key></Object></Delete>trailing",
        b"<Delete><Object><Key>a</Key></Object></Delete><?pi x?>",
        b"<Delete><Object><Key>a</Key></Object></Delete",
        b"<Delete><Object><Key>a</Key></Object></Delet>",
        b"<Delete><Object><Key>a</Object></Key></Delete>",
        b"</Delete>",
        b"<?xml version=\"1.0\"?>",
        b"   ",
        b"<!-- only a comment -->",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Delete><Object><Key>a</Key></Object></Delete>",
        b"<?xml version=\"2.0\"?><Delete><Object><Key>a</Key></Object></Delete>",
        b"<Delete><?pi?><Object><Key>a</Key></Object></Delete>",
        b"<Delete><Object><Key>a&#0;b</Key></Object></Delete>",
        b"<Delete><Object><Key>a\0b</Key></Object></Delete>",
        b"<Delete><Object><Key>a&#xD800;b</Key></Object></Delete>",
        b"<Delete><Object><Key>\xff\xfe</Key></Object></Delete>",
        b"<Delete><Object><Key>a&unknown;b</Key></Object></Delete>",
        b"<Delete><Object><Key>a&amp</Key></Object></Delete>",
        b"<Delete xmlns=\"http://example.com/other\"><Object><Key>a</Key></Object></Delete>",
        b"<x:Delete xmlns:x=\"http://example.com/other\"><x:Object><x:Key>a</x:Key></x:Object></x:Delete>",
        b"<s3:Delete><s3:Object><s3:Key>a</s3:Key></s3:Object></s3:Delete>",
        b"<Delete><Object xmlns=\"urn:x\"><Key>a</Key></Object></Delete>",
    ];
    for body in cases {
        assert_eq!(
            code(Delete::parse(body, LIMIT)),
            "MalformedXML",
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(code(Delete::parse(b"", LIMIT)), "MissingRequestBodyError");
}

#[test]
fn delete_tolerated_variations() {
    let ns = S3_NAMESPACE;
    let cases = [
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Delete><Object><Key>a</Key></Object></Delete>".to_owned(),
        format!("<?xml version='1.0'?>\n<!-- c --><Delete xmlns=\"{ns}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><!-- c --><Object ><Key>a</Key></Object></Delete>\n<!-- end -->\n"),
        format!("<s3:Delete xmlns:s3=\"{ns}\"><s3:Object><s3:Key>a</s3:Key></s3:Object></s3:Delete>"),
        format!("<Delete><Object xmlns=\"{ns}\"><Key>a</Key></Object></Delete>"),
        "\r\n\t <Delete >\r\n<Object>\r\n<Key>a</Key>\r\n</Object>\r\n</Delete >".to_owned(),
    ];
    for body in &cases {
        let delete =
            Delete::parse(body.as_bytes(), LIMIT).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(delete, delete_of(&["a"]), "{body}");
    }
}

#[test]
fn doctype_and_entities_are_refused() {
    let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><Delete><Object><Key>&xxe;</Key></Object></Delete>";
    let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><Delete><Object><Key>&lol3;</Key></Object></Delete>";
    let plain_doctype = b"<!DOCTYPE Delete><Delete><Object><Key>a</Key></Object></Delete>";
    let undeclared = b"<Delete><Object><Key>&lol;</Key></Object></Delete>";
    for body in [&xxe[..], laughs, plain_doctype, undeclared] {
        assert_eq!(code(Delete::parse(body, LIMIT)), "MalformedXML");
        assert_eq!(
            code(CompleteMultipartUpload::parse(body, LIMIT)),
            "MalformedXML"
        );
        assert_eq!(
            code(CreateBucketConfiguration::parse(body, LIMIT)),
            "MalformedXML"
        );
    }
}

#[test]
fn size_limit_is_exact() {
    let body = delete_body(3);
    assert!(Delete::parse(&body, body.len()).is_ok());
    let err = Delete::parse(&body, body.len() - 1).unwrap_err();
    assert_eq!(
        err,
        RequestError::TooLarge {
            len: body.len(),
            limit: body.len() - 1
        }
    );
    assert_eq!(err.code(), "MaxMessageLengthExceeded");
    assert_eq!(err.message(), "Your request was too big.");
    assert_eq!(code(Delete::parse(b"", 0)), "MissingRequestBodyError");
}

#[test]
fn deep_and_huge_inputs_fail_fast() {
    let mut deep = b"<Delete>".to_vec();
    deep.extend(b"<Object>".repeat(200_000));
    assert_eq!(code(Delete::parse(&deep, usize::MAX)), "MalformedXML");
    let mut deep_unknown = Vec::new();
    deep_unknown.extend(b"<a>".repeat(200_000));
    assert_eq!(
        code(Delete::parse(&deep_unknown, usize::MAX)),
        "MalformedXML"
    );
    let long_key = format!(
        "<Delete><Object><Key>{}</Key></Object></Delete>",
        "k".repeat(2_000_000)
    );
    assert_eq!(
        code(Delete::parse(long_key.as_bytes(), 1_000_000)),
        "MaxMessageLengthExceeded"
    );
    assert_eq!(
        Delete::parse(long_key.as_bytes(), usize::MAX)
            .unwrap()
            .objects[0]
            .key
            .len(),
        2_000_000
    );
}

#[test]
fn every_truncation_of_a_valid_body_is_an_error() {
    let delete = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"{S3_NAMESPACE}\"><Object><Key>a&amp;b</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>"
    );
    let complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>";
    for n in 0..delete.len() {
        let prefix = &delete.as_bytes()[..n];
        let result = Delete::parse(prefix, LIMIT);
        assert!(result.is_err(), "prefix of {n} bytes parsed: {result:?}");
    }
    for n in 0..complete.len() {
        let result = CompleteMultipartUpload::parse(&complete.as_bytes()[..n], LIMIT);
        assert!(result.is_err(), "prefix of {n} bytes parsed: {result:?}");
    }
    assert!(Delete::parse(delete.as_bytes(), LIMIT).is_ok());
    assert!(CompleteMultipartUpload::parse(complete.as_bytes(), LIMIT).is_ok());
}

// --------------------------------------------------------------- CompleteMultipartUpload

#[test]
fn complete_s3cmd_shape_unquoted_etags_no_namespace() {
    let body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a54357aff0632cce46d942af68356b38</ETag></Part><Part><PartNumber>2</PartNumber><ETag>0c78aef83f66abc1fa1e8477f296d394</ETag></Part></CompleteMultipartUpload>";
    let complete = CompleteMultipartUpload::parse(body, LIMIT).unwrap();
    assert_eq!(
        complete.parts,
        vec![
            CompletedPart::new(1, "a54357aff0632cce46d942af68356b38"),
            CompletedPart::new(2, "0c78aef83f66abc1fa1e8477f296d394"),
        ]
    );
}

#[test]
fn complete_botocore_shape_with_checksums() {
    let body = format!(
        "<CompleteMultipartUpload xmlns=\"{S3_NAMESPACE}\"><Part><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag><ChecksumCRC32>vVy8Jw==</ChecksumCRC32><PartNumber>1</PartNumber></Part><Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"
    );
    let complete = CompleteMultipartUpload::parse(body.as_bytes(), LIMIT).unwrap();
    assert_eq!(complete.parts.len(), 2);
    assert_eq!(complete.parts[0].etag, "a54357aff0632cce46d942af68356b38");
    assert_eq!(
        complete.parts[0].checksum_crc32.as_deref(),
        Some("vVy8Jw==")
    );
    assert_eq!(complete.parts[1].etag, "0c78aef83f66abc1fa1e8477f296d394");
    assert_eq!(
        CompleteMultipartUpload::parse(&complete.to_xml(), LIMIT).unwrap(),
        complete
    );
    let all = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag><ChecksumCRC32>a</ChecksumCRC32><ChecksumCRC32C> b </ChecksumCRC32C><ChecksumSHA1>c</ChecksumSHA1><ChecksumSHA256>d</ChecksumSHA256><ChecksumCRC64NVME>e</ChecksumCRC64NVME></Part></CompleteMultipartUpload>";
    let part = &CompleteMultipartUpload::parse(all, LIMIT).unwrap().parts[0];
    assert_eq!(
        (
            part.checksum_crc32.as_deref(),
            part.checksum_crc32c.as_deref(),
            part.checksum_sha1.as_deref(),
            part.checksum_sha256.as_deref(),
            part.checksum_crc64nvme.as_deref()
        ),
        (Some("a"), Some("b"), Some("c"), Some("d"), Some("e"))
    );
}

#[test]
fn complete_docs_like_irregular_indentation() {
    let body = b"<CompleteMultipartUpload>\n <Part>\n    <PartNumber> 1 </PartNumber>\n   <ETag>\n\"aa\"\n</ETag>\n </Part>\n  <Part><PartNumber>3</PartNumber>\n<ETag>\"bb\"</ETag></Part>\n</CompleteMultipartUpload>";
    let complete = CompleteMultipartUpload::parse(body, LIMIT).unwrap();
    assert_eq!(
        complete.parts,
        vec![CompletedPart::new(1, "aa"), CompletedPart::new(3, "bb")]
    );
}

#[test]
fn complete_refusals() {
    let wrap = |parts: &str| format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>");
    let part = |n: &str, etag: &str| {
        format!("<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>")
    };
    let malformed = [
        wrap(&part("0", "e")),
        wrap(&part("10001", "e")),
        wrap(&part("-1", "e")),
        wrap(&part("+1", "e")),
        wrap(&part("1.0", "e")),
        wrap(&part("", "e")),
        wrap(&part("abc", "e")),
        wrap(&part("4294967297", "e")),
        wrap(&part("1", "")),
        wrap(&part("1", "\"\"")),
        wrap(&part("1", "\"abc")),
        wrap(&part("1", "a\"b")),
        wrap("<Part><PartNumber>1</PartNumber></Part>"),
        wrap("<Part><ETag>e</ETag></Part>"),
        wrap("<Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>e</ETag></Part>"),
        wrap("<Part><PartNumber>1</PartNumber><ETag>e</ETag><ETag>f</ETag></Part>"),
        wrap("<Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>3</Size></Part>"),
        wrap("<Part><PartNumber>1</PartNumber><ETag>e</ETag><ChecksumMD5>x</ChecksumMD5></Part>"),
        wrap("<Object><Key>a</Key></Object>"),
        wrap("<Part/>"),
        "<CompleteMultipartUploads/>".to_owned(),
        String::new(),
        "  ".to_owned(),
    ];
    for body in &malformed {
        assert_eq!(
            code(CompleteMultipartUpload::parse(body.as_bytes(), LIMIT)),
            "MalformedXML",
            "{body}"
        );
    }
    for body in [
        wrap(""),
        "<CompleteMultipartUpload/>".to_owned(),
        wrap("<!-- none -->"),
    ] {
        let err = CompleteMultipartUpload::parse(body.as_bytes(), LIMIT).unwrap_err();
        assert_eq!(err, RequestError::NoParts);
        assert_eq!(err.code(), "InvalidRequest");
    }
    for parts in [
        format!("{}{}", part("2", "a"), part("1", "b")),
        format!("{}{}", part("1", "a"), part("1", "b")),
        format!("{}{}{}", part("1", "a"), part("3", "b"), part("2", "c")),
    ] {
        let err = CompleteMultipartUpload::parse(wrap(&parts).as_bytes(), LIMIT).unwrap_err();
        assert_eq!(err, RequestError::InvalidPartOrder);
        assert_eq!(err.code(), "InvalidPartOrder");
    }
}

#[test]
fn complete_10000_parts() {
    let complete = CompleteMultipartUpload {
        parts: (1..=10_000)
            .map(|n| CompletedPart::new(n, &format!("\"{n:032x}\"")))
            .collect(),
    };
    let bytes = complete.to_xml();
    assert!(bytes.len() < DEFAULT_BODY_LIMIT);
    assert_eq!(
        CompleteMultipartUpload::parse(&bytes, LIMIT).unwrap(),
        complete
    );
    assert_eq!(complete.parts[9_999].etag, format!("{:032x}", 10_000));
}

#[test]
fn serializers_are_byte_exact() {
    let delete = Delete {
        objects: vec![
            ObjectIdentifier::new("a&b"),
            ObjectIdentifier {
                version_id: Some("v".into()),
                ..ObjectIdentifier::new("c\r")
            },
        ],
        quiet: true,
    };
    assert_eq!(
        String::from_utf8(delete.to_xml()).unwrap(),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Object><Key>a&amp;b</Key></Object>",
            "<Object><Key>c&#xD;</Key><VersionId>v</VersionId></Object>",
            "<Quiet>true</Quiet>",
            "</Delete>"
        )
    );
    let complete = CompleteMultipartUpload {
        parts: vec![CompletedPart {
            checksum_crc32: Some("AAAAAA==".into()),
            ..CompletedPart::new(1, "\"abc\"")
        }],
    };
    assert_eq!(
        String::from_utf8(complete.to_xml()).unwrap(),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag>",
            "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>",
            "</CompleteMultipartUpload>"
        )
    );
    let config = CreateBucketConfiguration {
        location_constraint: Some("eu-central-1".into()),
    };
    assert_eq!(
        String::from_utf8(config.to_xml()).unwrap(),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            "<LocationConstraint>eu-central-1</LocationConstraint>",
            "</CreateBucketConfiguration>"
        )
    );
}

#[test]
fn error_codes_messages_and_documents() {
    let all = [
        (RequestError::MissingBody, "MissingRequestBodyError"),
        (
            RequestError::TooLarge { len: 2, limit: 1 },
            "MaxMessageLengthExceeded",
        ),
        (RequestError::Malformed("x".into()), "MalformedXML"),
        (
            RequestError::UserKeyMustBeSpecified,
            "UserKeyMustBeSpecified",
        ),
        (RequestError::NoParts, "InvalidRequest"),
        (RequestError::InvalidPartOrder, "InvalidPartOrder"),
    ];
    for (err, expected) in all {
        assert_eq!(err.code(), expected);
        assert!(!err.message().is_empty());
        assert!(!err.to_string().is_empty());
        let doc = err.to_error_document();
        assert_eq!(doc.code, expected);
        assert_eq!(doc.message, err.message());
    }
    assert_eq!(
        RequestError::Malformed("x".into()).message(),
        "The XML you provided was not well-formed or did not validate against our published schema"
    );
}
