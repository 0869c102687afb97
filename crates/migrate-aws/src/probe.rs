//! A small HTTP/1.1 probe on a plain TCP connection.
//!
//! The health gate only needs the status code of one GET through the new load balancer, so the
//! probe writes the request itself rather than pulling in an HTTP client. It speaks plain HTTP:
//! the gate probes the new ALB's own DNS name, whose certificate would not match anyway.

use std::time::Duration;

use async_trait::async_trait;
use migrate_engine::ports::{CloudError, CloudResult, ErrorKind, HttpProbe, ProbeRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::errors::AwsError;

const OPERATION: &str = "http:GET";

/// The probe. With an override, every request goes to the override's host and port instead of
/// the URL's, keeping the URL's path and sending the URL's host as `Host`.
#[derive(Debug, Clone, Default)]
pub struct TcpProbe {
    override_authority: Option<String>,
}

/// The parts of an `http://` URL the probe needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// `host:port`, the port defaulted to 80.
    authority: String,
    /// The host as written, for the `Host` header.
    host: String,
    path: String,
}

fn parse(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// URLs can be probed".to_string())?;
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
        format!("{host_port}:80")
    };
    Ok(Target {
        authority,
        host: host_port.to_string(),
        path: path.to_string(),
    })
}

impl TcpProbe {
    /// A probe; `override_base` is `http://host:port` or `None`.
    pub fn new(override_base: Option<&str>) -> Result<Self, AwsError> {
        let override_authority = match override_base {
            None => None,
            Some(base) => {
                let target = parse(base).map_err(|reason| AwsError::InvalidProbeOverride {
                    url: base.to_string(),
                    reason,
                })?;
                Some(target.authority)
            }
        };
        Ok(Self { override_authority })
    }

    async fn get_inner(&self, request: &ProbeRequest) -> CloudResult<u16> {
        let err = |kind: ErrorKind, message: String| {
            CloudError::new(kind, OPERATION, request.url.clone(), message)
        };
        let target = parse(&request.url).map_err(|m| err(ErrorKind::InvalidRequest, m))?;
        let authority = self
            .override_authority
            .clone()
            .unwrap_or_else(|| target.authority.clone());
        let host = request.host_header.clone().unwrap_or(target.host);
        if host.contains(['\r', '\n']) || target.path.contains(['\r', '\n', ' ']) {
            return Err(err(
                ErrorKind::InvalidRequest,
                "the host or path contains characters HTTP does not allow".into(),
            ));
        }
        let mut stream = TcpStream::connect(&authority).await.map_err(|e| {
            err(
                ErrorKind::ServerError,
                format!("connect to {authority}: {e}"),
            )
        })?;
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: migrate-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            target.path
        );
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| err(ErrorKind::ServerError, format!("send: {e}")))?;
        // The status line is all the probe reads; 1 KiB holds it with room to spare.
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 512];
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 1024 {
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| err(ErrorKind::ServerError, format!("read: {e}")))?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        status_of(&buf).ok_or_else(|| {
            err(
                ErrorKind::ServerError,
                "the answer has no HTTP status line".to_string(),
            )
        })
    }
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
        let timeout = if request.timeout.is_zero() {
            Duration::from_secs(5)
        } else {
            request.timeout
        };
        match tokio::time::timeout(timeout, self.get_inner(request)).await {
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
        assert!(parse("https://x").is_err());
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
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServerError);
    }
}
