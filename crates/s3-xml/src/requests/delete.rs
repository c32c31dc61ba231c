//! `<Delete>`, the DeleteObjects body.

use super::reader::{set_once, trimmed, Reader, Tag};
use crate::error::RequestError;
use crate::writer::XmlWriter;

/// At most this many `<Object>` elements in one DeleteObjects request; more is `MalformedXML`
/// (as AWS answers).
pub const MAX_DELETE_OBJECTS: usize = 1000;

/// The DeleteObjects body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delete {
    /// The objects to delete, in request order (1 to [`MAX_DELETE_OBJECTS`]).
    pub objects: Vec<ObjectIdentifier>,
    /// `<Quiet>true</Quiet>`: report only errors. Absent means `false`.
    pub quiet: bool,
}

/// One `<Object>` of a Delete request.
///
/// S4 supports only `Key`. The other members AWS defines are parsed and kept so that the
/// service can decide what to do with them (S4 ignores `VersionId`; `ETag`,
/// `LastModifiedTime` and `Size` are AWS's conditional deletes, which S4 does not support).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectIdentifier {
    /// `<Key>`, exactly as sent (not trimmed: whitespace is part of a key). Never empty.
    pub key: String,
    /// `<VersionId>`, as sent.
    pub version_id: Option<String>,
    /// `<ETag>`, as sent.
    pub etag: Option<String>,
    /// `<LastModifiedTime>`, as sent.
    pub last_modified_time: Option<String>,
    /// `<Size>`.
    pub size: Option<u64>,
}

impl ObjectIdentifier {
    /// An identifier with only a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            ..Self::default()
        }
    }
}

impl Delete {
    /// Parses a DeleteObjects body of at most `limit` bytes.
    ///
    /// Errors: an empty body is `MissingRequestBodyError`; more than 1000 objects, no object,
    /// an `<Object>` without `<Key>`, an unknown or repeated element, or a `<Quiet>` other than
    /// `true`/`false` (any case, surrounding whitespace allowed) is `MalformedXML`; an
    /// `<Object>` whose `<Key>` is empty is [`RequestError::UserKeyMustBeSpecified`], reported
    /// after the whole body has been checked.
    pub fn parse(body: &[u8], limit: usize) -> Result<Self, RequestError> {
        let mut reader = Reader::new(body, limit)?;
        if body.is_empty() {
            return Err(RequestError::MissingBody);
        }
        let root = reader.root(Tag::Delete)?;
        let mut objects = Vec::new();
        let mut quiet = None;
        let mut empty_key = false;
        if !root.empty {
            while let Some(child) = reader.next_child()? {
                match child.tag {
                    Tag::Object => {
                        if objects.len() == MAX_DELETE_OBJECTS {
                            return Err(RequestError::malformed(format!(
                                "more than {MAX_DELETE_OBJECTS} objects"
                            )));
                        }
                        let object = parse_object(&mut reader, child)?;
                        empty_key |= object.key.is_empty();
                        objects.push(object);
                    }
                    Tag::Quiet => {
                        let text = reader.text(child)?;
                        let value = match trimmed(&text) {
                            v if v.eq_ignore_ascii_case("true") => true,
                            v if v.eq_ignore_ascii_case("false") => false,
                            _ => return Err(RequestError::malformed("Quiet is not a boolean")),
                        };
                        set_once(&mut quiet, value, child.tag)?;
                    }
                    other => {
                        return Err(RequestError::malformed(format!(
                            "unexpected <{}> in <Delete>",
                            other.name()
                        )))
                    }
                }
            }
        }
        reader.finish()?;
        if objects.is_empty() {
            return Err(RequestError::malformed("no <Object> in <Delete>"));
        }
        if empty_key {
            return Err(RequestError::UserKeyMustBeSpecified);
        }
        Ok(Self {
            objects,
            quiet: quiet.unwrap_or(false),
        })
    }
}

impl crate::XmlDocument for Delete {
    /// Appends the document (declaration, S3 namespace) to `out`. `<Quiet>` is written only
    /// when true.
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("Delete");
        for object in &self.objects {
            w.start("Object");
            w.text("Key", &object.key);
            w.opt_text("VersionId", object.version_id.as_deref());
            w.opt_text("ETag", object.etag.as_deref());
            w.opt_text("LastModifiedTime", object.last_modified_time.as_deref());
            if let Some(size) = object.size {
                w.number("Size", size);
            }
            w.end("Object");
        }
        if self.quiet {
            w.boolean("Quiet", true);
        }
        w.end("Delete");
    }
}

fn parse_object(
    reader: &mut Reader<'_>,
    opened: super::reader::Opened,
) -> Result<ObjectIdentifier, RequestError> {
    let mut key = None;
    let mut version_id = None;
    let mut etag = None;
    let mut last_modified_time = None;
    let mut size = None;
    if !opened.empty {
        while let Some(child) = reader.next_child()? {
            let text = reader.text(child)?;
            match child.tag {
                Tag::Key => set_once(&mut key, text, child.tag)?,
                Tag::VersionId => set_once(&mut version_id, text, child.tag)?,
                Tag::Etag => set_once(&mut etag, text, child.tag)?,
                Tag::LastModifiedTime => set_once(&mut last_modified_time, text, child.tag)?,
                Tag::Size => {
                    let value = parse_u64(trimmed(&text))
                        .ok_or_else(|| RequestError::malformed("Size is not an integer"))?;
                    set_once(&mut size, value, child.tag)?;
                }
                other => {
                    return Err(RequestError::malformed(format!(
                        "unexpected <{}> in <Object>",
                        other.name()
                    )))
                }
            }
        }
    }
    let key = key.ok_or_else(|| RequestError::malformed("<Object> without <Key>"))?;
    Ok(ObjectIdentifier {
        key,
        version_id,
        etag,
        last_modified_time,
        size,
    })
}

/// Decimal digits only (no sign, no spaces inside).
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
