//! The IAM policy of `migrate cleanup`, separate from the migration's: clean-up deletes the old
//! side, which the role that runs `apply` and `rollback` never needs to do. `migrate policy
//! --cleanup` prints it.
//!
//! Where the ids are known only once clean-up has read the account (the launch template, the
//! volumes, the old security groups, the target groups), the resource is the type's pattern
//! in the plan's region; where the playbook names the resource (the old services, the old Auto
//! Scaling group and load balancer, the data stores' groups, the Beanstalk environment), it is
//! that name. Pages: the Service Authorization Reference of ECS, EC2, EC2 Auto Scaling, ELBv2,
//! CloudWatch and Elastic Beanstalk, as listed in the crate docs.

use migrate_plan::Plan;

use crate::document::{PolicyDocument, Statement};

struct Arns<'p> {
    plan: &'p Plan,
    region: String,
}

impl Arns<'_> {
    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:*:{resource}", self.region)
    }
}

/// The policy `migrate cleanup` needs for `plan`'s old side.
pub fn cleanup_policy(plan: &Plan) -> PolicyDocument {
    let arns = Arns {
        plan,
        region: plan.playbook.region.clone().unwrap_or_else(|| "*".into()),
    };
    let source = &arns.plan.playbook.source;
    let mut document = PolicyDocument::default();

    // None of these reads supports a resource-level permission.
    document.add(
        Statement::new("CleanupReadWithoutResourceLevelPermissions")
            .actions([
                "autoscaling:DescribeAutoScalingGroups",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:DescribeVolumes",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeInstances",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeListeners",
                "cloudwatch:GetMetricData",
                "cloudwatch:DescribeAlarms",
                "ecs:DescribeTaskDefinition",
                "elasticbeanstalk:DescribeEnvironments",
            ])
            .resources(["*"]),
    );

    // The old side's alarms are found by their dimensions at clean-up, so their names are not
    // known here; the migration's own alarms (its prefix) are never among them.
    document.add(
        Statement::new("CleanupOldAlarms")
            .actions(["cloudwatch:DeleteAlarms"])
            .resources([arns.arn("cloudwatch", "alarm:*")]),
    );

    if let Some(cluster) = &source.ecs_cluster {
        let services: Vec<String> = source
            .ecs_services
            .iter()
            .map(|s| arns.arn("ecs", &format!("service/{cluster}/{s}")))
            .collect();
        document.add(
            Statement::new("CleanupOldServices")
                .actions(["ecs:DescribeServices", "ecs:DeleteService"])
                .resources(services),
        );
        // DeregisterTaskDefinition supports no resource-level permission.
        document.add(
            Statement::new("CleanupOldTaskDefinitions")
                .actions(["ecs:DeregisterTaskDefinition"])
                .resources(["*"]),
        );
    }

    let group = source
        .auto_scaling_group
        .clone()
        .unwrap_or_else(|| "*".into());
    document.add(
        Statement::new("CleanupOldAutoScalingGroup")
            .actions(["autoscaling:DeleteAutoScalingGroup"])
            .resources([arns.arn(
                "autoscaling",
                &format!("autoScalingGroup:*:autoScalingGroupName/{group}"),
            )]),
    );
    // The launch template's and the volumes' ids are read from the group at clean-up time.
    document.add(
        Statement::new("CleanupOldLaunchTemplateAndVolumes")
            .actions(["ec2:DeleteLaunchTemplate", "ec2:DeleteVolume"])
            .resources([
                arns.arn("ec2", "launch-template/*"),
                arns.arn("ec2", "volume/*"),
            ]),
    );

    if source.kind == migrate_playbook::SourceKind::Ec2 {
        // The plain instances `apply` stopped: those the playbook lists, or (found by
        // discovery) any instance.
        let instances: Vec<String> = if source.instances.is_empty() {
            vec![arns.arn("ec2", "instance/*")]
        } else {
            source
                .instances
                .iter()
                .map(|id| arns.arn("ec2", &format!("instance/{id}")))
                .collect()
        };
        document.add(
            Statement::new("CleanupOldInstances")
                .actions(["ec2:TerminateInstances"])
                .resources(instances),
        );
    }

    let load_balancer = source.load_balancer.clone().unwrap_or_else(|| "*".into());
    document.add(
        Statement::new("CleanupOldLoadBalancer")
            .actions(["elasticloadbalancing:DeleteLoadBalancer"])
            .resources([arns.arn(
                "elasticloadbalancing",
                &format!("loadbalancer/app/{load_balancer}/*"),
            )]),
    );
    // The old target groups' names are what discover-source recorded, not the playbook's.
    document.add(
        Statement::new("CleanupOldTargetGroups")
            .actions(["elasticloadbalancing:DeleteTargetGroup"])
            .resources([arns.arn("elasticloadbalancing", "targetgroup/*/*")]),
    );

    // After a `listener` migration the bridge target group leaves the new web service before
    // it is deleted (the group itself falls under CleanupOldTargetGroups).
    if matches!(
        arns.plan.playbook.cutover.strategy,
        migrate_playbook::CutoverStrategy::Listener { .. }
    ) {
        let names = &arns.plan.names;
        let web: Vec<String> = arns
            .plan
            .playbook
            .target
            .services
            .iter()
            .filter(|s| s.web.is_some())
            .filter_map(|s| names.services.get(&s.name))
            .map(|service| arns.arn("ecs", &format!("service/{}/{service}", names.cluster)))
            .collect();
        document.add(
            Statement::new("CleanupBridgeFromTheNewWebService")
                .actions(["ecs:DescribeServices", "ecs:UpdateService"])
                .resources(web),
        );
    }

    let stores: Vec<String> = arns
        .plan
        .playbook
        .network
        .data_stores
        .iter()
        .map(|d| arns.arn("ec2", &format!("security-group/{}", d.security_group)))
        .collect();
    if !stores.is_empty() {
        document.add(
            Statement::new("CleanupDataStoreRules")
                .actions(["ec2:RevokeSecurityGroupIngress"])
                .resources(stores),
        );
    }
    // The old side's groups are read from its launch template and load balancer at clean-up
    // time; a group still in use is refused by EC2 itself (DependencyViolation).
    document.add(
        Statement::new("CleanupOldSecurityGroups")
            .actions(["ec2:DeleteSecurityGroup"])
            .resources([arns.arn("ec2", "security-group/*")]),
    );

    if let Some(environment) = &source.beanstalk_environment {
        document.add(
            Statement::new("CleanupBeanstalkEnvironment")
                .actions(["elasticbeanstalk:TerminateEnvironment"])
                .resources([arns.arn("elasticbeanstalk", &format!("environment/*/{environment}"))]),
        );
    }
    if let Some(repository) = &arns.plan.playbook.cleanup.ecr_repository {
        document.add(
            Statement::new("CleanupOldEcrRepository")
                .actions([
                    "ecr:DescribeRepositories",
                    "ecr:DescribeImages",
                    "ecr:DeleteRepository",
                ])
                .resources([arns.arn("ecr", &format!("repository/{repository}"))]),
        );
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cleanup_policy_grants_every_delete_and_scopes_what_the_playbook_names() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
        let playbook = match migrate_playbook::Playbook::from_path(&path) {
            Ok(playbook) => playbook,
            Err(e) => panic!("the demo playbook is valid: {e}"),
        };
        let plan = migrate_plan::build(&playbook);
        let policy = cleanup_policy(&plan);
        for action in [
            "ecs:DeleteService",
            "ecs:DeregisterTaskDefinition",
            "autoscaling:DeleteAutoScalingGroup",
            "ec2:DeleteLaunchTemplate",
            "ec2:DeleteVolume",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:DeleteTargetGroup",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup",
        ] {
            assert!(policy.allows_action(action), "{action}");
        }
        let json = policy.to_json_pretty();
        assert!(
            json.contains("service/shop-ec2/shop-web") && !json.contains("service/*"),
            "{json}"
        );
        assert!(json.contains("loadbalancer/app/shop-old-alb/*"), "{json}");
        assert!(!policy.allows_action("ecs:UpdateService"));
        let mut listener = playbook.clone();
        listener.cutover.strategy = migrate_playbook::CutoverStrategy::Listener {
            steps: vec![100],
            bake: std::time::Duration::from_secs(60),
        };
        let listener_plan = migrate_plan::build(&listener);
        let json = cleanup_policy(&listener_plan).to_json_pretty();
        let web = format!(
            "service/{}/{}",
            listener_plan.names.cluster, listener_plan.names.services["web"]
        );
        assert!(
            json.contains("ecs:UpdateService") && json.contains(&web),
            "{json}"
        );
        // The migration's own policy grants none of clean-up's deletes.
        let apply = crate::policy(&plan);
        assert!(!apply.allows_action("autoscaling:DeleteAutoScalingGroup"));
        assert!(!apply.allows_action("ec2:DeleteVolume"));
    }
}
