//! What can run next: the one table from (operation asked for, phase of the migration) to what
//! the engine does. The binary asks it before it connects, so that a refused run changes and
//! costs nothing; the engine asks it again when it runs, so that no caller can skip it.

use migrate_journal::Phase;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Apply,
    Resume,
    Rollback,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Resume => "resume",
            Self::Rollback => "rollback",
        }
    }
}

/// Which way the steps are walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Forward actions, from the first step not done.
    Forward,
    /// Compensations, newest first.
    Backward,
}

/// The answer of [`next_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextRun {
    Run(Direction),
    /// There is nothing to do; the message says why.
    NothingToDo(String),
    /// The operation does not fit the phase; the message says what to run instead.
    Refused(String),
}

/// What `operation` does to the migration `name` in `phase`.
pub fn next_run(operation: Operation, phase: Phase, name: &str) -> NextRun {
    use Direction::{Backward, Forward};
    use Operation::{Apply, Resume, Rollback};
    match (operation, phase) {
        (Rollback, Phase::RolledBack) => NextRun::NothingToDo(format!(
            "Nothing to roll back: {name} is already rolled back."
        )),
        (Rollback, _) => NextRun::Run(Backward),
        (Apply | Resume, Phase::Applied) => {
            NextRun::NothingToDo(format!("Nothing to do: every step of {name} is done."))
        }
        (Resume, Phase::RollingBack) => NextRun::Run(Backward),
        (Resume, Phase::Planned) => NextRun::Refused(format!(
            "{name} has not been applied yet; run `migrate apply`"
        )),
        (Apply | Resume, Phase::RolledBack) => NextRun::Refused(format!(
            "{name} was rolled back; run `migrate plan` again to start over"
        )),
        (Apply, Phase::RollingBack) => NextRun::Refused(format!(
            "a rollback of {name} is unfinished; run `migrate rollback` to finish it"
        )),
        // Forward finishes an unfinished hand back first, and stops there.
        (Apply, Phase::Planned)
        | (Apply | Resume, Phase::Applying | Phase::Failed | Phase::HandingBack) => {
            NextRun::Run(Forward)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_in_every_phase_has_one_answer() {
        use Direction::{Backward, Forward};
        use Operation::{Apply, Resume, Rollback};
        let run = |op, phase| next_run(op, phase, "shop");
        assert_eq!(run(Apply, Phase::Planned), NextRun::Run(Forward));
        assert_eq!(run(Apply, Phase::Failed), NextRun::Run(Forward));
        assert_eq!(run(Resume, Phase::Applying), NextRun::Run(Forward));
        assert_eq!(run(Resume, Phase::RollingBack), NextRun::Run(Backward));
        assert_eq!(run(Resume, Phase::HandingBack), NextRun::Run(Forward));
        assert_eq!(run(Rollback, Phase::HandingBack), NextRun::Run(Backward));
        assert_eq!(run(Rollback, Phase::Applied), NextRun::Run(Backward));
        assert!(matches!(
            run(Apply, Phase::Applied),
            NextRun::NothingToDo(_)
        ));
        assert!(matches!(
            run(Rollback, Phase::RolledBack),
            NextRun::NothingToDo(_)
        ));
        assert!(
            matches!(run(Resume, Phase::Planned), NextRun::Refused(m) if m.contains("migrate apply"))
        );
        assert!(
            matches!(run(Apply, Phase::RollingBack), NextRun::Refused(m) if m.contains("migrate rollback"))
        );
        assert!(
            matches!(run(Apply, Phase::RolledBack), NextRun::Refused(m) if m.contains("migrate plan"))
        );
    }
}
