//! Plain EC2 instances (`DescribeInstances`, `StopInstances`, `StartInstances`,
//! `TerminateInstances`), with the refusals `world::instances` models.

use async_trait::async_trait;
use migrate_engine::ports::{CloudResult, Instance, Instances};

use super::{err, Kind, SimCloud};
use crate::world::old_side::LeftOut;

#[async_trait]
impl Instances for SimCloud {
    async fn describe_instances(&self, ids: &[String]) -> CloudResult<Vec<Instance>> {
        self.call("ec2:DescribeInstances", ids.join(","), Kind::Read, |w| {
            Ok(ids
                .iter()
                .filter_map(|id| w.plain.instances.get(id))
                .map(|i| Instance {
                    id: i.id.clone(),
                    state: i.state.port_state(),
                    root_device_type: i.root_device_type.clone(),
                    auto_scaling_group: i.auto_scaling_group.clone(),
                    security_groups: i.security_groups.clone(),
                })
                .collect())
        })
        .await
    }

    async fn stop_instances(&self, ids: &[String]) -> CloudResult<()> {
        let op = "ec2:StopInstances";
        self.call(op, ids.join(","), Kind::Write, |w| {
            if w.left_out.contains(&LeftOut::StopInstances) {
                return Ok(());
            }
            w.stop_plain_instances(ids)
                .map_err(|(kind, message)| err(kind, op, &ids.join(","), message))
        })
        .await
    }

    async fn start_instances(&self, ids: &[String]) -> CloudResult<()> {
        let op = "ec2:StartInstances";
        self.call(op, ids.join(","), Kind::Write, |w| {
            if w.left_out.contains(&LeftOut::StartInstances) {
                return Ok(());
            }
            w.start_plain_instances(ids)
                .map_err(|(kind, message)| err(kind, op, &ids.join(","), message))
        })
        .await
    }

    async fn terminate_instances(&self, ids: &[String]) -> CloudResult<()> {
        let op = "ec2:TerminateInstances";
        self.call(op, ids.join(","), Kind::Write, |w| {
            w.terminate_plain_instances(ids)
                .map_err(|(kind, message)| err(kind, op, &ids.join(","), message))
        })
        .await
    }
}
