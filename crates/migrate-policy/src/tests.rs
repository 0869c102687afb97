use std::path::Path;

use migrate_playbook::Playbook;
use serde_json::Value;

use super::*;

fn demo() -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    Playbook::from_path(&path).unwrap()
}

fn document_of(playbook: &Playbook) -> (Plan, PolicyDocument) {
    let plan = migrate_plan::build(playbook);
    let document = policy(&plan);
    (plan, document)
}

#[test]
fn the_document_is_iam_json_with_the_current_version() {
    let (_, document) = document_of(&demo());
    let parsed: Value = serde_json::from_str(&document.to_json_pretty()).unwrap();
    assert_eq!(parsed["Version"], "2012-10-17");
    let statements = parsed["Statement"].as_array().unwrap();
    assert!(!statements.is_empty());
    let mut sids = std::collections::BTreeSet::new();
    for s in statements {
        let sid = s["Sid"].as_str().unwrap();
        // IAM accepts only ASCII letters and digits in a Sid, and a Sid once per policy.
        assert!(sid.chars().all(|c| c.is_ascii_alphanumeric()), "{sid}");
        assert!(sids.insert(sid.to_string()), "{sid} twice");
        assert_eq!(s["Effect"], "Allow");
        assert!(!s["Action"].as_array().unwrap().is_empty(), "{sid}");
        assert!(!s["Resource"].as_array().unwrap().is_empty(), "{sid}");
        for action in s["Action"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            let (prefix, name) = action.split_once(':').unwrap();
            assert!(!prefix.is_empty() && !name.is_empty(), "{action}");
        }
    }
}

#[test]
fn the_same_plan_gives_the_same_document() {
    let (_, a) = document_of(&demo());
    let (_, b) = document_of(&demo());
    assert_eq!(a.to_json_pretty(), b.to_json_pretty());
}

#[test]
fn each_concern_has_its_statement() {
    let (_, document) = document_of(&demo());
    for sid in [
        "CreateClusterWithPlanTag",
        "ManagePlanCluster",
        "RegisterTaskDefinitions",
        "PassTaskRolesToEcsTasks",
        "CreateSecurityGroupWithPlanTag",
        "TagSecurityGroupOnCreate",
        "DeletePlanSecurityGroup",
        "ChangeIngressOfDataStoreSecurityGroups",
        "CreatePlanTargetGroupWithPlanTag",
        "CreatePlanLoadBalancerWithPlanTag",
        "ManagePlanListeners",
        "CreatePlanServicesWithPlanTag",
        "ManagePlanServices",
        "TagEcsResourcesOnCreate",
        "TagLoadBalancingResourcesOnCreate",
        "CreateServiceLinkedRoles",
        "ChangePlanRecord",
        "WaitForDnsChange",
        "ScaleOldAutoScalingGroup",
        "ScaleOldServices",
        "ManagePlanAlarms",
        "ReadWithoutResourceLevelPermissions",
    ] {
        assert!(document.statement(sid).is_some(), "no statement {sid}");
    }
    // The demo keeps its state locally: no S3 at all.
    assert!(!document.allows_action("s3:GetObject"));
}

#[test]
fn writes_are_scoped_to_the_plan_names() {
    let (plan, document) = document_of(&demo());
    let names = &plan.names;
    let resources = |sid: &str| document.statement(sid).unwrap().resources.clone();

    assert_eq!(
        resources("ManagePlanCluster")
            .into_iter()
            .collect::<Vec<_>>(),
        ["arn:aws:ecs:ap-northeast-1:*:cluster/shop-fargate"]
    );
    let services = resources("CreatePlanServicesWithPlanTag");
    assert_eq!(services.len(), names.services.len());
    for service in names.services.values() {
        assert!(
            services.contains(&format!(
                "arn:aws:ecs:ap-northeast-1:*:service/shop-fargate/{service}"
            )),
            "{services:?}"
        );
    }
    assert!(resources("CreatePlanLoadBalancerWithPlanTag")
        .iter()
        .all(|r| r.contains(&format!("loadbalancer/app/{}/", names.load_balancer))));
    assert!(resources("ManagePlanTargetGroup")
        .iter()
        .all(|r| r.contains(&format!("targetgroup/{}/", names.target_group))));
    assert!(resources("ManagePlanAlarms")
        .iter()
        .all(|r| r.ends_with(&format!("alarm:{}*", names.alarm_prefix))));
    assert_eq!(
        resources("ScaleOldAutoScalingGroup")
            .into_iter()
            .collect::<Vec<_>>(),
        ["arn:aws:autoscaling:ap-northeast-1:*:autoScalingGroup:*:autoScalingGroupName/shop-ecs-instances"]
    );
    assert_eq!(
        resources("ChangeIngressOfDataStoreSecurityGroups").len(),
        plan.playbook.network.data_stores.len()
    );

    // Creates require the plan's tag in the request; run-time-id deletes require it on the
    // resource.
    let tag_condition = |sid: &str, key: &str| {
        document.statement(sid).unwrap().condition["StringEquals"][key].clone()
    };
    for sid in [
        "CreateClusterWithPlanTag",
        "CreatePlanServicesWithPlanTag",
        "CreatePlanLoadBalancerWithPlanTag",
        "CreatePlanTargetGroupWithPlanTag",
        "CreateSecurityGroupWithPlanTag",
    ] {
        assert!(tag_condition(sid, "aws:RequestTag/migrate:plan-id").contains(&plan.id));
    }
    assert!(
        tag_condition("DeletePlanSecurityGroup", "aws:ResourceTag/migrate:plan-id")
            .contains(&plan.id)
    );

    // Roles are passed to ECS tasks only.
    let pass = document.statement("PassTaskRolesToEcsTasks").unwrap();
    assert!(pass
        .resources
        .iter()
        .all(|r| r.starts_with("arn:aws:iam::")));
    assert!(
        pass.condition["StringEquals"]["iam:PassedToService"].contains("ecs-tasks.amazonaws.com")
    );
    let linked = document.statement("CreateServiceLinkedRoles").unwrap();
    let services = &linked.condition["StringEquals"]["iam:AWSServiceName"];
    assert!(services.contains("ecs.amazonaws.com"));
    assert!(services.contains("elasticloadbalancing.amazonaws.com"));

    // The DNS change is held to the plan's record.
    let record = document.statement("ChangePlanRecord").unwrap();
    assert!(record.condition["ForAllValues:StringEquals"]
        ["route53:ChangeResourceRecordSetsNormalizedRecordNames"]
        .contains("shop.example.com"));
}

#[test]
fn only_actions_without_resource_level_permissions_take_any_resource() {
    let (_, document) = document_of(&demo());
    for statement in document.statements() {
        if statement.resources.contains("*") {
            assert!(
                [
                    "ReadWithoutResourceLevelPermissions",
                    "RegisterTaskDefinitions"
                ]
                .contains(&statement.sid),
                "{} takes any resource",
                statement.sid
            );
        }
    }
}

#[test]
fn a_shared_state_adds_its_bucket_and_prefix() {
    let mut playbook = demo();
    playbook.state = Some("s3://team-state/migrations/shop".into());
    let (_, document) = document_of(&playbook);
    let objects = document.statement("StateObjects").unwrap();
    assert_eq!(
        objects.resources.iter().collect::<Vec<_>>(),
        ["arn:aws:s3:::team-state/migrations/shop/*"]
    );
    for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
        assert!(objects.actions.contains(action), "{action}");
    }
    let listing = document.statement("StateBucketListing").unwrap();
    assert_eq!(
        listing.resources.iter().collect::<Vec<_>>(),
        ["arn:aws:s3:::team-state"]
    );
    assert!(document.allows_action("s3:ListBucket"));
}

#[test]
fn the_demo_policy_is_as_reviewed() {
    let (_, document) = document_of(&demo());
    let mut json = document.to_json();
    // The plan id is a digest of the playbook; the snapshot is about the shape.
    let text = serde_json::to_string_pretty(&json).unwrap();
    let plan_id = migrate_plan::build(&demo()).id;
    json = serde_json::from_str(&text.replace(&plan_id, "[plan-id]")).unwrap();
    insta::assert_json_snapshot!(json);
}

#[test]
fn a_zone_given_by_id_is_the_only_zone_changed() {
    let mut playbook = demo();
    playbook.cutover.zone = migrate_playbook::Zone::Id("Z0123456789ABC".into());
    let (_, document) = document_of(&playbook);
    // Discovery reads every zone, to find every name that reaches the old side.
    assert_eq!(
        document
            .statement("ReadRecordsOfEveryZone")
            .unwrap()
            .resources
            .iter()
            .collect::<Vec<_>>(),
        ["arn:aws:route53:::hostedzone/*"]
    );
    assert!(document.allows_action("route53:ListHostedZones"));
    assert_eq!(
        document
            .statement("ChangePlanRecord")
            .unwrap()
            .resources
            .iter()
            .collect::<Vec<_>>(),
        ["arn:aws:route53:::hostedzone/Z0123456789ABC"]
    );
    // No lookup by name, so no permission for one.
    assert!(!document.allows_action("route53:ListHostedZonesByName"));
    // The demo names its zone, so it needs the lookup.
    assert!(document_of(&demo())
        .1
        .allows_action("route53:ListHostedZonesByName"));
}

#[test]
fn the_source_kind_decides_what_discovery_reads() {
    let (_, ecs) = document_of(&demo());
    assert!(ecs.statement("ReadOldServices").is_some());
    assert!(!ecs.allows_action("elasticbeanstalk:DescribeEnvironments"));

    let mut beanstalk = demo();
    beanstalk.source.kind = migrate_playbook::SourceKind::Beanstalk;
    beanstalk.source.beanstalk_environment = Some("shop-prod".into());
    beanstalk.source.ecs_cluster = None;
    beanstalk.source.ecs_services.clear();
    beanstalk.scale_down.old_ecs_services = false;
    let (_, document) = document_of(&beanstalk);
    assert_eq!(
        document
            .statement("ReadOldEnvironment")
            .unwrap()
            .resources
            .iter()
            .collect::<Vec<_>>(),
        ["arn:aws:elasticbeanstalk:ap-northeast-1:*:environment/*/shop-prod"]
    );
    assert!(document.statement("ReadOldServices").is_none());
    // The environment's group, unnamed in the playbook, is held by Beanstalk's tag.
    beanstalk.source.auto_scaling_group = None;
    let (_, document) = document_of(&beanstalk);
    let scale = document.statement("ScaleOldAutoScalingGroup").unwrap();
    assert!(scale.condition["StringEquals"]
        ["autoscaling:ResourceTag/elasticbeanstalk:environment-name"]
        .contains("shop-prod"));
}

#[test]
fn an_old_group_left_to_discovery_is_found_through_the_container_instances() {
    let mut playbook = demo();
    playbook.source.auto_scaling_group = None;
    let (_, document) = document_of(&playbook);
    for action in [
        "ecs:ListContainerInstances",
        "ecs:DescribeContainerInstances",
        "autoscaling:DescribeAutoScalingInstances",
    ] {
        assert!(document.allows_action(action), "{action}");
    }
    // The plan scales down only a group the playbook names when the source is ECS-on-EC2,
    // so no Auto Scaling group may be changed here.
    assert!(document.statement("ScaleOldAutoScalingGroup").is_none());
    assert!(!document.allows_action("autoscaling:UpdateAutoScalingGroup"));
    // A named group is not looked up that way.
    assert!(!document_of(&demo())
        .1
        .allows_action("ecs:ListContainerInstances"));
}

#[test]
fn names_moved_in_other_zones_are_granted_by_name() {
    let mut playbook = demo();
    playbook.cutover.zone = migrate_playbook::Zone::Id("Z0123456789ABC".into());
    let mut plan = migrate_plan::build(&playbook);
    let moved = |name: &str, zone: Option<&str>| migrate_plan::snapshot::RecordSnapshot {
        name: name.into(),
        record_type: "AAAA".into(),
        ttl: None,
        target: "alias old".into(),
        set_identifier: None,
        weight: None,
        zone: zone.map(str::to_string),
    };
    plan.snapshot = Some(migrate_plan::Snapshot {
        records: vec![
            moved(&playbook.cutover.record, None),
            moved("Api.Example.com.", Some("private example.com (Z2)")),
        ],
        ..migrate_plan::Snapshot::default()
    });
    let document = policy(&plan);
    let change = document.statement("ChangePlanRecord").unwrap();
    assert_eq!(
        change.resources.iter().collect::<Vec<_>>(),
        ["arn:aws:route53:::hostedzone/*"]
    );
    let text = serde_json::to_string(&document.to_json()).unwrap();
    assert!(text.contains("\"api.example.com\""), "{text}");
}
