//! The answers given on the command line, one per question of the wizard.

/// What the command line answered; `None` means "ask, or take the default with `yes`".
#[derive(Debug, Clone, Default)]
pub struct Answers {
    /// Take the default of every question not answered here.
    pub yes: bool,
    /// `--app`: the application, by the name `migrate discover` printed.
    pub application: Option<String>,
    /// `--name`: the migration's name (the playbook's `name`).
    pub name: Option<String>,
    /// `--record`: the DNS name to move.
    pub record: Option<String>,
    /// `--data-stores`: the data stores to open to the new side, by id (empty: none).
    pub data_stores: Option<Vec<String>>,
    /// `--services`: the old ECS services to move, by name.
    pub services: Option<Vec<String>>,
    /// `--image`: the image the new service runs (an Auto Scaling group or Beanstalk source has
    /// no task definition to translate).
    pub image: Option<String>,
    /// `--cpu` and `--memory`: the Fargate size of every service.
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    /// `--desired-count`: tasks of the web service.
    pub desired_count: Option<u32>,
    /// `--strategy`: `alias` or `weighted`.
    pub strategy: Option<String>,
    /// `--drain-timeout`: how long the drain may wait for the old side's traffic to end.
    pub drain_timeout: Option<String>,
    /// `--cluster`: the new Fargate cluster.
    pub cluster: Option<String>,
    /// `--execution-role`: the tasks' execution role.
    pub execution_role: Option<String>,
}
