//! A strict pull reader over quick-xml's namespace-aware reader, shared by the request parsers.
//!
//! Structure is strict: one root element, only the elements a document defines, text only in
//! leaf elements, nothing but whitespace and comments between elements, no DOCTYPE (so no
//! entity declarations, no XXE, no billion laughs: only the five predefined entities and
//! character references are expanded), no processing instructions, no CDATA outside leaves.
//! Tolerated: whitespace and indentation, comments, a UTF-8 byte order mark, an XML
//! declaration (version 1.0 or 1.1, encoding absent or UTF-8), and the S3 namespace being
//! present (as default namespace or through a prefix) or absent. An element in any other
//! namespace is refused. Because only known elements are accepted and leaves cannot contain
//! elements, nesting depth is bounded by the document shape, whatever the input.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::RequestError;
use crate::writer::S3_NAMESPACE;

/// Every element name the request documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    CreateBucketConfiguration,
    LocationConstraint,
    Delete,
    Object,
    Key,
    VersionId,
    Etag,
    LastModifiedTime,
    Size,
    Quiet,
    CompleteMultipartUpload,
    Part,
    PartNumber,
    ChecksumCrc32,
    ChecksumCrc32c,
    ChecksumSha1,
    ChecksumSha256,
    ChecksumCrc64Nvme,
    AccessControlPolicy,
    Owner,
    Id,
    DisplayName,
    AccessControlList,
    Grant,
    Grantee,
    Permission,
    Uri,
    EmailAddress,
}

impl Tag {
    fn from_local_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"CreateBucketConfiguration" => Self::CreateBucketConfiguration,
            b"LocationConstraint" => Self::LocationConstraint,
            b"Delete" => Self::Delete,
            b"Object" => Self::Object,
            b"Key" => Self::Key,
            b"VersionId" => Self::VersionId,
            b"ETag" => Self::Etag,
            b"LastModifiedTime" => Self::LastModifiedTime,
            b"Size" => Self::Size,
            b"Quiet" => Self::Quiet,
            b"CompleteMultipartUpload" => Self::CompleteMultipartUpload,
            b"Part" => Self::Part,
            b"PartNumber" => Self::PartNumber,
            b"ChecksumCRC32" => Self::ChecksumCrc32,
            b"ChecksumCRC32C" => Self::ChecksumCrc32c,
            b"ChecksumSHA1" => Self::ChecksumSha1,
            b"ChecksumSHA256" => Self::ChecksumSha256,
            b"ChecksumCRC64NVME" => Self::ChecksumCrc64Nvme,
            b"AccessControlPolicy" => Self::AccessControlPolicy,
            b"Owner" => Self::Owner,
            b"ID" => Self::Id,
            b"DisplayName" => Self::DisplayName,
            b"AccessControlList" => Self::AccessControlList,
            b"Grant" => Self::Grant,
            b"Grantee" => Self::Grantee,
            b"Permission" => Self::Permission,
            b"URI" => Self::Uri,
            b"EmailAddress" => Self::EmailAddress,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::CreateBucketConfiguration => "CreateBucketConfiguration",
            Self::LocationConstraint => "LocationConstraint",
            Self::Delete => "Delete",
            Self::Object => "Object",
            Self::Key => "Key",
            Self::VersionId => "VersionId",
            Self::Etag => "ETag",
            Self::LastModifiedTime => "LastModifiedTime",
            Self::Size => "Size",
            Self::Quiet => "Quiet",
            Self::CompleteMultipartUpload => "CompleteMultipartUpload",
            Self::Part => "Part",
            Self::PartNumber => "PartNumber",
            Self::ChecksumCrc32 => "ChecksumCRC32",
            Self::ChecksumCrc32c => "ChecksumCRC32C",
            Self::ChecksumSha1 => "ChecksumSHA1",
            Self::ChecksumSha256 => "ChecksumSHA256",
            Self::ChecksumCrc64Nvme => "ChecksumCRC64NVME",
            Self::AccessControlPolicy => "AccessControlPolicy",
            Self::Owner => "Owner",
            Self::Id => "ID",
            Self::DisplayName => "DisplayName",
            Self::AccessControlList => "AccessControlList",
            Self::Grant => "Grant",
            Self::Grantee => "Grantee",
            Self::Permission => "Permission",
            Self::Uri => "URI",
            Self::EmailAddress => "EmailAddress",
        }
    }
}

/// An element just opened: its tag and whether it was written `<Tag/>` (no content, no end).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    pub(crate) tag: Tag,
    pub(crate) empty: bool,
}

pub(crate) struct Reader<'i> {
    inner: NsReader<&'i [u8]>,
}

fn malformed(reason: impl Into<String>) -> RequestError {
    RequestError::malformed(reason)
}

fn is_xml_whitespace(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

impl<'i> Reader<'i> {
    /// Checks the size limit and sets up the reader.
    pub(crate) fn new(body: &'i [u8], limit: usize) -> Result<Self, RequestError> {
        if body.len() > limit {
            return Err(RequestError::TooLarge {
                len: body.len(),
                limit,
            });
        }
        let mut inner = NsReader::from_reader(body);
        let config = inner.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Ok(Self { inner })
    }

    /// Reads the next event and resolves the namespace of start, empty and end tags.
    /// Returns the tag for `Start`/`Empty` events, checked against the allowed namespaces.
    fn next_event(&mut self) -> Result<(Option<Tag>, Event<'i>), RequestError> {
        let (resolved, event) = self
            .inner
            .read_resolved_event()
            .map_err(|e| malformed(e.to_string()))?;
        let tag = match &event {
            Event::Start(e) | Event::Empty(e) => {
                match resolved {
                    ResolveResult::Unbound => {}
                    ResolveResult::Bound(ns) if ns.as_ref() == S3_NAMESPACE.as_bytes() => {}
                    ResolveResult::Bound(ns) => {
                        return Err(malformed(format!(
                            "element in namespace {:?}",
                            String::from_utf8_lossy(ns.as_ref())
                        )))
                    }
                    ResolveResult::Unknown(prefix) => {
                        return Err(malformed(format!(
                            "unknown namespace prefix {:?}",
                            String::from_utf8_lossy(&prefix)
                        )))
                    }
                }
                let local = e.local_name();
                match Tag::from_local_name(local.as_ref()) {
                    Some(tag) => Some(tag),
                    None => {
                        return Err(malformed(format!(
                            "unexpected element <{}>",
                            String::from_utf8_lossy(local.as_ref())
                        )))
                    }
                }
            }
            _ => None,
        };
        Ok((tag, event))
    }

    /// Skips the prologue and opens the root element, which must be `expected`.
    pub(crate) fn root(&mut self, expected: Tag) -> Result<Opened, RequestError> {
        let mut first = true;
        loop {
            let (tag, event) = self.next_event().map_err(|e| match e {
                // An unknown root name reads better as "wrong root".
                RequestError::Malformed(reason) => {
                    malformed(format!("expected root <{}>: {reason}", expected.name()))
                }
                other => other,
            })?;
            match event {
                Event::Decl(decl) if first => check_declaration(&decl)?,
                Event::Text(t) if is_xml_whitespace(&t) => {}
                Event::Comment(_) => {}
                Event::Start(_) | Event::Empty(_) => {
                    let empty = matches!(event, Event::Empty(_));
                    return match tag {
                        Some(tag) if tag == expected => Ok(Opened { tag, empty }),
                        _ => Err(malformed(format!("expected root <{}>", expected.name()))),
                    };
                }
                Event::Eof => return Err(malformed("no root element")),
                Event::DocType(_) => return Err(malformed("DOCTYPE is not allowed")),
                other => return Err(malformed(format!("unexpected {other:?} before the root"))),
            }
            first = false;
        }
    }

    /// The next child element of the element being read, or `None` at its end tag.
    pub(crate) fn next_child(&mut self) -> Result<Option<Opened>, RequestError> {
        loop {
            let (tag, event) = self.next_event()?;
            match event {
                Event::Start(_) | Event::Empty(_) => {
                    let empty = matches!(event, Event::Empty(_));
                    // `next_event` returns a tag for every start and empty event.
                    return match tag {
                        Some(tag) => Ok(Some(Opened { tag, empty })),
                        None => Err(malformed("unnamed element")),
                    };
                }
                Event::End(_) => return Ok(None),
                Event::Text(t) if is_xml_whitespace(&t) => {}
                Event::Comment(_) => {}
                Event::Text(_) | Event::CData(_) => {
                    return Err(malformed("text outside a leaf element"))
                }
                Event::Eof => return Err(malformed("unexpected end of document")),
                Event::DocType(_) => return Err(malformed("DOCTYPE is not allowed")),
                other => return Err(malformed(format!("unexpected {other:?}"))),
            }
        }
    }

    /// The text content of a leaf element just opened, up to and including its end tag.
    /// Character references and the predefined entities are expanded; CDATA is taken
    /// verbatim; comments are skipped; a child element is an error. NUL is refused (XML
    /// cannot carry it).
    pub(crate) fn text(&mut self, opened: Opened) -> Result<String, RequestError> {
        let mut text = String::new();
        if opened.empty {
            return Ok(text);
        }
        loop {
            let (_, event) = self.next_event()?;
            match event {
                Event::Text(t) if t.contains(&b'\r') => {
                    // XML end-of-line handling (XML 1.0 section 2.11): a raw CR LF or lone CR
                    // is read as LF, as AWS's parser does; `&#13;` stays a carriage return.
                    let raw = std::str::from_utf8(&t).map_err(|e| malformed(e.to_string()))?;
                    let normalized = normalize_line_ends(raw);
                    let unescaped = quick_xml::escape::unescape(&normalized)
                        .map_err(|e| malformed(e.to_string()))?;
                    text.push_str(&unescaped);
                }
                Event::Text(t) => {
                    let unescaped = t.unescape().map_err(|e| malformed(e.to_string()))?;
                    if text.is_empty() {
                        // The usual case, one text event: take it without another copy.
                        text = unescaped.into_owned();
                    } else {
                        text.push_str(&unescaped);
                    }
                }
                Event::CData(c) => {
                    let raw = std::str::from_utf8(&c).map_err(|e| malformed(e.to_string()))?;
                    text.push_str(&normalize_line_ends(raw));
                }
                Event::Comment(_) => {}
                Event::End(_) => break,
                Event::Start(_) | Event::Empty(_) => {
                    return Err(malformed(format!("element inside <{}>", opened.tag.name())))
                }
                Event::Eof => return Err(malformed("unexpected end of document")),
                other => return Err(malformed(format!("unexpected {other:?}"))),
            }
        }
        if text.contains('\0') {
            return Err(malformed("NUL character in text"));
        }
        Ok(text)
    }

    /// After the root's end tag: only whitespace and comments may follow.
    pub(crate) fn finish(&mut self) -> Result<(), RequestError> {
        loop {
            let (_, event) = self.next_event()?;
            match event {
                Event::Eof => return Ok(()),
                Event::Text(t) if is_xml_whitespace(&t) => {}
                Event::Comment(_) => {}
                _ => return Err(malformed("content after the root element")),
            }
        }
    }
}

fn check_declaration(decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), RequestError> {
    let version = decl.version().map_err(|e| malformed(e.to_string()))?;
    if !matches!(version.as_ref(), b"1.0" | b"1.1") {
        return Err(malformed("unsupported XML version"));
    }
    if let Some(encoding) = decl.encoding() {
        let encoding = encoding.map_err(|e| malformed(e.to_string()))?;
        if !encoding.eq_ignore_ascii_case(b"utf-8") && !encoding.eq_ignore_ascii_case(b"utf8") {
            return Err(malformed("only UTF-8 documents are accepted"));
        }
    }
    Ok(())
}

/// Raw CR LF and lone CR become LF.
fn normalize_line_ends(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('\r') {
        std::borrow::Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// A leaf value without surrounding XML whitespace (for numbers, booleans, ETags...).
pub(crate) fn trimmed(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// Records `value` in `slot`, refusing a repeated element.
pub(crate) fn set_once<T>(slot: &mut Option<T>, value: T, tag: Tag) -> Result<(), RequestError> {
    if slot.is_some() {
        return Err(malformed(format!("repeated <{}>", tag.name())));
    }
    *slot = Some(value);
    Ok(())
}
