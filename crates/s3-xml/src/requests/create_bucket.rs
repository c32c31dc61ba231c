//! `<CreateBucketConfiguration>`, the optional CreateBucket body.

use super::reader::{set_once, trimmed, Reader, Tag};
use crate::error::RequestError;
use crate::writer::XmlWriter;

/// The CreateBucket body. S4 accepts it and ignores it (any endpoint serves any bucket, see
/// the spec's notes); it is parsed so that a malformed body is still refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateBucketConfiguration {
    /// `<LocationConstraint>`, whitespace-trimmed; `None` when the element is absent.
    pub location_constraint: Option<String>,
}

impl CreateBucketConfiguration {
    /// Parses a CreateBucket body of at most `limit` bytes.
    ///
    /// An empty or whitespace-only body is valid for CreateBucket and gives the default
    /// (no location constraint). `<LocationConstraint>` is the only child accepted; S4
    /// supports none of the others AWS defines (`Location`, `Bucket`, `Tags`), so they are
    /// `MalformedXML` rather than silently dropped.
    pub fn parse(body: &[u8], limit: usize) -> Result<Self, RequestError> {
        let mut reader = Reader::new(body, limit)?;
        if body
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Ok(Self::default());
        }
        let root = reader.root(Tag::CreateBucketConfiguration)?;
        let mut config = Self::default();
        if !root.empty {
            while let Some(child) = reader.next_child()? {
                match child.tag {
                    Tag::LocationConstraint => {
                        let text = reader.text(child)?;
                        set_once(
                            &mut config.location_constraint,
                            trimmed(&text).to_owned(),
                            child.tag,
                        )?;
                    }
                    other => {
                        return Err(RequestError::malformed(format!(
                            "unexpected <{}> in <CreateBucketConfiguration>",
                            other.name()
                        )))
                    }
                }
            }
        }
        reader.finish()?;
        Ok(config)
    }
}

impl crate::XmlDocument for CreateBucketConfiguration {
    /// Appends the document (declaration, S3 namespace) to `out`.
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("CreateBucketConfiguration");
        w.opt_text("LocationConstraint", self.location_constraint.as_deref());
        w.end("CreateBucketConfiguration");
    }
}
