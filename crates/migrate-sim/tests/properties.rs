//! Properties of the engine over many seeded simulations (issue 4). Every failing seed prints the
//! command that replays it.

use std::path::Path;

use migrate_plan::Plan;
use migrate_playbook::Playbook;
use migrate_sim::harness::{self, Afterwards, Crash, RunReport, Scenario};
use migrate_sim::FaultProfile;

fn demo_plan() -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    let playbook = Playbook::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    migrate_plan::build(&playbook)
}

#[test]
fn smoke() {
    let plan = demo_plan();
    let r: RunReport = harness::run(&plan, &Scenario::new(1, FaultProfile::none())).unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
    let _ = (Afterwards::Nothing, Crash::None);
}
