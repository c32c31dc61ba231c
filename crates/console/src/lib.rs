//! The S4 web console's static files, embedded in the binary at build time.
//!
//! The console is plain HTML, CSS and ES modules under `assets/`: no bundler, nothing to
//! build besides `cargo build`. It is just another S3/IAM client: the browser signs every
//! request with SigV4 itself, so this crate only serves files and knows nothing of the API.
//!
//! ```
//! let index = s4_console::lookup("").unwrap();
//! assert_eq!(index.content_type, "text/html; charset=utf-8");
//! assert!(s4_console::lookup("js/sigv4.js").is_some());
//! assert!(s4_console::lookup("../Cargo.toml").is_none());
//! ```

mod assets;

pub use assets::ASSETS;

/// The URL path the console is served under (with the trailing slash).
pub const MOUNT: &str = "/_s4/console/";

/// `Cache-Control` of every asset: the file names carry no version, so browsers revalidate
/// each time (cheap: the ETag answers `304`), and a server upgrade is seen at once.
pub const CACHE_CONTROL: &str = "no-cache";

/// The `Content-Security-Policy` of every console response: only this origin's scripts,
/// styles and connections; no inline script or style, no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every console response carries besides its content type and cache headers.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The path below [`MOUNT`], e.g. `js/sigv4.js`.
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// A hash of the bytes, computed at build time: the ETag's value.
    pub hash: u64,
}

impl Asset {
    /// The strong `ETag` header value (quoted).
    pub fn etag(&self) -> String {
        format!("\"{:016x}\"", self.hash)
    }
}

/// The asset at `path` (relative to [`MOUNT`]); the empty path is `index.html`. `None` for
/// anything not embedded: there is no file system behind this, so `..` cannot escape.
pub fn lookup(path: &str) -> Option<&'static Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

/// The content type for a file name's extension.
const fn content_type(path: &str) -> &'static str {
    let bytes = path.as_bytes();
    if ends_with(bytes, b".html") {
        "text/html; charset=utf-8"
    } else if ends_with(bytes, b".js") {
        "text/javascript; charset=utf-8"
    } else if ends_with(bytes, b".css") {
        "text/css; charset=utf-8"
    } else if ends_with(bytes, b".svg") {
        "image/svg+xml"
    } else {
        "application/octet-stream"
    }
}

const fn ends_with(bytes: &[u8], suffix: &[u8]) -> bool {
    if bytes.len() < suffix.len() {
        return false;
    }
    let start = bytes.len() - suffix.len();
    let mut i = 0;
    while i < suffix.len() {
        if bytes[start + i] != suffix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// FNV-1a, 64 bits: good enough to tell two versions of a file apart, and a `const fn`.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// An [`Asset`] for `assets/<path>`, its content type and hash decided at compile time.
macro_rules! asset {
    ($path:literal) => {
        $crate::Asset {
            path: $path,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)),
            content_type: $crate::content_type($path),
            hash: $crate::fnv1a(include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/",
                $path
            ))),
        }
    };
}
use asset;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_path_is_the_index_page() {
        let index = lookup("").unwrap();
        assert_eq!(index.path, "index.html");
        assert_eq!(lookup("index.html"), Some(index));
        assert!(std::str::from_utf8(index.bytes).unwrap().contains("<html"));
    }

    #[test]
    fn unknown_and_escaping_paths_are_not_found() {
        for path in [
            "nope.js",
            "../Cargo.toml",
            "/index.html",
            "js/",
            "JS/SIGV4.JS",
        ] {
            assert_eq!(lookup(path), None, "{path}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("a.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a.png"), "application/octet-stream");
        assert_eq!(content_type("js"), "application/octet-stream");
    }

    #[test]
    fn etags_differ_between_files_and_are_quoted() {
        let mut seen = std::collections::HashSet::new();
        for asset in ASSETS {
            let etag = asset.etag();
            assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 18);
            assert!(seen.insert(etag), "{} shares an ETag", asset.path);
        }
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn the_csp_allows_nothing_inline_and_no_other_origin() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(!CONTENT_SECURITY_POLICY.contains("http"));
        assert!(CONTENT_SECURITY_POLICY.contains("default-src 'self'"));
    }
}
