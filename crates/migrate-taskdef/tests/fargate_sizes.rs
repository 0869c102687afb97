//! For every Fargate cpu value, every valid memory size is accepted and the nearest invalid
//! neighbours are rejected. The expected sizes are written out here from AWS's table, independently
//! of the crate's own table, so a mistake in either shows.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migrate_taskdef::fargate::{cpu_values, memory_values, smallest_pair_fitting, valid_pair};

const GIB: u32 = 1024;

/// (cpu, every valid memory size in MiB), from the Fargate documentation.
fn expected() -> Vec<(u32, Vec<u32>)> {
    let range = |from_gib: u32, to_gib: u32, step_gib: usize| -> Vec<u32> {
        (from_gib..=to_gib)
            .step_by(step_gib)
            .map(|g| g * GIB)
            .collect()
    };
    vec![
        (256, vec![512, 1024, 2048]),
        (512, range(1, 4, 1)),
        (1024, range(2, 8, 1)),
        (2048, range(4, 16, 1)),
        (4096, range(8, 30, 1)),
        (8192, range(16, 60, 4)),
        (16384, range(32, 120, 8)),
    ]
}

#[test]
fn the_cpu_values_are_fargates() {
    let cpus: Vec<u32> = expected().iter().map(|(c, _)| *c).collect();
    assert_eq!(cpu_values(), cpus);
}

#[test]
fn every_valid_memory_size_is_accepted() {
    for (cpu, sizes) in expected() {
        assert_eq!(memory_values(cpu), sizes, "cpu {cpu}");
        for memory in sizes {
            assert!(
                valid_pair(cpu, memory),
                "cpu {cpu} memory {memory} should be valid"
            );
            assert_eq!(
                smallest_pair_fitting(cpu, memory),
                Some((cpu, memory)),
                "a valid pair rounds to itself"
            );
        }
    }
}

#[test]
fn the_nearest_invalid_neighbours_are_rejected() {
    for (cpu, sizes) in expected() {
        let min = sizes[0];
        let max = sizes[sizes.len() - 1];
        let mut invalid = vec![0, 1, min - 1, max + 1];
        // One step below the minimum and above the maximum, at this cpu's granularity.
        let step = if sizes.len() > 1 {
            sizes[1] - sizes[0]
        } else {
            GIB
        };
        invalid.push(min.saturating_sub(step));
        invalid.push(max + step);
        // Between every two valid sizes: one MiB off each, and half-way.
        for pair in sizes.windows(2) {
            invalid.extend([pair[0] + 1, pair[1] - 1, (pair[0] + pair[1]) / 2]);
        }
        for memory in invalid {
            if sizes.contains(&memory) {
                continue;
            }
            assert!(
                !valid_pair(cpu, memory),
                "cpu {cpu} memory {memory} should be invalid"
            );
        }
    }
}

#[test]
fn cpu_values_fargate_does_not_have_are_rejected() {
    for cpu in [
        0, 128, 255, 257, 511, 513, 768, 1023, 1025, 3072, 4095, 4097, 8191, 8193, 16383, 16385,
        32768,
    ] {
        for memory in [512, 1024, 2048, 4096, 8192, 16384, 32768] {
            assert!(!valid_pair(cpu, memory), "cpu {cpu} memory {memory}");
        }
    }
}

#[test]
fn rounding_up_returns_the_smallest_pair_that_fits() {
    // Checked against a brute-force search over the expected table.
    let table = expected();
    for cpu in [
        0, 1, 256, 257, 512, 1000, 2048, 4096, 5000, 8192, 16384, 16385,
    ] {
        for memory in [
            0,
            1,
            512,
            513,
            2048,
            2049,
            4097,
            8192,
            30 * GIB + 1,
            61 * GIB,
            120 * GIB,
            120 * GIB + 1,
        ] {
            let brute = table
                .iter()
                .flat_map(|(c, sizes)| sizes.iter().map(move |m| (*c, *m)))
                .filter(|(c, m)| *c >= cpu && *m >= memory)
                .min();
            assert_eq!(
                smallest_pair_fitting(cpu, memory),
                brute,
                "cpu {cpu} memory {memory}"
            );
        }
    }
}
