//! The task sizes Fargate accepts.
//!
//! Fargate runs a task only at one of a fixed set of cpu/memory pairs; anything else fails at
//! `RegisterTaskDefinition` or, worse, at `CreateService`, after the other resources exist. The
//! playbook rejects an impossible pair before anything is planned.

/// Memory sizes (MiB) Fargate accepts for `cpu` units, in increasing order.
pub fn memory_sizes(cpu: u32) -> Vec<u32> {
    let gib = |from: u32, to: u32, step: u32| {
        (from..=to)
            .step_by(step as usize)
            .map(|g| g * 1024)
            .collect()
    };
    match cpu {
        256 => vec![512, 1024, 2048],
        512 => gib(1, 4, 1),
        1024 => gib(2, 8, 1),
        2048 => gib(4, 16, 1),
        4096 => gib(8, 30, 1),
        8192 => gib(16, 60, 4),
        16384 => gib(32, 120, 8),
        _ => Vec::new(),
    }
}

/// The cpu values Fargate accepts.
pub const CPU_VALUES: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

pub fn is_valid_pair(cpu: u32, memory_mib: u32) -> bool {
    memory_sizes(cpu).contains(&memory_mib)
}

/// A message saying why the pair is refused and what would be accepted.
pub fn explain_invalid_pair(cpu: u32, memory_mib: u32) -> String {
    let sizes = memory_sizes(cpu);
    if sizes.is_empty() {
        return format!(
            "cpu {cpu} is not a Fargate size; use one of {}",
            CPU_VALUES.map(|c| c.to_string()).join(", ")
        );
    }
    let listed: Vec<String> = sizes.iter().map(|m| m.to_string()).collect();
    format!(
        "cpu {cpu} with memory {memory_mib} MiB is not a Fargate pair; with cpu {cpu} use memory {}",
        listed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_pair_is_valid_and_neighbours_are_not() {
        for cpu in CPU_VALUES {
            let sizes = memory_sizes(cpu);
            assert!(!sizes.is_empty());
            for &m in &sizes {
                assert!(is_valid_pair(cpu, m));
            }
            assert!(!is_valid_pair(cpu, sizes[0] - 1));
            assert!(!is_valid_pair(cpu, sizes[sizes.len() - 1] + 1024));
        }
        assert!(!is_valid_pair(300, 512));
        assert!(explain_invalid_pair(256, 4096).contains("512, 1024, 2048"));
    }
}
