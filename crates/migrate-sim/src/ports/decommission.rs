//! What `migrate cleanup` reads and deletes of the old side, with AWS's refusals: a group with
//! instances cannot be deleted without `ForceDelete`
//! (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteAutoScalingGroup.html>),
//! an attached volume cannot be deleted (`VolumeInUse`,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html>), and a
//! security group that another group's rule names or a network interface uses cannot either
//! (`DependencyViolation`, in `network.rs`).

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, Decommission, ErrorKind, LaunchTemplate, Repository, SecurityGroupUsers, Tags,
    Volume,
};

use super::{err, Kind, SimCloud};
use crate::world::ec2::VolumeRec;
use crate::world::ecs::TaskState;
use crate::world::instances::PlainState;

fn volume_of(v: &VolumeRec) -> Volume {
    Volume {
        id: v.id.clone(),
        state: v.state.clone(),
        size_gib: v.size_gib,
    }
}

#[async_trait]
impl Decommission for SimCloud {
    async fn launch_template_of_group(&self, group: &str) -> CloudResult<Option<LaunchTemplate>> {
        let template_id = self
            .call(
                "autoscaling:DescribeAutoScalingGroups",
                group,
                Kind::Read,
                |w| {
                    Ok(w.asg
                        .groups
                        .get(group)
                        .and_then(|g| g.launch_template.clone()))
                },
            )
            .await?;
        let Some(id) = template_id else {
            return Ok(None);
        };
        self.call("ec2:DescribeLaunchTemplateVersions", &id, Kind::Read, |w| {
            Ok(w.ec2.launch_templates.get(&id).map(|t| LaunchTemplate {
                id: t.id.clone(),
                name: t.name.clone(),
                security_groups: t.security_groups.clone(),
                volume_tags: t.volume_tags.clone(),
            }))
        })
        .await
    }

    async fn available_volumes_tagged(&self, tags: &Tags) -> CloudResult<Vec<Volume>> {
        self.call("ec2:DescribeVolumes", "tagged volumes", Kind::Read, |w| {
            Ok(w.ec2
                .volumes
                .values()
                .filter(|v| {
                    v.state == "available"
                        && tags.iter().all(|(k, value)| v.tags.get(k) == Some(value))
                })
                .map(volume_of)
                .collect())
        })
        .await
    }

    async fn find_volume(&self, id: &str) -> CloudResult<Option<Volume>> {
        self.call("ec2:DescribeVolumes", id, Kind::Read, |w| {
            Ok(w.ec2.volumes.get(id).map(volume_of))
        })
        .await
    }

    async fn security_group_users(&self, group_id: &str) -> CloudResult<SecurityGroupUsers> {
        let op = "ec2:DescribeSecurityGroups";
        let referencing_groups = self
            .call(op, group_id, Kind::Read, |w| {
                if !w.ec2.groups.contains_key(group_id) {
                    return Err(err(
                        ErrorKind::NotFound,
                        op,
                        group_id,
                        "InvalidGroup.NotFound",
                    ));
                }
                let mut groups: Vec<String> = w
                    .ec2
                    .rules
                    .keys()
                    .filter(|(g, source, _)| source == group_id && g != group_id)
                    .map(|(g, _, _)| g.clone())
                    .collect();
                groups.dedup();
                Ok(groups)
            })
            .await?;
        let network_interfaces = self
            .call("ec2:DescribeNetworkInterfaces", group_id, Kind::Read, |w| {
                let uses = |groups: &[String]| groups.iter().any(|g| g == group_id);
                let mut interfaces: Vec<String> = w
                    .elb
                    .load_balancers
                    .values()
                    .filter(|l| !l.deleted && uses(&l.security_groups))
                    .map(|l| format!("ELB app/{}", l.name))
                    .collect();
                interfaces.extend(
                    w.ecs
                        .tasks
                        .values()
                        .filter(|t| {
                            !matches!(t.state, TaskState::Stopped) && uses(&t.security_groups)
                        })
                        .map(|t| format!("task {}", t.id)),
                );
                interfaces.extend(
                    w.plain
                        .instances
                        .values()
                        .filter(|i| i.state != PlainState::Terminated && uses(&i.security_groups))
                        .map(|i| format!("instance {}", i.id)),
                );
                for g in w.asg.groups.values() {
                    let launched_in_group = g
                        .launch_template
                        .as_ref()
                        .and_then(|id| w.ec2.launch_templates.get(id))
                        .is_some_and(|t| uses(&t.security_groups));
                    if launched_in_group {
                        interfaces.extend(
                            g.instances
                                .values()
                                .filter(|i| i.counts_in_service() || i.up())
                                .map(|i| format!("instance {}", i.id)),
                        );
                    }
                }
                Ok(interfaces)
            })
            .await?;
        Ok(SecurityGroupUsers {
            referencing_groups,
            network_interfaces,
        })
    }

    async fn delete_auto_scaling_group(&self, name: &str) -> CloudResult<()> {
        let op = "autoscaling:DeleteAutoScalingGroup";
        self.call(op, name, Kind::Write, |w| {
            let group = w
                .asg
                .groups
                .get(name)
                .ok_or_else(|| err(ErrorKind::NotFound, op, name, "AutoScalingGroup name not found"))?;
            let left = group
                .instances
                .values()
                .filter(|i| !matches!(i.state, crate::world::asg::InstanceState::Terminated))
                .count();
            if left > 0 {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    name,
                    format!("ResourceInUse: You cannot delete an AutoScalingGroup while there are instances still in the group ({left})"),
                ));
            }
            w.asg.groups.remove(name);
            Ok(())
        })
        .await
    }

    async fn delete_launch_template(&self, id: &str) -> CloudResult<()> {
        let op = "ec2:DeleteLaunchTemplate";
        self.call(op, id, Kind::Write, |w| {
            w.ec2
                .launch_templates
                .remove(id)
                .map(|_| ())
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        op,
                        id,
                        "InvalidLaunchTemplateId.NotFound",
                    )
                })
        })
        .await
    }

    async fn delete_volume(&self, id: &str) -> CloudResult<()> {
        let op = "ec2:DeleteVolume";
        self.call(op, id, Kind::Write, |w| match w.ec2.volumes.get(id) {
            None => Err(err(ErrorKind::NotFound, op, id, "InvalidVolume.NotFound")),
            Some(v) if v.state != "available" => Err(err(
                ErrorKind::InvalidRequest,
                op,
                id,
                format!("VolumeInUse: Volume {id} is currently attached"),
            )),
            Some(_) => {
                w.ec2.volumes.remove(id);
                Ok(())
            }
        })
        .await
    }

    async fn terminate_environment(&self, id: &str) -> CloudResult<()> {
        let op = "elasticbeanstalk:TerminateEnvironment";
        self.call(op, id, Kind::Write, |w| {
            if w.topology.beanstalk_environment.is_none() || w.environment_terminated {
                return Err(err(ErrorKind::NotFound, op, id, "No Environment found"));
            }
            // Terminating deletes the environment's CloudFormation stack, and with it the
            // security groups Elastic Beanstalk made; a group another load balancer uses, or
            // another group's rule names, cannot be deleted (`DependencyViolation`), so the stack
            // and the environment stay. AWS reports that in the environment's events after the
            // call returns; the simulator refuses the call, so that clean-up stops on it.
            if let Some(reason) = beanstalk_groups_in_use(w) {
                return Err(err(ErrorKind::InvalidRequest, op, id, reason));
            }
            w.environment_terminated = true;
            Ok(())
        })
        .await
    }

    async fn find_repository(&self, name: &str) -> CloudResult<Option<Repository>> {
        self.call("ecr:DescribeRepositories", name, Kind::Read, |w| {
            Ok(w.ecr.get(name).map(|last_pull| Repository {
                name: name.to_string(),
                images: 1,
                last_pull: last_pull.map(crate::clock::SimClock::date_of),
            }))
        })
        .await
    }

    async fn delete_repository(&self, name: &str) -> CloudResult<()> {
        let op = "ecr:DeleteRepository";
        self.call(op, name, Kind::Write, |w| match w.ecr.remove(name) {
            Some(_) => Ok(()),
            None => Err(err(
                ErrorKind::NotFound,
                op,
                name,
                "RepositoryNotFoundException",
            )),
        })
        .await
    }
}

/// Why Elastic Beanstalk could not delete its environment's security groups, if it could not.
fn beanstalk_groups_in_use(w: &crate::world::World) -> Option<String> {
    let t = &w.topology;
    let own = [&t.old_lb_security_group_id, &t.old_app_security_group_id];
    for group in own {
        let by_lb =
            w.elb.load_balancers.values().find(|l| {
                !l.deleted && !l.old_side && l.security_groups.iter().any(|g| g == group)
            });
        if let Some(lb) = by_lb {
            return Some(format!(
                "DeleteStack failed: DependencyViolation: security group {group} is used by load \
                 balancer {}",
                lb.name
            ));
        }
        let by_rule = w
            .ec2
            .rules
            .keys()
            .find(|(g, src, _)| src == group && !own.contains(&g));
        if let Some((g, _, _)) = by_rule {
            return Some(format!(
                "DeleteStack failed: DependencyViolation: security group {group} is named by a \
                 rule of {g}"
            ));
        }
    }
    None
}
