//! The seed-001 topology, seeded by the same script `make demo` uses, and the helpers a full
//! migration over the wire needs: a clock that does not wait, an HTTP server for the probe.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use migrate_engine::ports::{Clock, Sleep};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The ids `scripts/seed_demo.py` wrote.
pub type Ids = serde_json::Map<String, serde_json::Value>;

pub fn id(ids: &Ids, key: &str) -> String {
    ids[key].as_str().unwrap().to_string()
}

/// A moto server seeded with the seed-001 topology, the scratch directory holding the playbook
/// the seed wrote, and the ids. Dropping it stops the server and removes the directory.
pub struct Seeded {
    pub moto: migrate_moto::MotoServer,
    pub dir: tempfile::TempDir,
    pub ids: Ids,
    pub playbook: PathBuf,
}

/// Starts moto and seeds seed-001 for a full migration. moto's ECS starts no task: the server
/// reports two running tasks for every service (`MOTO_ECS_SERVICE_RUNNING`), so both services
/// ask for two, and the health gate sees them steady as it would on AWS. `extra` adds arguments
/// of `seed_demo.py` (e.g. `--set min_wait=0s`).
pub fn seed_001_with_two_tasks(extra: &[&str]) -> Seeded {
    let moto = migrate_moto::MotoServer::builder()
        .env("MOTO_ECS_SERVICE_RUNNING", "2")
        .start()
        .expect("moto server starts (run `make venv`)");
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--web-desired",
        "2",
        "--worker-desired",
        "2",
        "--set",
        "desired_count=2",
    ];
    args.extend_from_slice(extra);
    let (ids, playbook) = seed(&moto.url(), dir.path(), &args);
    Seeded {
        moto,
        dir,
        ids,
        playbook,
    }
}

/// Runs `scripts/seed_demo.py` with the virtualenv's Python against `endpoint`; answers the
/// ids and the path of the playbook it wrote into `out`.
pub fn seed(endpoint: &str, out: &Path, extra: &[&str]) -> (Ids, PathBuf) {
    seed_playbook(endpoint, out, "demo.yaml", extra)
}

/// Runs `scripts/seed_demo.py` for `playbook` (a file of `playbooks/`), with `extra` arguments
/// (e.g. `--kind asg`).
pub fn seed_playbook(endpoint: &str, out: &Path, playbook: &str, extra: &[&str]) -> (Ids, PathBuf) {
    let python = migrate_moto::server_path().with_file_name("python");
    let status = std::process::Command::new(&python)
        .arg(repo_root().join("scripts/seed_demo.py"))
        .args(["--endpoint-url", endpoint, "--out"])
        .arg(out)
        .arg("--playbook")
        .arg(repo_root().join("playbooks").join(playbook))
        .args(extra)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the virtualenv's python runs (run `make venv`)");
    assert!(status.success(), "seed_demo.py failed");
    let ids: Ids =
        serde_json::from_str(&std::fs::read_to_string(out.join("ids.json")).unwrap()).unwrap();
    (ids, out.join(playbook))
}

/// Starts moto (two running tasks per ECS service, as for seed 001) and seeds the topology of
/// `kind` (`asg` or `beanstalk`) with its playbook (`playbooks/<kind>.yaml`).
pub fn seed_kind(kind: &str, extra: &[&str]) -> Seeded {
    let moto = migrate_moto::MotoServer::builder()
        .env("MOTO_ECS_SERVICE_RUNNING", "2")
        .start()
        .expect("moto server starts (run `make venv`)");
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--kind", kind];
    args.extend_from_slice(extra);
    let (ids, playbook) = seed_playbook(&moto.url(), dir.path(), &format!("{kind}.yaml"), &args);
    Seeded {
        moto,
        dir,
        ids,
        playbook,
    }
}

/// `scripts/beanstalk_standin.py`: Elastic Beanstalk's API (which moto lacks) in front of a moto
/// server, serving the environments of an `ids.json`; every other request goes on to moto.
/// Dropping it stops the process.
pub struct BeanstalkStandIn {
    child: std::process::Child,
    pub url: String,
}

impl BeanstalkStandIn {
    pub fn start(moto: &str, ids: &Path) -> Self {
        use std::io::BufRead;
        let python = migrate_moto::server_path().with_file_name("python");
        let mut child = std::process::Command::new(&python)
            .arg(repo_root().join("scripts/beanstalk_standin.py"))
            .args(["--moto", moto, "--ids"])
            .arg(ids)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the virtualenv's python runs (run `make venv`)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the Beanstalk stand-in did not start: {line:?}"))
            .to_string();
        Self { child, url }
    }
}

impl Drop for BeanstalkStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A clock that runs the engine's waits in virtual time, while every call still goes over the
/// wire to moto. A short sleep (a poll, a back-off, a consistency wait: up to [`SHORT`]) moves
/// the clock forward at once. A long sleep is a deadline timer racing a step: it ends only when
/// the short sleeps of that step have moved the clock past it, as it would in real time.
#[derive(Debug, Default)]
pub struct FastClock {
    offset_ms: AtomicI64,
}

/// The longest sleep that moves the clock by itself.
pub const SHORT: Duration = Duration::from_secs(300);

impl Clock for FastClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4);
        if duration <= SHORT {
            self.offset_ms.fetch_add(ms, Ordering::SeqCst);
            // A real pause, short, so that background tasks (the test acting as ECS) get to run.
            return Box::pin(tokio::time::sleep(Duration::from_millis(5)));
        }
        let wake = self.now() + chrono::Duration::milliseconds(ms);
        Box::pin(async move {
            while self.now() < wake {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    }
}

/// An HTTP server on loopback that answers `200` to every request: the application behind the
/// new load balancer, which moto does not run.
pub async fn app_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    url
}

/// An HTTP server standing in for the load balancer named `lb_name` in moto, which serves no
/// traffic: each probe names its listener in `X-Forwarded-Port` (as the probe's override sends
/// it), and the stand-in answers as that listener's default action would in ALB: its redirect,
/// with `#{...}` filled from the request
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions>),
/// `ok` for a forward, `502` when moto has no such listener. The health gate's redirect checks
/// are thereby checked against what apply created in moto.
pub async fn front_end_server(sdk: aws_types::SdkConfig, lb_name: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let elb = elb.clone();
            let lb_name = lb_name.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let answer = answer_as_listener(&elb, &lb_name, &request).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

async fn answer_as_listener(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lb_name: &str,
    request: &str,
) -> String {
    let header = |name: &str| {
        request.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let path = request
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let host = header("Host").unwrap_or_default();
    let port: i32 = header("X-Forwarded-Port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(80);
    let proto = header("X-Forwarded-Proto").unwrap_or_else(|| "http".into());
    let bad = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let Ok(lbs) = elb.describe_load_balancers().names(lb_name).send().await else {
        return bad.into();
    };
    let Some(lb_arn) = lbs
        .load_balancers()
        .first()
        .and_then(|l| l.load_balancer_arn())
    else {
        return bad.into();
    };
    let Ok(listeners) = elb
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
    else {
        return bad.into();
    };
    let Some(listener) = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(port))
    else {
        return bad.into();
    };
    match listener
        .default_actions()
        .first()
        .and_then(|a| a.redirect_config())
    {
        Some(redirect) => {
            let fill = |value: Option<&str>, own: &str| match value {
                None => own.to_string(),
                Some(v) => v
                    .replace("#{protocol}", own)
                    .replace("#{host}", &host)
                    .replace("#{port}", &port.to_string())
                    .replace("#{path}", path.trim_start_matches('/')),
            };
            let to_proto = fill(redirect.protocol(), &proto).to_ascii_lowercase();
            let to_host = fill(redirect.host(), &host);
            let to_port = fill(redirect.port(), &port.to_string());
            let to_path = fill(redirect.path(), path.trim_start_matches('/'));
            let to_path = format!("/{}", to_path.trim_start_matches('/'));
            let status = match redirect.status_code().map(|c| c.as_str()) {
                Some("HTTP_302") => "302 Found",
                _ => "301 Moved Permanently",
            };
            format!(
                "HTTP/1.1 {status}\r\nLocation: {to_proto}://{to_host}:{to_port}{to_path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        None => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".into(),
    }
}

/// Acts as ECS would for a Fargate service behind a target group: once the target group named
/// `name` exists, registers two task IPs in it. moto's ECS starts no task and registers nothing.
pub fn act_as_ecs(sdk: aws_types::SdkConfig, name: String) -> tokio::task::JoinHandle<()> {
    act_as_ecs_on_port(sdk, name, 80)
}

/// [`act_as_ecs`] for tasks whose web container listens on `port`.
pub fn act_as_ecs_on_port(
    sdk: aws_types::SdkConfig,
    name: String,
    port: i32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
        loop {
            if let Ok(out) = elb.describe_target_groups().names(&name).send().await {
                if let Some(arn) = out
                    .target_groups()
                    .first()
                    .and_then(|t| t.target_group_arn())
                {
                    let target = |ip: &str| {
                        aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                            .id(ip)
                            .port(port)
                            .build()
                    };
                    elb.register_targets()
                        .target_group_arn(arn)
                        .targets(target("10.0.0.21"))
                        .targets(target("10.0.1.22"))
                        .send()
                        .await
                        .unwrap();
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}
