//! The new load balancer behaves as the old one (issue 15, item 2), on an old load balancer with
//! an HTTP→HTTPS redirect, a host rule that redirects `www.` to the apex, a path rule behind
//! Cognito authentication, an SNI certificate, attributes and a WAF web ACL:
//! - the full copy migrates with no failed request, every client answered as the old side
//!   answered it, and its rollback leaves nothing behind;
//! - mutation: the plan without `copy-load-balancer-behaviour` (the new load balancer forwards
//!   everything, as before this step existed) never passes the health gate, which probes the old
//!   HTTP listener's redirect;
//! - mutation: on an old load balancer without the redirect, the same plan passes the health
//!   gate, and the clients of the `www.` host rule and of the Cognito path rule fail.
//!
//! `MIGRATE_SIM_SEEDS=N` sets how many seeds each property runs.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use migrate_engine::ports::{ListenerRule, RuleAction, RuleCondition, WeightedTargetGroup};
use migrate_plan::{Action, Plan};
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, Afterwards, RunReport, Scenario};
use migrate_sim::world::front_end::{FrontEnd, OLD_TARGET_GROUP};
use migrate_sim::world::listener_rules::ClientRequest;
use migrate_sim::{FaultProfile, Topology};

const DEFAULT_CERT: &str =
    "arn:aws:acm:ap-northeast-1:123456789012:certificate/5eed0001-0000-4000-8000-000000000001";
const WWW_CERT: &str =
    "arn:aws:acm:ap-northeast-1:123456789012:certificate/5eed0002-0000-4000-8000-000000000002";
const USER_POOL: &str =
    "arn:aws:cognito-idp:ap-northeast-1:123456789012:userpool/ap-northeast-1_shop";

fn demo_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    migrate_plan::build(&playbook)
}

fn seeds(default: u64) -> Vec<u64> {
    let n = std::env::var("MIGRATE_SIM_SEEDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default);
    (1..=n).collect()
}

/// The demo's account, its old load balancer given a front end beyond plain forwards.
fn topology_with_a_front_end(plan: &Plan) -> Topology {
    let mut topology = Topology::from_plan(plan).unwrap();
    let fqdn = topology.fqdn.clone();
    let www = format!("www.{fqdn}");
    topology.old_certificate_arn = Some(DEFAULT_CERT.into());
    let forward_old = RuleAction::Forward {
        target_groups: vec![WeightedTargetGroup {
            arn: OLD_TARGET_GROUP.into(),
            weight: None,
        }],
        stickiness_secs: None,
    };
    let condition = |field: &str, value: &str| RuleCondition {
        field: field.into(),
        http_header_name: None,
        values: vec![value.into()],
    };
    let request = |https: bool, host: &str, path: &str| ClientRequest {
        https,
        host: host.into(),
        path: path.into(),
    };
    topology.old_front_end = Some(FrontEnd {
        internal: false,
        ip_address_type: "dualstack".into(),
        http_redirects_to_https: true,
        rules: vec![
            ListenerRule {
                priority: 10,
                conditions: vec![condition("host-header", &www)],
                actions: vec![RuleAction::Redirect {
                    protocol: Some("HTTPS".into()),
                    port: Some("443".into()),
                    host: Some(fqdn.clone()),
                    path: Some("/#{path}".into()),
                    query: Some("#{query}".into()),
                    status_code: "HTTP_301".into(),
                }],
            },
            ListenerRule {
                priority: 20,
                conditions: vec![condition("path-pattern", "/admin*")],
                actions: vec![
                    RuleAction::AuthenticateCognito {
                        user_pool_arn: USER_POOL.into(),
                        user_pool_client_id: "shopadminclient".into(),
                        user_pool_domain: "shop-admin".into(),
                        session_cookie_name: None,
                        scope: None,
                        session_timeout: None,
                        on_unauthenticated_request: None,
                        extra_params: BTreeMap::new(),
                    },
                    forward_old,
                ],
            },
        ],
        sni_certificates: vec![WWW_CERT.into()],
        ssl_policy: Some("ELBSecurityPolicy-TLS13-1-2-2021-06".into()),
        certificate_names: BTreeMap::from([
            (DEFAULT_CERT.to_string(), vec![fqdn.clone()]),
            (WWW_CERT.to_string(), vec![www.clone()]),
        ]),
        attributes: BTreeMap::from([(
            "idle_timeout.timeout_seconds".to_string(),
            "120".to_string(),
        )]),
        target_group_attributes: BTreeMap::from([
            ("stickiness.enabled".to_string(), "true".to_string()),
            ("stickiness.type".to_string(), "lb_cookie".to_string()),
        ]),
        web_acl: Some("arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/shop/1111".into()),
        requests: vec![
            request(false, &fqdn, "/"),
            request(true, &fqdn, "/"),
            request(true, &www, "/products"),
            request(true, &fqdn, "/admin/orders"),
            request(false, &www, "/"),
            request(true, &fqdn, "/cart"),
        ],
    });
    topology
}

fn run(plan: &Plan, seed: u64, afterwards: Afterwards) -> RunReport {
    let mut scenario = Scenario::new(seed, FaultProfile::none());
    scenario.afterwards = afterwards;
    harness::run_on(plan, &scenario, topology_with_a_front_end(plan))
        .unwrap_or_else(|e| panic!("seed {seed}: the simulation could not run: {e}"))
}

fn without_the_copy(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    let before = plan.steps.len();
    plan.steps
        .retain(|s| !matches!(s.action, Action::CopyLoadBalancerBehaviour));
    assert_eq!(
        plan.steps.len() + 1,
        before,
        "the demo plan copies the behaviour"
    );
    for step in &mut plan.steps {
        step.depends_on
            .retain(|d| d != "copy-load-balancer-behaviour");
    }
    plan
}

#[test]
fn the_copied_front_end_answers_every_client_as_the_old_one() {
    let plan = demo_plan();
    for seed in seeds(3) {
        let r = run(&plan, seed, Afterwards::Nothing);
        assert!(r.apply.is_ok(), "seed {seed}: {:?}", r.apply);
        assert_eq!(
            r.traffic.failed(),
            0,
            "seed {seed}: first failures {:?}",
            r.traffic.first_failures
        );
        assert!(
            r.traffic.new.served > 0,
            "seed {seed}: the new path served nothing"
        );
    }
}

#[test]
fn the_copy_is_undone_by_the_rollback() {
    let plan = demo_plan();
    for seed in seeds(2) {
        let r = run(&plan, seed, Afterwards::Rollback);
        assert_eq!(r.rollback, Some(Ok(())), "seed {seed}");
        assert!(
            r.audit.inventory.is_empty(),
            "seed {seed}: left behind {:?}",
            r.audit.inventory
        );
        assert_eq!(
            r.traffic.failed(),
            0,
            "seed {seed}: {:?}",
            r.traffic.first_failures
        );
    }
}

#[test]
fn mutation_without_the_copy_never_passes_the_redirect_probe() {
    let plan = without_the_copy(&demo_plan());
    for seed in seeds(3) {
        let r = run(&plan, seed, Afterwards::Nothing);
        // The health gate probes the old HTTP listener and is answered a page where the old one
        // redirected: it never passes, and no client is sent to the new side.
        let error = r.apply.as_ref().expect_err("the apply must not complete");
        assert!(
            error.contains("expected the old listener's redirect"),
            "seed {seed}: {error}"
        );
        assert_eq!(r.dns_changes, 0, "seed {seed}");
    }
}

/// Without the HTTP redirect the health gate's probes (the record's own name, the health check
/// path) are answered alike by a new load balancer with or without the rules.
#[test]
fn mutation_without_the_rules_fails_the_clients_of_the_host_and_path_rules() {
    let plan = without_the_copy(&demo_plan());
    for seed in seeds(3) {
        let mut scenario = Scenario::new(seed, FaultProfile::none());
        scenario.afterwards = Afterwards::Nothing;
        let mut topology = topology_with_a_front_end(&plan);
        if let Some(front_end) = topology.old_front_end.as_mut() {
            front_end.http_redirects_to_https = false;
        }
        let r = harness::run_on(&plan, &scenario, topology).unwrap();
        assert!(r.apply.is_ok(), "seed {seed}: {:?}", r.apply);
        assert!(
            r.traffic.new.failed > 0,
            "seed {seed}: clients of the www. host and /admin were answered as before: {:?}",
            r.traffic
        );
        assert!(
            r.traffic
                .first_failures
                .iter()
                .all(|f| f.reason.contains("did not answer as the old one")),
            "seed {seed}: {:?}",
            r.traffic.first_failures
        );
    }
}
