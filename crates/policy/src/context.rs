//! The request side of an evaluation: who asks, for which action on which resource, and the
//! condition keys the request carries.

use std::borrow::Cow;

use s4_naming::{AccountId, Arn};
use time::OffsetDateTime;

/// Condition key names S4 fills in (compared case-insensitively, as AWS does).
pub mod keys {
    /// The client's IP address (`IpAddress` / `NotIpAddress`).
    pub const SOURCE_IP: &str = "aws:SourceIp";
    /// `"true"` when the request came over TLS.
    pub const SECURE_TRANSPORT: &str = "aws:SecureTransport";
    /// Request time, ISO 8601 (`2026-11-25T19:00:00Z`).
    pub const CURRENT_TIME: &str = "aws:CurrentTime";
    /// Request time in seconds since the Unix epoch.
    pub const EPOCH_TIME: &str = "aws:EpochTime";
    /// The IAM user's name (absent for the root and for anonymous requests).
    pub const USERNAME: &str = "aws:username";
    /// The IAM user's unique ID, or the account ID for the root.
    pub const USERID: &str = "aws:userid";
    /// The principal's ARN.
    pub const PRINCIPAL_ARN: &str = "aws:PrincipalArn";
    /// The principal's account ID.
    pub const PRINCIPAL_ACCOUNT: &str = "aws:PrincipalAccount";
    /// `Account` for a root, `User` for an IAM user, `Anonymous` otherwise.
    pub const PRINCIPAL_TYPE: &str = "aws:PrincipalType";
    /// The `Referer` header.
    pub const REFERER: &str = "aws:Referer";
    /// The `User-Agent` header.
    pub const USER_AGENT: &str = "aws:UserAgent";
    /// `prefix` of a listing.
    pub const S3_PREFIX: &str = "s3:prefix";
    /// `delimiter` of a listing.
    pub const S3_DELIMITER: &str = "s3:delimiter";
    /// `max-keys` of a listing.
    pub const S3_MAX_KEYS: &str = "s3:max-keys";
    /// The `x-amz-content-sha256` header.
    pub const S3_CONTENT_SHA256: &str = "s3:x-amz-content-sha256";
    /// `AWS4-HMAC-SHA256` for SigV4.
    pub const S3_SIGNATURE_VERSION: &str = "s3:signatureversion";
    /// `REST-HEADER` or `REST-QUERY-STRING`.
    pub const S3_AUTH_TYPE: &str = "s3:authType";
    /// The `x-amz-copy-source` header of CopyObject / UploadPartCopy.
    pub const S3_COPY_SOURCE: &str = "s3:x-amz-copy-source";
    /// The `x-amz-metadata-directive` header of CopyObject.
    pub const S3_METADATA_DIRECTIVE: &str = "s3:x-amz-metadata-directive";
}

/// Who makes the request: a borrowed view of the service's authenticated principal (one per
/// request; the policy engine copies none of its strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Principal<'a> {
    /// No credentials (a public URL).
    Anonymous,
    /// The root user of an account.
    Root {
        /// The account.
        account: AccountId,
    },
    /// An IAM user.
    User {
        /// The account the user belongs to.
        account: AccountId,
        /// The user name.
        name: &'a str,
        /// The user's unique ID (`aws:userid`).
        user_id: &'a str,
    },
}

impl Principal<'_> {
    /// The principal's account, if any.
    pub fn account(&self) -> Option<AccountId> {
        match self {
            Self::Anonymous => None,
            Self::Root { account } | Self::User { account, .. } => Some(*account),
        }
    }

    /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
    pub fn arn(&self) -> Option<String> {
        match self {
            Self::Anonymous => None,
            Self::Root { account } => Some(Arn::IamRoot { account: *account }.to_string()),
            Self::User { account, name, .. } => Some(
                Arn::IamUser {
                    account: *account,
                    name: (*name).into(),
                }
                .to_string(),
            ),
        }
    }
}

/// One request to authorize: principal, action, resource and condition keys.
///
/// [`RequestContext::new`] derives the principal keys (`aws:username`, `aws:userid`,
/// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`); the caller adds the rest
/// (see [`keys`]). Key names are case-insensitive; a key may carry several values.
/// `aws:username` and `aws:userid` borrow the principal's strings; only the account and ARN
/// keys are formatted.
///
/// ```
/// use s4_naming::AccountId;
/// use s4_policy::{keys, Principal, RequestContext};
///
/// let account = AccountId::from_number(1).unwrap();
/// let ctx = RequestContext::new(
///     Principal::User { account, name: "alice", user_id: "AIDA1" },
///     "s3:ListBucket",
///     "arn:aws:s3:::photos",
/// )
/// .with(keys::S3_PREFIX, "home/alice/")
/// .with(keys::SECURE_TRANSPORT, "true");
/// assert_eq!(ctx.get("AWS:USERNAME").unwrap(), ["alice"]);
/// assert_eq!(ctx.get("s3:Prefix").unwrap()[0], "home/alice/");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext<'a> {
    principal: Principal<'a>,
    action: String,
    resource: String,
    /// Lower-cased key names with their values, in insertion order.
    keys: Vec<(Box<str>, Vec<Cow<'a, str>>)>,
}

impl<'a> RequestContext<'a> {
    /// A context for `principal` performing `action` (`s3:GetObject`) on `resource`
    /// (`arn:aws:s3:::photos/a.jpg`), with the principal keys filled in.
    pub fn new(
        principal: Principal<'a>,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        let mut ctx = Self {
            principal,
            action: action.into(),
            resource: resource.into(),
            keys: Vec::with_capacity(8),
        };
        let arn = Cow::Owned(principal.arn().unwrap_or_default());
        let derived: Vec<(&str, Cow<'a, str>)> = match principal {
            Principal::Anonymous => vec![(keys::PRINCIPAL_TYPE, "Anonymous".into())],
            Principal::Root { account } => vec![
                (keys::USERID, account.to_string().into()),
                (keys::PRINCIPAL_ACCOUNT, account.to_string().into()),
                (keys::PRINCIPAL_ARN, arn),
                (keys::PRINCIPAL_TYPE, "Account".into()),
            ],
            Principal::User {
                account,
                name,
                user_id,
            } => vec![
                (keys::USERNAME, name.into()),
                (keys::USERID, user_id.into()),
                (keys::PRINCIPAL_ACCOUNT, account.to_string().into()),
                (keys::PRINCIPAL_ARN, arn),
                (keys::PRINCIPAL_TYPE, "User".into()),
            ],
        };
        for (k, v) in derived {
            ctx.insert_value(k, v);
        }
        ctx
    }

    /// Adds one value to `key` (builder form of [`insert`](Self::insert)).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets `aws:CurrentTime` (ISO 8601, UTC, whole seconds) and `aws:EpochTime` from `now`.
    /// The crate never reads the clock itself.
    #[must_use]
    pub fn with_time(mut self, now: OffsetDateTime) -> Self {
        let now = now.to_offset(time::UtcOffset::UTC);
        let iso = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        self.set(keys::CURRENT_TIME, vec![iso]);
        self.set(keys::EPOCH_TIME, vec![now.unix_timestamp().to_string()]);
        self
    }

    /// Adds one value to `key` (keys may be multi-valued).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.insert_value(key, Cow::Owned(value.into()));
    }

    fn insert_value(&mut self, key: &str, value: Cow<'a, str>) {
        match self.slot(key) {
            Some(i) => self.keys[i].1.push(value),
            None => self
                .keys
                .push((key.to_ascii_lowercase().into_boxed_str(), vec![value])),
        }
    }

    /// Replaces all values of `key`.
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        let values = values.into_iter().map(Cow::Owned).collect();
        match self.slot(key) {
            Some(i) => self.keys[i].1 = values,
            None => self
                .keys
                .push((key.to_ascii_lowercase().into_boxed_str(), values)),
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        if let Some(i) = self.slot(key) {
            self.keys.remove(i);
        }
    }

    fn slot(&self, key: &str) -> Option<usize> {
        self.keys
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))
    }

    /// The values of `key` (case-insensitive), or `None` when the request lacks it. A key set
    /// to an empty list counts as absent.
    pub fn get(&self, key: &str) -> Option<&[Cow<'a, str>]> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
            .filter(|v| !v.is_empty())
    }

    /// Lookup by an already lower-cased key (the compiled form stores them so).
    pub(crate) fn get_lower(&self, lower_key: &str) -> Option<&[Cow<'a, str>]> {
        self.keys
            .iter()
            .find(|(k, _)| **k == *lower_key)
            .map(|(_, v)| v.as_slice())
            .filter(|v| !v.is_empty())
    }

    /// The principal.
    pub fn principal(&self) -> Principal<'a> {
        self.principal
    }

    /// The action, e.g. `s3:GetObject`.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource ARN.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Changes the action (to reuse one context for the several checks of one request).
    pub fn set_action(&mut self, action: impl Into<String>) {
        self.action = action.into();
    }

    /// Changes the resource (for example per key of a DeleteObjects request).
    pub fn set_resource(&mut self, resource: impl Into<String>) {
        self.resource = resource.into();
    }

    /// All keys (lower-cased) and their values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Cow<'a, str>])> {
        self.keys.iter().map(|(k, v)| (&**k, v.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn acct(n: u64) -> AccountId {
        AccountId::from_number(n).unwrap()
    }

    #[test]
    fn derived_principal_keys() {
        let root = RequestContext::new(Principal::Root { account: acct(7) }, "s3:GetObject", "*");
        assert_eq!(root.get("aws:userid").unwrap(), ["000000000000007"]);
        assert_eq!(
            root.get("aws:principalarn").unwrap(),
            ["arn:aws:iam::000000000000007:root"]
        );
        assert_eq!(root.get("aws:username"), None);
        assert_eq!(root.get("aws:PrincipalType").unwrap(), ["Account"]);
        let anon = RequestContext::new(Principal::Anonymous, "s3:GetObject", "*");
        assert_eq!(anon.get("aws:PrincipalAccount"), None);
        assert_eq!(anon.get("aws:userid"), None);
        let user = RequestContext::new(
            Principal::User {
                account: acct(7),
                name: "bob",
                user_id: "AIDABOB",
            },
            "s3:GetObject",
            "*",
        );
        assert_eq!(user.get("AWS:UserName").unwrap(), ["bob"]);
        assert_eq!(user.get("aws:userid").unwrap(), ["AIDABOB"]);
        assert_eq!(
            user.principal().arn().as_deref(),
            Some("arn:aws:iam::000000000000007:user/bob")
        );
        assert_eq!(user.principal().account(), Some(acct(7)));
        assert_eq!(Principal::Anonymous.arn(), None);
    }

    #[test]
    fn multi_valued_and_case_insensitive() {
        let mut ctx = RequestContext::new(Principal::Anonymous, "s3:GetObject", "r")
            .with("s3:Prefix", "a")
            .with("S3:PREFIX", "b");
        assert_eq!(ctx.get("s3:prefix").unwrap(), ["a", "b"]);
        ctx.set("s3:prefix", vec![]);
        assert_eq!(ctx.get("s3:prefix"), None, "empty counts as absent");
        ctx.set("s3:prefix", vec!["c".into()]);
        assert_eq!(ctx.get("s3:prefix").unwrap(), ["c"]);
        ctx.remove("S3:prefix");
        assert_eq!(ctx.get("s3:prefix"), None);
        ctx.set_action("s3:PutObject");
        ctx.set_resource("arn:aws:s3:::b/k");
        assert_eq!(
            (ctx.action(), ctx.resource()),
            ("s3:PutObject", "arn:aws:s3:::b/k")
        );
        assert!(ctx.iter().any(|(k, _)| k == "aws:principaltype"));
    }

    #[test]
    fn time_keys() {
        let ctx = RequestContext::new(Principal::Anonymous, "s3:GetObject", "r")
            .with_time(datetime!(2026-11-25 19:00:05 +01:00));
        assert_eq!(
            ctx.get("aws:CurrentTime").unwrap(),
            ["2026-11-25T18:00:05Z"]
        );
        assert_eq!(ctx.get("aws:EpochTime").unwrap(), ["1795629605"]);
    }
}
