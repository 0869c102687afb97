//! The critical-path lower bound: the waits AWS (and the plan's own safety windows) impose on a
//! migration, measured in the run itself, so that the makespan can be judged against what no
//! orchestrator could beat.
//!
//! The steps run in order, and the creates are quick; what takes time is waiting for AWS:
//! 1. the new side becoming ready: from each new service's creation until all its desired tasks
//!    are RUNNING and, behind the load balancer, healthy (Fargate start, load balancer
//!    provisioning and `healthy_threshold` × `interval` overlap here, so the longest counts);
//! 2. every DNS change the run made, from submission to INSYNC, plus the old TTL after a TTL
//!    lowering;
//! 3. the drain: the plan's minimum wait, the record's TTL, and a whole zero-traffic window of
//!    whole minutes that begins after the old load balancer's last request, counted once
//!    CloudWatch has published its last minute;
//! 4. old instances terminating, when the run waits for them.
//!
//! Each figure is what this run's world actually drew (task start latencies, propagation), not a
//! typical value, so the ratio measures the orchestrator and nothing else.

use migrate_plan::Plan;
use serde::Serialize;

use crate::clock::Millis;
use crate::metrics::MINUTE;
use crate::world::World;

/// One wait on the critical path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub what: String,
    pub ms: Millis,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CriticalPath {
    pub waits: Vec<Wait>,
    pub total_ms: Millis,
}

/// The alias record TTL AWS uses for load balancer targets.
const ALIAS_TTL_MS: Millis = 60_000;

impl CriticalPath {
    pub(crate) fn measure(w: &World, plan: &Plan, start: Millis, end: Millis) -> Self {
        let mut waits = Vec::new();
        let ready = w
            .ecs
            .services
            .values()
            .filter(|s| s.new_side && s.created_at >= start)
            .filter_map(|s| Some((s.name.clone(), s.ready_at?.saturating_sub(s.created_at))))
            .max_by_key(|(_, ms)| *ms);
        if let Some((name, ms)) = ready {
            waits.push(Wait {
                what: format!("new service {name}: tasks started and healthy"),
                ms,
            });
        }
        let mut cutover_insync = None;
        for c in w
            .route53
            .changes
            .values()
            .filter(|c| c.modified && c.submitted_at >= start && c.submitted_at <= end)
        {
            waits.push(Wait {
                what: "Route53 change PENDING → INSYNC".into(),
                ms: c.insync_at - c.submitted_at,
            });
            if let Some(ttl) = c.lowered_from_ttl {
                waits.push(Wait {
                    what: format!("previous TTL ({ttl}s) after lowering it"),
                    ms: u64::from(ttl) * 1000,
                });
            }
            cutover_insync = Some(cutover_insync.unwrap_or(0).max(c.insync_at));
        }
        let drain_configured = plan
            .steps
            .iter()
            .any(|s| matches!(s.action, migrate_plan::Action::Drain));
        if let (Some(insync), true) = (cutover_insync, drain_configured) {
            let drain = &plan.playbook.drain;
            let min_wait = drain.min_wait.as_millis() as Millis;
            let window = drain.zero_traffic_window.as_millis() as Millis;
            // The window is whole minutes that begin after the cutover and after the last old
            // request, and counts once CloudWatch has published its last minute and that
            // minute is older than the engine's `METRIC_LAG`.
            let first_minute = |at: Millis| at.div_ceil(MINUTE) * MINUTE;
            let from = w
                .traffic
                .report
                .last_old_request_ms
                .filter(|l| *l >= insync)
                .map_or(first_minute(insync), |l| l - l % MINUTE + MINUTE);
            let after_last = from - insync + window + w.cloudwatch.delay_ms.max(MINUTE);
            let ms = min_wait.max(ALIAS_TTL_MS).max(after_last);
            waits.push(Wait { what: "drain: TTL, minimum wait, and a whole zero-traffic window after the last old request".into(), ms });
        }
        if let (Some(scale_in), Some(emptied)) = (
            w.timeline_scale_in,
            w.asg
                .groups
                .get(&w.topology.asg_name)
                .and_then(|g| g.emptied_at),
        ) {
            if emptied <= end && emptied > scale_in && w.topology.asg_attached_to_target_group {
                waits.push(Wait {
                    what: "old instances deregistered and terminated".into(),
                    ms: emptied - scale_in,
                });
            }
        }
        let total_ms = waits.iter().map(|w| w.ms).sum();
        Self { waits, total_ms }
    }
}
