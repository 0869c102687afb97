//! Task size: a valid Fargate cpu/memory pair, the smallest one the containers fit in.

use super::{container_path, known_images, Context};
use crate::error::TaskdefError;
use crate::fargate;
use crate::finding::Severity;
use crate::model::{parse_cpu, parse_memory, TaskDefinition};
use crate::rules::{catalog, container_demand, finding_with};

pub(super) fn apply(task: &mut TaskDefinition, cx: &mut Context<'_>) -> Result<(), TaskdefError> {
    // An explicit size, or a task-level memory the source set, is the user's statement: containers
    // share it as they did. Otherwise a container that declares no memory would count as zero.
    let size_given = cx.options.memory_mib.is_some() || task.memory.is_some();
    if !size_given {
        guess_undeclared_needs(task, cx);
    }
    let (need_cpu, need_memory) = container_demand(&task.container_definitions);
    let source_cpu = task.cpu.as_deref().and_then(parse_cpu);
    let source_memory = task.memory.as_deref().and_then(parse_memory);

    let (cpu, memory, reason) = match (cx.options.cpu, cx.options.memory_mib) {
        (Some(cpu), Some(memory)) => {
            if !fargate::valid_pair(cpu, memory) {
                return Err(TaskdefError::Option(invalid_override(cpu, memory, need_cpu, need_memory)));
            }
            (cpu, memory, "given with --cpu and --memory".to_string())
        }
        (Some(cpu), None) => match fargate::smallest_pair_fitting(cpu, need_memory.max(source_memory.unwrap_or(0))) {
            Some((c, m)) if c == cpu => (c, m, format!("--cpu {cpu} with the smallest memory the containers fit in")),
            _ => return Err(TaskdefError::Option(format!("--cpu {cpu} has no Fargate memory size that fits the containers ({need_memory} MiB)"))),
        },
        (None, Some(memory)) => match fargate::smallest_pair_fitting(need_cpu.max(source_cpu.unwrap_or(0)), memory) {
            Some((c, m)) if m == memory => (c, m, format!("--memory {memory} with the smallest cpu that allows it")),
            _ => return Err(TaskdefError::Option(invalid_override(need_cpu, memory, need_cpu, need_memory))),
        },
        (None, None) => {
            let fits = |c: u32, m: u32| fargate::valid_pair(c, m) && c >= need_cpu && m >= need_memory;
            match (source_cpu, source_memory) {
                (Some(c), Some(m)) if fits(c, m) => (c, m, "the source's size, already a valid Fargate pair".to_string()),
                _ => {
                    let want_cpu = need_cpu.max(source_cpu.unwrap_or(0));
                    let want_memory = need_memory.max(source_memory.unwrap_or(0));
                    let (c, m) = match fargate::smallest_pair_fitting(want_cpu, want_memory) {
                        Some(pair) => pair,
                        None => match fargate::smallest_pair_fitting(need_cpu, need_memory) {
                            // The source reserved more than the largest Fargate task, but its
                            // containers ask for less: size for them, and say so.
                            Some(pair) => {
                                cx.findings.push(finding_with(
                                    &catalog::INVALID_TASK_SIZE,
                                    Severity::Warning,
                                    "$.cpu".into(),
                                    format!(
                                        "the source's size {}/{} is larger than any Fargate task; sized for what the containers ask instead",
                                        task.cpu.as_deref().unwrap_or("none"),
                                        task.memory.as_deref().unwrap_or("none")
                                    ),
                                    Some("check the containers' cpu and memory settings: they are now the task's only sizing".into()),
                                ));
                                pair
                            }
                            // No Fargate size holds the containers; the lint reports it with the numbers.
                            None => return Ok(()),
                        },
                    };
                    let from = match (&task.cpu, &task.memory) {
                        (Some(_), Some(_)) => "the source's size is not a Fargate pair or too small for its containers".to_string(),
                        _ => format!("the source sets no task size; the containers need {need_cpu} cpu units and {need_memory} MiB"),
                    };
                    (c, m, format!("{from}; rounded up to the smallest Fargate pair that fits"))
                }
            }
        }
    };
    let (cpu, memory) = (cpu.to_string(), memory.to_string());
    if task.cpu.as_deref() != Some(cpu.as_str()) || task.memory.as_deref() != Some(memory.as_str())
    {
        cx.change(
            &catalog::INVALID_TASK_SIZE,
            "$.cpu",
            format!(
                "cpu/memory {}/{} -> {cpu}/{memory}",
                task.cpu.as_deref().unwrap_or("none"),
                task.memory.as_deref().unwrap_or("none")
            ),
            reason,
        );
        task.cpu = Some(cpu);
        task.memory = Some(memory);
    }
    Ok(())
}

/// Gives every container that declares no memory a `memoryReservation` (and cpu) from what its
/// image is known to need, or a default, and warns for each guess.
fn guess_undeclared_needs(task: &mut TaskDefinition, cx: &mut Context<'_>) {
    for (i, c) in task.container_definitions.iter_mut().enumerate() {
        if c.memory.is_some() || c.memory_reservation.is_some() {
            continue;
        }
        let image = c.image.clone().unwrap_or_default();
        let (need, basis) = match known_images::need(&image) {
            Some(need) => (
                need,
                format!(
                    "what `{}` needs to start",
                    known_images::repository_name(&image)
                ),
            ),
            None => (
                known_images::UNKNOWN,
                "a default for an image of unknown needs".to_string(),
            ),
        };
        let at = container_path(i);
        cx.change(
            &catalog::CONTAINER_EXCEEDS_TASK,
            format!("{at}.memoryReservation"),
            format!(
                "container `{}`: memoryReservation none -> {} (GUESSED)",
                c.name, need.memory_mib
            ),
            format!("the source declares no memory for it; {basis}"),
        );
        cx.findings.push(finding_with(
            &catalog::TASK_SIZE_MISSING,
            Severity::Warning,
            format!("{at}.memoryReservation"),
            format!(
                "GUESSED: container `{}` declares no memory; it was given {} MiB ({basis}) and the task is sized with it",
                c.name, need.memory_mib
            ),
            Some("set memoryReservation (or mem_reservation / deploy.resources) to what the container really uses, or pass --memory".into()),
        ));
        c.memory_reservation = Some(need.memory_mib);
        if c.cpu.is_none() {
            c.cpu = Some(need.cpu);
        }
    }
}

fn invalid_override(cpu: u32, memory: u32, need_cpu: u32, need_memory: u32) -> String {
    let allowed = fargate::describe_memory_values(cpu)
        .map(|m| format!("with cpu {cpu} Fargate allows {m}"))
        .unwrap_or_else(|| format!("Fargate cpu values are {:?}", fargate::cpu_values()));
    let nearest = fargate::smallest_pair_fitting(cpu.max(need_cpu), memory.max(need_memory))
        .map(|(c, m)| format!("; the smallest valid size that fits is --cpu {c} --memory {m}"))
        .unwrap_or_default();
    format!("cpu {cpu} with memory {memory} MiB is not a Fargate size: {allowed}{nearest}")
}
