//! Application Auto Scaling of ECS services (see `world::scaling` for what is modelled).

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, CpuTrackingSpec, ErrorKind, ScalableTarget, ScalableTargetSpec, ScalingPolicy,
    ServiceScaling,
};

use super::{err, Kind, SimCloud};
use crate::world::ecs::ServiceState;
use crate::world::scaling::{ecs_service_of, no_target, ScalableTargetRec};

#[async_trait]
impl ServiceScaling for SimCloud {
    async fn find_target(&self, resource_id: &str) -> CloudResult<Option<ScalableTarget>> {
        let op = "application-autoscaling:DescribeScalableTargets";
        self.call(op, resource_id, Kind::Read, |w| {
            Ok(w.scaling.targets.get(resource_id).map(|t| ScalableTarget {
                resource_id: resource_id.to_string(),
                min_count: t.min,
                max_count: t.max,
            }))
        })
        .await
    }

    async fn register_target(&self, spec: &ScalableTargetSpec) -> CloudResult<()> {
        let op = "application-autoscaling:RegisterScalableTarget";
        let id = spec.resource_id.as_str();
        self.call(op, id, Kind::Write, |w| {
            if spec.min_count > spec.max_count {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    id,
                    "ValidationException: Minimum capacity cannot be greater than maximum capacity",
                ));
            }
            let Some((cluster, service)) = ecs_service_of(id) else {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    id,
                    "ValidationException: Unsupported service namespace, resource type or scalable dimension",
                ));
            };
            // A mutation test that leaves out lowering the old service's minimum.
            if w
                .left_out
                .contains(&crate::world::old_side::LeftOut::OldServiceMinimum)
                && w.topology.old_cluster.as_deref() == Some(cluster)
                && w.scaling.targets.contains_key(id)
            {
                return Ok(());
            }
            // An active service's count moves into the new range at once.
            if let Some(key) = w.ecs.live_service_key(cluster, service) {
                if let Some(s) = w.ecs.services.get_mut(&key) {
                    if s.state == ServiceState::Active {
                        s.desired = s.desired.clamp(spec.min_count, spec.max_count);
                    }
                }
            }
            match w.scaling.targets.get_mut(id) {
                Some(existing) => {
                    existing.min = spec.min_count;
                    existing.max = spec.max_count;
                }
                None => {
                    w.scaling.targets.insert(
                        id.to_string(),
                        ScalableTargetRec {
                            min: spec.min_count,
                            max: spec.max_count,
                            tags: spec.tags.clone(),
                            policies: Default::default(),
                        },
                    );
                    let arn = w.arn("application-autoscaling", &format!("scalable-target/{id}"));
                    w.record_creation("scalable-target", id, &arn);
                }
            }
            Ok(())
        })
        .await
    }

    async fn deregister_target(&self, resource_id: &str) -> CloudResult<()> {
        let op = "application-autoscaling:DeregisterScalableTarget";
        self.call(op, resource_id, Kind::Write, |w| {
            match w.scaling.targets.remove(resource_id) {
                Some(_) => Ok(()),
                None => Err(err(
                    ErrorKind::NotFound,
                    op,
                    resource_id,
                    no_target(resource_id),
                )),
            }
        })
        .await
    }

    async fn policies(&self, resource_id: &str) -> CloudResult<Vec<ScalingPolicy>> {
        let op = "application-autoscaling:DescribeScalingPolicies";
        self.call(op, resource_id, Kind::Read, |w| {
            Ok(w.scaling
                .targets
                .get(resource_id)
                .map(|t| {
                    t.policies
                        .iter()
                        .map(|(name, cpu)| ScalingPolicy {
                            name: name.clone(),
                            cpu_target_percent: *cpu,
                        })
                        .collect()
                })
                .unwrap_or_default())
        })
        .await
    }

    async fn put_cpu_tracking(&self, spec: &CpuTrackingSpec) -> CloudResult<()> {
        let op = "application-autoscaling:PutScalingPolicy";
        let id = spec.resource_id.as_str();
        self.call(op, id, Kind::Write, |w| {
            let target = w
                .scaling
                .targets
                .get_mut(id)
                .ok_or_else(|| err(ErrorKind::NotFound, op, id, no_target(id)))?;
            target
                .policies
                .insert(spec.policy_name.clone(), Some(spec.target_percent));
            Ok(())
        })
        .await
    }
}
