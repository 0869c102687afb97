//! Every AWS call attempt is logged with its service, operation, attempt number, outcome and the
//! request id AWS answered with: a throttled attempt (answered by a fault-injecting proxy) and
//! its retry (answered by moto) against the events a capturing subscriber saw.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::proxy::{self, Fault, INJECTED_REQUEST_ID};
use migrate_aws::TcpProbe;
use migrate_engine::ports::{ClusterSpec, SystemClock};
use migrate_moto::MotoServer;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

type Fields = BTreeMap<String, String>;

/// Keeps the fields of every event `migrate_aws` emits.
#[derive(Clone, Default)]
struct Capture {
    events: Arc<Mutex<Vec<Fields>>>,
}

struct FieldVisitor<'a>(&'a mut Fields);

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if !metadata.target().starts_with("migrate_aws") {
            return;
        }
        let mut fields = Fields::new();
        fields.insert("level".into(), metadata.level().to_string());
        event.record(&mut FieldVisitor(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
}

// A current-thread runtime, so that the subscriber set for this thread sees every event: the
// SDK's calls and the proxy's tasks all run on it.
#[tokio::test(flavor = "current_thread")]
async fn each_attempt_is_logged_with_its_request_id_and_outcome() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let moto = MotoServer::start().expect("moto server starts (run `make venv`)");
    let proxy = proxy::start(format!("127.0.0.1:{}", moto.port()), vec![Fault::Throttle]).await;
    let sdk = common::sdk_config(&proxy.url).await;
    let conn =
        migrate_aws::from_sdk_config(&sdk, Arc::new(TcpProbe::default()), Arc::new(SystemClock));

    let spec = ClusterSpec {
        name: "shop-fargate".into(),
        container_insights: true,
        tags: common::tags("create-cluster"),
    };
    conn.cloud.containers.create_cluster(&spec).await.unwrap();

    let attempts: Vec<Fields> = capture
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.get("operation").map(String::as_str) == Some("CreateCluster"))
        .cloned()
        .collect();
    assert_eq!(attempts.len(), 2, "one event per attempt: {attempts:#?}");
    let field = |i: usize, name: &str| attempts[i].get(name).cloned().unwrap_or_default();

    for i in 0..2 {
        assert_eq!(field(i, "level"), "DEBUG");
        assert_eq!(field(i, "service"), "ecs");
        assert_eq!(field(i, "attempt"), (i + 1).to_string());
    }
    assert_eq!(field(0, "outcome"), "service error");
    assert_eq!(field(0, "status"), "400");
    assert_eq!(field(0, "request_id"), INJECTED_REQUEST_ID);

    // The retry reached moto: its event carries the very id moto put on its answer.
    let upstream = proxy.upstream_request_ids.lock().unwrap().clone();
    assert_eq!(upstream.len(), 1, "{upstream:?}");
    assert_eq!(field(1, "outcome"), "ok");
    assert_eq!(field(1, "status"), "200");
    assert_eq!(field(1, "request_id"), upstream[0]);

    // Headers only: nothing of the request (the cluster's tags) or the answer is in an event.
    for event in &attempts {
        for value in event.values() {
            assert!(
                !value.contains("shop-fargate") && !value.contains("clusterArn"),
                "{event:?}"
            );
        }
    }
}
