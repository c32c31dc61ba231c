//! The decoded query string of a request.

/// The decoded query parameters, in order. Flags without a value (`?acl`) and with an empty
/// one (`?uploads=`, as minio-py and rclone send them) are alike.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes a raw query string with the decoding the signature check uses
    /// ([`s4_sigv4::query_pairs`]): `+` is a space, `%2B` a plus, as on AWS.
    pub fn parse(raw: &str) -> Self {
        let text = |b: Vec<u8>| {
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        Self(
            s4_sigv4::query_pairs(raw)
                .map(|(n, v)| (text(n), text(v)))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// Every parameter's name and value, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}
