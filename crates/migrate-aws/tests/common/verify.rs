//! The duplicate checks of the crash tests, made with plain SDK clients (not the adapter) so that
//! they see the emulator's account as it is, whatever the adapter or the journal believe.

use aws_types::SdkConfig;
use migrate_plan::ResourceNames;

use super::seed::{id, Ids};

/// Asserts one of each resource the seed-001 apply creates: one new ALB (beside the old one), one
/// target group, one listener on the new ALB, one service security group, one ingress rule from
/// it on each data store's port, one ECS service per planned service, one new cluster and one
/// task definition revision of the web family.
pub async fn assert_one_of_each(sdk: &SdkConfig, names: &ResourceNames, ids: &Ids) {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    let albs = elb.describe_load_balancers().send().await.unwrap();
    let new_albs: Vec<_> = albs
        .load_balancers()
        .iter()
        .filter(|l| l.load_balancer_name() == Some(names.load_balancer.as_str()))
        .collect();
    assert_eq!(
        new_albs.len(),
        1,
        "load balancers named {}",
        names.load_balancer
    );
    let new_alb = new_albs[0].load_balancer_arn().unwrap();
    assert_eq!(
        albs.load_balancers().len(),
        2,
        "the old ALB and one new one"
    );
    let tgs = elb.describe_target_groups().send().await.unwrap();
    assert_eq!(
        tgs.target_groups()
            .iter()
            .filter(|t| t.target_group_name() == Some(names.target_group.as_str()))
            .count(),
        1,
        "target groups named {}",
        names.target_group
    );
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(new_alb)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listeners.listeners().len(),
        1,
        "{:?}",
        listeners.listeners()
    );

    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let sgs = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(&names.service_security_group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        sgs.security_groups().len(),
        1,
        "security groups named {}",
        names.service_security_group
    );
    let service_sg = sgs.security_groups()[0].group_id().unwrap();
    for (store, port) in [("redis_sg", 6379), ("rds_sg", 3306)] {
        let rules = ec2
            .describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(id(ids, store))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let from_service: Vec<_> = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.referenced_group_info().and_then(|g| g.group_id()) == Some(service_sg))
            .collect();
        assert_eq!(from_service.len(), 1, "{store}: {from_service:?}");
        assert_eq!(from_service[0].from_port(), Some(port));
    }

    let ecs = aws_sdk_ecs::Client::new(sdk);
    let services = ecs
        .list_services()
        .cluster(&names.cluster)
        .send()
        .await
        .unwrap();
    assert_eq!(
        services.service_arns().len(),
        names.services.len(),
        "{:?}",
        services.service_arns()
    );
    let clusters = ecs.list_clusters().send().await.unwrap();
    assert_eq!(
        clusters.cluster_arns().len(),
        2,
        "shop-ec2 and the new cluster"
    );
    let families = ecs
        .list_task_definitions()
        .family_prefix(&names.families["web"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        families.task_definition_arns().len(),
        1,
        "{:?}",
        families.task_definition_arns()
    );
}
