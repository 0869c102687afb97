use std::collections::BTreeMap;
use std::path::Path;

use migrate_playbook::Playbook;

use super::*;
use crate::ports::{Decision, EndpointKind, Evaluation, Route, RouteTarget};

fn demo() -> Playbook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks/demo.yaml");
    Playbook::from_path(&path).unwrap()
}

fn caller() -> CallerIdentity {
    CallerIdentity {
        account: "123456789012".into(),
        partition: "aws".into(),
        arn: "arn:aws:iam::123456789012:user/ops".into(),
    }
}

fn table(id: &str, main: bool, subnets: &[&str], target: Option<RouteTarget>) -> RouteTable {
    RouteTable {
        id: id.into(),
        main,
        subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
        routes: target
            .map(|target| Route {
                destination: "0.0.0.0/0".into(),
                target,
            })
            .into_iter()
            .collect(),
    }
}

/// The demo's account as it should be: roles present and allowed, public subnets in two zones
/// whose tasks reach AWS through VPC endpoints, a quota that holds the tasks.
fn healthy(playbook: &Playbook) -> Facts {
    let subnets = playbook
        .network
        .subnets
        .iter()
        .enumerate()
        .map(|(i, id)| Subnet {
            id: id.clone(),
            vpc_id: playbook.network.vpc.clone(),
            availability_zone: format!("ap-northeast-1{}", if i == 0 { "a" } else { "c" }),
        })
        .collect();
    let roles: BTreeMap<String, RoleFact> = role_references(playbook)
        .into_iter()
        .map(|r| {
            let arn = role_arn_in("aws", "123456789012", &r);
            (r, RoleFact::Found { arn })
        })
        .collect();
    let endpoint = |service: &str, kind| VpcEndpoint {
        id: format!("vpce-{service}"),
        service_name: format!("com.amazonaws.ap-northeast-1.{service}"),
        kind,
        subnet_ids: playbook.network.subnets.clone(),
        route_table_ids: vec!["rtb-public".into()],
    };
    Facts {
        caller: caller(),
        roles,
        permissions: vec![PermissionFact {
            role: "ecsTaskExecutionRole".into(),
            resource: "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:shop/prod-AbCdEf"
                .into(),
            purpose: "secret DB_PASSWORD of container php".into(),
            evaluations: Ok(vec![Evaluation {
                action: "secretsmanager:GetSecretValue".into(),
                decision: Decision::Allowed,
            }]),
        }],
        service_linked_role: RoleFact::Found {
            arn: "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS".into(),
        },
        subnets: Ok(subnets),
        route_tables: Ok(vec![table(
            "rtb-public",
            true,
            &[],
            Some(RouteTarget::InternetGateway("igw-1".into())),
        )]),
        endpoints: Ok(vec![
            endpoint("ecr.api", EndpointKind::Interface),
            endpoint("ecr.dkr", EndpointKind::Interface),
            endpoint("logs", EndpointKind::Interface),
            endpoint("secretsmanager", EndpointKind::Interface),
            endpoint("s3", EndpointKind::Gateway),
        ]),
        vcpu_quota: Ok(6.0),
        instance_profile: Ok(None),
    }
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_healthy_account_has_no_finding() {
    let playbook = demo();
    assert_eq!(check(&playbook, &healthy(&playbook)), Vec::new());
}

#[test]
fn a_task_subnet_without_a_route_or_endpoints_is_named_with_the_fix() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    facts.endpoints = Ok(Vec::new());
    let errors = errors(&check(&playbook, &facts));
    let subnet = &playbook.network.subnets[0];
    let message = errors
        .iter()
        .find(|e| e.contains(subnet.as_str()))
        .unwrap_or_else(|| panic!("no finding names {subnet}: {errors:?}"));
    assert!(message.contains("has no route to ECR"), "{message}");
    assert!(message.contains("add a NAT gateway, VPC endpoints for ecr.api, ecr.dkr, logs, s3, secretsmanager, or set network.assign_public_ip: true"), "{message}");
    assert!(message.contains("the tasks get no public IP"), "{message}");
}

#[test]
fn a_nat_gateway_or_a_public_ip_is_a_route_out() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    facts.endpoints = Ok(Vec::new());
    // The load balancer subnets stay public (explicitly associated); the tasks' main table
    // goes through a NAT gateway.
    let mut playbook_split = playbook.clone();
    playbook_split.network.load_balancer_subnets = vec!["subnet-lb-a".into(), "subnet-lb-c".into()];
    if let Ok(subnets) = &mut facts.subnets {
        for (id, zone) in [("subnet-lb-a", "a"), ("subnet-lb-c", "c")] {
            subnets.push(Subnet {
                id: id.into(),
                vpc_id: playbook.network.vpc.clone(),
                availability_zone: format!("ap-northeast-1{zone}"),
            });
        }
    }
    facts.route_tables = Ok(vec![
        table(
            "rtb-public",
            false,
            &["subnet-lb-a", "subnet-lb-c"],
            Some(RouteTarget::InternetGateway("igw-1".into())),
        ),
        table(
            "rtb-private",
            true,
            &[],
            Some(RouteTarget::NatGateway("nat-1".into())),
        ),
    ]);
    assert_eq!(
        errors(&check(&playbook_split, &facts)),
        Vec::<String>::new()
    );

    // An internet gateway with public IPs works for the tasks too.
    let mut public = playbook.clone();
    public.network.assign_public_ip = true;
    let mut facts = healthy(&public);
    facts.endpoints = Ok(Vec::new());
    assert_eq!(errors(&check(&public, &facts)), Vec::<String>::new());
}

#[test]
fn an_s3_gateway_endpoint_counts_only_on_its_route_tables() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    if let Ok(endpoints) = &mut facts.endpoints {
        for e in endpoints
            .iter_mut()
            .filter(|e| e.kind == EndpointKind::Gateway)
        {
            e.route_table_ids = vec!["rtb-other".into()];
        }
    }
    let errors = errors(&check(&playbook, &facts));
    assert!(
        errors.iter().any(|e| e.contains("no VPC endpoint for s3)")),
        "{errors:?}"
    );
}

#[test]
fn load_balancer_subnets_must_be_public_and_span_two_zones() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    facts.route_tables = Ok(vec![table(
        "rtb-private",
        true,
        &[],
        Some(RouteTarget::NatGateway("nat-1".into())),
    )]);
    if let Ok(subnets) = &mut facts.subnets {
        for s in subnets.iter_mut() {
            s.availability_zone = "ap-northeast-1a".into();
        }
    }
    let errors = errors(&check(&playbook, &facts));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("is not public") && e.contains("internet-facing")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("span 1 Availability Zone (ap-northeast-1a)")),
        "{errors:?}"
    );

    // An internal load balancer may sit in private subnets.
    let mut internal = playbook.clone();
    internal.target.load_balancer.internal = true;
    let errors = super::check(&internal, &facts);
    assert!(!errors.iter().any(|e| e.problem.contains("is not public")));
}

#[test]
fn a_missing_role_and_a_denied_secret_are_errors_an_inconclusive_simulation_a_warning() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    facts
        .roles
        .insert("ecsTaskExecutionRole".into(), RoleFact::Missing);
    facts.permissions[0].evaluations = Ok(vec![Evaluation {
        action: "secretsmanager:GetSecretValue".into(),
        decision: Decision::ImplicitDeny,
    }]);
    facts.permissions.push(PermissionFact {
        role: "ecsTaskExecutionRole".into(),
        resource: "*".into(),
        purpose: "ECR sign-in".into(),
        evaluations: Err("iam:SimulatePrincipalPolicy failed: AccessDenied".into()),
    });
    let findings = check(&playbook, &facts);
    let errors = errors(&findings);
    assert!(
        errors.iter().any(|e| e.contains("role ecsTaskExecutionRole does not exist in account 123456789012")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("not allowed secretsmanager:GetSecretValue")),
        "{errors:?}"
    );
    assert!(findings
        .iter()
        .any(|f| f.severity == Severity::Warning && f.problem.contains("could not be simulated")));
}

#[test]
fn an_instance_profile_on_the_old_side_requires_a_task_role() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    facts.instance_profile = Ok(Some((
        "shop-ecs-instances".into(),
        "arn:aws:iam::123456789012:instance-profile/shop-app".into(),
    )));
    let errors = errors(&check(&playbook, &facts));
    assert_eq!(errors.len(), playbook.target.services.len(), "{errors:?}");
    assert!(errors[0].contains("has no task role"), "{errors:?}");
    assert!(errors[0].contains("shop-app"), "{errors:?}");
}

#[test]
fn the_quota_must_hold_the_new_tasks_and_an_unread_quota_is_a_warning() {
    let playbook = demo();
    let mut facts = healthy(&playbook);
    // The demo asks for 2 × 0.5 + 1 × 0.25 vCPU.
    facts.vcpu_quota = Ok(1.0);
    let errors = errors(&check(&playbook, &facts));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("is 1 vCPUs; the new tasks need 1.25")),
        "{errors:?}"
    );
    facts.vcpu_quota = Err("servicequotas:GetServiceQuota failed: NoSuchResource".into());
    let findings = check(&playbook, &facts);
    assert!(findings.iter().all(|f| f.severity == Severity::Warning));
    assert!(findings.iter().any(|f| f.resource.contains("L-3032A538")));
}

#[test]
fn a_role_by_name_resolves_in_the_callers_partition_and_an_arn_is_kept() {
    assert_eq!(
        role_arn_in("aws-us-gov", "111122223333", "ecsTaskExecutionRole"),
        "arn:aws-us-gov:iam::111122223333:role/ecsTaskExecutionRole"
    );
    let given = "arn:aws:iam::444455556666:role/path/x";
    assert_eq!(role_arn_in("aws", "111122223333", given), given);
    assert_eq!(role_name(given), "x");
}

#[test]
fn the_execution_role_needs_its_secret_and_its_ecr_images() {
    let playbook = demo();
    let definition = serde_json::json!({
        "containerDefinitions": [{
            "name": "app",
            "image": "111122223333.dkr.ecr.ap-northeast-1.amazonaws.com/shop/app:1.2",
            "secrets": [
                {"name": "A", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf:password::"},
                {"name": "B", "valueFrom": "/shop/token"}
            ]
        }]
    });
    let needs = gather::needs_of(&caller(), &playbook, &definition);
    let resources: Vec<&str> = needs.iter().map(|n| n.resource.as_str()).collect();
    assert_eq!(
        resources,
        vec![
            "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf",
            "arn:aws:ssm:ap-northeast-1:123456789012:parameter/shop/token",
            "arn:aws:ecr:ap-northeast-1:111122223333:repository/shop/app",
            "*",
            "arn:aws:kms:ap-northeast-1:123456789012:key/*",
        ]
    );
}
