//! `migrate init`: the wizard over the applications `migrate discover` found.
//!
//! Every question has a flag ([`Answers`]); a flag given is never asked, `--yes` takes every
//! default, and a question with no answer and no default reaches the [`Prompter`], which on a
//! terminal asks and elsewhere fails naming the flag. The prompting sits behind that trait so
//! that the whole dialogue runs in unit tests without a terminal; the binary gives it dialoguer.
//! The result is a [`Draft`]: the commented playbook and the task definitions it refers to,
//! checked by the playbook's own validation before anything is written.

mod answers;
mod ask;
mod draft;
mod render;

pub use answers::Answers;
pub use ask::{ImageCheck, NoImageCheck, NoTerminal, Prompter, Question, WizardError};
pub use draft::{draft, draft_checking_images, Draft, DraftFile};
