//! The checks: pure functions from the playbook and the facts read to findings.

use std::collections::BTreeSet;

use migrate_playbook::Playbook;

use super::{role_name, Facts, Finding, RoleFact, Severity, ECS_SERVICE_LINKED_ROLE};
use crate::ports::{Decision, EndpointKind, RouteTable, RouteTarget, Subnet, VpcEndpoint};

fn finding(
    severity: Severity,
    resource: impl Into<String>,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding {
        severity,
        resource: resource.into(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// Every problem the account has for this playbook, in the order the checks run.
pub fn check(playbook: &Playbook, facts: &Facts) -> Vec<Finding> {
    let mut findings = Vec::new();
    roles(facts, &mut findings);
    permissions(facts, &mut findings);
    service_linked_role(facts, &mut findings);
    network(playbook, facts, &mut findings);
    task_role(playbook, facts, &mut findings);
    quota(playbook, facts, &mut findings);
    findings
}

fn roles(facts: &Facts, findings: &mut Vec<Finding>) {
    for (reference, fact) in &facts.roles {
        let resource = format!("role {reference}");
        match fact {
            RoleFact::Found { .. } => {}
            RoleFact::Missing => findings.push(finding(
                Severity::Error,
                resource,
                format!(
                    "does not exist in account {} (IAM GetRole)",
                    facts.caller.account
                ),
                format!(
                    "create the role {} (trusting ecs-tasks.amazonaws.com), or name an existing one in target.execution_role / target.task_role",
                    role_name(reference)
                ),
            )),
            RoleFact::Unchecked(why) => findings.push(finding(
                Severity::Warning,
                resource,
                format!("could not be checked: {why}"),
                "make sure it exists and trusts ecs-tasks.amazonaws.com",
            )),
        }
    }
}

fn permissions(facts: &Facts, findings: &mut Vec<Finding>) {
    // One warning per role and reason for the simulations that could not be made: when the
    // simulator is refused, it is refused for every resource alike.
    let mut inconclusive: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for fact in &facts.permissions {
        if let Err(why) = &fact.evaluations {
            match inconclusive
                .iter_mut()
                .find(|(role, reason, _)| *role == fact.role && *reason == why)
            {
                Some((_, _, resources)) => {
                    if !resources.contains(&fact.resource.as_str()) {
                        resources.push(&fact.resource);
                    }
                }
                None => inconclusive.push((&fact.role, why, vec![&fact.resource])),
            }
        }
    }
    for (role, why, resources) in inconclusive {
        findings.push(finding(
            Severity::Warning,
            format!("role {role}"),
            format!(
                "could not be simulated ({why}), so its access to {} is not known",
                resources.join(", ")
            ),
            "check that the role may read the secrets and pull the images, or grant iam:SimulatePrincipalPolicy to the caller so that preflight can",
        ));
    }
    for fact in &facts.permissions {
        let resource = format!("role {}", fact.role);
        let Ok(evaluations) = &fact.evaluations else {
            continue;
        };
        let denied: Vec<&str> = evaluations
            .iter()
            .filter(|e| e.decision != Decision::Allowed)
            .map(|e| e.action.as_str())
            .collect();
        if denied.is_empty() {
            continue;
        }
        // kms:Decrypt is needed only for secrets encrypted with a customer managed key, which
        // the simulator cannot tell from the secret's ARN.
        let only_kms = denied.iter().all(|a| *a == "kms:Decrypt");
        let explicit = evaluations
            .iter()
            .any(|e| e.decision == Decision::ExplicitDeny);
        findings.push(finding(
            if only_kms {
                Severity::Warning
            } else {
                Severity::Error
            },
            resource,
            format!(
                "is {} {} on {} ({})",
                if explicit {
                    "explicitly denied"
                } else {
                    "not allowed"
                },
                denied.join(", "),
                fact.resource,
                fact.purpose
            ),
            if only_kms {
                "if the secrets use a customer managed KMS key, allow kms:Decrypt on it to the execution role".to_string()
            } else {
                format!(
                    "allow {} on {} to the execution role (e.g. the AmazonECSTaskExecutionRolePolicy for ECR, an inline policy for secrets)",
                    denied.join(", "),
                    fact.resource
                )
            },
        ));
    }
}

fn service_linked_role(facts: &Facts, findings: &mut Vec<Finding>) {
    let resource = format!("role {ECS_SERVICE_LINKED_ROLE}");
    match &facts.service_linked_role {
        RoleFact::Found { .. } => {}
        RoleFact::Missing => findings.push(finding(
            Severity::Warning,
            resource,
            "does not exist yet; ECS creates it with the first cluster, if the caller may iam:CreateServiceLinkedRole",
            "allow iam:CreateServiceLinkedRole for ecs.amazonaws.com (migrate policy grants it), or run `aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`",
        )),
        RoleFact::Unchecked(why) => findings.push(finding(
            Severity::Warning,
            resource,
            format!("could not be checked: {why}"),
            "allow iam:GetRole on it, or make sure it exists",
        )),
    }
}

/// Which AWS endpoints a task needs to reach to start.
fn needed_endpoints(playbook: &Playbook) -> Vec<&'static str> {
    let mut needed = vec!["ecr.api", "ecr.dkr", "logs", "s3"];
    let definitions = playbook.target.services.iter().map(|s| &s.task_definition);
    let mut secrets_manager = false;
    let mut ssm = false;
    for definition in definitions {
        let containers = definition["containerDefinitions"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for secret in containers.iter().flat_map(|c| {
            c["secrets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
        }) {
            match secret["valueFrom"].as_str() {
                Some(from) if from.contains(":secretsmanager:") => secrets_manager = true,
                Some(_) => ssm = true,
                None => {}
            }
        }
    }
    if secrets_manager {
        needed.push("secretsmanager");
    }
    if ssm {
        needed.push("ssm");
    }
    needed
}

/// The route table that serves `subnet`: its explicit association, else the VPC's main table.
pub(super) fn table_of<'t>(tables: &'t [RouteTable], subnet: &str) -> Option<&'t RouteTable> {
    tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet))
        .or_else(|| tables.iter().find(|t| t.main))
}

fn default_route(table: &RouteTable) -> Option<&RouteTarget> {
    table
        .routes
        .iter()
        .find(|r| r.destination == "0.0.0.0/0")
        .map(|r| &r.target)
}

/// Whether an endpoint for `service` (e.g. `ecr.dkr`) serves a subnet whose route table is
/// `table`.
fn endpoint_serves(endpoints: &[VpcEndpoint], service: &str, table: &str) -> bool {
    endpoints.iter().any(|e| {
        e.service_name.ends_with(&format!(".{service}"))
            && match e.kind {
                // An interface endpoint with private DNS answers the whole VPC, whichever of its
                // subnets it sits in.
                EndpointKind::Interface => true,
                // A gateway endpoint (S3) is a route: only subnets whose table has it use it.
                EndpointKind::Gateway => e.route_table_ids.iter().any(|t| t == table),
            }
    })
}

fn network(playbook: &Playbook, facts: &Facts, findings: &mut Vec<Finding>) {
    let network = &playbook.network;
    let vpc = &network.vpc;
    let unreadable = [
        ("subnets", &facts.subnets.as_ref().err()),
        ("route tables", &facts.route_tables.as_ref().err()),
        ("VPC endpoints", &facts.endpoints.as_ref().err()),
    ];
    let mut blind = false;
    for (what, why) in unreadable {
        if let Some(why) = why {
            blind = true;
            findings.push(finding(
                Severity::Error,
                format!("VPC {vpc}"),
                format!("its {what} could not be read: {why}"),
                "allow ec2:DescribeSubnets, ec2:DescribeRouteTables and ec2:DescribeVpcEndpoints to the caller",
            ));
        }
    }
    if blind {
        return;
    }
    let (Ok(subnets), Ok(tables), Ok(endpoints)) =
        (&facts.subnets, &facts.route_tables, &facts.endpoints)
    else {
        return;
    };
    let find = |id: &str| subnets.iter().find(|s| s.id == id);
    for id in network.subnets.iter().chain(&network.load_balancer_subnets) {
        match find(id) {
            None => findings.push(finding(
                Severity::Error,
                format!("subnet {id}"),
                "does not exist",
                "name an existing subnet in network.subnets / network.load_balancer_subnets",
            )),
            Some(subnet) if &subnet.vpc_id != vpc => findings.push(finding(
                Severity::Error,
                format!("subnet {id}"),
                format!("is in {}, not in network.vpc {vpc}", subnet.vpc_id),
                "name subnets of the playbook's VPC",
            )),
            Some(_) => {}
        }
    }

    let needed = needed_endpoints(playbook);
    for id in &network.subnets {
        if find(id).is_none() {
            continue;
        }
        let Some(table) = table_of(tables, id) else {
            findings.push(finding(
                Severity::Error,
                format!("subnet {id}"),
                "has no route table (neither its own nor the VPC's main table)",
                "associate a route table with a NAT gateway route",
            ));
            continue;
        };
        let outbound = match default_route(table) {
            Some(RouteTarget::NatGateway(_)) => true,
            Some(RouteTarget::InternetGateway(_)) => network.assign_public_ip,
            _ => false,
        };
        if outbound {
            continue;
        }
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|service| !endpoint_serves(endpoints, service, &table.id))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let through_igw = matches!(default_route(table), Some(RouteTarget::InternetGateway(_)));
        findings.push(finding(
            Severity::Error,
            format!("subnet {id}"),
            format!(
                "has no route to ECR, CloudWatch Logs{} (route table {}: {}; no VPC endpoint for {})",
                if needed.contains(&"secretsmanager") {
                    " and Secrets Manager"
                } else {
                    ""
                },
                table.id,
                if through_igw {
                    "0.0.0.0/0 goes to an internet gateway, but the tasks get no public IP"
                } else {
                    "no 0.0.0.0/0 route to a NAT gateway"
                },
                missing.join(", ")
            ),
            format!(
                "add a NAT gateway, VPC endpoints for {}, or set network.assign_public_ip: true{}",
                needed.join(", "),
                if through_igw { "" } else { " with an internet gateway route" }
            ),
        ));
    }

    let lb_subnets = if network.load_balancer_subnets.is_empty() {
        &network.subnets
    } else {
        &network.load_balancer_subnets
    };
    if !playbook.target.load_balancer.internal {
        for id in lb_subnets {
            if find(id).is_none() {
                continue;
            }
            let public = table_of(tables, id)
                .and_then(default_route)
                .is_some_and(|t| matches!(t, RouteTarget::InternetGateway(_)));
            if !public {
                findings.push(finding(
                    Severity::Error,
                    format!("subnet {id}"),
                    "is not public (no 0.0.0.0/0 route to an internet gateway), but the new load balancer is internet-facing",
                    "name public subnets in network.load_balancer_subnets, or set target.load_balancer.internal: true",
                ));
            }
        }
    }
    zones(lb_subnets, subnets, findings);
}

/// An Application Load Balancer needs subnets in at least two Availability Zones.
fn zones(lb_subnets: &[String], subnets: &[Subnet], findings: &mut Vec<Finding>) {
    let zones: BTreeSet<&str> = lb_subnets
        .iter()
        .filter_map(|id| subnets.iter().find(|s| &s.id == id))
        .map(|s| s.availability_zone.as_str())
        .collect();
    if zones.len() < 2 {
        findings.push(finding(
            Severity::Error,
            format!("load balancer subnets {}", lb_subnets.join(", ")),
            format!(
                "span {} Availability Zone{} ({}); an Application Load Balancer needs at least two",
                zones.len(),
                if zones.len() == 1 { "" } else { "s" },
                zones.into_iter().collect::<Vec<_>>().join(", ")
            ),
            "name subnets in two or more zones in network.load_balancer_subnets",
        ));
    }
}

fn task_role(playbook: &Playbook, facts: &Facts, findings: &mut Vec<Finding>) {
    match &facts.instance_profile {
        Ok(Some((group, profile))) => {
            for service in &playbook.target.services {
                if service.task_definition["taskRoleArn"].as_str().is_none() {
                    findings.push(finding(
                        Severity::Error,
                        format!("service {}", service.name),
                        format!(
                            "has no task role, but the old side (Auto Scaling group {group}) runs with the instance profile {profile}: on Fargate an app that called AWS with the instance's credentials gets none, and fails after the cutover"
                        ),
                        format!(
                            "set target.task_role to a role with the permissions of {}'s role",
                            role_name(profile)
                        ),
                    ));
                }
            }
        }
        Ok(None) => {}
        Err(why) => findings.push(finding(
            Severity::Warning,
            "the old side's instance profile",
            format!("could not be read: {why}"),
            "if the old instances had an instance profile the app used, set target.task_role",
        )),
    }
}

fn quota(playbook: &Playbook, facts: &Facts, findings: &mut Vec<Finding>) {
    let needed: f64 = playbook
        .target
        .services
        .iter()
        .map(|s| f64::from(s.cpu) / 1024.0 * f64::from(s.desired_count))
        .sum();
    let resource = format!(
        "Fargate On-Demand vCPU quota ({})",
        super::FARGATE_VCPU_QUOTA_CODE
    );
    match &facts.vcpu_quota {
        Ok(quota) if *quota < needed => findings.push(finding(
            Severity::Error,
            resource,
            format!(
                "is {quota} vCPUs; the new tasks need {needed} (current Fargate usage not counted)"
            ),
            "request an increase in Service Quotas, or lower the services' cpu or desired_count",
        )),
        Ok(_) => {}
        Err(why) => findings.push(finding(
            Severity::Warning,
            resource,
            format!("could not be read: {why}; the new tasks need {needed} vCPUs"),
            "allow servicequotas:GetServiceQuota, or check the quota in the console",
        )),
    }
}
