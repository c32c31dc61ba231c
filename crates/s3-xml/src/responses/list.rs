//! ListObjects (v1) and ListObjectsV2 results: both are `<ListBucketResult>`.

use time::OffsetDateTime;

use crate::encoding::EncodingType;
use crate::writer::XmlWriter;
use crate::{Owner, XmlDocument};

/// One `<Contents>` entry. `StorageClass` is always `STANDARD` in S4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// `<Key>`, raw (URL-encoded on output when the result's `encoding_type` is set).
    pub key: String,
    /// `<LastModified>`.
    pub last_modified: OffsetDateTime,
    /// `<ETag>`, quoted or not: written quoted once.
    pub etag: String,
    /// `<Size>`.
    pub size: u64,
}

/// `<ListBucketResult>` for ListObjects (v1).
///
/// Layout from the spec: `IsTruncated, Marker, NextMarker, Contents*, Name, Prefix, Delimiter,
/// MaxKeys, CommonPrefixes*, EncodingType`. Omission rules (the spec is silent; these are
/// AWS's): `Marker` and `Prefix` are always written, empty when not given; `NextMarker` only
/// when set (S3 sets it when the listing is truncated and a delimiter was given);
/// `Delimiter` only when set; `EncodingType` only for `encoding-type=url`; `<Owner>` inside
/// each `<Contents>` only when `owner` is set (S4 sets it for v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectsResult {
    /// `<Name>`: the bucket.
    pub name: String,
    /// `<Prefix>`, raw, written as sent even with `encoding-type=url`.
    pub prefix: String,
    /// `<Marker>`, raw, as received.
    pub marker: String,
    /// `<NextMarker>`, raw.
    pub next_marker: Option<String>,
    /// `<Delimiter>`, raw.
    pub delimiter: Option<String>,
    /// `<MaxKeys>`.
    pub max_keys: u32,
    /// `<IsTruncated>`.
    pub is_truncated: bool,
    /// `<Contents>` entries.
    pub contents: Vec<ObjectEntry>,
    /// `<CommonPrefixes><Prefix>` values, raw.
    pub common_prefixes: Vec<String>,
    /// `encoding-type`: when set, key-derived values are URL-encoded and `<EncodingType>` is
    /// written.
    pub encoding_type: Option<EncodingType>,
    /// The owner written in every `<Contents>` (every object is owned by the account's
    /// canonical user in S4).
    pub owner: Option<Owner>,
}

/// `<ListBucketResult>` for ListObjectsV2.
///
/// Layout from the spec: `IsTruncated, ContinuationToken, NextContinuationToken, Contents*,
/// Name, Prefix, Delimiter, MaxKeys, CommonPrefixes*, EncodingType, KeyCount`, then
/// `StartAfter`, which the spec's sample leaves out (placed last, where AWS's reference
/// lists it). `ContinuationToken`, `NextContinuationToken`, `StartAfter` and `Delimiter` are
/// written only when set; `Prefix` always; `KeyCount` is computed (`Contents` plus
/// `CommonPrefixes`, as S3 counts). `<Owner>` appears in `<Contents>` only when `owner` is set,
/// which the service does for `fetch-owner=true`. Continuation tokens are opaque and never
/// URL-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectsV2Result {
    /// `<Name>`: the bucket.
    pub name: String,
    /// `<Prefix>`, raw.
    pub prefix: String,
    /// `<Delimiter>`, raw.
    pub delimiter: Option<String>,
    /// `<MaxKeys>`.
    pub max_keys: u32,
    /// `<IsTruncated>`.
    pub is_truncated: bool,
    /// `<ContinuationToken>`, as received.
    pub continuation_token: Option<String>,
    /// `<NextContinuationToken>`.
    pub next_continuation_token: Option<String>,
    /// `<StartAfter>`, raw, as received.
    pub start_after: Option<String>,
    /// `<Contents>` entries.
    pub contents: Vec<ObjectEntry>,
    /// `<CommonPrefixes><Prefix>` values, raw.
    pub common_prefixes: Vec<String>,
    /// See [`ListObjectsResult::encoding_type`].
    pub encoding_type: Option<EncodingType>,
    /// Written in every `<Contents>` when set: only for `fetch-owner=true`.
    pub owner: Option<Owner>,
}

fn write_contents(
    w: &mut XmlWriter<'_>,
    entry: &ObjectEntry,
    owner: Option<&Owner>,
    encoding: Option<EncodingType>,
) {
    w.start("Contents");
    w.etag("ETag", &entry.etag);
    w.key_text("Key", &entry.key, encoding);
    w.timestamp("LastModified", entry.last_modified);
    if let Some(owner) = owner {
        // The spec's listing samples put DisplayName before ID here.
        w.start("Owner");
        w.text("DisplayName", &owner.display_name);
        w.text("ID", &owner.id);
        w.end("Owner");
    }
    w.number("Size", entry.size);
    w.text("StorageClass", "STANDARD");
    w.end("Contents");
}

fn write_common_prefixes(
    w: &mut XmlWriter<'_>,
    prefixes: &[String],
    encoding: Option<EncodingType>,
) {
    for prefix in prefixes {
        w.start("CommonPrefixes");
        w.key_text("Prefix", prefix, encoding);
        w.end("CommonPrefixes");
    }
}

fn write_encoding_type(w: &mut XmlWriter<'_>, encoding: Option<EncodingType>) {
    if let Some(encoding) = encoding {
        w.text("EncodingType", encoding.as_str());
    }
}

impl XmlDocument for ListObjectsResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let enc = self.encoding_type;
        out.reserve(256 + self.contents.len() * 256);
        let mut w = XmlWriter::new(out);
        w.start_root("ListBucketResult");
        w.boolean("IsTruncated", self.is_truncated);
        w.key_text("Marker", &self.marker, enc);
        w.opt_key_text("NextMarker", self.next_marker.as_deref(), enc);
        for entry in &self.contents {
            write_contents(&mut w, entry, self.owner.as_ref(), enc);
        }
        w.text("Name", &self.name);
        // As sent, even with `encoding-type=url`: botocore decodes a v1 listing's `Marker`,
        // `NextMarker`, `Delimiter`, keys and common prefixes, but not its `Prefix`.
        w.text("Prefix", &self.prefix);
        w.opt_key_text("Delimiter", self.delimiter.as_deref(), enc);
        w.number("MaxKeys", u64::from(self.max_keys));
        write_common_prefixes(&mut w, &self.common_prefixes, enc);
        write_encoding_type(&mut w, enc);
        w.end("ListBucketResult");
    }
}

impl ListObjectsV2Result {
    /// `<KeyCount>`: the number of keys and common prefixes returned.
    pub fn key_count(&self) -> usize {
        self.contents.len() + self.common_prefixes.len()
    }
}

impl XmlDocument for ListObjectsV2Result {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let enc = self.encoding_type;
        out.reserve(256 + self.contents.len() * 256);
        let mut w = XmlWriter::new(out);
        w.start_root("ListBucketResult");
        w.boolean("IsTruncated", self.is_truncated);
        w.opt_text("ContinuationToken", self.continuation_token.as_deref());
        w.opt_text(
            "NextContinuationToken",
            self.next_continuation_token.as_deref(),
        );
        for entry in &self.contents {
            write_contents(&mut w, entry, self.owner.as_ref(), enc);
        }
        w.text("Name", &self.name);
        w.key_text("Prefix", &self.prefix, enc);
        w.opt_key_text("Delimiter", self.delimiter.as_deref(), enc);
        w.number("MaxKeys", u64::from(self.max_keys));
        write_common_prefixes(&mut w, &self.common_prefixes, enc);
        write_encoding_type(&mut w, enc);
        w.number("KeyCount", self.key_count() as u64);
        w.opt_key_text("StartAfter", self.start_after.as_deref(), enc);
        w.end("ListBucketResult");
    }
}
