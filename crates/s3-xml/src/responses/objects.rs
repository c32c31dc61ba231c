//! Object results: CopyObject, UploadPartCopy, DeleteObjects.

use time::OffsetDateTime;

use crate::writer::XmlWriter;
use crate::XmlDocument;

/// `<CopyObjectResult>`: `LastModified, ETag` (the checksum members are not supported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyObjectResult {
    /// `<LastModified>` of the new object.
    pub last_modified: OffsetDateTime,
    /// `<ETag>` of the new object, written quoted.
    pub etag: String,
}

impl XmlDocument for CopyObjectResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("CopyObjectResult");
        w.timestamp("LastModified", self.last_modified);
        w.etag("ETag", &self.etag);
        w.end("CopyObjectResult");
    }
}

/// `<CopyPartResult>` (UploadPartCopy): `ETag, LastModified`, in the spec's order. The spec's
/// sample has neither declaration nor namespace; both are written, as for every result
/// (and as AWS does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPartResult {
    /// `<ETag>` of the new part, written quoted.
    pub etag: String,
    /// `<LastModified>` of the new part.
    pub last_modified: OffsetDateTime,
}

impl XmlDocument for CopyPartResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("CopyPartResult");
        w.etag("ETag", &self.etag);
        w.timestamp("LastModified", self.last_modified);
        w.end("CopyPartResult");
    }
}

/// `<DeleteResult>` (DeleteObjects): every `<Deleted>` (only `Key`) then every `<Error>`
/// (`Code, Key, Message`, the spec's order), each group in the order given. For
/// `<Quiet>true</Quiet>` the service leaves `deleted` empty. Keys are escaped, never
/// URL-encoded (DeleteObjects has no `encoding-type`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteResult {
    /// Keys deleted (or that did not exist, which S3 reports as deleted).
    pub deleted: Vec<String>,
    /// Keys that could not be deleted.
    pub errors: Vec<DeleteError>,
}

/// One `<Error>` of a [`DeleteResult`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteError {
    /// `<Key>`.
    pub key: String,
    /// `<Code>`, an S3 error code such as `AccessDenied`.
    pub code: String,
    /// `<Message>`.
    pub message: String,
}

impl XmlDocument for DeleteResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        out.reserve(128 + self.deleted.len() * 64 + self.errors.len() * 128);
        let mut w = XmlWriter::new(out);
        w.start_root("DeleteResult");
        for key in &self.deleted {
            w.start("Deleted");
            w.text("Key", key);
            w.end("Deleted");
        }
        for error in &self.errors {
            w.start("Error");
            w.text("Code", &error.code);
            w.text("Key", &error.key);
            w.text("Message", &error.message);
            w.end("Error");
        }
        w.end("DeleteResult");
    }
}
