//! Auto Scaling groups and Elastic Beanstalk environments (discovery of the old side).

use async_trait::async_trait;
use migrate_engine::ports::{
    AutoScaling, AutoScalingGroup, Capacity, CloudResult, Environment, EnvironmentCapacity,
    EnvironmentResources, Environments, ErrorKind, ScalingPolicy, BEANSTALK_MIN_INSTANCES,
};

use super::{err, Kind, SimCloud};
use crate::world::asg::GroupRec;
use crate::world::old_side::LeftOut;
use crate::world::World;

/// The processes `SuspendProcesses` and `ResumeProcesses` accept
/// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html>).
const PROCESSES: [&str; 9] = [
    "Launch",
    "Terminate",
    "AddToLoadBalancer",
    "AlarmNotification",
    "AZRebalance",
    "HealthCheck",
    "InstanceRefresh",
    "ReplaceUnhealthy",
    "ScheduledActions",
];

fn group_mut<'w>(w: &'w mut World, op: &str, name: &str) -> CloudResult<&'w mut GroupRec> {
    w.asg
        .groups
        .get_mut(name)
        .ok_or_else(|| err(ErrorKind::NotFound, op, name, "AutoScalingGroup not found"))
}

fn known_processes(op: &str, name: &str, processes: &[String]) -> CloudResult<()> {
    match processes.iter().find(|p| !PROCESSES.contains(&p.as_str())) {
        Some(unknown) => Err(err(
            ErrorKind::InvalidRequest,
            op,
            name,
            format!("ValidationError: {unknown} is not a scaling process"),
        )),
        None => Ok(()),
    }
}

fn group_of(g: &GroupRec) -> AutoScalingGroup {
    let in_service = g
        .instances
        .values()
        .filter(|i| i.counts_in_service())
        .count() as u32;
    let mut instance_types = std::collections::BTreeMap::new();
    if in_service > 0 {
        instance_types.insert(g.instance_type.clone(), in_service);
    }
    AutoScalingGroup {
        name: g.name.clone(),
        capacity: g.capacity,
        in_service,
        instance_types,
        target_group_arns: g.target_group_arns.clone(),
        tags: g.tags.clone(),
    }
}

#[async_trait]
impl AutoScaling for SimCloud {
    async fn find_group(&self, name: &str) -> CloudResult<Option<AutoScalingGroup>> {
        self.call(
            "autoscaling:DescribeAutoScalingGroups",
            name,
            Kind::Read,
            |w| Ok(w.asg.groups.get(name).map(group_of)),
        )
        .await
    }

    async fn set_capacity(&self, name: &str, capacity: Capacity) -> CloudResult<()> {
        let op = "autoscaling:UpdateAutoScalingGroup";
        self.call(op, name, Kind::Write, |w| {
            if capacity.min > capacity.desired || capacity.desired > capacity.max {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    name,
                    "ValidationError: desired capacity must lie between min and max",
                ));
            }
            let now = w.now;
            let g =
                w.asg.groups.get_mut(name).ok_or_else(|| {
                    err(ErrorKind::NotFound, op, name, "AutoScalingGroup not found")
                })?;
            if capacity.desired == 0 && g.capacity.desired > 0 {
                w.timeline_scale_in = Some(now);
            }
            g.capacity = capacity;
            Ok(())
        })
        .await
    }

    async fn scaling_policies(&self, name: &str) -> CloudResult<Vec<ScalingPolicy>> {
        self.call("autoscaling:DescribePolicies", name, Kind::Read, |w| {
            Ok(w.scaling
                .group_policies
                .get(name)
                .cloned()
                .unwrap_or_default())
        })
        .await
    }

    async fn suspended_processes(&self, name: &str) -> CloudResult<Vec<String>> {
        let op = "autoscaling:DescribeAutoScalingGroups";
        self.call(op, name, Kind::Read, |w| {
            Ok(group_mut(w, op, name)?.suspended.iter().cloned().collect())
        })
        .await
    }

    async fn suspend_processes(&self, name: &str, processes: &[String]) -> CloudResult<()> {
        let op = "autoscaling:SuspendProcesses";
        self.call(op, name, Kind::Write, |w| {
            known_processes(op, name, processes)?;
            let left_out = w.left_out.contains(&LeftOut::SuspendProcesses);
            let g = group_mut(w, op, name)?;
            if !left_out {
                g.suspended.extend(processes.iter().cloned());
            }
            Ok(())
        })
        .await
    }

    async fn resume_processes(&self, name: &str, processes: &[String]) -> CloudResult<()> {
        let op = "autoscaling:ResumeProcesses";
        self.call(op, name, Kind::Write, |w| {
            known_processes(op, name, processes)?;
            let g = group_mut(w, op, name)?;
            for p in processes {
                g.suspended.remove(p);
            }
            Ok(())
        })
        .await
    }

    async fn instance_ids(&self, name: &str) -> CloudResult<Vec<String>> {
        let op = "autoscaling:DescribeAutoScalingGroups";
        self.call(op, name, Kind::Read, |w| {
            Ok(group_mut(w, op, name)?
                .instances
                .values()
                .filter(|i| i.counts_in_service())
                .map(|i| i.id.clone())
                .collect())
        })
        .await
    }

    async fn protected_instances(&self, name: &str) -> CloudResult<Vec<String>> {
        let op = "autoscaling:DescribeAutoScalingGroups";
        self.call(op, name, Kind::Read, |w| {
            let g = group_mut(w, op, name)?;
            Ok(g.protected
                .iter()
                .filter(|id| g.instances.get(*id).is_some_and(|i| i.counts_in_service()))
                .cloned()
                .collect())
        })
        .await
    }

    async fn set_scale_in_protection(
        &self,
        name: &str,
        instance_ids: &[String],
        protected: bool,
    ) -> CloudResult<()> {
        let op = "autoscaling:SetInstanceProtection";
        self.call(op, name, Kind::Write, |w| {
            let left_out = !protected && w.left_out.contains(&LeftOut::ClearScaleInProtection);
            let g = group_mut(w, op, name)?;
            // AWS refuses the whole call when an instance is not in the group (or gone).
            if let Some(stranger) = instance_ids
                .iter()
                .find(|id| !g.instances.get(*id).is_some_and(|i| i.counts_in_service()))
            {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    name,
                    format!("ValidationError: The instance {stranger} is not part of Auto Scaling group {name}"),
                ));
            }
            if left_out {
                return Ok(());
            }
            for id in instance_ids {
                if protected {
                    g.protected.insert(id.clone());
                } else {
                    g.protected.remove(id);
                }
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Environments for SimCloud {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>> {
        self.call(
            "elasticbeanstalk:DescribeEnvironments",
            name,
            Kind::Read,
            |w| {
                Ok(w.topology
                    .beanstalk_environment
                    .as_deref()
                    .filter(|e| *e == name)
                    .map(|e| Environment {
                        name: e.to_string(),
                        id: format!("e-{}", &w.seed.to_string()),
                        cname: Some(format!("{e}.{}.elasticbeanstalk.com", w.topology.region)),
                        status: match &w.beanstalk {
                            Some(env) => env.status(w.now, w.environment_terminated).into(),
                            None if w.environment_terminated => "Terminated".into(),
                            None => "Ready".into(),
                        },
                    }))
            },
        )
        .await
    }

    async fn environment_resources(&self, name: &str) -> CloudResult<EnvironmentResources> {
        let op = "elasticbeanstalk:DescribeEnvironmentResources";
        self.call(op, name, Kind::Read, |w| {
            live_environment(w, op, name)?;
            Ok(EnvironmentResources {
                auto_scaling_groups: vec![w.topology.asg_name.clone()],
                load_balancers: w
                    .elb
                    .live_lb_by_name(&w.topology.old_lb_name)
                    .map(|lb| lb.arn.clone())
                    .into_iter()
                    .collect(),
            })
        })
        .await
    }

    async fn capacity_settings(&self, name: &str) -> CloudResult<EnvironmentCapacity> {
        let op = "elasticbeanstalk:DescribeConfigurationSettings";
        self.call(op, name, Kind::Read, |w| {
            live_environment(w, op, name).map(|env| EnvironmentCapacity {
                min: env.min,
                max: env.max,
            })
        })
        .await
    }

    async fn update_capacity(&self, name: &str, capacity: EnvironmentCapacity) -> CloudResult<()> {
        let op = "elasticbeanstalk:UpdateEnvironment";
        self.call(op, name, Kind::Write, |w| {
            let env = live_environment(w, op, name)?;
            if w.now < env.ready_at {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    name,
                    format!(
                        "Environment named {name} is in an invalid state for this operation. \
                         Must be Ready."
                    ),
                ));
            }
            if capacity.min < BEANSTALK_MIN_INSTANCES || capacity.max < capacity.min {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    name,
                    "ConfigurationValidationException: Invalid option value (Namespace: \
                     'aws:autoscaling:asg', OptionName: 'MinSize'): Value is less than minimum \
                     allowed value: 1",
                ));
            }
            let ready_at = w.now + crate::world::beanstalk::UPDATE_MS;
            w.beanstalk = Some(crate::world::beanstalk::EnvironmentRec {
                min: capacity.min,
                max: capacity.max,
                ready_at,
            });
            w.apply_beanstalk_capacity();
            Ok(())
        })
        .await
    }
}

/// The topology's environment named `name`, unless it was terminated.
fn live_environment(
    w: &World,
    op: &str,
    name: &str,
) -> CloudResult<crate::world::beanstalk::EnvironmentRec> {
    match (&w.beanstalk, w.topology.beanstalk_environment.as_deref()) {
        (Some(env), Some(environment)) if environment == name && !w.environment_terminated => {
            Ok(*env)
        }
        _ => Err(err(
            ErrorKind::InvalidRequest,
            op,
            name,
            format!("No Environment found for EnvironmentName = '{name}'."),
        )),
    }
}
