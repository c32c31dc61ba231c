//! ListObjects (v1) and ListObjectsV2.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::StatusCode;
use s4_s3_xml::{EncodingType, ListObjectsResult, ListObjectsV2Result, ObjectEntry};
use s4_storage::{ListPage, ListQuery, ObjectStore};

use super::{Ctx, HandlerResult, NoInput};
use crate::response::{xml_response, ApiError};

const MAX_KEYS: usize = 1000;

/// `max-keys`: a non-negative integer, clamped to 1000; anything else is `InvalidArgument`.
fn max_keys<O>(ctx: &Ctx<'_, O>) -> Result<usize, ApiError> {
    match ctx.query.get("max-keys") {
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

struct Common {
    query: ListQuery,
    encoding: Option<EncodingType>,
}

fn common<O>(ctx: &Ctx<'_, O>) -> Result<Common, ApiError> {
    let encoding = EncodingType::from_query(ctx.query.get("encoding-type"))?;
    let query = ListQuery {
        prefix: ctx.query.get("prefix").unwrap_or("").to_owned(),
        delimiter: ctx
            .query
            .get("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        start_after: None,
        max_keys: max_keys(ctx)?,
    };
    Ok(Common { query, encoding })
}

fn entries(page: &ListPage) -> Vec<ObjectEntry> {
    page.objects
        .iter()
        .map(|o| ObjectEntry {
            key: o.key.clone(),
            last_modified: o.last_modified,
            etag: o.etag.as_str().to_owned(),
            size: o.size,
        })
        .collect()
}

async fn page<O: ObjectStore>(ctx: &Ctx<'_, O>, query: &ListQuery) -> Result<ListPage, ApiError> {
    if query.max_keys == 0 {
        // Nothing to list, but the bucket must exist.
        ctx.store.head_bucket(&ctx.account, &ctx.bucket).await?;
        return Ok(ListPage::default());
    }
    Ok(ctx
        .store
        .list_objects(&ctx.account, &ctx.bucket, query)
        .await?)
}

pub(crate) async fn list_objects_v1<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    let Common {
        mut query,
        encoding,
    } = common(ctx)?;
    let marker = ctx.query.get("marker").unwrap_or("").to_owned();
    query.start_after = (!marker.is_empty()).then(|| marker.clone());
    let page = page(ctx, &query).await?;
    let result = ListObjectsResult {
        name: ctx.bucket.clone(),
        prefix: query.prefix.clone(),
        marker,
        next_marker: page
            .is_truncated
            .then(|| page.next_start_after.clone())
            .flatten(),
        delimiter: query.delimiter.clone(),
        max_keys: query.max_keys as u32,
        is_truncated: page.is_truncated,
        contents: entries(&page),
        common_prefixes: page.common_prefixes.clone(),
        encoding_type: encoding,
        owner: Some(ctx.owner()),
    };
    Ok(xml_response(StatusCode::OK, &result))
}

/// Continuation tokens are opaque to clients: base64url of the key to continue after.
pub(crate) fn encode_token(start_after: &str) -> String {
    URL_SAFE_NO_PAD.encode(start_after.as_bytes())
}

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

pub(crate) async fn list_objects_v2<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    let Common {
        mut query,
        encoding,
    } = common(ctx)?;
    let token = ctx.query.get("continuation-token").map(str::to_owned);
    let start_after = ctx
        .query
        .get("start-after")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    // An empty token is no position at all: the listing starts where it would without one,
    // and the empty token is echoed back.
    query.start_after = match token.as_deref() {
        Some(token) if !token.is_empty() => Some(decode_token(token)?),
        _ => start_after.clone(),
    };
    let fetch_owner = ctx.query.get("fetch-owner") == Some("true");
    let page = page(ctx, &query).await?;
    let result = ListObjectsV2Result {
        name: ctx.bucket.clone(),
        prefix: query.prefix.clone(),
        delimiter: query.delimiter.clone(),
        max_keys: query.max_keys as u32,
        is_truncated: page.is_truncated,
        continuation_token: token,
        next_continuation_token: page
            .is_truncated
            .then(|| page.next_start_after.as_deref().map(encode_token))
            .flatten(),
        start_after,
        contents: entries(&page),
        common_prefixes: page.common_prefixes.clone(),
        encoding_type: encoding,
        owner: fetch_owner.then(|| ctx.owner()),
    };
    Ok(xml_response(StatusCode::OK, &result))
}

#[cfg(test)]
mod tests {
    use super::*;

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
