//! The one seam to the terminal: a question is answered by a [`Prompter`].

/// A question, with the flag that answers it without asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The flag, e.g. `--image`.
    pub flag: &'static str,
    pub text: String,
}

/// Why the wizard stopped; nothing has been written when it returns one.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    #[error("{question} has no answer: pass {flag} (not on a terminal, the wizard cannot ask)")]
    NotATerminal {
        flag: &'static str,
        question: String,
    },
    #[error("{flag}: {message}")]
    BadAnswer { flag: &'static str, message: String },
    #[error("the inventory has no application this tool can move: no application load balancer forwards to ECS services on EC2, an Auto Scaling group, a Beanstalk environment or EC2 instances")]
    NoApplication,
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "the written playbook would not validate (a defect of the wizard, please report it):\n{0}"
    )]
    Invalid(String),
    #[error("the prompt failed: {0}")]
    Terminal(String),
}

/// Asks questions. The terminal implementation shows dialoguer prompts; the one used off a
/// terminal answers every call with [`WizardError::NotATerminal`].
pub trait Prompter {
    /// One of `options`; `default` is preselected.
    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: usize,
    ) -> Result<usize, WizardError>;
    /// Any of `options`; `chosen` are preselected.
    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        chosen: &[bool],
    ) -> Result<Vec<usize>, WizardError>;
    /// Free text; `default` is offered when there is one.
    fn input(&mut self, question: &Question, default: Option<&str>) -> Result<String, WizardError>;
}

/// The prompter off a terminal: nothing can be asked, so each question fails naming the flag
/// that answers it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTerminal;

impl NoTerminal {
    fn refuse(question: &Question) -> WizardError {
        WizardError::NotATerminal {
            flag: question.flag,
            question: question.text.clone(),
        }
    }
}

impl Prompter for NoTerminal {
    fn select(&mut self, q: &Question, _: &[String], _: usize) -> Result<usize, WizardError> {
        Err(Self::refuse(q))
    }
    fn multi_select(
        &mut self,
        q: &Question,
        _: &[String],
        _: &[bool],
    ) -> Result<Vec<usize>, WizardError> {
        Err(Self::refuse(q))
    }
    fn input(&mut self, q: &Question, _: Option<&str>) -> Result<String, WizardError> {
        Err(Self::refuse(q))
    }
}

/// Whether an image the user named exists, asked while the question is open so that a typo is
/// asked again rather than written: the binary asks ECR (`DescribeImages`) for an ECR URI.
pub trait ImageCheck {
    /// Why `image` cannot be used (`Err`), or `Ok` when it exists or cannot be checked.
    fn check(&self, image: &str) -> Result<(), String>;
}

/// No check: `--from` a saved inventory (no AWS call), and the unit tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoImageCheck;

impl ImageCheck for NoImageCheck {
    fn check(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}
