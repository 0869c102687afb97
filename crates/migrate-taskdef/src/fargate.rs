//! The cpu/memory combinations Fargate accepts.
//!
//! Fargate does not take arbitrary sizes: every cpu value has its own memory range and step. The table
//! below is the single source of truth for both validation (`valid_pair`) and rounding up
//! (`smallest_pair_fitting`), so the two can never disagree.

/// One cpu value and the memory sizes (MiB) allowed with it: `min..=max` in steps of `step`, or an
/// explicit list when the sizes are not evenly spaced.
struct CpuSize {
    cpu: u32,
    memory: MemoryRange,
}

enum MemoryRange {
    List(&'static [u32]),
    Stepped { min: u32, max: u32, step: u32 },
}

const GIB: u32 = 1024;

const SIZES: &[CpuSize] = &[
    CpuSize {
        cpu: 256,
        memory: MemoryRange::List(&[512, 1024, 2048]),
    },
    CpuSize {
        cpu: 512,
        memory: MemoryRange::Stepped {
            min: GIB,
            max: 4 * GIB,
            step: GIB,
        },
    },
    CpuSize {
        cpu: 1024,
        memory: MemoryRange::Stepped {
            min: 2 * GIB,
            max: 8 * GIB,
            step: GIB,
        },
    },
    CpuSize {
        cpu: 2048,
        memory: MemoryRange::Stepped {
            min: 4 * GIB,
            max: 16 * GIB,
            step: GIB,
        },
    },
    CpuSize {
        cpu: 4096,
        memory: MemoryRange::Stepped {
            min: 8 * GIB,
            max: 30 * GIB,
            step: GIB,
        },
    },
    CpuSize {
        cpu: 8192,
        memory: MemoryRange::Stepped {
            min: 16 * GIB,
            max: 60 * GIB,
            step: 4 * GIB,
        },
    },
    CpuSize {
        cpu: 16384,
        memory: MemoryRange::Stepped {
            min: 32 * GIB,
            max: 120 * GIB,
            step: 8 * GIB,
        },
    },
];

impl MemoryRange {
    fn contains(&self, memory_mib: u32) -> bool {
        match self {
            MemoryRange::List(sizes) => sizes.contains(&memory_mib),
            MemoryRange::Stepped { min, max, step } => {
                (*min..=*max).contains(&memory_mib) && (memory_mib - min) % step == 0
            }
        }
    }

    /// The smallest allowed size that is at least `memory_mib`, if any.
    fn smallest_at_least(&self, memory_mib: u32) -> Option<u32> {
        match self {
            MemoryRange::List(sizes) => sizes.iter().copied().find(|m| *m >= memory_mib),
            MemoryRange::Stepped { min, max, step } => {
                let wanted = memory_mib.max(*min);
                let steps = (wanted - min).div_ceil(*step);
                let size = min.checked_add(steps.checked_mul(*step)?)?;
                (size <= *max).then_some(size)
            }
        }
    }

    fn all(&self) -> Vec<u32> {
        match self {
            MemoryRange::List(sizes) => sizes.to_vec(),
            MemoryRange::Stepped { min, max, step } => {
                (*min..=*max).step_by(*step as usize).collect()
            }
        }
    }
}

/// The cpu values (in cpu units, 1024 = one vCPU) Fargate accepts, smallest first.
pub fn cpu_values() -> Vec<u32> {
    SIZES.iter().map(|s| s.cpu).collect()
}

/// Every memory size (MiB) Fargate accepts with `cpu`; empty when `cpu` is not a Fargate cpu value.
pub fn memory_values(cpu: u32) -> Vec<u32> {
    SIZES
        .iter()
        .find(|s| s.cpu == cpu)
        .map(|s| s.memory.all())
        .unwrap_or_default()
}

/// Whether Fargate accepts a task of `cpu` units and `memory_mib` MiB.
pub fn valid_pair(cpu: u32, memory_mib: u32) -> bool {
    SIZES
        .iter()
        .any(|s| s.cpu == cpu && s.memory.contains(memory_mib))
}

/// The smallest valid Fargate pair with at least `cpu_units` and at least `memory_mib`, or `None` when
/// the request exceeds the largest Fargate task.
///
/// Sizes are tried smallest cpu first and, within a cpu, smallest memory first. Because the minimum
/// memory only grows with the cpu, the first fit is also the cheapest one.
pub fn smallest_pair_fitting(cpu_units: u32, memory_mib: u32) -> Option<(u32, u32)> {
    SIZES
        .iter()
        .filter(|s| s.cpu >= cpu_units)
        .find_map(|s| s.memory.smallest_at_least(memory_mib).map(|m| (s.cpu, m)))
}

/// A human description of the memory sizes allowed with `cpu`, for error messages.
pub fn describe_memory_values(cpu: u32) -> Option<String> {
    let size = SIZES.iter().find(|s| s.cpu == cpu)?;
    Some(match &size.memory {
        MemoryRange::List(sizes) => {
            let parts: Vec<String> = sizes.iter().map(u32::to_string).collect();
            format!("{} MiB", parts.join(", "))
        }
        MemoryRange::Stepped { min, max, step } => {
            format!("{min} to {max} MiB in steps of {step} MiB")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_004_pair_is_valid() {
        assert!(valid_pair(256, 512));
        assert!(!valid_pair(256, 4096));
    }

    #[test]
    fn rounding_prefers_the_smallest_cpu() {
        assert_eq!(smallest_pair_fitting(0, 0), Some((256, 512)));
        assert_eq!(smallest_pair_fitting(256, 1500), Some((256, 2048)));
        assert_eq!(smallest_pair_fitting(256, 2049), Some((512, 3072)));
        assert_eq!(smallest_pair_fitting(300, 100), Some((512, 1024)));
        assert_eq!(
            smallest_pair_fitting(4096, 31 * 1024),
            Some((8192, 32 * 1024))
        );
        assert_eq!(
            smallest_pair_fitting(16384, 120 * 1024),
            Some((16384, 120 * 1024))
        );
        assert_eq!(smallest_pair_fitting(16385, 0), None);
        assert_eq!(smallest_pair_fitting(0, 120 * 1024 + 1), None);
        assert_eq!(smallest_pair_fitting(u32::MAX, u32::MAX), None);
        assert_eq!(smallest_pair_fitting(0, u32::MAX), None);
    }
}
