//! Shared set-up for the engine's tests: the demo playbook over the simulated account, with the
//! instant profile and no traffic.
//!
//! These tests are the engine's, but they live in `migrate-sim`: the simulator depends on the
//! engine (it implements the engine's ports), so the engine having the simulator as a
//! dev-dependency would be a cycle. Cargo accepts such a cycle, but the engine's unit tests would
//! then be built next to a second copy of the engine (the one the simulator links), whose port
//! traits are other types, and the crates would no longer depend on each other in one direction
//! (`crates/README.md`). Here the dependency points the ordinary way.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::Path;
use std::sync::Arc;

use migrate_engine::ports::Clock;
use migrate_engine::{Engine, EngineError, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};
use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::{FaultProfile, Simulation, Topology, TrafficConfig};

pub fn demo_playbook() -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    match Playbook::from_path(&path) {
        Ok(playbook) => playbook,
        Err(e) => panic!("the demo playbook must be valid: {e}"),
    }
}

pub fn with_strategy_weighted(mut playbook: Playbook) -> Playbook {
    playbook.cutover.strategy = migrate_playbook::CutoverStrategy::Weighted {
        steps: vec![10, 50, 100],
        bake: std::time::Duration::from_secs(120),
    };
    playbook
}

/// An account seeded with the old side `playbook` describes, and a store holding its planned
/// state. Must be called inside a paused-time runtime (`#[tokio::test(start_paused = true)]`).
pub fn setup(playbook: &Playbook) -> (Simulation, MemoryStore, Plan) {
    let plan = migrate_plan::build(playbook);
    let sim = Simulation::instant(old_side(&plan));
    let store = planned_store(&sim, plan.clone());
    (sim, store, plan)
}

/// [`setup`] with another fault profile (and still no traffic).
pub fn setup_with(playbook: &Playbook, profile: FaultProfile) -> (Simulation, MemoryStore, Plan) {
    let plan = migrate_plan::build(playbook);
    let sim = Simulation::new(0, old_side(&plan), profile, &TrafficConfig::none());
    let store = planned_store(&sim, plan.clone());
    (sim, store, plan)
}

fn old_side(plan: &Plan) -> Topology {
    Topology::from_plan(plan)
        .unwrap_or_else(|e| panic!("the simulator must build the playbook's old side: {e}"))
}

/// A store holding a fresh state for `plan`.
pub fn planned_store(sim: &Simulation, plan: Plan) -> MemoryStore {
    let mut store = MemoryStore::new();
    let mut state = State::new(plan, sim.clock().now());
    store
        .save(&mut state)
        .expect("a fresh memory store accepts the first state");
    store
}

pub fn engine(sim: &Simulation, store: &MemoryStore) -> Engine {
    Engine::new(sim.cloud(), Box::new(store.clone()), Arc::new(NullReporter))
        .expect("the stored state loads")
}

pub async fn apply(sim: &Simulation, store: &MemoryStore) -> Result<RunOutcome, EngineError> {
    engine(sim, store).apply().await
}

pub async fn rollback(sim: &Simulation, store: &MemoryStore) -> Result<RunOutcome, EngineError> {
    engine(sim, store).rollback().await
}

pub fn load(store: &MemoryStore) -> State {
    store.clone().load().expect("the stored state loads")
}

/// [`setup`] over an old side changed by `change` (e.g. an Auto Scaling group without policies).
pub fn setup_old_side(
    playbook: &Playbook,
    change: impl FnOnce(&mut Topology),
) -> (Simulation, MemoryStore, Plan) {
    let plan = migrate_plan::build(playbook);
    let mut topology = old_side(&plan);
    change(&mut topology);
    let sim = Simulation::instant(topology);
    let store = planned_store(&sim, plan.clone());
    (sim, store, plan)
}
