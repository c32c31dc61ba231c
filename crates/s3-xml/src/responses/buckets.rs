//! Bucket-level results: ListBuckets, GetBucketLocation, GetBucketAcl / GetObjectAcl.

use time::OffsetDateTime;

use crate::writer::XmlWriter;
use crate::{Owner, XmlDocument};

/// `<ListAllMyBucketsResult>` (ListBuckets).
///
/// Layout from the spec: `Buckets/Bucket{CreationDate, Name}` then `Owner{ID, DisplayName}`.
/// No buckets gives `<Buckets></Buckets>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAllMyBucketsResult {
    /// The account's canonical user.
    pub owner: Owner,
    /// The buckets, in the order to list them (S3 lists by name).
    pub buckets: Vec<BucketEntry>,
}

/// One `<Bucket>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEntry {
    /// `<Name>`.
    pub name: String,
    /// `<CreationDate>`, written with milliseconds like every timestamp (the spec's sample
    /// omits them; AWS writes `.000Z`, and both parse the same everywhere).
    pub creation_date: OffsetDateTime,
}

impl XmlDocument for ListAllMyBucketsResult {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("ListAllMyBucketsResult");
        w.start("Buckets");
        for bucket in &self.buckets {
            w.start("Bucket");
            w.timestamp("CreationDate", bucket.creation_date);
            w.text("Name", &bucket.name);
            w.end("Bucket");
        }
        w.end("Buckets");
        w.owner("Owner", &self.owner);
        w.end("ListAllMyBucketsResult");
    }
}

/// `<LocationConstraint>` (GetBucketLocation). S4 always answers an empty one, which clients
/// read as us-east-1; [`LocationConstraint::default`] is that.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocationConstraint {
    /// The region text; empty in S4.
    pub location: String,
}

impl XmlDocument for LocationConstraint {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("LocationConstraint");
        w.escaped(&self.location);
        w.end("LocationConstraint");
    }
}

/// `<AccessControlPolicy>` (GetBucketAcl and GetObjectAcl): the canned answer, one grant of
/// `FULL_CONTROL` to the owner, who is the account's canonical user for every bucket and
/// object in S4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessControlPolicy {
    /// The owner, also the only grantee.
    pub owner: Owner,
}

impl AccessControlPolicy {
    /// The canned policy for `owner`.
    pub fn canned(owner: Owner) -> Self {
        Self { owner }
    }
}

impl XmlDocument for AccessControlPolicy {
    fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = XmlWriter::new(out);
        w.start_root("AccessControlPolicy");
        w.owner("Owner", &self.owner);
        w.start("AccessControlList");
        w.start("Grant");
        w.start(
            "Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"",
        );
        w.text("ID", &self.owner.id);
        w.text("DisplayName", &self.owner.display_name);
        w.end("Grantee");
        w.text("Permission", "FULL_CONTROL");
        w.end("Grant");
        w.end("AccessControlList");
        w.end("AccessControlPolicy");
    }
}
