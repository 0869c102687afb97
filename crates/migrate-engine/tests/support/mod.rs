//! Shared set-up for the engine's tests: the demo playbook over the in-memory account.

use std::path::Path;
use std::sync::Arc;

use migrate_engine::{Engine, EngineError, NullReporter, RunOutcome};
use migrate_journal::{MemoryStore, State, StateStore};
use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_testkit::FakeAccount;

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

/// A seeded account and a planned state for `playbook`.
pub fn setup(playbook: &Playbook) -> (FakeAccount, MemoryStore, Plan) {
    let account = FakeAccount::new();
    account.seed(playbook);
    let plan = migrate_plan::build(playbook);
    let mut store = MemoryStore::new();
    let mut state = State::new(
        plan.clone(),
        migrate_engine::ports::Clock::now(&migrate_testkit::VirtualClock::new()),
    );
    store
        .save(&mut state)
        .expect("a fresh memory store accepts the first state");
    (account, store, plan)
}

pub fn engine(account: &FakeAccount, store: &MemoryStore) -> Engine {
    Engine::new(
        account.cloud(),
        Box::new(store.clone()),
        Arc::new(NullReporter),
    )
    .expect("the stored state loads")
}

pub async fn apply(account: &FakeAccount, store: &MemoryStore) -> Result<RunOutcome, EngineError> {
    engine(account, store).apply().await
}

pub async fn rollback(
    account: &FakeAccount,
    store: &MemoryStore,
) -> Result<RunOutcome, EngineError> {
    engine(account, store).rollback().await
}

pub fn load(store: &MemoryStore) -> State {
    store.clone().load().expect("the stored state loads")
}
