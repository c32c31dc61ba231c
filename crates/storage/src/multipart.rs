//! Multipart upload values and S4's part rules, shared by every backend so that all of them
//! judge parts the same way.
//!
//! S4 requires parts 1..N-1 to share one size, part N to be no larger, every non-last part to
//! be at least the minimum part size, no empty parts and no re-uploads. Clients upload parts
//! concurrently and in any order (the small last part often arrives first), so a part is judged
//! against the parts present when it arrives: the highest-numbered part present is presumed to
//! be the last one, every lower part must have the common size, and the presumed last part may
//! not exceed it. A valid upload passes in every arrival order (each subset of its parts obeys
//! these rules); an invalid one fails as soon as a part arrives that makes the violation
//! certain, or at completion.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::body::ByteStream;
use crate::types::{ETag, ObjectAttributes, ObjectRef, PartLayout, WritePrecondition};
use crate::{StorageError, StorageResult};

/// S3's minimum size of a non-last part.
pub const DEFAULT_MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's highest part number.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// An upload's address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UploadRef {
    /// The object the upload will create.
    pub target: ObjectRef,
    /// The ID the backend chose at creation.
    pub upload_id: String,
}

/// An upload in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadInfo {
    /// The ID the backend chose at creation.
    pub upload_id: String,
    /// The key the completed object will have.
    pub key: String,
    /// When the upload was created.
    pub initiated: OffsetDateTime,
    /// Content headers and metadata given at creation, applied to the completed object.
    pub attributes: ObjectAttributes,
}

/// A stored part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartInfo {
    /// The part number, 1 to [`MAX_PART_NUMBER`].
    pub number: u32,
    /// The hex MD5 of the part's bytes.
    pub etag: ETag,
    /// The part's size in bytes.
    pub size: u64,
    /// When the part was stored.
    pub last_modified: OffsetDateTime,
}

/// An UploadPart as the backend sees it.
pub struct UploadPart {
    /// The upload the part belongs to.
    pub upload: UploadRef,
    /// The part number; see [`check_part_number`].
    pub part_number: u32,
    /// The part's bytes.
    pub body: ByteStream,
    /// The announced length, when the client sent one.
    pub content_length: Option<u64>,
    /// `Content-MD5`, checked before the commit.
    pub content_md5: Option<[u8; 16]>,
}

impl std::fmt::Debug for UploadPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadPart")
            .field("upload", &self.upload)
            .field("part_number", &self.part_number)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// The part number.
    pub number: u32,
    /// The ETag the client names for the part.
    pub etag: ETag,
}

/// A CompleteMultipartUpload as the backend sees it.
#[derive(Clone, Debug)]
pub struct CompleteUpload {
    /// The upload to complete.
    pub upload: UploadRef,
    /// The parts named by the request, in request order.
    pub parts: Vec<CompletedPart>,
    /// `If-Match`/`If-None-Match` against the object being replaced.
    pub precondition: WritePrecondition,
}

/// A page of ListParts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartsPage {
    /// The parts after the marker, by number.
    pub parts: Vec<PartInfo>,
    /// Whether more parts follow.
    pub is_truncated: bool,
    /// The marker of the next page when truncated.
    pub next_part_number_marker: Option<u32>,
}

/// A ListMultipartUploads request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadListQuery {
    /// Only uploads of keys starting with this.
    pub prefix: String,
    /// Rolls keys up into common prefixes; `None` or empty lists flat.
    pub delimiter: Option<String>,
    /// Only uploads of keys after this (see `upload_id_marker`).
    pub key_marker: Option<String>,
    /// Only meaningful with `key_marker`: uploads of that key initiated after this one.
    pub upload_id_marker: Option<String>,
    /// The page size; 0 answers an empty, untruncated page.
    pub max_uploads: usize,
}

/// A page of ListMultipartUploads, ordered by key, then initiation time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadsPage {
    /// The uploads in the page.
    pub uploads: Vec<UploadInfo>,
    /// The common prefixes in the page.
    pub common_prefixes: Vec<String>,
    /// Whether more uploads or prefixes follow.
    pub is_truncated: bool,
    /// The next page's `key_marker` when truncated.
    pub next_key_marker: Option<String>,
    /// The next page's `upload_id_marker` when truncated (none after a prefix).
    pub next_upload_id_marker: Option<String>,
}

/// `InvalidPart` for a part number outside `1..=MAX_PART_NUMBER`.
pub fn check_part_number(number: u32) -> StorageResult<()> {
    if (1..=MAX_PART_NUMBER).contains(&number) {
        Ok(())
    } else {
        Err(StorageError::InvalidPart(format!(
            "part number {number} is outside 1..={MAX_PART_NUMBER}"
        )))
    }
}

/// The checks every backend makes before an UploadPart reads its body, in this order: the
/// part number ([`check_part_number`]), then `find_upload`, the backend's lookup of the upload
/// without locks (`NoSuchBucket`, `NoSuchUpload`), which runs only when the number passed.
/// Refusing here keeps a bad request from streaming a body that could never be stored; the
/// backend judges the part again with [`admit_part`] when it commits.
pub async fn precheck_part(
    part_number: u32,
    find_upload: impl std::future::Future<Output = StorageResult<()>>,
) -> StorageResult<()> {
    check_part_number(part_number)?;
    find_upload.await
}

/// A part refused by [`admit_part`], and whether the refusal aborts the whole upload (the spec
/// aborts on size violations, not on empty or repeated parts).
#[derive(Debug)]
pub struct PartRejection {
    /// The refusal to answer.
    pub error: StorageError,
    /// Whether the whole upload is aborted with the part.
    pub aborts_upload: bool,
}

/// Judges a new part against the parts already stored (`existing`: number -> size).
/// Call it inside the same transaction that stores the part.
pub fn admit_part(
    existing: &BTreeMap<u32, u64>,
    number: u32,
    size: u64,
    min_part_size: u64,
) -> Result<(), PartRejection> {
    let keep = |error| {
        Err(PartRejection {
            error,
            aborts_upload: false,
        })
    };
    let abort = |error| {
        Err(PartRejection {
            error,
            aborts_upload: true,
        })
    };
    if size == 0 {
        return keep(StorageError::InvalidPart(format!("part {number} is empty")));
    }
    if existing.contains_key(&number) {
        return keep(StorageError::InvalidPart(format!(
            "part {number} was already uploaded; S4 does not allow re-uploading parts"
        )));
    }
    let mut all = existing.clone();
    all.insert(number, size);
    let (&last_number, &last_size) = all.iter().next_back().expect("just inserted");
    let mut common: Option<u64> = None;
    for (&n, &s) in all.range(..last_number) {
        if s < min_part_size {
            return abort(StorageError::EntityTooSmall(format!(
                "part {n} has {s} bytes; every part but the last needs at least {min_part_size}"
            )));
        }
        match common {
            None => common = Some(s),
            Some(c) if c != s => {
                return abort(StorageError::InvalidPart(format!(
                    "part {n} has {s} bytes but earlier parts have {c}; parts 1..N-1 must share one size"
                )))
            }
            Some(_) => {}
        }
    }
    if let Some(c) = common {
        if last_size > c {
            return abort(StorageError::InvalidPart(format!(
                "part {last_number} has {last_size} bytes, more than the {c} of the parts before it"
            )));
        }
    }
    Ok(())
}

/// Checks a completion request against the stored parts and returns the object's layout.
/// `requested` must be ascending (InvalidPartOrder), contiguous from 1, name every stored part
/// and only stored parts, with matching ETags (InvalidPart).
pub fn check_completion(
    stored: &BTreeMap<u32, PartInfo>,
    requested: &[CompletedPart],
) -> StorageResult<PartLayout> {
    if requested.is_empty() {
        return Err(StorageError::InvalidPart(
            "the request names no parts".to_owned(),
        ));
    }
    if requested.windows(2).any(|w| w[0].number >= w[1].number) {
        return Err(StorageError::InvalidPartOrder);
    }
    for (expected, part) in (1u32..).zip(requested) {
        if part.number != expected {
            return Err(StorageError::InvalidPart(format!(
                "part numbers must be contiguous from 1; part {expected} is missing"
            )));
        }
        match stored.get(&part.number) {
            None => {
                return Err(StorageError::InvalidPart(format!(
                    "part {} was not uploaded",
                    part.number
                )))
            }
            Some(info) if info.etag != part.etag => {
                return Err(StorageError::InvalidPart(format!(
                    "the ETag of part {} does not match",
                    part.number
                )))
            }
            Some(_) => {}
        }
    }
    if stored.len() != requested.len() {
        return Err(StorageError::InvalidPart(
            "the request must list every uploaded part".to_owned(),
        ));
    }
    let count = requested.len() as u32;
    let first = &stored[&1];
    let last = &stored[&count];
    Ok(PartLayout {
        count,
        part_size: if count == 1 { last.size } else { first.size },
        last_part_size: last.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 5;

    fn sizes(pairs: &[(u32, u64)]) -> BTreeMap<u32, u64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn valid_upload_passes_in_every_arrival_order() {
        let parts = [(1, 8), (2, 8), (3, 8), (4, 3)];
        // All 24 permutations of four parts.
        let mut order = [0usize, 1, 2, 3];
        let mut count = 0;
        permute(&mut order, 0, &mut |perm| {
            let mut stored = BTreeMap::new();
            for &i in perm {
                let (n, s) = parts[i];
                admit_part(&stored, n, s, MIN).unwrap_or_else(|r| panic!("{perm:?}: {r:?}"));
                stored.insert(n, s);
            }
            count += 1;
        });
        assert_eq!(count, 24);
    }

    fn permute(items: &mut [usize], k: usize, f: &mut impl FnMut(&[usize])) {
        if k == items.len() {
            f(items);
            return;
        }
        for i in k..items.len() {
            items.swap(k, i);
            permute(items, k + 1, f);
            items.swap(k, i);
        }
    }

    #[test]
    fn small_last_part_first_then_lower_parts() {
        let stored = sizes(&[(3, 2)]);
        assert!(admit_part(&stored, 1, 8, MIN).is_ok());
    }

    #[test]
    fn presumed_last_part_that_turns_out_not_last_aborts() {
        let stored = sizes(&[(1, 8), (2, 3)]);
        let r = admit_part(&stored, 3, 3, MIN).unwrap_err();
        assert!(r.aborts_upload);
        assert!(matches!(r.error, StorageError::EntityTooSmall(_)), "{r:?}");
    }

    #[test]
    fn unequal_middle_parts_abort_with_invalid_part() {
        let stored = sizes(&[(1, 8), (3, 2)]);
        let r = admit_part(&stored, 2, 9, MIN).unwrap_err();
        assert!(r.aborts_upload);
        assert!(matches!(r.error, StorageError::InvalidPart(_)));
    }

    #[test]
    fn last_part_larger_than_the_rest_aborts() {
        let stored = sizes(&[(1, 8)]);
        let r = admit_part(&stored, 2, 9, MIN).unwrap_err();
        assert!(r.aborts_upload);
    }

    #[test]
    fn empty_and_repeated_parts_do_not_abort() {
        let stored = sizes(&[(1, 8)]);
        let empty = admit_part(&stored, 2, 0, MIN).unwrap_err();
        assert!(!empty.aborts_upload);
        let again = admit_part(&stored, 1, 8, MIN).unwrap_err();
        assert!(!again.aborts_upload);
        assert!(matches!(again.error, StorageError::InvalidPart(_)));
    }

    #[test]
    fn part_numbers_outside_the_range_are_refused() {
        for number in [0, MAX_PART_NUMBER + 1, u32::MAX] {
            assert!(
                matches!(check_part_number(number), Err(StorageError::InvalidPart(_))),
                "{number}"
            );
        }
        assert!(check_part_number(1).is_ok());
        assert!(check_part_number(MAX_PART_NUMBER).is_ok());
    }

    #[test]
    fn a_single_small_part_is_fine() {
        assert!(admit_part(&BTreeMap::new(), 1, 1, MIN).is_ok());
    }

    fn info(number: u32, size: u64) -> PartInfo {
        PartInfo {
            number,
            etag: ETag::from_md5(&[number as u8; 16]),
            size,
            last_modified: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn completed(number: u32) -> CompletedPart {
        CompletedPart {
            number,
            etag: ETag::from_md5(&[number as u8; 16]),
        }
    }

    #[test]
    fn completion_rules() {
        let stored: BTreeMap<u32, PartInfo> = [info(1, 8), info(2, 8), info(3, 2)]
            .into_iter()
            .map(|p| (p.number, p))
            .collect();
        let layout =
            check_completion(&stored, &[completed(1), completed(2), completed(3)]).unwrap();
        assert_eq!(
            layout,
            PartLayout {
                count: 3,
                part_size: 8,
                last_part_size: 2
            }
        );
        assert_eq!(layout.total_size(), 18);
        assert_eq!(layout.locate(17), (2, 1));
        assert!(matches!(
            check_completion(&stored, &[completed(2), completed(1), completed(3)]),
            Err(StorageError::InvalidPartOrder)
        ));
        assert!(matches!(
            check_completion(&stored, &[completed(1), completed(2)]),
            Err(StorageError::InvalidPart(_))
        ));
        assert!(matches!(
            check_completion(&stored, &[completed(1), completed(3)]),
            Err(StorageError::InvalidPart(_))
        ));
        let mut wrong = completed(2);
        wrong.etag = ETag::parse("\"00\"");
        assert!(matches!(
            check_completion(&stored, &[completed(1), wrong, completed(3)]),
            Err(StorageError::InvalidPart(_))
        ));
        assert!(matches!(
            check_completion(&stored, &[]),
            Err(StorageError::InvalidPart(_))
        ));
    }
}
