//! The table of embedded files: one line per file under `assets/` (the `embedded` test fails
//! when a file is missing here or stale).

use crate::{asset, Asset};

/// Every embedded file.
pub static ASSETS: &[Asset] = &[
    asset!("console.css"),
    asset!("index.html"),
    asset!("js/client.js"),
    asset!("js/crypto.js"),
    asset!("js/iamapi.js"),
    asset!("js/main.js"),
    asset!("js/pages/buckets.js"),
    asset!("js/pages/details.js"),
    asset!("js/pages/iam.js"),
    asset!("js/pages/login.js"),
    asset!("js/pages/objects.js"),
    asset!("js/pages/policy.js"),
    asset!("js/pages/uploads.js"),
    asset!("js/s3.js"),
    asset!("js/session.js"),
    asset!("js/sha256.js"),
    asset!("js/sigv4.js"),
    asset!("js/ui.js"),
    asset!("js/upload.js"),
];
