//! Application Auto Scaling as the world holds it: the scalable targets of ECS services and their
//! policies, and the old Auto Scaling group's policies.
//!
//! Two behaviours of AWS are modelled, both from the API reference:
//! - `RegisterScalableTarget` "changes the resource's current capacity to a value that is inside
//!   of this range" when the resource is active, so a registration moves the service's desired
//!   count into `[min, max]`
//!   (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html>);
//! - "Deregistering a scalable target deletes the scaling policies and the scheduled actions that
//!   are associated with it", and a policy needs a registered target
//!   (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html>).
//!
//! What target tracking then does under load is not modelled: the simulator's clients cost no
//! CPU, so a rehearsal shows the target and its policy exist, not that the service grows.

use std::collections::BTreeMap;

use migrate_engine::ports::{ScalingPolicy, Tags};

#[derive(Debug, Clone)]
pub(crate) struct ScalableTargetRec {
    pub min: u32,
    pub max: u32,
    pub tags: Tags,
    /// Policy name → its CPU target (`None` for a policy on something else).
    pub policies: BTreeMap<String, Option<f64>>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Scaling {
    /// By resource id (`service/CLUSTER/SERVICE`).
    pub targets: BTreeMap<String, ScalableTargetRec>,
    /// The Auto Scaling groups' policies, by group name.
    pub group_policies: BTreeMap<String, Vec<ScalingPolicy>>,
}

/// The `(cluster, service)` an ECS resource id names, if it names one.
pub(crate) fn ecs_service_of(resource_id: &str) -> Option<(&str, &str)> {
    let rest = resource_id.strip_prefix("service/")?;
    let (cluster, service) = rest.split_once('/')?;
    (!cluster.is_empty() && !service.is_empty() && !service.contains('/'))
        .then_some((cluster, service))
}

/// How Application Auto Scaling answers for a target it does not know.
pub(crate) fn no_target(resource_id: &str) -> String {
    format!(
        "ObjectNotFoundException: No scalable target registered for service namespace: ecs, \
         resource ID: {resource_id}, scalable dimension: ecs:service:DesiredCount"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_name_a_cluster_and_a_service() {
        assert_eq!(
            ecs_service_of("service/shop-fargate/shop-web"),
            Some(("shop-fargate", "shop-web"))
        );
        assert_eq!(ecs_service_of("service/shop-fargate"), None);
        assert_eq!(ecs_service_of("service//web"), None);
        assert_eq!(ecs_service_of("table/orders"), None);
    }
}
