//! ListObjects and ListObjectsV2.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::StatusCode;
use s4_s3_xml::{ListObjectsResult, ListObjectsV2Result, ObjectEntry};
use s4_storage::{ListPage, ListQuery, ObjectStore};

use super::{Env, HandlerResult};
use crate::input::{Common, ListObjectsInput, ListObjectsV2Input, RequestBody};
use crate::response::{xml_response, ApiError};

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

async fn page<O: ObjectStore>(env: &Env<'_, O>, query: &ListQuery) -> Result<ListPage, ApiError> {
    if query.max_keys == 0 {
        // Nothing to list, but the bucket must exist.
        env.store.head_bucket(&env.account, &env.bucket).await?;
        return Ok(ListPage::default());
    }
    Ok(env
        .store
        .list_objects(&env.account, &env.bucket, query)
        .await?)
}

pub(crate) async fn list_objects_v1<O: ObjectStore>(
    env: &Env<'_, O>,
    input: ListObjectsInput,
    _: RequestBody,
) -> HandlerResult {
    let ListObjectsInput {
        common: Common { query, encoding },
        marker,
    } = input;
    let page = page(env, &query).await?;
    let result = ListObjectsResult {
        name: env.bucket.clone(),
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
        owner: Some(env.owner()),
    };
    Ok(xml_response(StatusCode::OK, &result))
}

/// Continuation tokens are opaque to clients: base64url of the key to continue after.
pub(crate) fn encode_token(start_after: &str) -> String {
    URL_SAFE_NO_PAD.encode(start_after.as_bytes())
}

pub(crate) async fn list_objects_v2<O: ObjectStore>(
    env: &Env<'_, O>,
    input: ListObjectsV2Input,
    _: RequestBody,
) -> HandlerResult {
    let ListObjectsV2Input {
        common: Common { query, encoding },
        token,
        start_after,
        fetch_owner,
    } = input;
    let page = page(env, &query).await?;
    let result = ListObjectsV2Result {
        name: env.bucket.clone(),
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
        owner: fetch_owner.then(|| env.owner()),
    };
    Ok(xml_response(StatusCode::OK, &result))
}
