//! Task size: a valid Fargate cpu/memory pair that every container fits inside.

use super::{catalog, container_path, finding};
use crate::fargate;
use crate::finding::Finding;
use crate::model::{parse_cpu, parse_memory, ContainerDefinition, TaskDefinition};

/// The cpu units and memory (MiB) the containers ask for together: the sum of their cpu, and the sum
/// of their memory reservations (the hard limit where no reservation is given). These are what the
/// task must provide for all containers to be placed.
pub fn container_demand(containers: &[ContainerDefinition]) -> (u32, u32) {
    let cpu = containers
        .iter()
        .map(|c| c.cpu.unwrap_or(0))
        .fold(0u32, u32::saturating_add);
    let memory = containers
        .iter()
        .map(reserved_memory)
        .fold(0u32, u32::saturating_add);
    // A single container's hard limit must fit too, even if the reservations are smaller.
    let largest_limit = containers
        .iter()
        .filter_map(|c| c.memory)
        .max()
        .unwrap_or(0);
    (cpu, memory.max(largest_limit))
}

fn reserved_memory(c: &ContainerDefinition) -> u32 {
    c.memory_reservation.or(c.memory).unwrap_or(0)
}

fn suggestion(cpu: u32, memory: u32) -> String {
    match fargate::smallest_pair_fitting(cpu, memory) {
        Some((c, m)) => {
            format!("use cpu \"{c}\" and memory \"{m}\", the smallest Fargate size that fits")
        }
        None => "reduce the containers' cpu and memory: no Fargate size is large enough".into(),
    }
}

pub(super) fn check(task: &TaskDefinition, findings: &mut Vec<Finding>) {
    let (need_cpu, need_memory) = container_demand(&task.container_definitions);
    let (Some(cpu_text), Some(memory_text)) = (&task.cpu, &task.memory) else {
        let missing = match (&task.cpu, &task.memory) {
            (None, None) => "cpu and memory",
            (None, Some(_)) => "cpu",
            _ => "memory",
        };
        findings.push(finding(
            &catalog::TASK_SIZE_MISSING,
            if task.cpu.is_none() {
                "$.cpu".into()
            } else {
                "$.memory".into()
            },
            format!("task {missing} not set; Fargate sizes tasks, not containers"),
            Some(suggestion(need_cpu, need_memory)),
        ));
        return;
    };
    let (Some(cpu), Some(memory)) = (parse_cpu(cpu_text), parse_memory(memory_text)) else {
        findings.push(finding(
            &catalog::INVALID_TASK_SIZE,
            "$.cpu".into(),
            format!("cannot read task cpu `{cpu_text}` / memory `{memory_text}`"),
            Some(suggestion(need_cpu, need_memory)),
        ));
        return;
    };
    if !fargate::valid_pair(cpu, memory) {
        let allowed = fargate::describe_memory_values(cpu)
            .map(|m| format!("with cpu {cpu} Fargate allows {m}"))
            .unwrap_or_else(|| {
                format!(
                    "{cpu} is not a Fargate cpu value ({:?})",
                    fargate::cpu_values()
                )
            });
        findings.push(finding(
            &catalog::INVALID_TASK_SIZE,
            "$.memory".into(),
            format!("cpu {cpu} with memory {memory} MiB is not a Fargate size: {allowed}"),
            Some(suggestion(cpu.max(need_cpu), memory.max(need_memory))),
        ));
    }
    let containers = &task.container_definitions;
    let total_cpu = containers
        .iter()
        .map(|c| c.cpu.unwrap_or(0))
        .fold(0u32, u32::saturating_add);
    if total_cpu > cpu {
        findings.push(finding(
            &catalog::CONTAINER_EXCEEDS_TASK,
            "$.cpu".into(),
            format!("the containers ask for {total_cpu} cpu units together; the task has {cpu}"),
            Some(suggestion(need_cpu, need_memory.max(memory))),
        ));
    }
    for (i, c) in containers.iter().enumerate() {
        if let Some(limit) = c.memory.filter(|limit| *limit > memory) {
            findings.push(finding(
                &catalog::CONTAINER_EXCEEDS_TASK,
                format!("{}.memory", container_path(i)),
                format!(
                    "container `{}` has a memory limit of {limit} MiB; the task has {memory} MiB",
                    c.name
                ),
                Some(suggestion(cpu.max(need_cpu), need_memory)),
            ));
        }
    }
    let reserved = containers
        .iter()
        .map(reserved_memory)
        .fold(0u32, u32::saturating_add);
    if reserved > memory {
        findings.push(finding(
            &catalog::CONTAINER_EXCEEDS_TASK,
            "$.memory".into(),
            format!("the containers reserve {reserved} MiB together; the task has {memory} MiB"),
            Some(suggestion(cpu.max(need_cpu), need_memory)),
        ));
    }
}
