//! Elastic Beanstalk's hold on its environment's Auto Scaling group.
//!
//! The environment's `aws:autoscaling:asg` `MinSize` and `MaxSize` are the group's: Elastic
//! Beanstalk applies them on every environment update (through the environment's CloudFormation
//! stack), whatever was set on the group itself since, and it refuses a `MinSize` below 1
//! (<https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-autoscalingasg>).
//! `UpdateEnvironment` answers at once with the environment `Updating` and refuses another
//! update until it is `Ready` again
//! (<https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_UpdateEnvironment.html>).
//! moto implements none of this; the simulator is as strict as Elastic Beanstalk.

use crate::clock::Millis;

use super::World;

/// How long an environment update keeps the environment `Updating`.
pub(crate) const UPDATE_MS: Millis = 40_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvironmentRec {
    pub min: u32,
    pub max: u32,
    /// The environment is `Updating` until then, `Ready` after.
    pub ready_at: Millis,
}

impl EnvironmentRec {
    pub(crate) fn status(&self, now: Millis, terminated: bool) -> &'static str {
        if terminated {
            "Terminated"
        } else if now < self.ready_at {
            "Updating"
        } else {
            "Ready"
        }
    }
}

impl World {
    /// The environment's settings are what its group had when the topology was built.
    pub(crate) fn seed_beanstalk_environment(&mut self) {
        if self.topology.beanstalk_environment.is_none() {
            return;
        }
        if let Some(group) = self.asg.groups.get(&self.topology.asg_name) {
            self.beanstalk = Some(EnvironmentRec {
                min: group.capacity.min,
                max: group.capacity.max,
                ready_at: 0,
            });
        }
    }

    /// What an environment update does to the group: its minimum and maximum become the
    /// environment's, and its desired capacity is brought between them.
    pub(crate) fn apply_beanstalk_capacity(&mut self) {
        let Some(environment) = self.beanstalk else {
            return;
        };
        if self.environment_terminated {
            return;
        }
        if let Some(group) = self.asg.groups.get_mut(&self.topology.asg_name) {
            group.capacity.min = environment.min;
            group.capacity.max = environment.max;
            group.capacity.desired = group
                .capacity
                .desired
                .clamp(environment.min, environment.max);
        }
    }

    /// The topology's periodic environment updates (deployments, managed platform updates).
    pub(crate) fn run_beanstalk_updates(&mut self, at: Millis) {
        let Some(every) = self.topology.old_side.beanstalk_update_every_secs else {
            return;
        };
        let every = every.max(60) * 1000;
        if at % every != 0 {
            return;
        }
        let Some(environment) = self.beanstalk.as_mut() else {
            return;
        };
        if at < environment.ready_at {
            return;
        }
        environment.ready_at = at + UPDATE_MS;
        self.apply_beanstalk_capacity();
    }
}
