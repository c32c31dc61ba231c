//! Multipart results: CreateMultipartUpload, ListParts, CompleteMultipartUpload,
//! ListMultipartUploads.

use time::OffsetDateTime;

use crate::encoding::EncodingType;
use crate::writer::XmlWriter;
use crate::{Owner, XmlDocument};

/// `<InitiateMultipartUploadResult>`: `Bucket, Key, UploadId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiateMultipartUploadResult {
    /// `<Bucket>`.
    pub bucket: String,
    /// `<Key>`.
    pub key: String,
    /// `<UploadId>`.
    pub upload_id: String,
}

impl XmlDocument for InitiateMultipartUploadResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("InitiateMultipartUploadResult");
        w.text("Bucket", &self.bucket);
        w.text("Key", &self.key);
        w.text("UploadId", &self.upload_id);
        w.end("InitiateMultipartUploadResult");
    }
}

/// One `<Part>` of a [`ListPartsResult`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEntry {
    /// `<PartNumber>`.
    pub part_number: u32,
    /// `<LastModified>`.
    pub last_modified: OffsetDateTime,
    /// `<ETag>`, written quoted.
    pub etag: String,
    /// `<Size>`.
    pub size: u64,
}

/// `<ListPartsResult>`: `Bucket, Key, UploadId, PartNumberMarker, NextPartNumberMarker,
/// MaxParts, IsTruncated, Part*, Initiator, Owner, StorageClass` (always `STANDARD`).
/// `PartNumberMarker` is always written (0 when none was given, as S3 does);
/// `NextPartNumberMarker` only when set (the service sets it when truncated). The
/// not-supported `ChecksumAlgorithm`/`ChecksumType` are never written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPartsResult {
    /// `<Bucket>`.
    pub bucket: String,
    /// `<Key>`.
    pub key: String,
    /// `<UploadId>`.
    pub upload_id: String,
    /// `<PartNumberMarker>`.
    pub part_number_marker: u32,
    /// `<NextPartNumberMarker>`.
    pub next_part_number_marker: Option<u32>,
    /// `<MaxParts>`.
    pub max_parts: u32,
    /// `<IsTruncated>`.
    pub is_truncated: bool,
    /// `<Part>` entries.
    pub parts: Vec<PartEntry>,
    /// `<Initiator>`.
    pub initiator: Owner,
    /// `<Owner>`.
    pub owner: Owner,
}

impl XmlDocument for ListPartsResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        out.reserve(512 + self.parts.len() * 160);
        let mut w = XmlWriter::new(out);
        w.start_root("ListPartsResult");
        w.text("Bucket", &self.bucket);
        w.text("Key", &self.key);
        w.text("UploadId", &self.upload_id);
        w.number("PartNumberMarker", u64::from(self.part_number_marker));
        if let Some(next) = self.next_part_number_marker {
            w.number("NextPartNumberMarker", u64::from(next));
        }
        w.number("MaxParts", u64::from(self.max_parts));
        w.boolean("IsTruncated", self.is_truncated);
        for part in &self.parts {
            w.start("Part");
            w.number("PartNumber", u64::from(part.part_number));
            w.timestamp("LastModified", part.last_modified);
            w.etag("ETag", &part.etag);
            w.number("Size", part.size);
            w.end("Part");
        }
        w.owner("Initiator", &self.initiator);
        w.owner("Owner", &self.owner);
        w.text("StorageClass", "STANDARD");
        w.end("ListPartsResult");
    }
}

/// `<CompleteMultipartUploadResult>`: `Location, Bucket, Key, ETag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteMultipartUploadResult {
    /// `<Location>`: the object's URL.
    pub location: String,
    /// `<Bucket>`.
    pub bucket: String,
    /// `<Key>`.
    pub key: String,
    /// `<ETag>` of the object (`<md5 of part md5s>-<part count>`), written quoted.
    pub etag: String,
}

impl XmlDocument for CompleteMultipartUploadResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("CompleteMultipartUploadResult");
        w.text("Location", &self.location);
        w.text("Bucket", &self.bucket);
        w.text("Key", &self.key);
        w.etag("ETag", &self.etag);
        w.end("CompleteMultipartUploadResult");
    }
}

/// One `<Upload>` of a [`ListMultipartUploadsResult`]: `Key, UploadId, Initiator, Owner,
/// StorageClass, Initiated`. The spec's sample has no `Initiator`/`Owner`; they are written
/// only when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadEntry {
    /// `<Key>`, raw (URL-encoded with `encoding-type=url`).
    pub key: String,
    /// `<UploadId>` (never encoded).
    pub upload_id: String,
    /// `<Initiator>`.
    pub initiator: Option<Owner>,
    /// `<Owner>`.
    pub owner: Option<Owner>,
    /// `<Initiated>`.
    pub initiated: OffsetDateTime,
}

/// `<ListMultipartUploadsResult>`.
///
/// Layout from the spec: `Bucket, Upload*, MaxUploads, IsTruncated, KeyMarker,
/// UploadIdMarker, NextKeyMarker, NextUploadIdMarker`; the four markers are always written
/// (empty when none, as AWS does). The spec's sample has no `Prefix`, `Delimiter`,
/// `CommonPrefixes` or `EncodingType` although the request parameters are supported: they
/// follow, in that order, `Prefix` and `Delimiter` only when set. With `encoding-type=url`,
/// `Key`, `KeyMarker`, `NextKeyMarker`, `Prefix`, `Delimiter` and the common prefixes are
/// URL-encoded (upload IDs are not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMultipartUploadsResult {
    /// `<Bucket>`.
    pub bucket: String,
    /// `<KeyMarker>`, raw, as received.
    pub key_marker: String,
    /// `<UploadIdMarker>`, as received.
    pub upload_id_marker: String,
    /// `<NextKeyMarker>`, raw.
    pub next_key_marker: String,
    /// `<NextUploadIdMarker>`.
    pub next_upload_id_marker: String,
    /// `<Prefix>`, raw.
    pub prefix: Option<String>,
    /// `<Delimiter>`, raw.
    pub delimiter: Option<String>,
    /// `<MaxUploads>`.
    pub max_uploads: u32,
    /// `<IsTruncated>`.
    pub is_truncated: bool,
    /// `<Upload>` entries.
    pub uploads: Vec<UploadEntry>,
    /// `<CommonPrefixes><Prefix>` values, raw.
    pub common_prefixes: Vec<String>,
    /// `encoding-type`.
    pub encoding_type: Option<EncodingType>,
}

impl XmlDocument for ListMultipartUploadsResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let enc = self.encoding_type;
        out.reserve(512 + self.uploads.len() * 320);
        let mut w = XmlWriter::new(out);
        w.start_root("ListMultipartUploadsResult");
        w.text("Bucket", &self.bucket);
        for upload in &self.uploads {
            w.start("Upload");
            w.key_text("Key", &upload.key, enc);
            w.text("UploadId", &upload.upload_id);
            if let Some(initiator) = &upload.initiator {
                w.owner("Initiator", initiator);
            }
            if let Some(owner) = &upload.owner {
                w.owner("Owner", owner);
            }
            w.text("StorageClass", "STANDARD");
            w.timestamp("Initiated", upload.initiated);
            w.end("Upload");
        }
        w.number("MaxUploads", u64::from(self.max_uploads));
        w.boolean("IsTruncated", self.is_truncated);
        w.key_text("KeyMarker", &self.key_marker, enc);
        w.text("UploadIdMarker", &self.upload_id_marker);
        w.key_text("NextKeyMarker", &self.next_key_marker, enc);
        w.text("NextUploadIdMarker", &self.next_upload_id_marker);
        w.opt_key_text("Prefix", self.prefix.as_deref(), enc);
        w.opt_key_text("Delimiter", self.delimiter.as_deref(), enc);
        for prefix in &self.common_prefixes {
            w.start("CommonPrefixes");
            w.key_text("Prefix", prefix, enc);
            w.end("CommonPrefixes");
        }
        if let Some(enc) = enc {
            w.text("EncodingType", enc.as_str());
        }
        w.end("ListMultipartUploadsResult");
    }
}
