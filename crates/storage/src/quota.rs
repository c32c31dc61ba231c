//! Per-account storage quotas: the limits an operator sets on an account and the rules that
//! judge a write against them.
//!
//! Backends keep the usage exact in the transactions that change it and call these rules
//! there, with the usage as of that transaction, so that concurrent writers can never take an
//! account past a limit together. The rules are here, in one place, so that every backend
//! refuses the same writes.
//!
//! What counts: the bytes of the account's objects plus the bytes of the parts of its
//! uploads in progress; its objects; its buckets. A write that does not grow a total is
//! always admitted, so that an account over a lowered limit can still overwrite with smaller
//! objects, delete and abort; nothing is ever deleted to meet a limit.

use crate::StorageError;

/// An account's limits; `None` is unlimited. The default value limits nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountQuota {
    /// Object bytes plus the bytes of parts of uploads in progress.
    pub max_bytes: Option<u64>,
    /// Objects (uploads in progress are not objects until completed).
    pub max_objects: Option<u64>,
    /// Buckets.
    pub max_buckets: Option<u64>,
}

/// What an account holds, as counted against its [`AccountQuota`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountUsage {
    /// Object bytes plus the bytes of parts of uploads in progress.
    pub bytes: u64,
    /// Objects.
    pub objects: u64,
    /// Buckets.
    pub buckets: u64,
}

/// Which limit refused a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuotaLimit {
    /// [`AccountQuota::max_bytes`].
    Bytes,
    /// [`AccountQuota::max_objects`].
    Objects,
}

impl QuotaLimit {
    /// The limit's name as the admin command and the metrics spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bytes => "max-bytes",
            Self::Objects => "max-objects",
        }
    }
}

/// A write's change to an account's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageChange {
    /// Bytes the write adds (a new object, part or copy).
    pub bytes_added: u64,
    /// Bytes it releases in the same step (the object or part it replaces, the parts an
    /// upload's completion turns into the object).
    pub bytes_removed: u64,
    /// Objects it adds (an overwrite adds none).
    pub objects_added: u64,
}

impl AccountQuota {
    /// Whether no limit is set.
    pub fn is_unlimited(&self) -> bool {
        *self == Self::default()
    }

    /// Judges a write that changes `usage` by `change`: refused when it grows a total past
    /// its limit. A write that grows nothing is admitted even over a limit.
    pub fn admit_change(
        &self,
        usage: &AccountUsage,
        change: &UsageChange,
    ) -> Result<(), StorageError> {
        if let Some(max) = self.max_bytes {
            if change.bytes_added > change.bytes_removed {
                let after = usage
                    .bytes
                    .saturating_sub(change.bytes_removed)
                    .saturating_add(change.bytes_added);
                if after > max {
                    return Err(StorageError::QuotaExceeded {
                        limit: QuotaLimit::Bytes,
                        max,
                    });
                }
            }
        }
        if let Some(max) = self.max_objects {
            if change.objects_added > 0 && usage.objects.saturating_add(change.objects_added) > max
            {
                return Err(StorageError::QuotaExceeded {
                    limit: QuotaLimit::Objects,
                    max,
                });
            }
        }
        Ok(())
    }

    /// Judges the start of a multipart upload: refused once the account is at or over a
    /// limit (it could store nothing).
    pub fn admit_upload_start(&self, usage: &AccountUsage) -> Result<(), StorageError> {
        if let Some(max) = self.max_bytes.filter(|max| usage.bytes >= *max) {
            return Err(StorageError::QuotaExceeded {
                limit: QuotaLimit::Bytes,
                max,
            });
        }
        if let Some(max) = self.max_objects.filter(|max| usage.objects >= *max) {
            return Err(StorageError::QuotaExceeded {
                limit: QuotaLimit::Objects,
                max,
            });
        }
        Ok(())
    }

    /// Judges the creation of one more bucket.
    pub fn admit_bucket(&self, usage: &AccountUsage) -> Result<(), StorageError> {
        match self.max_buckets {
            Some(max) if usage.buckets >= max => Err(StorageError::TooManyBuckets { max }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(bytes: u64, objects: u64, buckets: u64) -> AccountUsage {
        AccountUsage {
            bytes,
            objects,
            buckets,
        }
    }

    fn add(bytes_added: u64, bytes_removed: u64, objects_added: u64) -> UsageChange {
        UsageChange {
            bytes_added,
            bytes_removed,
            objects_added,
        }
    }

    fn refused_by(result: Result<(), StorageError>) -> Option<(QuotaLimit, u64)> {
        match result {
            Ok(()) => None,
            Err(StorageError::QuotaExceeded { limit, max }) => Some((limit, max)),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn bytes_limit_is_exact_and_counts_overwrites_by_difference() {
        let quota = AccountQuota {
            max_bytes: Some(100),
            ..AccountQuota::default()
        };
        assert_eq!(
            refused_by(quota.admit_change(&usage(90, 1, 1), &add(10, 0, 1))),
            None
        );
        assert_eq!(
            refused_by(quota.admit_change(&usage(90, 1, 1), &add(11, 0, 1))),
            Some((QuotaLimit::Bytes, 100))
        );
        // Replacing 20 bytes with 30 at 90 used ends at 100: admitted.
        assert_eq!(
            refused_by(quota.admit_change(&usage(90, 1, 1), &add(30, 20, 0))),
            None
        );
        assert_eq!(
            refused_by(quota.admit_change(&usage(90, 1, 1), &add(31, 20, 0))),
            Some((QuotaLimit::Bytes, 100))
        );
    }

    #[test]
    fn over_a_lowered_limit_only_growth_is_refused() {
        let quota = AccountQuota {
            max_bytes: Some(10),
            max_objects: Some(1),
            max_buckets: Some(1),
        };
        let over = usage(50, 5, 3);
        assert_eq!(refused_by(quota.admit_change(&over, &add(5, 40, 0))), None);
        assert_eq!(refused_by(quota.admit_change(&over, &add(0, 0, 0))), None);
        assert_eq!(
            refused_by(quota.admit_change(&over, &add(1, 0, 0))),
            Some((QuotaLimit::Bytes, 10))
        );
        assert_eq!(
            refused_by(quota.admit_change(&usage(0, 5, 0), &add(0, 0, 1))),
            Some((QuotaLimit::Objects, 1))
        );
        assert!(matches!(
            quota.admit_bucket(&over),
            Err(StorageError::TooManyBuckets { max: 1 })
        ));
    }

    #[test]
    fn uploads_start_only_below_every_limit() {
        let quota = AccountQuota {
            max_bytes: Some(10),
            max_objects: Some(2),
            max_buckets: None,
        };
        assert_eq!(refused_by(quota.admit_upload_start(&usage(9, 1, 1))), None);
        assert_eq!(
            refused_by(quota.admit_upload_start(&usage(10, 1, 1))),
            Some((QuotaLimit::Bytes, 10))
        );
        assert_eq!(
            refused_by(quota.admit_upload_start(&usage(0, 2, 1))),
            Some((QuotaLimit::Objects, 2))
        );
        assert!(AccountQuota::default()
            .admit_upload_start(&usage(u64::MAX, u64::MAX, 0))
            .is_ok());
        assert!(AccountQuota::default()
            .admit_bucket(&usage(0, 0, u64::MAX))
            .is_ok());
        assert!(AccountQuota::default().is_unlimited() && !quota.is_unlimited());
    }
}
