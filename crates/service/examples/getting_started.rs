//! The aws-sdk-rust snippet of docs/getting-started.md, verbatim (CI compares the two and runs
//! this against a started server): `S4_ENDPOINT`, `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY` set, bucket `getting-started` existing.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::var("S4_ENDPOINT")?;
    let credentials = Credentials::new(
        std::env::var("AWS_ACCESS_KEY_ID")?,
        std::env::var("AWS_SECRET_ACCESS_KEY")?,
        None,
        None,
        "environment",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .force_path_style(true)
        // Plain HTTP; with aws-sdk-s3's default features (rustls) this line can go.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    s3.put_object()
        .bucket("getting-started")
        .key("docs/from-rust.txt")
        .body(ByteStream::from_static(b"hello from aws-sdk-rust"))
        .send()
        .await?;
    let object = s3
        .get_object()
        .bucket("getting-started")
        .key("docs/from-rust.txt")
        .send()
        .await?;
    let bytes = object.body.collect().await?.into_bytes();
    assert_eq!(&bytes[..], b"hello from aws-sdk-rust");
    println!("read back {} bytes", bytes.len());
    Ok(())
}
