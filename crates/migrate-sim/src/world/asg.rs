//! Auto Scaling groups and their instances.

use std::collections::{BTreeMap, BTreeSet};

use migrate_engine::ports::{Capacity, Tags};

use crate::clock::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstanceState {
    Pending {
        in_service_at: Millis,
    },
    InService,
    /// Deregistered from the group's target groups, waiting for the deregistration delay.
    Draining {
        terminate_at: Millis,
    },
    Terminating {
        terminated_at: Millis,
    },
    Terminated,
}

#[derive(Debug, Clone)]
pub(crate) struct InstanceRec {
    pub id: String,
    pub state: InstanceState,
}

impl InstanceRec {
    /// Counted as in service by the port (`InService` or on its way to it).
    pub fn counts_in_service(&self) -> bool {
        matches!(
            self.state,
            InstanceState::Pending { .. } | InstanceState::InService
        )
    }
    pub fn up(&self) -> bool {
        matches!(
            self.state,
            InstanceState::InService | InstanceState::Draining { .. }
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GroupRec {
    pub name: String,
    pub capacity: Capacity,
    pub instances: BTreeMap<String, InstanceRec>,
    /// The launch template's instance type, which every instance of the group has.
    pub instance_type: String,
    pub target_group_arns: Vec<String>,
    pub tags: Tags,
    /// The id of the launch template it launches from.
    pub launch_template: Option<String>,
    /// When the last instance terminated after a scale-in to zero.
    pub emptied_at: Option<Millis>,
    /// Suspended scaling processes (`Launch`, `Terminate`, `AlarmNotification`, ...).
    pub suspended: BTreeSet<String>,
    /// Instances protected from scale-in.
    pub protected: BTreeSet<String>,
}

impl GroupRec {
    pub fn runs(&self, process: &str) -> bool {
        !self.suspended.contains(process)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Asg {
    pub groups: BTreeMap<String, GroupRec>,
}
