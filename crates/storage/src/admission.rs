//! The rules every object a backend creates must satisfy, in one place.
//!
//! Every write path that creates an object (PutObject, CopyObject, CompleteMultipartUpload)
//! ends in a backend's commit, which already must check the write's precondition against the
//! current object atomically with the write. [`admit_object`] is that check and the object
//! rules together, so a backend's write path cannot check one without the other:
//!
//! - the key follows spec section 2.1.4 ([`s4_naming::validate_object_key`]), else
//!   [`StorageError::InvalidObjectKey`];
//! - a key ending in `/` names a folder marker and may not carry data (S4's rule), else
//!   [`StorageError::KeyCannotHoldData`];
//! - the [`WritePrecondition`] holds against the current object's ETag.
//!
//! [`admit_key`] applies the key rules early, before a body is read or an upload started,
//! with the announced size where there is one; the commit still decides with the size it
//! actually stored.

use s4_naming::validate_object_key;

use crate::types::{ETag, WritePrecondition};
use crate::{StorageError, StorageResult};

/// The key rules, checked before any byte is stored: the key is valid and, when `size` is
/// known and non-zero, does not end with `/`. CreateMultipartUpload passes `None` for the size
/// but refuses a `/` key regardless (see [`admit_upload_key`]).
pub fn admit_key(key: &str, size: Option<u64>) -> StorageResult<()> {
    validate_object_key(key)?;
    if size.is_some_and(|n| n > 0) && key.ends_with('/') {
        return Err(StorageError::KeyCannotHoldData);
    }
    Ok(())
}

/// The key rules for a multipart upload's target, checked when the upload starts: a valid key
/// that does not end with `/`, since a multipart upload exists to carry data.
pub fn admit_upload_key(key: &str) -> StorageResult<()> {
    validate_object_key(key)?;
    if key.ends_with('/') {
        return Err(StorageError::KeyCannotHoldData);
    }
    Ok(())
}

/// The commit's decision on a new object of `size` bytes under `key`: the key rules, then
/// `precondition` against `current` (the ETag of the object the write replaces, if any). Call
/// it in the transaction that commits the write.
pub fn admit_object(
    key: &str,
    size: u64,
    precondition: &WritePrecondition,
    current: Option<&ETag>,
) -> StorageResult<()> {
    admit_key(key, Some(size))?;
    precondition.check(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s4_naming::ObjectKeyError;

    #[test]
    fn folder_markers_hold_no_data() {
        assert!(admit_key("dir/", Some(0)).is_ok());
        assert!(admit_key("dir/", None).is_ok());
        assert!(matches!(
            admit_key("dir/", Some(1)),
            Err(StorageError::KeyCannotHoldData)
        ));
        assert!(matches!(
            admit_upload_key("dir/"),
            Err(StorageError::KeyCannotHoldData)
        ));
        assert!(admit_upload_key("dir/file").is_ok());
    }

    #[test]
    fn key_rules_come_before_the_precondition() {
        let must_exist = WritePrecondition::if_match("*");
        assert!(matches!(
            admit_object("a//b", 1, &must_exist, None),
            Err(StorageError::InvalidObjectKey(
                ObjectKeyError::ConsecutiveSlashes
            ))
        ));
        assert!(matches!(
            admit_object("a/", 1, &must_exist, None),
            Err(StorageError::KeyCannotHoldData)
        ));
        assert!(matches!(
            admit_object("a", 1, &must_exist, None),
            Err(StorageError::NoSuchKey)
        ));
    }
}
