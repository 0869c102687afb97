//! The new services' size proposed from the old side's capacity, and the warning when the
//! playbook asks for less than the old side serves.
//!
//! How a proposal is computed (the docs repeat it):
//! - An ECS-on-EC2 source: each new service is paired with an old service (see
//!   [`old_service_for`]). It is proposed the old service's running task count (its desired count
//!   when none run) and the smallest Fargate size holding the old task's CPU and memory (the
//!   task-level values, or the sum of its containers'), so the new side runs what the old one
//!   ran, task for task. A dimension the old task does not reserve is the playbook's.
//! - An instance source (EC2, an Auto Scaling group, Beanstalk): the old side's vCPUs (in-service
//!   instances × the instance type's vCPUs, from `DescribeInstanceTypes`) are shared equally by
//!   the web services, each proposed `ceil(vCPUs × 1024 / its cpu)` tasks of the playbook's size,
//!   and never fewer than 2 (one per Availability Zone). Instance memory is not used: it includes
//!   the operating system's and is rarely what limits a web tier. Workers get no proposal: the
//!   old instances ran them beside the web tier, and their share cannot be told apart.
//!
//! The playbook asks for less when its desired count is below the proposal's, or its task size
//! is smaller in CPU or memory.

use serde::{Deserialize, Serialize};

use migrate_playbook::{Playbook, Service, SourceKind};

use crate::snapshot::{ServiceSnapshot, Snapshot};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizingProposal {
    pub service: String,
    pub desired_count: u32,
    pub cpu: u32,
    pub memory_mib: u32,
    /// Where the figures come from, in one sentence.
    pub basis: String,
    /// What the playbook asks for, for the comparison.
    pub playbook_desired_count: u32,
    pub playbook_cpu: u32,
    pub playbook_memory_mib: u32,
}

impl SizingProposal {
    /// Whether the playbook asks for less capacity than the old side serves.
    pub fn playbook_is_below(&self) -> bool {
        self.playbook_desired_count < self.desired_count
            || self.playbook_cpu < self.cpu
            || self.playbook_memory_mib < self.memory_mib
    }

    /// The warning line `migrate plan` prints when the playbook asks for less.
    pub fn warning(&self) -> Option<String> {
        self.playbook_is_below().then(|| {
            format!(
                "{} asks for {} × ({} CPU units, {} MiB), less than the old side serves: {}; \
                 proposed {} × ({} CPU units, {} MiB)",
                self.service,
                self.playbook_desired_count,
                self.playbook_cpu,
                self.playbook_memory_mib,
                self.basis,
                self.desired_count,
                self.cpu,
                self.memory_mib
            )
        })
    }
}

/// The least number of tasks proposed for a web service: one in each of two Availability Zones.
const MIN_WEB_TASKS: u32 = 2;

/// A proposal for every playbook service the snapshot can size.
pub fn propose(playbook: &Playbook, snapshot: &Snapshot) -> Vec<SizingProposal> {
    let services = &playbook.target.services;
    if playbook.source.kind == SourceKind::EcsEc2 {
        return services
            .iter()
            .filter_map(|service| {
                let old = old_service_for(playbook, snapshot, &service.name)?;
                from_old_service(service, old)
            })
            .collect();
    }
    let old_vcpus: Option<u32> = snapshot
        .instances
        .iter()
        .map(|g| g.vcpus.map(|v| v * g.count))
        .sum();
    let Some(old_vcpus) = old_vcpus.filter(|v| *v > 0) else {
        return Vec::new();
    };
    let web: Vec<&Service> = services.iter().filter(|s| s.web.is_some()).collect();
    let Ok(web_count) = u32::try_from(web.len()) else {
        return Vec::new();
    };
    if web_count == 0 {
        return Vec::new();
    }
    let instances = snapshot
        .instances
        .iter()
        .map(|g| format!("{} × {}", g.count, g.instance_type))
        .collect::<Vec<_>>()
        .join(", ");
    web.into_iter()
        .map(|service| {
            let share_units = old_vcpus * 1024 / web_count;
            let desired = share_units.div_ceil(service.cpu.max(1)).max(MIN_WEB_TASKS);
            SizingProposal {
                service: service.name.clone(),
                desired_count: desired,
                cpu: service.cpu,
                memory_mib: service.memory,
                basis: format!(
                    "the old instances ({instances}) have {old_vcpus} vCPU{}",
                    if web_count > 1 {
                        format!(", shared by {web_count} web services")
                    } else {
                        String::new()
                    }
                ),
                playbook_desired_count: service.desired_count,
                playbook_cpu: service.cpu,
                playbook_memory_mib: service.memory,
            }
        })
        .collect()
}

fn from_old_service(service: &Service, old: &ServiceSnapshot) -> Option<SizingProposal> {
    let tasks = if old.running > 0 {
        old.running
    } else {
        old.desired
    };
    // A dimension the old task does not reserve (EC2 containers often set memory only) is
    // taken from the playbook.
    let (cpu, memory) = migrate_taskdef::fargate::smallest_pair_fitting(
        old.task_cpu.unwrap_or(service.cpu),
        old.task_memory_mib.unwrap_or(service.memory),
    )?;
    Some(SizingProposal {
        service: service.name.clone(),
        desired_count: tasks,
        cpu,
        memory_mib: memory,
        basis: format!(
            "old service {} runs {tasks} task{} of {}",
            old.name,
            if tasks == 1 { "" } else { "s" },
            match (old.task_cpu, old.task_memory_mib) {
                (Some(c), Some(m)) => format!("{c} CPU units and {m} MiB"),
                (None, Some(m)) => format!("{m} MiB (no CPU reserved)"),
                (Some(c), None) => format!("{c} CPU units (no memory reserved)"),
                (None, None) => "no reserved size".into(),
            }
        ),
        playbook_desired_count: service.desired_count,
        playbook_cpu: service.cpu,
        playbook_memory_mib: service.memory,
    })
}

/// The old ECS service a new service replaces: the one of the same name, else the one named
/// `<anything>-<name>` (`shop-web` for `web`), else the one at the same position when the
/// playbook lists as many old services as new ones.
pub fn old_service_for<'a>(
    playbook: &Playbook,
    snapshot: &'a Snapshot,
    service: &str,
) -> Option<&'a ServiceSnapshot> {
    let old = &snapshot.old_services;
    old.iter()
        .find(|s| s.name == service)
        .or_else(|| {
            let suffix = format!("-{service}");
            let mut matching = old.iter().filter(|s| s.name.ends_with(&suffix));
            // Two candidates are ambiguous: fall through rather than guess.
            match (matching.next(), matching.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        })
        .or_else(|| {
            let services = &playbook.target.services;
            if services.len() != old.len() {
                return None;
            }
            let index = services.iter().position(|s| s.name == service)?;
            old.get(index)
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::snapshot::InstanceGroup;

    fn old(name: &str, running: u32, cpu: Option<u32>, memory: Option<u32>) -> ServiceSnapshot {
        ServiceSnapshot {
            name: name.into(),
            desired: running,
            running,
            task_definition_arn: format!("arn:td/{name}:1"),
            task_cpu: cpu,
            task_memory_mib: memory,
            images: BTreeMap::new(),
            task_definition: None,
        }
    }

    #[test]
    fn ecs_services_keep_their_task_count_and_round_up_to_a_fargate_size() {
        let playbook = crate::tests::demo_playbook();
        let snapshot = Snapshot {
            old_services: vec![
                old("shop-web", 4, Some(700), Some(1500)),
                old("shop-worker", 1, Some(256), Some(512)),
            ],
            ..Snapshot::default()
        };
        let proposals = propose(&playbook, &snapshot);
        let web = proposals.iter().find(|p| p.service == "web").unwrap();
        // 700 units fit 1024, and 1500 MiB is the smallest 1-vCPU memory's neighbour: 2048.
        assert_eq!(
            (web.desired_count, web.cpu, web.memory_mib),
            (4, 1024, 2048)
        );
        assert!(web.playbook_is_below());
        let warning = web.warning().unwrap();
        assert!(
            warning.contains("old service shop-web runs 4 tasks"),
            "{warning}"
        );
        let worker = proposals.iter().find(|p| p.service == "worker").unwrap();
        assert_eq!((worker.desired_count, worker.cpu), (1, 256));
        assert_eq!(
            worker.warning(),
            None,
            "the demo's worker matches its old service"
        );
    }

    #[test]
    fn instance_sources_share_the_old_vcpus_among_web_services() {
        let mut playbook = crate::tests::demo_playbook();
        playbook.source.kind = SourceKind::Asg;
        let snapshot = Snapshot {
            instances: vec![InstanceGroup {
                instance_type: "m5.xlarge".into(),
                count: 3,
                vcpus: Some(4),
                memory_mib: Some(16384),
            }],
            ..Snapshot::default()
        };
        let proposals = propose(&playbook, &snapshot);
        // 12 vCPU for the one web service of 512 units: 24 tasks; the worker gets none.
        assert_eq!(proposals.len(), 1);
        assert_eq!(proposals[0].service, "web");
        assert_eq!(proposals[0].desired_count, 24);
        assert_eq!(proposals[0].cpu, playbook.target.services[0].cpu);
        assert!(proposals[0].playbook_is_below());

        let small = Snapshot {
            instances: vec![InstanceGroup {
                instance_type: "t3.micro".into(),
                count: 1,
                vcpus: Some(1),
                memory_mib: Some(1024),
            }],
            ..Snapshot::default()
        };
        // 1 vCPU would be 2 tasks of 512 units; never fewer than 2 anyway.
        let proposals = propose(&playbook, &small);
        assert_eq!(proposals[0].desired_count, MIN_WEB_TASKS);
        assert!(!proposals[0].playbook_is_below());
    }

    #[test]
    fn unknown_instance_sizes_give_no_proposal() {
        let mut playbook = crate::tests::demo_playbook();
        playbook.source.kind = SourceKind::Asg;
        let snapshot = Snapshot {
            instances: vec![InstanceGroup {
                instance_type: "x9.huge".into(),
                count: 3,
                vcpus: None,
                memory_mib: None,
            }],
            ..Snapshot::default()
        };
        assert!(propose(&playbook, &snapshot).is_empty());
    }

    #[test]
    fn old_services_pair_by_name_then_suffix_then_position() {
        let playbook = crate::tests::demo_playbook();
        let snapshot = Snapshot {
            old_services: vec![
                old("legacy-a", 1, None, None),
                old("legacy-b", 1, None, None),
            ],
            ..Snapshot::default()
        };
        assert_eq!(
            old_service_for(&playbook, &snapshot, "worker").map(|s| s.name.as_str()),
            Some("legacy-b")
        );
        let by_suffix = Snapshot {
            old_services: vec![
                old("shop-worker", 1, None, None),
                old("shop-web", 1, None, None),
            ],
            ..Snapshot::default()
        };
        assert_eq!(
            old_service_for(&playbook, &by_suffix, "web").map(|s| s.name.as_str()),
            Some("shop-web")
        );
        let one = Snapshot {
            old_services: vec![old("other", 1, None, None)],
            ..Snapshot::default()
        };
        assert_eq!(old_service_for(&playbook, &one, "web"), None);
    }
}
