//! HTTPS: the server answers over TLS beside plain HTTP, with a certificate from a test CA, and
//! swaps the certificate on SIGHUP without dropping open connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Uri};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use s4_sigv4::{sign_headers, SignableBody, SigningParams};
use time::OffsetDateTime;

const ACCESS_KEY: &str = "AKIATLSTESTTLSTEST01";
const SECRET_KEY: &str = "tlstestsecrettlstestsecrettlstestsecret1";

/// A CA and a server certificate for 127.0.0.1 signed by it.
struct Pki {
    ca_der: CertificateDer<'static>,
    server_pem: String,
    key_pem: String,
}

fn make_pki(name: &str) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} test CA"));
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
    Pki {
        ca_der: ca.der().clone(),
        server_pem: server.pem(),
        key_pem: server_key.serialize_pem(),
    }
}

fn write_pki(pki: &Pki, dir: &Path) {
    std::fs::write(dir.join("cert.pem"), &pki.server_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();
}

struct Server {
    child: Child,
    https: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server on `dir/data` with HTTPS from `dir/cert.pem` and `dir/key.pem`.
fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s4-server"));
    command
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .env("S4_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", SECRET_KEY)
        .env("S4_LOG", "warn");
    command
}

fn start(dir: &Path) -> Server {
    let mut child = command(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s4-server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let https = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.strip_prefix("s4-server listening on https://") {
            break rest.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, https }
}

fn connect(
    addr: SocketAddr,
    ca: &CertificateDer<'static>,
) -> std::io::Result<StreamOwned<ClientConnection, TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connection =
        ClientConnection::new(Arc::new(config), ServerName::try_from("127.0.0.1").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut stream = StreamOwned::new(connection, tcp);
    // Drive the handshake now so certificate errors surface here.
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// A signed ListBuckets on an open keep-alive connection; returns (status, body).
fn list_buckets(
    stream: &mut StreamOwned<ClientConnection, TcpStream>,
    addr: SocketAddr,
) -> (u16, String) {
    let uri: Uri = format!("https://{addr}/").parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&addr.to_string()).unwrap());
    let params = SigningParams::new(
        ACCESS_KEY,
        SECRET_KEY,
        "us-east-1",
        "s3",
        OffsetDateTime::now_utc(),
    );
    sign_headers(
        &Method::GET,
        &uri,
        &headers,
        &params,
        &SignableBody::Bytes(b""),
    )
    .unwrap()
    .apply_to(&mut headers);
    let mut head = String::from("GET / HTTP/1.1\r\n");
    for (name, value) in &headers {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(value.to_str().unwrap());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.flush().unwrap();
    // Read the head, then exactly Content-Length bytes, leaving the connection usable.
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn https_beside_http_and_certificate_reload_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = make_pki("first");
    write_pki(&first, dir.path());
    let server = start(dir.path());

    let mut old = connect(server.https, &first.ca_der).expect("TLS with the first CA");
    let (status, body) = list_buckets(&mut old, server.https);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ListAllMyBucketsResult"), "{body}");

    // Rotate: new files, then SIGHUP.
    let second = make_pki("second");
    write_pki(&second, dir.path());
    let hup = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let mut reloaded = false;
    for _ in 0..50 {
        if let Ok(mut fresh) = connect(server.https, &second.ca_der) {
            assert_eq!(list_buckets(&mut fresh, server.https).0, 200);
            reloaded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(reloaded, "the new certificate was never served");
    assert!(
        connect(server.https, &first.ca_der).is_err(),
        "new handshakes must use the new certificate"
    );
    // The connection opened before the reload keeps working.
    assert_eq!(list_buckets(&mut old, server.https).0, 200);
}

/// Starts the server on the `cert.pem` and `key.pem` in `dir`, expecting it to refuse to start;
/// returns what it wrote to standard error.
fn refused_start(dir: &Path) -> String {
    let output = command(dir).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "started with a broken TLS file: {stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("listening on"),
        "listened with a broken TLS file"
    );
    stderr
}

#[test]
fn a_broken_certificate_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    write_pki(&make_pki("broken"), dir.path());
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    let stderr = refused_start(dir.path());
    let expected = format!(
        "s4-server: cannot read the certificate chain {}: no CERTIFICATE block found",
        dir.path().join("cert.pem").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_broken_key_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    write_pki(&make_pki("broken"), dir.path());
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let stderr = refused_start(dir.path());
    let expected = format!(
        "s4-server: cannot read the private key {}:",
        dir.path().join("key.pem").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_key_of_another_certificate_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    write_pki(&make_pki("first"), dir.path());
    std::fs::write(dir.path().join("key.pem"), make_pki("second").key_pem).unwrap();
    let stderr = refused_start(dir.path());
    assert!(
        stderr
            .contains("s4-server: the certificate and key do not form a usable TLS configuration"),
        "{stderr}"
    );
}
