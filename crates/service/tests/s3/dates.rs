//! The `Date` header: every RFC 7231 / RFC 2822 form is a valid request time when it is the
//! only one, and beside `X-Amz-Date` it is not judged at all.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use s4_sigv4::SigningKey;
use sha2::{Digest, Sha256};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::harness::{TestServer, REGION};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What Python's `email.utils.formatdate(usegmt=False)` writes, as botocore sends it.
const PYTHON_FORMATDATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] -0000"
);
const IMF_FIXDATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);
const PLUS_ZERO: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] +0000"
);
const RFC_850: &[FormatItem<'static>] = format_description!(
    "[weekday repr:long], [day]-[month repr:short]-[year repr:last_two] [hour]:[minute]:[second] GMT"
);
const ASCTIME: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]"
);

fn now() -> OffsetDateTime {
    // Whole seconds, as every Date form carries them.
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `GET /bkt` signed with SigV4 over `Date` alone (no `X-Amz-Date`), which the signer of the
/// harness never does: the request time is `time`, the header text `date`.
fn date_only_request(s: &TestServer, date: &str, time: OffsetDateTime) -> Request<Full<Bytes>> {
    let host = s.addr.to_string();
    let day = format!(
        "{:04}{:02}{:02}",
        time.year(),
        u8::from(time.month()),
        time.day()
    );
    let amz_date = format!(
        "{day}T{:02}{:02}{:02}Z",
        time.hour(),
        time.minute(),
        time.second()
    );
    let signed = "date;host;x-amz-content-sha256";
    // SigV4 canonical values collapse runs of spaces (asctime pads the day with one).
    let canonical_date = date.split_whitespace().collect::<Vec<_>>().join(" ");
    let canonical = format!(
        "GET\n/bkt\n\ndate:{canonical_date}\nhost:{host}\nx-amz-content-sha256:{EMPTY_SHA256}\n\n{signed}\n{EMPTY_SHA256}"
    );
    let scope = format!("{day}/{REGION}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let key = SigningKey::derive(&s.root.secret, &day, REGION, "s3");
    let key = hex::decode(key.to_hex()).expect("a hex signing key");
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    Request::builder()
        .method(Method::GET)
        .uri(format!("http://{host}/bkt"))
        .header("host", &host)
        .header("date", date)
        .header("x-amz-content-sha256", EMPTY_SHA256)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                s.root.id
            ),
        )
        .body(Full::new(Bytes::new()))
        .expect("a request")
}

#[tokio::test]
async fn botocore_date_beside_x_amz_date() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let date = now().format(PYTHON_FORMATDATE).expect("a date");
    // Signed, as botocore signs every header it sends.
    s.req(Method::PUT, "/bkt/k")
        .header("date", &date)
        .body("v")
        .send()
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "k").await.body[..], b"v");
    // Beside X-Amz-Date, Date is not judged: not its form, not its skew.
    let stale = (now() - Duration::days(3))
        .format(IMF_FIXDATE)
        .expect("a date");
    for date in ["not a date at all", stale.as_str()] {
        s.req(Method::GET, "/bkt/k")
            .header("date", date)
            .send()
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn date_alone_in_every_form() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let t = now();
    for form in [IMF_FIXDATE, PYTHON_FORMATDATE, PLUS_ZERO, RFC_850, ASCTIME] {
        let date = t.format(form).expect("a date");
        let r = s.raw(date_only_request(&s, &date, t)).await;
        r.assert_status(200);
        assert_eq!(r.xml("Name").as_deref(), Some("bkt"), "Date: {date}");
    }
    // The time it states is judged like X-Amz-Date's.
    let skewed = t - Duration::minutes(20);
    let date = skewed.format(PYTHON_FORMATDATE).expect("a date");
    s.raw(date_only_request(&s, &date, skewed))
        .await
        .assert_error(403, "RequestTimeTooSkewed");
}
