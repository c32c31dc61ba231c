//! `<AccessControlPolicy>`, the PutObjectAcl and PutBucketAcl body.

use super::reader::{set_once, trimmed, Opened, Reader, Tag};
use crate::error::RequestError;
use crate::writer::XmlWriter;

/// A PutObjectAcl / PutBucketAcl body: the owner and the grants. S4 has ACLs disabled; the
/// service accepts only a document that grants the owner `FULL_CONTROL` and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessControlPolicyRequest {
    /// `<Owner><ID>`, whitespace-trimmed; `None` when `<Owner>` or its `<ID>` is absent.
    pub owner_id: Option<String>,
    /// The `<Grant>`s of `<AccessControlList>`, in order.
    pub grants: Vec<AclGrant>,
}

/// One `<Grant>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclGrant {
    /// `<Grantee>`: to whom the permission is granted.
    pub grantee: AclGrantee,
    /// `<Permission>`, whitespace-trimmed (`FULL_CONTROL`, `READ`, ...).
    pub permission: String,
}

/// A `<Grantee>`, told apart by the element it carries (its `xsi:type` attribute is not
/// read), values whitespace-trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclGrantee {
    /// `<ID>`: a canonical user.
    CanonicalUser(String),
    /// `<URI>`: a group such as AllUsers.
    Group(String),
    /// `<EmailAddress>`.
    Email(String),
}

impl AccessControlPolicyRequest {
    /// Parses a body of at most `limit` bytes. `<DisplayName>` is read and ignored; a
    /// `<Grant>` without `<Grantee>` or `<Permission>`, a `<Grantee>` naming no one or
    /// several, and any unknown or repeated element are `MalformedXML`.
    pub fn parse(body: &[u8], limit: usize) -> Result<Self, RequestError> {
        let mut reader = Reader::new(body, limit)?;
        if body.is_empty() {
            return Err(RequestError::MissingBody);
        }
        let root = reader.root(Tag::AccessControlPolicy)?;
        let mut owner_id = None;
        let mut owner_seen = None;
        let mut list_seen = None;
        let mut grants = Vec::new();
        if !root.empty {
            while let Some(child) = reader.next_child()? {
                match child.tag {
                    Tag::Owner => {
                        set_once(&mut owner_seen, (), child.tag)?;
                        owner_id = parse_owner(&mut reader, child)?;
                    }
                    Tag::AccessControlList => {
                        set_once(&mut list_seen, (), child.tag)?;
                        if !child.empty {
                            while let Some(grant) = reader.next_child()? {
                                if grant.tag != Tag::Grant {
                                    return Err(unexpected(grant.tag, Tag::AccessControlList));
                                }
                                grants.push(parse_grant(&mut reader, grant)?);
                            }
                        }
                    }
                    other => return Err(unexpected(other, Tag::AccessControlPolicy)),
                }
            }
        }
        reader.finish()?;
        Ok(Self { owner_id, grants })
    }
}

impl crate::XmlDocument for AccessControlPolicyRequest {
    /// Appends the document (declaration, S3 namespace) to `out`; each grantee with its
    /// `xsi:type`.
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("AccessControlPolicy");
        if let Some(id) = &self.owner_id {
            w.start("Owner");
            w.text("ID", id);
            w.end("Owner");
        }
        w.start("AccessControlList");
        for grant in &self.grants {
            let (kind, element, value) = match &grant.grantee {
                AclGrantee::CanonicalUser(id) => ("CanonicalUser", "ID", id),
                AclGrantee::Group(uri) => ("Group", "URI", uri),
                AclGrantee::Email(address) => ("AmazonCustomerByEmail", "EmailAddress", address),
            };
            w.start("Grant");
            w.start(&format!(
                "Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{kind}\""
            ));
            w.text(element, value);
            w.end("Grantee");
            w.text("Permission", &grant.permission);
            w.end("Grant");
        }
        w.end("AccessControlList");
        w.end("AccessControlPolicy");
    }
}

fn unexpected(tag: Tag, parent: Tag) -> RequestError {
    RequestError::malformed(format!(
        "unexpected <{}> in <{}>",
        tag.name(),
        parent.name()
    ))
}

fn parse_owner(reader: &mut Reader<'_>, opened: Opened) -> Result<Option<String>, RequestError> {
    let mut id = None;
    let mut display_name = None;
    if !opened.empty {
        while let Some(child) = reader.next_child()? {
            let text = reader.text(child)?;
            match child.tag {
                Tag::Id => set_once(&mut id, trimmed(&text).to_owned(), child.tag)?,
                Tag::DisplayName => set_once(&mut display_name, (), child.tag)?,
                other => return Err(unexpected(other, Tag::Owner)),
            }
        }
    }
    Ok(id)
}

fn parse_grant(reader: &mut Reader<'_>, opened: Opened) -> Result<AclGrant, RequestError> {
    let mut grantee = None;
    let mut permission = None;
    if !opened.empty {
        while let Some(child) = reader.next_child()? {
            match child.tag {
                Tag::Grantee => {
                    let parsed = parse_grantee(reader, child)?;
                    set_once(&mut grantee, parsed, child.tag)?;
                }
                Tag::Permission => {
                    let text = reader.text(child)?;
                    set_once(&mut permission, trimmed(&text).to_owned(), child.tag)?;
                }
                other => return Err(unexpected(other, Tag::Grant)),
            }
        }
    }
    match (grantee, permission) {
        (Some(grantee), Some(permission)) => Ok(AclGrant {
            grantee,
            permission,
        }),
        _ => Err(RequestError::malformed(
            "<Grant> needs a <Grantee> and a <Permission>",
        )),
    }
}

fn parse_grantee(reader: &mut Reader<'_>, opened: Opened) -> Result<AclGrantee, RequestError> {
    let mut found = None;
    let mut display_name = None;
    if !opened.empty {
        while let Some(child) = reader.next_child()? {
            let text = trimmed(&reader.text(child)?).to_owned();
            let grantee = match child.tag {
                Tag::Id => AclGrantee::CanonicalUser(text),
                Tag::Uri => AclGrantee::Group(text),
                Tag::EmailAddress => AclGrantee::Email(text),
                Tag::DisplayName => {
                    set_once(&mut display_name, (), child.tag)?;
                    continue;
                }
                other => return Err(unexpected(other, Tag::Grantee)),
            };
            if found.is_some() {
                return Err(RequestError::malformed(
                    "<Grantee> names more than one grantee",
                ));
            }
            found = Some(grantee);
        }
    }
    found.ok_or_else(|| RequestError::malformed("<Grantee> names no grantee"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 64 * 1024;

    #[test]
    fn s3cmd_owner_only_acl() {
        // What s3cmd sends when it copies a source's ACL onto a copy.
        let body = br#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>abc</ID><DisplayName>me</DisplayName></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"#;
        let acl = AccessControlPolicyRequest::parse(body, LIMIT).unwrap();
        assert_eq!(acl.owner_id.as_deref(), Some("abc"));
        assert_eq!(
            acl.grants,
            [AclGrant {
                grantee: AclGrantee::CanonicalUser("abc".into()),
                permission: "FULL_CONTROL".into()
            }]
        );
    }

    #[test]
    fn groups_and_emails() {
        let body = b"<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant><Grant><Grantee><EmailAddress>a@b</EmailAddress></Grantee><Permission>WRITE</Permission></Grant></AccessControlList></AccessControlPolicy>";
        let acl = AccessControlPolicyRequest::parse(body, LIMIT).unwrap();
        assert_eq!(acl.owner_id, None);
        assert_eq!(
            acl.grants[0].grantee,
            AclGrantee::Group("http://acs.amazonaws.com/groups/global/AllUsers".into())
        );
        assert_eq!(acl.grants[1].grantee, AclGrantee::Email("a@b".into()));
    }

    #[test]
    fn serializes_to_what_it_parses() {
        use crate::XmlDocument as _;
        let acl = AccessControlPolicyRequest {
            owner_id: Some("abc".into()),
            grants: vec![
                AclGrant {
                    grantee: AclGrantee::CanonicalUser("abc".into()),
                    permission: "FULL_CONTROL".into(),
                },
                AclGrant {
                    grantee: AclGrantee::Group(
                        "http://acs.amazonaws.com/groups/global/AllUsers".into(),
                    ),
                    permission: "READ".into(),
                },
                AclGrant {
                    grantee: AclGrantee::Email("a&b@example.com".into()),
                    permission: "WRITE".into(),
                },
            ],
        };
        assert_eq!(
            AccessControlPolicyRequest::parse(&acl.to_xml(), LIMIT).unwrap(),
            acl
        );
    }

    #[test]
    fn malformed() {
        for body in [
            &b""[..],
            b"<AccessControlPolicy><Grant/></AccessControlPolicy>",
            b"<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            b"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>a</ID><URI>u</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            b"<AccessControlPolicy><AccessControlList><Grant><Grantee></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            b"<AccessControlPolicy><Owner/><Owner/></AccessControlPolicy>",
            b"<Delete/>",
        ] {
            assert!(
                AccessControlPolicyRequest::parse(body, LIMIT).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
