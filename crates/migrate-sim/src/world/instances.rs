//! Plain EC2 instances of an `ec2` source, launched by hand and registered in the old target
//! group, with AWS's rules for stopping and starting them, stricter than moto's:
//! - Stopping takes a while (`stopping`), and the application dies when it begins: requests in
//!   flight on it fail, and a request the load balancer still sends it fails. Once stopped its
//!   target is `unused` (`Target.InvalidState`) until it runs again, and then it is
//!   health-checked from `initial` like a new target
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>).
//! - `StartInstances` on an instance still `stopping` is refused (`IncorrectInstanceState`), as
//!   is `StopInstances` on an instance-store-backed one (`UnsupportedOperation`)
//!   (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StopInstances.html>,
//!   <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StartInstances.html>,
//!   <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>).
//!
//! moto stops and starts at once and checks neither refusal.
//! - A terminated instance leaves its target groups.

use std::collections::BTreeMap;

use migrate_engine::ports::{ErrorKind, InstanceState, TargetState};

use super::elb::{Backend, TargetRec};
use super::World;
use crate::clock::Millis;
use crate::faults::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlainState {
    Pending { running_at: Millis },
    Running,
    Stopping { stopped_at: Millis },
    Stopped,
    ShuttingDown { terminated_at: Millis },
    Terminated,
}

impl PlainState {
    pub fn port_state(self) -> InstanceState {
        match self {
            Self::Pending { .. } => InstanceState::Pending,
            Self::Running => InstanceState::Running,
            Self::Stopping { .. } => InstanceState::Stopping,
            Self::Stopped => InstanceState::Stopped,
            Self::ShuttingDown { .. } => InstanceState::ShuttingDown,
            Self::Terminated => InstanceState::Terminated,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PlainInstanceRec {
    pub id: String,
    pub state: PlainState,
    /// `ebs` or `instance-store`.
    pub root_device_type: String,
    pub security_groups: Vec<String>,
    /// The Auto Scaling group that launched it, by its `aws:autoscaling:groupName` tag.
    pub auto_scaling_group: Option<String>,
}

impl PlainInstanceRec {
    /// Whether its application answers.
    pub fn up(&self) -> bool {
        self.state == PlainState::Running
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct PlainInstances {
    pub instances: BTreeMap<String, PlainInstanceRec>,
}

/// How long an instance takes to stop, to boot and to terminate.
const STOPPING: Span = Span::secs(20, 90);
const BOOTING: Span = Span::secs(30, 90);
const SHUTTING_DOWN: Span = Span::secs(20, 60);

/// What a refused call answers: its error kind and AWS's message.
pub(crate) type Refusal = (ErrorKind, String);

impl World {
    /// The topology's plain instances, running and healthy in the old target group.
    pub(crate) fn seed_plain_instances(&mut self, target_group_arn: &str) {
        let t = self.topology.clone();
        for instance in &t.plain_instances {
            self.plain.instances.insert(
                instance.id.clone(),
                PlainInstanceRec {
                    id: instance.id.clone(),
                    state: PlainState::Running,
                    root_device_type: if instance.instance_store {
                        "instance-store"
                    } else {
                        "ebs"
                    }
                    .into(),
                    security_groups: vec![t.old_app_security_group_id.clone()],
                    auto_scaling_group: instance.launched_by_group.clone(),
                },
            );
            if let Some(tg) = self.elb.target_groups.get_mut(target_group_arn) {
                tg.targets.insert(
                    (instance.id.clone(), 80),
                    TargetRec {
                        id: instance.id.clone(),
                        port: 80,
                        backend: Backend::Instance(instance.id.clone()),
                        state: TargetState::Healthy,
                        ok_streak: 10,
                        fail_streak: 0,
                        next_check: 1000 + instance.id.len() as u64 * 371 % 5000,
                        draining_until: None,
                        healthy_since: Some(0),
                        serving: true,
                        without_credentials: false,
                        without_connection: false,
                    },
                );
            }
        }
    }

    /// Whether the plain instance `id` runs its application; `None` when it is no plain one.
    pub(crate) fn plain_instance_up(&self, id: &str) -> Option<bool> {
        self.plain.instances.get(id).map(PlainInstanceRec::up)
    }

    /// Whether the plain instance `id` exists but is not running (its target is `unused`).
    pub(crate) fn plain_instance_down(&self, id: &str) -> bool {
        self.plain_instance_up(id) == Some(false)
    }

    pub(crate) fn tick_plain_instances(&mut self, at: Millis) {
        let mut gone = Vec::new();
        for instance in self.plain.instances.values_mut() {
            match instance.state {
                PlainState::Pending { running_at } if running_at <= at => {
                    instance.state = PlainState::Running;
                }
                PlainState::Stopping { stopped_at } if stopped_at <= at => {
                    instance.state = PlainState::Stopped;
                }
                PlainState::ShuttingDown { terminated_at } if terminated_at <= at => {
                    instance.state = PlainState::Terminated;
                    gone.push(instance.id.clone());
                }
                _ => {}
            }
        }
        for id in gone {
            for tg in self.elb.target_groups.values_mut() {
                tg.targets
                    .retain(|_, t| t.backend != Backend::Instance(id.clone()));
            }
        }
    }

    /// `StopInstances`: every id must be a stoppable instance, or nothing happens.
    pub(crate) fn stop_plain_instances(&mut self, ids: &[String]) -> Result<(), Refusal> {
        self.check_plain_ids(ids)?;
        if let Some(instance) = ids
            .iter()
            .filter_map(|id| self.plain.instances.get(id))
            .find(|i| i.root_device_type == "instance-store")
        {
            return Err((
                ErrorKind::InvalidRequest,
                format!(
                    "UnsupportedOperation: The instance '{}' does not have an 'ebs' root device \
                     type and cannot be stopped.",
                    instance.id
                ),
            ));
        }
        let at = self.now;
        for id in ids {
            let stopping = self.draw(STOPPING);
            let Some(instance) = self.plain.instances.get_mut(id) else {
                continue;
            };
            if matches!(
                instance.state,
                PlainState::Pending { .. } | PlainState::Running
            ) {
                instance.state = PlainState::Stopping {
                    stopped_at: at + stopping,
                };
                // The application dies as the shutdown begins: requests in flight on it fail.
                self.killed.push(format!("instance:{id}"));
            }
        }
        Ok(())
    }

    /// `StartInstances`: refused while one of them is still stopping.
    pub(crate) fn start_plain_instances(&mut self, ids: &[String]) -> Result<(), Refusal> {
        self.check_plain_ids(ids)?;
        if let Some(instance) = ids
            .iter()
            .filter_map(|id| self.plain.instances.get(id))
            .find(|i| {
                matches!(
                    i.state,
                    PlainState::Stopping { .. }
                        | PlainState::ShuttingDown { .. }
                        | PlainState::Terminated
                )
            })
        {
            return Err((
                ErrorKind::InvalidRequest,
                format!(
                    "IncorrectInstanceState: The instance '{}' is not in a state from which it \
                     can be started.",
                    instance.id
                ),
            ));
        }
        let at = self.now;
        for id in ids {
            let booting = self.draw(BOOTING);
            if let Some(instance) = self.plain.instances.get_mut(id) {
                if instance.state == PlainState::Stopped {
                    instance.state = PlainState::Pending {
                        running_at: at + booting,
                    };
                }
            }
        }
        Ok(())
    }

    /// `TerminateInstances`.
    pub(crate) fn terminate_plain_instances(&mut self, ids: &[String]) -> Result<(), Refusal> {
        self.check_plain_ids(ids)?;
        let at = self.now;
        for id in ids {
            let shutting = self.draw(SHUTTING_DOWN);
            let Some(instance) = self.plain.instances.get_mut(id) else {
                continue;
            };
            if !matches!(
                instance.state,
                PlainState::ShuttingDown { .. } | PlainState::Terminated
            ) {
                if instance.up() {
                    self.killed.push(format!("instance:{id}"));
                }
                instance.state = PlainState::ShuttingDown {
                    terminated_at: at + shutting,
                };
            }
        }
        Ok(())
    }

    /// EC2 refuses a whole request naming an instance that does not exist.
    fn check_plain_ids(&self, ids: &[String]) -> Result<(), Refusal> {
        match ids
            .iter()
            .find(|id| !self.plain.instances.contains_key(*id))
        {
            Some(id) => Err((
                ErrorKind::NotFound,
                format!("InvalidInstanceID.NotFound: The instance ID '{id}' does not exist"),
            )),
            None => Ok(()),
        }
    }
}
