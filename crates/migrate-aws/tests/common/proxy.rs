//! A fault-injecting HTTP proxy on loopback, in front of moto: the first requests it sees get
//! the faults it was given (a throttling answer, a 503), the rest go through to moto.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One injected answer: in the JSON protocol ECS speaks, or in S3's XML.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// HTTP 400 `ThrottlingException`, as ECS throttles.
    Throttle,
    /// HTTP 429 `ThrottlingException`.
    TooManyRequests,
    /// HTTP 503 `ServiceUnavailableException`.
    Unavailable,
    /// HTTP 409 `ConditionalRequestConflict`, as S3 answers a conditional write that raced
    /// another one to the same key.
    S3ConditionalConflict,
}

/// The request id every injected answer carries, as AWS puts one on its errors too.
pub const INJECTED_REQUEST_ID: &str = "injected-by-the-test-proxy";

pub struct FaultProxy {
    pub url: String,
    pub faults_served: Arc<AtomicUsize>,
    pub forwarded: Arc<AtomicUsize>,
    /// The `x-amzn-RequestId` of every answer moto gave through the proxy, in order.
    pub upstream_request_ids: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP/1.1 message head and its `Content-Length` body.
async fn read_message(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, body)))
}

/// The value of a header of a message head, its name matched case-insensitively.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// The head with any `Connection` header replaced by `Connection: close`, so that every
/// exchange uses a connection of its own and the client never reuses one the proxy closed.
fn closing(head: &str) -> String {
    let mut out = String::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

fn fault_answer(fault: Fault) -> Vec<u8> {
    if let Fault::S3ConditionalConflict = fault {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting operation occurred. If using PutObject you can retry the request.</Message><RequestId>proxy</RequestId></Error>";
        return format!(
            "HTTP/1.1 409 Conflict\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes();
    }
    let (status, kind) = match fault {
        Fault::S3ConditionalConflict => ("409 Conflict", "ConditionalRequestConflict"),
        Fault::Throttle => ("400 Bad Request", "ThrottlingException"),
        Fault::TooManyRequests => ("429 Too Many Requests", "ThrottlingException"),
        Fault::Unavailable => ("503 Service Unavailable", "ServiceUnavailableException"),
    };
    let body = format!(r#"{{"__type":"{kind}","message":"injected by the test proxy"}}"#);
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-ErrorType: {kind}\r\nx-amzn-RequestId: {INJECTED_REQUEST_ID}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An `AccessDenied` answer in the query protocol (RDS, ElastiCache, ELB, Auto Scaling, EC2 read
/// the same `ErrorResponse` shape), as AWS answers a caller whose policy lacks the action.
fn denied_answer() -> Vec<u8> {
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/test is not authorized to perform this action (denied by the test proxy)</Message></Error><RequestId>proxy</RequestId></ErrorResponse>";
    format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nx-amzn-RequestId: {INJECTED_REQUEST_ID}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Whether a request is signed for `service` (its SigV4 credential scope names it).
fn signed_for(head: &str, service: &str) -> bool {
    header(head, "authorization")
        .is_some_and(|auth| auth.contains(&format!("/{service}/aws4_request")))
}

async fn handle(
    mut client: TcpStream,
    upstream: String,
    denied: Option<&'static str>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    served: Arc<AtomicUsize>,
    forwarded: Arc<AtomicUsize>,
    request_ids: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let Some((head, body)) = read_message(&mut client).await? else {
        return Ok(());
    };
    if denied.is_some_and(|service| signed_for(&head, service)) {
        served.fetch_add(1, Ordering::SeqCst);
        client.write_all(&denied_answer()).await?;
        return client.shutdown().await;
    }
    let fault = faults.lock().unwrap().pop_front();
    if let Some(fault) = fault {
        served.fetch_add(1, Ordering::SeqCst);
        client.write_all(&fault_answer(fault)).await?;
        return client.shutdown().await;
    }
    forwarded.fetch_add(1, Ordering::SeqCst);
    let mut moto = TcpStream::connect(&upstream).await?;
    moto.write_all(closing(&head).as_bytes()).await?;
    moto.write_all(&body).await?;
    let Some((answer_head, answer_body)) = read_message(&mut moto).await? else {
        return Ok(());
    };
    if let Some(id) = header(&answer_head, "x-amzn-requestid") {
        request_ids.lock().unwrap().push(id);
    }
    client.write_all(closing(&answer_head).as_bytes()).await?;
    client.write_all(&answer_body).await?;
    client.shutdown().await
}

/// Starts the proxy in front of `upstream` (`127.0.0.1:PORT`) with `faults` served first.
pub async fn start(upstream: String, faults: Vec<Fault>) -> FaultProxy {
    serve(upstream, None, faults).await
}

/// Starts the proxy in front of `upstream`, answering every request signed for `service` (the
/// SigV4 scope, e.g. `rds`) with `AccessDenied`, as for a caller whose policy lacks it.
pub async fn start_denying(upstream: String, service: &'static str) -> FaultProxy {
    serve(upstream, Some(service), Vec::new()).await
}

async fn serve(upstream: String, denied: Option<&'static str>, faults: Vec<Fault>) -> FaultProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let faults = Arc::new(Mutex::new(VecDeque::from(faults)));
    let served = Arc::new(AtomicUsize::new(0));
    let forwarded = Arc::new(AtomicUsize::new(0));
    let request_ids = Arc::new(Mutex::new(Vec::new()));
    let (s, f, r) = (served.clone(), forwarded.clone(), request_ids.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(handle(
                client,
                upstream.clone(),
                denied,
                faults.clone(),
                s.clone(),
                f.clone(),
                r.clone(),
            ));
        }
    });
    FaultProxy {
        url,
        faults_served: served,
        forwarded,
        upstream_request_ids: request_ids,
        task,
    }
}
