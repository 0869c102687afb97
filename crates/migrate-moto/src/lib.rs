//! Test support: a moto server on a free loopback port, stopped when dropped.
//!
//! The server comes from the project's virtualenv (`make venv`), found through
//! `MOTO_SERVER_BIN` or at `$HOME/.cache/migrate/venv/bin/moto_server`. Each test starts its own
//! server, so tests share no state and may run in parallel.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer after it was started. moto imports every service's
/// models at start-up, which takes a few seconds on a busy two-core machine.
const STARTUP: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error(
        "moto server not found at {0}: run `make venv` (or set MOTO_SERVER_BIN to a moto_server)"
    )]
    NotInstalled(PathBuf),
    #[error("could not start moto server {path}: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("moto server exited before it answered ({0})")]
    Exited(String),
    #[error("moto server did not answer on {0} within {STARTUP:?}")]
    NoAnswer(SocketAddr),
    #[error("no free loopback port: {0}")]
    NoPort(std::io::Error),
    #[error("moto request {what} failed: {message}")]
    Request { what: String, message: String },
}

/// Where the moto server binary is: `MOTO_SERVER_BIN`, else the project's virtualenv.
pub fn server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/migrate/venv/bin/moto_server")
}

/// Options for a server: environment variables moto reads at start-up.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    env: Vec<(String, String)>,
}

impl Builder {
    /// Sets an environment variable of the server process, e.g. `MOTO_ECS_SERVICE_RUNNING`.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn start(self) -> Result<MotoServer, MotoError> {
        let path = server_path();
        if !path.exists() {
            return Err(MotoError::NotInstalled(path));
        }
        let port = free_port()?;
        let mut command = Command::new(&path);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let child = command.spawn().map_err(|source| MotoError::Spawn {
            path: path.clone(),
            source,
        })?;
        let mut server = MotoServer {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        };
        server.wait_ready()?;
        Ok(server)
    }
}

/// A running moto server. Dropping it kills the process.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
}

fn free_port() -> Result<u16, MotoError> {
    // The port is free when asked; another process could take it before moto binds it, which
    // shows as a server that exits at once and is reported as such.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(MotoError::NoPort)?;
    let port = listener.local_addr().map_err(MotoError::NoPort)?.port();
    Ok(port)
}

impl MotoServer {
    /// Starts a server with moto's defaults.
    pub fn start() -> Result<Self, MotoError> {
        Builder::default().start()
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:PORT`, to give the SDK as endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The process id, for tests that need to tell moto apart from other processes.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_ready(&mut self) -> Result<(), MotoError> {
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(MotoError::Exited(status.to_string()));
            }
            if self.request("GET", "/moto-api/data.json").is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(MotoError::NoAnswer(self.addr))
    }

    /// One plain HTTP request to moto's own API; answers the status code.
    fn request(&self, method: &str, path: &str) -> Result<u16, MotoError> {
        let what = format!("{method} {path}");
        let fail = |message: String| MotoError::Request {
            what: what.clone(),
            message,
        };
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))
            .map_err(|e| fail(e.to_string()))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| fail(e.to_string()))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .map_err(|e| fail(e.to_string()))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .map_err(|e| fail(e.to_string()))?;
        let head = String::from_utf8_lossy(&answer[..answer.len().min(64)]).into_owned();
        head.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| fail(format!("no status line in {head:?}")))
    }

    /// Forgets every resource (moto's `/moto-api/reset`).
    pub fn reset(&self) -> Result<(), MotoError> {
        match self.request("POST", "/moto-api/reset")? {
            200 => Ok(()),
            status => Err(MotoError::Request {
                what: "POST /moto-api/reset".into(),
                message: format!("HTTP {status}"),
            }),
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // The server is our child; killing it by its own handle touches nothing else.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_server_says_to_run_make_venv() {
        let err = MotoError::NotInstalled(PathBuf::from("/nowhere/moto_server"));
        assert!(err.to_string().contains("make venv"));
    }
}
