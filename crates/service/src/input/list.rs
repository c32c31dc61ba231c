//! The inputs of ListObjects and ListObjectsV2.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use s4_s3_xml::EncodingType;
use s4_storage::ListQuery;

use super::{FromRequest, RequestView};
use crate::response::ApiError;

const MAX_KEYS: usize = 1000;

/// `max-keys`: a non-negative integer, clamped to 1000; anything else is `InvalidArgument`.
fn max_keys(request: &RequestView<'_>) -> Result<usize, ApiError> {
    match request.query.get("max-keys") {
        None => Ok(MAX_KEYS),
        Some(v) => {
            let digits = v.trim();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                    "max-keys",
                    v,
                ));
            }
            // Any run of digits is valid; huge values mean "as many as allowed".
            Ok(digits
                .parse::<usize>()
                .map_or(MAX_KEYS, |n| n.min(MAX_KEYS)))
        }
    }
}

/// What both listings ask: the storage query (prefix, delimiter, page size) and the key
/// encoding of the answer.
pub(crate) struct Common {
    pub query: ListQuery,
    pub encoding: Option<EncodingType>,
}

fn common(request: &RequestView<'_>) -> Result<Common, ApiError> {
    let encoding = EncodingType::from_query(request.query.get("encoding-type"))?;
    let query = ListQuery {
        prefix: request.query.get("prefix").unwrap_or("").to_owned(),
        delimiter: request
            .query
            .get("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        start_after: None,
        max_keys: max_keys(request)?,
    };
    Ok(Common { query, encoding })
}

/// ListObjects' input.
pub(crate) struct ListObjectsInput {
    pub common: Common,
    pub marker: String,
}

impl FromRequest for ListObjectsInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        let mut common = common(request)?;
        let marker = request.query.get("marker").unwrap_or("").to_owned();
        common.query.start_after = (!marker.is_empty()).then(|| marker.clone());
        Ok(Self { common, marker })
    }
}

/// ListObjectsV2's input.
pub(crate) struct ListObjectsV2Input {
    pub common: Common,
    pub token: Option<String>,
    pub start_after: Option<String>,
    pub fetch_owner: bool,
}

impl FromRequest for ListObjectsV2Input {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        let mut common = common(request)?;
        let query = request.query;
        let token = query.get("continuation-token").map(str::to_owned);
        let start_after = query
            .get("start-after")
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        // An empty token is no position at all: the listing starts where it would without
        // one, and the empty token is echoed back.
        common.query.start_after = match token.as_deref() {
            Some(token) if !token.is_empty() => Some(decode_token(token)?),
            _ => start_after.clone(),
        };
        Ok(Self {
            common,
            token,
            start_after,
            fetch_owner: query.get("fetch-owner") == Some("true"),
        })
    }
}

/// A continuation token ([`encode_token`](crate::handlers::list::encode_token)) decoded:
/// the key to continue after.
pub(crate) fn decode_token(token: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        // A key or common prefix: at most as long as a key (counted in characters).
        .filter(|key| !key.is_empty() && key.chars().count() <= s4_naming::OBJECT_KEY_MAX_LEN)
        .ok_or_else(|| {
            ApiError::invalid_argument(
                "The continuation token provided is incorrect",
                "continuation-token",
                token,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::list::encode_token;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        for key in ["a", "dir/é 😀+&%", &"k".repeat(1024), &"😀".repeat(1024)] {
            assert_eq!(decode_token(&encode_token(key)).unwrap(), key);
        }
        for bad in ["", "!!!", "%%", "_w"] {
            assert!(decode_token(bad).is_err(), "{bad}");
        }
    }
}
