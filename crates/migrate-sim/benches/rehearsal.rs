//! `make bench`: rehearses the seed-001 playbook over a batch of seeds and prints the
//! makespan / critical-path ratio, the API calls per service, and how fast the simulator runs
//! (simulated hours per wall-clock second). The wall clock is read here only, to time the
//! simulator; no simulated result depends on it.

// A benchmark: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use migrate_playbook::Playbook;
use migrate_sim::harness::{self, Scenario};
use migrate_sim::FaultProfile;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = match Playbook::from_path(&path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let plan = migrate_plan::build(&playbook);
    let seeds: u64 = std::env::var("MIGRATE_BENCH_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    for profile in [FaultProfile::none(), FaultProfile::default_profile()] {
        let started = Instant::now();
        let mut simulated_ms = 0u64;
        let mut ratios = Vec::new();
        let mut makespans = Vec::new();
        let mut bounds = Vec::new();
        let mut calls: BTreeMap<String, u64> = BTreeMap::new();
        let mut failed_requests = 0;
        let mut incomplete = 0;
        for seed in 1..=seeds {
            let r = match harness::run(&plan, &Scenario::new(seed, profile.clone())) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("seed {seed}: {e}");
                    std::process::exit(1);
                }
            };
            simulated_ms += r.apply_finished_ms
                + Scenario::new(seed, profile.clone()).settle.as_millis() as u64;
            failed_requests += r.traffic.failed();
            if r.apply.is_err() {
                incomplete += 1;
                continue;
            }
            let makespan = r.makespan_ms() as f64 / 1000.0;
            let bound = r.critical_path.total_ms as f64 / 1000.0;
            makespans.push(makespan);
            bounds.push(bound);
            ratios.push(makespan / bound);
            for (service, n) in &r.api_calls {
                *calls.entry(service.clone()).or_default() += n;
            }
        }
        let wall = started.elapsed().as_secs_f64();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "seed-001 topology, profile `{}`, {seeds} seeds",
            profile.name
        );
        println!(
            "  completed runs:            {} ({incomplete} did not complete)",
            ratios.len()
        );
        println!("  makespan (mean):           {:.0}s", mean(&makespans));
        println!("  critical path (mean):      {:.0}s", mean(&bounds));
        println!(
            "  makespan / critical path:  mean {:.3}, median {:.3}, p90 {:.3}, max {:.3}",
            mean(&ratios),
            pct(0.5),
            pct(0.9),
            pct(1.0)
        );
        println!("  failed requests:           {failed_requests}");
        let per_run: Vec<String> = calls
            .iter()
            .map(|(k, v)| format!("{k} {:.1}", *v as f64 / ratios.len().max(1) as f64))
            .collect();
        println!("  API calls per run:         {}", per_run.join(", "));
        println!(
            "  simulated hours per wall-clock second: {:.1} ({:.2} simulated hours in {wall:.2}s)",
            simulated_ms as f64 / 3_600_000.0 / wall,
            simulated_ms as f64 / 3_600_000.0
        );
        println!();
    }
    compare_strategies(&playbook, seeds);
}

/// Issue 12's figure: the total migration time of the `alias` and the `listener` strategies on
/// the same seeds, with the default profile and a tenth of the clients keeping their DNS answer
/// for an hour (a JVM's cache): median and p90, and the requests that failed.
fn compare_strategies(playbook: &Playbook, seeds: u64) {
    let profile = FaultProfile {
        sticky_clients: 0.1,
        sticky_hold_ms: 3_600_000,
        ..FaultProfile::default_profile()
    };
    println!(
        "strategies on the seed-001 topology, profile `default` with 10% of clients caching DNS \
         for an hour, {seeds} seeds"
    );
    let strategies = [
        ("alias", playbook.cutover.strategy.clone()),
        (
            "listener",
            migrate_playbook::CutoverStrategy::Listener {
                steps: vec![10, 50, 100],
                bake: std::time::Duration::from_secs(60),
            },
        ),
    ];
    for (name, strategy) in strategies {
        let mut playbook = playbook.clone();
        playbook.cutover.strategy = strategy;
        let plan = migrate_plan::build(&playbook);
        let mut totals = Vec::new();
        let mut failed = 0;
        let mut incomplete = 0;
        for seed in 1..=seeds {
            let r = harness::run(&plan, &Scenario::new(seed, profile.clone())).unwrap();
            failed += r.traffic.failed();
            if r.apply.is_err() {
                incomplete += 1;
                continue;
            }
            totals.push(r.makespan_ms() as f64 / 1000.0);
        }
        totals.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            totals
                .get(((totals.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "  {name:<9} total time median {:>6.0}s, p90 {:>6.0}s; {} completed, {incomplete} \
             did not; {failed} failed requests",
            pct(0.5),
            pct(0.9),
            totals.len()
        );
    }
}
