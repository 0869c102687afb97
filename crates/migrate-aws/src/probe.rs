//! A small HTTP/1.1 probe on a TCP connection, with TLS for `https://` URLs.
//!
//! The health gate needs the status code (and a redirect's `Location`) of one GET through the
//! new load balancer, so the probe writes the request itself rather than pulling in an HTTP
//! client. An `https://` probe connects to the new ALB's own DNS name but sends the record's
//! name as SNI (`ProbeRequest::server_name`) and checks the certificate against it, as clients
//! will after the cutover
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html>).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudError, CloudResult, ErrorKind, HttpProbe, ProbeAnswer, ProbeRequest,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::errors::AwsError;

const OPERATION: &str = "http:GET";

/// The probe. With an override, every request goes to the override's host and port instead of
/// the URL's, keeping the URL's path and sending the URL's host as `Host`; the override's scheme
/// decides whether TLS is spoken (a loopback test server speaks plain HTTP for every probe).
/// The override stands in for the load balancer, so, as an ALB tells its targets, each request
/// to it carries the listener it was meant for in `X-Forwarded-Proto` and `X-Forwarded-Port`
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html>).
#[derive(Debug, Clone, Default)]
pub struct TcpProbe {
    override_authority: Option<String>,
    override_tls: bool,
}

/// The parts of an `http://` URL the probe needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    tls: bool,
    /// `host:port`, the port defaulted to 80 (443 for `https://`).
    authority: String,
    /// The host as written, for the `Host` header.
    host: String,
    path: String,
}

fn parse(url: &str) -> Result<Target, String> {
    let (tls, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err("only http:// and https:// URLs can be probed".to_string()),
    };
    let (host_port, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host_port.is_empty() {
        return Err("the URL names no host".to_string());
    }
    if host_port.contains('@') {
        return Err("credentials in probe URLs are not supported".to_string());
    }
    let authority = if host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        host_port.to_string()
    } else {
        format!("{host_port}:{}", if tls { 443 } else { 80 })
    };
    let host = host_port
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host_port, |(h, _)| h);
    Ok(Target {
        tls,
        authority,
        host: host.to_string(),
        path: path.to_string(),
    })
}

impl TcpProbe {
    /// A probe; `override_base` is `http://host:port` or `None`.
    pub fn new(override_base: Option<&str>) -> Result<Self, AwsError> {
        let (override_authority, override_tls) = match override_base {
            None => (None, false),
            Some(base) => {
                let target = parse(base).map_err(|reason| AwsError::InvalidProbeOverride {
                    url: base.to_string(),
                    reason,
                })?;
                (Some(target.authority), target.tls)
            }
        };
        Ok(Self {
            override_authority,
            override_tls,
        })
    }

    async fn answer_inner(&self, request: &ProbeRequest) -> CloudResult<ProbeAnswer> {
        let err = |kind: ErrorKind, message: String| {
            CloudError::new(kind, OPERATION, request.url.clone(), message)
        };
        let target = parse(&request.url).map_err(|m| err(ErrorKind::InvalidRequest, m))?;
        let (authority, tls) = match &self.override_authority {
            Some(authority) => (authority.clone(), self.override_tls),
            None => (target.authority.clone(), target.tls),
        };
        let server_name = request
            .server_name
            .clone()
            .unwrap_or_else(|| target.host.clone());
        let host = request.host_header.clone().unwrap_or(target.host);
        if host.contains(['\r', '\n']) || target.path.contains(['\r', '\n', ' ']) {
            return Err(err(
                ErrorKind::InvalidRequest,
                "the host or path contains characters HTTP does not allow".into(),
            ));
        }
        let stream = TcpStream::connect(&authority).await.map_err(|e| {
            err(
                ErrorKind::ServerError,
                format!("connect to {authority}: {e}"),
            )
        })?;
        let forwarded = match &self.override_authority {
            Some(_) => {
                let port = target.authority.rsplit(':').next().unwrap_or_default();
                let proto = if target.tls { "https" } else { "http" };
                format!("X-Forwarded-Proto: {proto}\r\nX-Forwarded-Port: {port}\r\n")
            }
            None => String::new(),
        };
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\n{forwarded}User-Agent: migrate-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            target.path
        );
        let buf = if tls {
            let name =
                rustls::pki_types::ServerName::try_from(server_name.clone()).map_err(|e| {
                    err(
                        ErrorKind::InvalidRequest,
                        format!("server name {server_name}: {e}"),
                    )
                })?;
            let connector = tokio_rustls::TlsConnector::from(tls_config()?);
            let stream = connector.connect(name, stream).await.map_err(|e| {
                err(
                    ErrorKind::ServerError,
                    format!("TLS with {authority} as {server_name}: {e}"),
                )
            })?;
            exchange(stream, &head).await
        } else {
            exchange(stream, &head).await
        }
        .map_err(|e| err(ErrorKind::ServerError, e))?;
        let status = status_of(&buf).ok_or_else(|| {
            err(
                ErrorKind::ServerError,
                "the answer has no HTTP status line".to_string(),
            )
        })?;
        Ok(ProbeAnswer {
            status,
            location: location_of(&buf),
        })
    }
}

/// Client TLS with the system's root certificates, built once.
fn tls_config() -> CloudResult<Arc<rustls::ClientConfig>> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in rustls_native_certs::load_native_certs().certs {
                // A root the store cannot parse is skipped, as browsers skip it.
                let _ = roots.add(certificate);
            }
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| {
                    Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
                })
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| CloudError::new(ErrorKind::Other, OPERATION, "TLS", e))
}

/// Sends the request head and reads the answer's head (at most 8 KiB: the status line and the
/// headers, of which the probe needs `Location`).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &str,
) -> Result<Vec<u8>, String> {
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // A server that closes without TLS close_notify still gave its answer.
            Err(_) if !buf.is_empty() => 0,
            Err(e) => return Err(format!("read: {e}")),
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

/// The `Location` header of an answer head, if it has one.
fn location_of(buf: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(buf);
    let head = text.split("\r\n\r\n").next()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    })
}

fn status_of(buf: &[u8]) -> Option<u16> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&buf[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

#[async_trait]
impl HttpProbe for TcpProbe {
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16> {
        self.answer(request).await.map(|a| a.status)
    }

    async fn answer(&self, request: &ProbeRequest) -> CloudResult<ProbeAnswer> {
        let timeout = if request.timeout.is_zero() {
            Duration::from_secs(5)
        } else {
            request.timeout
        };
        match tokio::time::timeout(timeout, self.answer_inner(request)).await {
            Ok(result) => result,
            Err(_) => Err(CloudError::new(
                ErrorKind::Timeout,
                OPERATION,
                request.url.clone(),
                format!("no answer within {timeout:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn urls_parse() {
        assert_eq!(
            parse("http://alb-1.elb.amazonaws.com/healthz").unwrap(),
            Target {
                tls: false,
                authority: "alb-1.elb.amazonaws.com:80".into(),
                host: "alb-1.elb.amazonaws.com".into(),
                path: "/healthz".into()
            }
        );
        assert_eq!(
            parse("http://127.0.0.1:8080").unwrap().authority,
            "127.0.0.1:8080"
        );
        assert_eq!(parse("http://127.0.0.1:8080").unwrap().path, "/");
        let https = parse("https://alb-1.elb.amazonaws.com/healthz").unwrap();
        assert_eq!(
            (https.tls, https.authority.as_str()),
            (true, "alb-1.elb.amazonaws.com:443")
        );
        assert_eq!(parse("https://x:8443/").unwrap().host, "x");
        assert!(parse("ftp://x").is_err());
        assert!(parse("http:///x").is_err());
        assert!(parse("http://u:p@x/").is_err());
    }

    #[test]
    fn status_lines_parse() {
        assert_eq!(status_of(b"HTTP/1.1 302 Found\r\n"), Some(302));
        assert_eq!(status_of(b"HTTP/1.0 200\r\n"), Some(200));
        assert_eq!(status_of(b"garbage\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 20\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 200 OK"), None);
    }

    /// A one-shot server that answers `status` and hands back the request it read.
    async fn serve_once(status: u16) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 2048];
            let n = socket.read(&mut buf).await.unwrap();
            let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (format!("http://{addr}"), handle)
    }

    #[tokio::test]
    async fn the_override_keeps_path_and_host() {
        let (base, server) = serve_once(302).await;
        let probe = TcpProbe::new(Some(&base)).unwrap();
        let status = probe
            .get(&ProbeRequest {
                url: "http://new-alb-1.us-east-1.elb.amazonaws.com/healthz".into(),
                host_header: Some("shop.example.com".into()),
                timeout: Duration::from_secs(2),
                server_name: None,
            })
            .await
            .unwrap();
        assert_eq!(status, 302);
        let request = server.await.unwrap();
        assert!(
            request.starts_with("GET /healthz HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(
            request.contains("\r\nHost: shop.example.com\r\n"),
            "{request}"
        );
        // The stand-in learns which listener the request was meant for, as a target does.
        assert!(
            request.contains("\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 80\r\n"),
            "{request}"
        );
    }

    #[test]
    fn a_redirect_gives_its_location() {
        let head = b"HTTP/1.1 301 Moved Permanently\r\nServer: awselb/2.0\r\nlocation: https://shop.example.com:443/healthz\r\n\r\n";
        assert_eq!(status_of(head), Some(301));
        assert_eq!(
            location_of(head).as_deref(),
            Some("https://shop.example.com:443/healthz")
        );
        assert_eq!(
            location_of(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            None
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_server_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = TcpProbe::default()
            .get(&ProbeRequest {
                url: format!("http://{addr}/"),
                host_header: None,
                timeout: Duration::from_secs(2),
                server_name: None,
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServerError);
    }
}
