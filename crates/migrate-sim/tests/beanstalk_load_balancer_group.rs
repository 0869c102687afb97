//! The new load balancer of a Beanstalk source gets a security group of its own (issue 15,
//! item 5): Elastic Beanstalk's load balancer group sends only to port 80, and the environment
//! cannot terminate while a group it made is used by another load balancer or named by another
//! group's rule. The mutations: the plan without `create-load-balancer-security-group` (the new
//! load balancer in Elastic Beanstalk's group, as before), and the step without the copy of the
//! clients the old group admits.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use migrate_engine::cleanup::Cleaner;
use migrate_engine::{NullReporter, RunOutcome};
use migrate_journal::MemoryStore;
use migrate_plan::{Action, Plan};
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, RunReport, Scenario};
use migrate_sim::{FaultProfile, LeftOut, Simulation, Topology};

use engine_support::{apply, planned_store};

const STEP: &str = "create-load-balancer-security-group";
const SEEDS: [u64; 2] = [1, 2];
const SOAK: Duration = Duration::from_secs(3600);

fn beanstalk_playbook() -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/beanstalk.yaml");
    let mut playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    playbook.cleanup.soak = SOAK;
    playbook
}

/// The beanstalk playbook with the web container on 8080, as a Node or Python app without
/// Beanstalk's nginx in front listens.
fn on_port_8080() -> Playbook {
    let mut playbook = beanstalk_playbook();
    for service in &mut playbook.target.services {
        if let Some(web) = service.web.as_mut() {
            web.port = 8080;
        }
    }
    playbook
}

/// The plan as the tool made it before: no group of the new load balancer's own, so it is
/// created in the old load balancer's (Elastic Beanstalk's) groups.
fn in_beanstalks_group(mut plan: Plan) -> Plan {
    assert!(
        plan.steps.iter().any(|s| s.id == STEP),
        "a beanstalk plan gives the new load balancer its own group"
    );
    plan.steps
        .retain(|s| s.action != Action::CreateLoadBalancerSecurityGroup);
    for step in &mut plan.steps {
        step.depends_on.retain(|d| d != STEP);
    }
    plan
}

fn completed_without_a_failed_request(r: &RunReport) -> Result<(), String> {
    r.apply
        .clone()
        .map_err(|e| format!("the apply did not complete: {e}"))?;
    if r.traffic.failed() > 0 {
        return Err(format!(
            "{} requests failed: {:?}",
            r.traffic.failed(),
            r.traffic.first_failures.first().map(|f| &f.reason)
        ));
    }
    Ok(())
}

fn run(plan: &Plan, left_out: Vec<LeftOut>, seed: u64) -> RunReport {
    let scenario = Scenario {
        left_out,
        ..Scenario::new(seed, FaultProfile::none())
    };
    harness::run_on(plan, &scenario, Topology::from_plan(plan).unwrap()).unwrap()
}

#[test]
fn with_its_own_group_a_service_on_another_port_serves_every_request() {
    let plan = migrate_plan::build(&on_port_8080());
    for seed in SEEDS {
        completed_without_a_failed_request(&run(&plan, vec![], seed))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn mutation_in_beanstalks_group_the_service_on_another_port_is_never_reached() {
    let plan = in_beanstalks_group(migrate_plan::build(&on_port_8080()));
    for seed in SEEDS {
        let r = run(&plan, vec![], seed);
        match completed_without_a_failed_request(&r) {
            Ok(()) => panic!("seed {seed}: Beanstalk's port-80-only group went unnoticed"),
            // The targets never pass their health check through a group that cannot send to
            // them, so the health gate stops the apply.
            Err(why) => assert!(why.contains("did not complete"), "seed {seed}: {why}"),
        }
    }
}

#[test]
fn mutation_without_copying_the_clients_the_health_gate_stops_before_traffic_moves() {
    let plan = migrate_plan::build(&beanstalk_playbook());
    for seed in SEEDS {
        let r = run(&plan, vec![LeftOut::CopyLoadBalancerIngress], seed);
        match completed_without_a_failed_request(&r) {
            Ok(()) => panic!("seed {seed}: a load balancer admitting no client went unnoticed"),
            // The health gate's probes are clients too: it stops before any traffic moves.
            Err(why) => assert!(
                why.contains("did not complete") && why.contains("admit no client"),
                "seed {seed}: {why}"
            ),
        }
        assert_eq!(r.traffic.failed(), 0, "seed {seed}: {:?}", r.traffic);
    }
}

/// Applies `plan`, lets the soak pass, and runs the whole clean-up.
async fn apply_then_clean_up(plan: Plan) -> Result<RunOutcome, String> {
    let sim = Simulation::instant(Topology::from_plan(&plan).unwrap());
    let store: MemoryStore = planned_store(&sim, plan);
    assert_eq!(apply(&sim, &store).await.unwrap(), RunOutcome::Completed);
    sim.idle(SOAK + Duration::from_secs(1)).await;
    let cleaner = || {
        Cleaner::new(sim.cloud(), Box::new(store.clone()), Arc::new(NullReporter))
            .expect("the stored state loads")
    };
    let mut confirming = cleaner();
    let found = confirming.discover().await.map_err(|e| e.to_string())?;
    confirming
        .confirm(&found, "tester@host", None)
        .map_err(|e| e.to_string())?;
    cleaner().run().await.map_err(|e| e.to_string())
}

#[tokio::test(start_paused = true)]
async fn cleanup_terminates_the_environment_when_the_new_side_has_its_own_group() {
    let plan = migrate_plan::build(&beanstalk_playbook());
    assert_eq!(apply_then_clean_up(plan).await, Ok(RunOutcome::Completed));
}

#[tokio::test(start_paused = true)]
async fn mutation_in_beanstalks_group_the_environment_cannot_terminate() {
    let plan = in_beanstalks_group(migrate_plan::build(&beanstalk_playbook()));
    let outcome = apply_then_clean_up(plan).await;
    match outcome {
        Err(why) => assert!(why.contains("DependencyViolation"), "{why}"),
        Ok(done) => panic!("the environment terminated with its group in use: {done:?}"),
    }
}
