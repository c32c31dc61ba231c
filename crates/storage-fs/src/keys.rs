//! Table keys. Every key is bytes whose order is the order the API needs:
//!
//! - account IDs are 15 ASCII digits, so an account prefix is unambiguous;
//! - a bucket inside an object or upload key is length-prefixed (one byte; bucket names have
//!   at most 63 bytes), so `(account, bucket)` is a prefix of exactly that bucket's rows;
//! - object keys follow as raw UTF-8, so a range scan yields UTF-8 binary order, and since
//!   UTF-8 never contains 0xFF, `prefix ++ [0xFF]` sorts above every key starting with
//!   `prefix`;
//! - numbers are big-endian.

/// The exclusive upper bound of every row under a prefix whose remainder is UTF-8.
pub(crate) use s4_storage::listing::above;

use s4_naming::AccountId;

/// `account ++ bucket`: the `buckets` table key (listing a prefix scan by account sorts by
/// name).
pub(crate) fn bucket(account: &AccountId, bucket: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(15 + bucket.len());
    k.extend_from_slice(account.as_str().as_bytes());
    k.extend_from_slice(bucket.as_bytes());
    k
}

/// `account ++ len(bucket) ++ bucket`: the prefix of a bucket's object and upload rows.
pub(crate) fn bucket_prefix(account: &AccountId, bucket: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(16 + bucket.len() + 64);
    k.extend_from_slice(account.as_str().as_bytes());
    k.push(u8::try_from(bucket.len()).unwrap_or(u8::MAX));
    k.extend_from_slice(bucket.as_bytes());
    k
}

/// The `buckets` (and `bucket_usage`) key of the bucket an object or upload row belongs to:
/// `account ++ len ++ bucket ++ rest` -> `account ++ bucket`. `None` for a malformed key.
pub(crate) fn bucket_of_row(row: &[u8]) -> Option<Vec<u8>> {
    let len = usize::from(*row.get(15)?);
    let name = row.get(16..16 + len)?;
    let mut k = Vec::with_capacity(15 + len);
    k.extend_from_slice(&row[..15]);
    k.extend_from_slice(name);
    Some(k)
}

/// `account ++ bucket` (a `buckets` key) -> `account ++ len(bucket) ++ bucket`, the prefix of
/// that bucket's object and upload rows. `None` for a malformed key.
pub(crate) fn row_prefix(bucket_key: &[u8]) -> Option<Vec<u8>> {
    let name = bucket_key.get(15..)?;
    let mut k = Vec::with_capacity(16 + name.len() + 64);
    k.extend_from_slice(&bucket_key[..15]);
    k.push(u8::try_from(name.len()).ok()?);
    k.extend_from_slice(name);
    Some(k)
}

/// The `objects` table key.
pub(crate) fn object(account: &AccountId, bucket: &str, key: &str) -> Vec<u8> {
    let mut k = bucket_prefix(account, bucket);
    k.extend_from_slice(key.as_bytes());
    k
}

/// The `parts` table key: `upload_id ++ part_number`.
pub(crate) fn part(upload_id: &str, number: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(upload_id.len() + 4);
    k.extend_from_slice(upload_id.as_bytes());
    k.extend_from_slice(&number.to_be_bytes());
    k
}

/// `account ++ len(name) ++ name`: a user's or group's prefix in the membership indexes.
pub(crate) fn named(account: &AccountId, name: &str) -> Vec<u8> {
    bucket_prefix(account, name)
}

/// `account ++ name`: the `users` / `groups` table key.
pub(crate) fn entity(account: &AccountId, name: &str) -> Vec<u8> {
    bucket(account, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_keys_and_row_prefixes_convert_both_ways() {
        let account = AccountId::from_number(42).unwrap();
        for name in ["a", "bucket", &"x".repeat(63)] {
            let bucket_key = bucket(&account, name);
            let prefix = bucket_prefix(&account, name);
            assert_eq!(row_prefix(&bucket_key), Some(prefix.clone()));
            assert_eq!(
                bucket_of_row(&object(&account, name, "some/key")),
                Some(bucket_key.clone())
            );
            assert_eq!(bucket_of_row(&prefix), Some(bucket_key));
        }
        assert_eq!(bucket_of_row(b"too short"), None);
        assert_eq!(row_prefix(b"short"), None);
    }
}
