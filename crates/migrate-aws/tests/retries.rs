//! Throttling and 5xx answers are retried by the SDK configuration `config::loader` builds:
//! a fault-injecting proxy on loopback sits between the adapter and moto.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::proxy::{self, Fault};
use migrate_aws::TcpProbe;
use migrate_engine::ports::{ClusterSpec, ErrorKind, SystemClock};
use migrate_moto::MotoServer;

async fn through_proxy(
    moto: &MotoServer,
    faults: Vec<Fault>,
) -> (proxy::FaultProxy, migrate_aws::Connection) {
    let proxy = proxy::start(format!("127.0.0.1:{}", moto.port()), faults).await;
    let sdk = common::sdk_config(&proxy.url).await;
    let conn =
        migrate_aws::from_sdk_config(&sdk, Arc::new(TcpProbe::default()), Arc::new(SystemClock));
    (proxy, conn)
}

fn spec() -> ClusterSpec {
    ClusterSpec {
        name: "shop-fargate".into(),
        container_insights: true,
        tags: common::tags("create-cluster"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_503_are_retried_until_the_call_succeeds() {
    let moto = MotoServer::start().expect("moto server starts (run `make venv`)");
    let faults = vec![
        Fault::Throttle,
        Fault::Unavailable,
        Fault::TooManyRequests,
        Fault::Unavailable,
    ];
    let (proxy, conn) = through_proxy(&moto, faults).await;

    let cluster = conn.cloud.containers.create_cluster(&spec()).await.unwrap();
    assert_eq!(cluster.status, "ACTIVE");
    assert_eq!(proxy.faults_served.load(Ordering::SeqCst), 4);
    assert_eq!(
        proxy.forwarded.load(Ordering::SeqCst),
        1,
        "exactly one request reached moto"
    );

    // One call, five attempts: four answered by the faults, the fifth by moto.
    let counts = conn.calls.snapshot();
    let create = counts[&("ecs".to_string(), "CreateCluster".to_string())];
    assert_eq!((create.calls, create.attempts), (1, 5));

    // Independently of the adapter: the cluster exists once.
    let sdk = common::sdk_config(&moto.url()).await;
    let listed = aws_sdk_ecs::Client::new(&sdk)
        .list_clusters()
        .send()
        .await
        .unwrap();
    assert_eq!(listed.cluster_arns().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_are_bounded_and_the_last_error_is_typed() {
    let moto = MotoServer::start().expect("moto server starts (run `make venv`)");
    let (proxy, conn) = through_proxy(&moto, vec![Fault::Unavailable; 20]).await;
    let err = conn
        .cloud
        .containers
        .find_cluster("shop-fargate")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::ServerError, "{err}");
    assert_eq!(err.operation, "ecs:DescribeClusters");
    assert!(err.message.contains("ServiceUnavailableException"), "{err}");
    assert_eq!(
        proxy.faults_served.load(Ordering::SeqCst),
        migrate_aws::config::MAX_ATTEMPTS as usize
    );
    assert_eq!(proxy.forwarded.load(Ordering::SeqCst), 0);

    let (proxy, conn) = through_proxy(&moto, vec![Fault::Throttle; 20]).await;
    let err = conn
        .cloud
        .containers
        .find_cluster("shop-fargate")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert!(err.kind.is_transient());
    assert_eq!(
        proxy.faults_served.load(Ordering::SeqCst),
        migrate_aws::config::MAX_ATTEMPTS as usize
    );
}
