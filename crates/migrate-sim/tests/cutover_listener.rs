//! The `listener` strategy (issue 12 item 1): traffic moves on the old load balancer's listeners
//! by weighted forwards to the bridge target group, then the records move. Clients that keep the
//! old DNS answer for an hour (a JVM's cache) are served by the new side through the old load
//! balancer, so no request fails and the drain need not wait for them; a rollback puts every
//! listener action back exactly as it was.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use migrate_engine::ports::{
    HealthCheck, ListenerProtocol, ListenerSpec, LoadBalancerSpec, RuleAction, Tags,
    TargetGroupSpec, WeightedTargetGroup,
};
use migrate_plan::Plan;
use migrate_playbook::{CutoverStrategy, Playbook};
use migrate_sim::audit::DnsTarget;
use migrate_sim::harness::{self, Afterwards, Crash, RunReport, Scenario};
use migrate_sim::{CrashPoint, FaultProfile, Simulation, Topology};

fn listener_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    playbook.cutover.strategy = CutoverStrategy::Listener {
        steps: vec![10, 50, 100],
        bake: Duration::from_secs(60),
    };
    migrate_plan::build(&playbook)
}

/// The default profile with a sixth of the clients keeping their DNS answer for an hour.
fn hour_long_caches() -> FaultProfile {
    FaultProfile {
        sticky_clients: 0.15,
        sticky_hold_ms: 3_600_000,
        ..FaultProfile::default_profile()
    }
}

fn run(plan: &Plan, scenario: &Scenario) -> RunReport {
    harness::run_on(plan, scenario, Topology::from_plan(plan).unwrap()).unwrap()
}

#[test]
fn the_plan_ramps_on_the_listeners_and_lowers_no_ttl() {
    let plan = listener_plan();
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    let position = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    assert!(!ids.contains(&"lower-ttl"), "{ids:?}");
    assert!(position("create-bridge-target-group") < position("create-service:web"));
    assert!(position("verify-health") < position("shift-listener:10"));
    assert!(position("shift-listener:100") < position("cutover-dns"));
    assert!(position("cutover-dns") < position("drain"));
}

#[test]
fn clients_that_ignore_the_ttl_for_an_hour_lose_no_request() {
    let plan = listener_plan();
    for seed in 1..=4 {
        let r = run(&plan, &Scenario::new(seed, hour_long_caches()));
        r.completed_without_failed_requests()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(r.audit.dns_target, DnsTarget::New, "seed {seed}");
        assert!(
            r.audit.old_listeners_changed,
            "seed {seed}: after the migration the old load balancer forwards to the bridge"
        );
        assert!(
            r.traffic.new.served > 0 && r.traffic.old.served > 0,
            "seed {seed}"
        );
    }
}

#[test]
fn a_rollback_after_the_migration_or_from_a_crash_in_the_ramp_puts_the_listeners_back_exactly() {
    let plan = listener_plan();
    let mut rolled_back = 0;
    // A completed migration rolled back, then crashes at calls spread over the apply, each
    // rolled back instead of resumed.
    let mut scenarios = vec![Scenario {
        afterwards: Afterwards::Rollback,
        ..Scenario::new(7, FaultProfile::none())
    }];
    for call in (40..200).step_by(8) {
        scenarios.push(Scenario {
            crash: Crash::AtCall(CrashPoint::at_call(call, call % 16 == 0)),
            afterwards: Afterwards::RollbackInsteadOfResume,
            ..Scenario::new(7, FaultProfile::none())
        });
    }
    for scenario in scenarios {
        let r = run(&plan, &scenario);
        let Some(rollback) = &r.rollback else {
            continue;
        };
        rollback
            .clone()
            .unwrap_or_else(|e| panic!("{:?}: the rollback failed: {e}", scenario.crash));
        rolled_back += 1;
        assert!(
            !r.audit.old_listeners_changed,
            "{:?}: the old load balancer's listeners differ from before the migration",
            scenario.crash
        );
        assert_eq!(r.audit.dns_target, DnsTarget::Old, "{:?}", scenario.crash);
        r.traffic
            .none_failed()
            .unwrap_or_else(|e| panic!("{:?}: {e}", scenario.crash));
    }
    assert!(rolled_back >= 10, "only {rolled_back} rollbacks ran");
}

#[tokio::test(start_paused = true)]
async fn the_old_load_balancer_refuses_the_new_load_balancers_target_group() {
    // What the bridge target group exists for: ELB refuses a forward from the old load
    // balancer to the group the new one already forwards to (TargetGroupAssociationLimit), so
    // a ramp that shared the new load balancer's group would fail on AWS; moto accepts it.
    let plan = listener_plan();
    let sim = Simulation::instant(Topology::from_plan(&plan).unwrap());
    let cloud = sim.cloud();
    let old_lb = cloud
        .load_balancing
        .find_load_balancer(&plan.playbook.source.load_balancer.clone().unwrap())
        .await
        .unwrap()
        .unwrap();
    let vpc = plan.playbook.network.vpc.clone();
    let spec = |name: &str| TargetGroupSpec {
        name: name.into(),
        vpc_id: vpc.clone(),
        port: 80,
        target_type: "ip".into(),
        health_check: HealthCheck {
            path: "/".into(),
            matcher: "200".into(),
            interval_secs: 10,
            timeout_secs: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 2,
        },
        deregistration_delay_secs: 30,
        tags: Tags::new(),
    };
    let shared = cloud
        .load_balancing
        .create_target_group(&spec("shared"))
        .await
        .unwrap();
    let bridge = cloud
        .load_balancing
        .create_target_group(&spec("bridge"))
        .await
        .unwrap();
    let new_lb = cloud
        .load_balancing
        .create_load_balancer(&LoadBalancerSpec {
            name: "new".into(),
            subnets: plan.playbook.network.subnets.clone(),
            security_groups: old_lb.security_groups.clone(),
            internal: false,
            ip_address_type: "ipv4".into(),
            tags: Tags::new(),
        })
        .await
        .unwrap();
    cloud
        .load_balancing
        .create_listener(&ListenerSpec {
            load_balancer_arn: new_lb.arn.clone(),
            port: 80,
            protocol: ListenerProtocol::Http,
            certificate_arn: None,
            target_group_arn: shared.arn.clone(),
            tags: Tags::new(),
        })
        .await
        .unwrap();
    let listener = cloud.load_balancing.listeners(&old_lb.arn).await.unwrap()[0]
        .arn
        .clone();
    let forward_to = |arn: &str| {
        vec![RuleAction::Forward {
            target_groups: vec![WeightedTargetGroup {
                arn: arn.into(),
                weight: Some(10),
            }],
            stickiness_secs: None,
        }]
    };
    let refused = cloud
        .load_balancer_behaviour
        .set_listener_default_actions(&listener, &forward_to(&shared.arn))
        .await
        .expect_err("the new load balancer's group must not be accepted");
    assert!(
        refused.message.contains("TargetGroupAssociationLimit"),
        "{refused:?}"
    );
    cloud
        .load_balancer_behaviour
        .set_listener_default_actions(&listener, &forward_to(&bridge.arn))
        .await
        .unwrap();
}
