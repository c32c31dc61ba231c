//! `<CompleteMultipartUpload>`, the CompleteMultipartUpload body.

use super::delete::parse_u64;
use super::reader::{set_once, trimmed, Opened, Reader, Tag};
use crate::error::RequestError;
use crate::writer::XmlWriter;

/// Highest part number S3 accepts.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// The CompleteMultipartUpload body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompleteMultipartUpload {
    /// The parts, in strictly ascending `part_number` order (checked by the parser).
    pub parts: Vec<CompletedPart>,
}

/// One `<Part>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompletedPart {
    /// `<PartNumber>`, 1 to [`MAX_PART_NUMBER`].
    pub part_number: u32,
    /// `<ETag>` without its quotes: clients send `"abc"` (botocore, rclone), `&quot;abc&quot;`
    /// or `abc` (s3cmd); all give `abc`. The serializer writes it quoted again.
    pub etag: String,
    /// `<ChecksumCRC32>` (botocore sends it for every part), trimmed; S4 accepts and ignores
    /// part checksums.
    pub checksum_crc32: Option<String>,
    /// `<ChecksumCRC32C>`, trimmed.
    pub checksum_crc32c: Option<String>,
    /// `<ChecksumSHA1>`, trimmed.
    pub checksum_sha1: Option<String>,
    /// `<ChecksumSHA256>`, trimmed.
    pub checksum_sha256: Option<String>,
    /// `<ChecksumCRC64NVME>`, trimmed.
    pub checksum_crc64nvme: Option<String>,
}

impl CompletedPart {
    /// A part with a number and an (unquoted or quoted) ETag and no checksum.
    pub fn new(part_number: u32, etag: &str) -> Self {
        Self {
            part_number,
            etag: crate::unquote_etag(etag).to_owned(),
            ..Self::default()
        }
    }
}

impl CompleteMultipartUpload {
    /// Parses a CompleteMultipartUpload body of at most `limit` bytes.
    ///
    /// Errors: not XML (an empty body included), an unknown or repeated element, a `<Part>`
    /// without `<PartNumber>` or `<ETag>`, a PartNumber that is not an integer in
    /// 1..=10000, or an empty or badly quoted ETag is `MalformedXML` (the spec: "does not
    /// specify a valid ETag or PartNumber"); no `<Part>` at all is
    /// [`RequestError::NoParts`] (`InvalidRequest`); part numbers not strictly ascending are
    /// [`RequestError::InvalidPartOrder`]. Whether the parts exist, match and are contiguous
    /// is for the service to check (`InvalidPart`).
    pub fn parse(body: &[u8], limit: usize) -> Result<Self, RequestError> {
        let mut reader = Reader::new(body, limit)?;
        let root = reader.root(Tag::CompleteMultipartUpload)?;
        let mut parts = Vec::new();
        if !root.empty {
            while let Some(child) = reader.next_child()? {
                match child.tag {
                    Tag::Part => {
                        // A valid body has at most MAX_PART_NUMBER ascending parts; stop
                        // reading a longer one early (it is out of order or out of range).
                        if parts.len() == MAX_PART_NUMBER as usize {
                            return Err(RequestError::InvalidPartOrder);
                        }
                        parts.push(parse_part(&mut reader, child)?);
                    }
                    other => {
                        return Err(RequestError::malformed(format!(
                            "unexpected <{}> in <CompleteMultipartUpload>",
                            other.name()
                        )))
                    }
                }
            }
        }
        reader.finish()?;
        if parts.is_empty() {
            return Err(RequestError::NoParts);
        }
        if parts
            .windows(2)
            .any(|w| w[0].part_number >= w[1].part_number)
        {
            return Err(RequestError::InvalidPartOrder);
        }
        Ok(Self { parts })
    }
}

impl crate::XmlDocument for CompleteMultipartUpload {
    /// Appends the document (declaration, S3 namespace; ETags quoted) to `out`.
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("CompleteMultipartUpload");
        for part in &self.parts {
            w.start("Part");
            w.number("PartNumber", u64::from(part.part_number));
            w.etag("ETag", &part.etag);
            w.opt_text("ChecksumCRC32", part.checksum_crc32.as_deref());
            w.opt_text("ChecksumCRC32C", part.checksum_crc32c.as_deref());
            w.opt_text("ChecksumSHA1", part.checksum_sha1.as_deref());
            w.opt_text("ChecksumSHA256", part.checksum_sha256.as_deref());
            w.opt_text("ChecksumCRC64NVME", part.checksum_crc64nvme.as_deref());
            w.end("Part");
        }
        w.end("CompleteMultipartUpload");
    }
}

fn parse_part(reader: &mut Reader<'_>, opened: Opened) -> Result<CompletedPart, RequestError> {
    let mut part_number = None;
    let mut etag = None;
    let mut part = CompletedPart::default();
    if !opened.empty {
        while let Some(child) = reader.next_child()? {
            let text = reader.text(child)?;
            let value = trimmed(&text);
            match child.tag {
                Tag::PartNumber => {
                    let number = parse_u64(value)
                        .filter(|n| (1..=u64::from(MAX_PART_NUMBER)).contains(n))
                        .ok_or_else(|| RequestError::malformed("invalid PartNumber"))?;
                    set_once(&mut part_number, number as u32, child.tag)?;
                }
                Tag::Etag => set_once(&mut etag, parse_etag(value)?, child.tag)?,
                Tag::ChecksumCrc32 => set_once(&mut part.checksum_crc32, value.into(), child.tag)?,
                Tag::ChecksumCrc32c => {
                    set_once(&mut part.checksum_crc32c, value.into(), child.tag)?;
                }
                Tag::ChecksumSha1 => set_once(&mut part.checksum_sha1, value.into(), child.tag)?,
                Tag::ChecksumSha256 => {
                    set_once(&mut part.checksum_sha256, value.into(), child.tag)?;
                }
                Tag::ChecksumCrc64Nvme => {
                    set_once(&mut part.checksum_crc64nvme, value.into(), child.tag)?;
                }
                other => {
                    return Err(RequestError::malformed(format!(
                        "unexpected <{}> in <Part>",
                        other.name()
                    )))
                }
            }
        }
    }
    part.part_number =
        part_number.ok_or_else(|| RequestError::malformed("<Part> without <PartNumber>"))?;
    part.etag = etag.ok_or_else(|| RequestError::malformed("<Part> without <ETag>"))?;
    Ok(part)
}

/// `"abc"` or `abc` -> `abc`. Empty, or a quote anywhere else, is malformed.
fn parse_etag(value: &str) -> Result<String, RequestError> {
    let inner = crate::unquote_etag(value);
    if inner.is_empty() || inner.contains('"') {
        return Err(RequestError::malformed("invalid ETag"));
    }
    Ok(inner.to_owned())
}
