//! What the simulated account grants and reaches: its IAM roles and what each may do, its route
//! tables and VPC endpoints, the Fargate vCPU quota and the old side's instance profile. The
//! preflight reads it; a task that the real account could not start is not started here either.
//!
//! A Fargate task (platform 1.4) pulls its image and its secrets over its own network interface,
//! so it needs a route out: a NAT gateway, an internet gateway with a public IP, or VPC endpoints
//! for ECR (api and dkr), S3 (the image layers, a gateway endpoint) and Secrets Manager
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html>,
//! <https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html>). Without one it
//! stops with `ResourceInitializationError: unable to pull secrets or registry auth` (when it has
//! secrets to fetch first) or `CannotPullContainerError`; and a task whose execution role may not
//! read a secret stops with `ResourceInitializationError` naming the AccessDenied answer
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html>,
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html>).
//! Neither page is in our search corpus; the reasons' wording follows the stopped reasons users
//! quote. moto starts no task and shows none of this.

use std::collections::BTreeMap;

use migrate_engine::ports::{
    EndpointKind, Route, RouteTable, RouteTarget, ServiceSpec, VpcEndpoint,
};
use serde::Serialize;

/// The account's access facts, seeded from the topology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    pub partition: String,
    /// Role name → the IAM actions it is allowed (on every resource; `*` for all).
    pub roles: BTreeMap<String, Vec<String>>,
    /// Subnet → Availability Zone.
    pub subnet_zones: BTreeMap<String, String>,
    pub route_tables: Vec<RouteTable>,
    pub endpoints: Vec<VpcEndpoint>,
    /// Fargate On-Demand vCPUs; `None`: Service Quotas does not answer.
    pub vcpu_quota: Option<u32>,
    /// The instance profile the old Auto Scaling group launches with.
    pub instance_profile: Option<String>,
}

/// Every role the plan names, allowed what a task execution role needs; the ECS
/// service-linked role; a public route table (internet gateway) for the load balancer subnets
/// and a private one (NAT gateway, the VPC's main table) for the rest; endpoints for ECR, S3,
/// CloudWatch Logs, Secrets Manager and SSM; a quota of 400 vCPUs; no instance profile. Today's
/// seeds pass with it.
pub(crate) fn default_access(
    roles: &[String],
    public_subnets: &[String],
    private_subnets: &[String],
    region: &str,
) -> Access {
    let mut role_grants = BTreeMap::new();
    for role in roles {
        role_grants.insert(role.clone(), vec!["*".to_string()]);
    }
    role_grants.insert("AWSServiceRoleForECS".to_string(), vec!["*".to_string()]);
    // Each list alternates between two zones, as seed 001's subnets do.
    let mut subnet_zones = BTreeMap::new();
    for list in [public_subnets, private_subnets] {
        for (i, subnet) in list.iter().enumerate() {
            let zone = if i % 2 == 0 { "a" } else { "c" };
            subnet_zones
                .entry(subnet.clone())
                .or_insert_with(|| format!("{region}{zone}"));
        }
    }
    let route_tables = vec![
        RouteTable {
            id: "rtb-public".into(),
            main: false,
            subnet_ids: public_subnets.to_vec(),
            routes: vec![Route {
                destination: "0.0.0.0/0".into(),
                target: RouteTarget::InternetGateway("igw-0sim".into()),
            }],
        },
        RouteTable {
            id: "rtb-private".into(),
            main: true,
            subnet_ids: Vec::new(),
            routes: vec![Route {
                destination: "0.0.0.0/0".into(),
                target: RouteTarget::NatGateway("nat-0sim".into()),
            }],
        },
    ];
    let mut endpoints: Vec<VpcEndpoint> = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"]
        .iter()
        .map(|service| VpcEndpoint {
            id: format!("vpce-{}", service.replace('.', "-")),
            service_name: format!("com.amazonaws.{region}.{service}"),
            kind: EndpointKind::Interface,
            subnet_ids: private_subnets.to_vec(),
            route_table_ids: Vec::new(),
        })
        .collect();
    endpoints.push(VpcEndpoint {
        id: "vpce-s3".into(),
        service_name: format!("com.amazonaws.{region}.s3"),
        kind: EndpointKind::Gateway,
        subnet_ids: Vec::new(),
        route_table_ids: vec!["rtb-public".into(), "rtb-private".into()],
    });
    Access {
        partition: "aws".into(),
        roles: role_grants,
        subnet_zones,
        route_tables,
        endpoints,
        vcpu_quota: Some(400),
        instance_profile: None,
    }
}

impl Access {
    /// Whether `role` (a name or an ARN) exists.
    pub fn role_exists(&self, role: &str) -> bool {
        self.roles
            .contains_key(role.rsplit('/').next().unwrap_or(role))
    }

    /// Whether `role` may call `action`.
    pub fn allows(&self, role: &str, action: &str) -> bool {
        let name = role.rsplit('/').next().unwrap_or(role);
        self.roles.get(name).is_some_and(|grants| {
            grants.iter().any(|g| {
                g == "*"
                    || g == action
                    || g.strip_suffix('*')
                        .is_some_and(|prefix| action.starts_with(prefix))
            })
        })
    }

    fn table_of(&self, subnet: &str) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| t.subnet_ids.iter().any(|s| s == subnet))
            .or_else(|| self.route_tables.iter().find(|t| t.main))
    }

    /// Whether a task in `subnet` reaches `service` (e.g. `ecr.dkr`).
    fn reaches(&self, subnet: &str, public_ip: bool, service: &str) -> bool {
        let Some(table) = self.table_of(subnet) else {
            return false;
        };
        let out = table.routes.iter().any(|r| {
            r.destination == "0.0.0.0/0"
                && match &r.target {
                    RouteTarget::NatGateway(_) => true,
                    RouteTarget::InternetGateway(_) => public_ip,
                    RouteTarget::Other(_) => false,
                }
        });
        out || self.endpoints.iter().any(|e| {
            e.service_name.ends_with(&format!(".{service}"))
                && match e.kind {
                    EndpointKind::Interface => true,
                    EndpointKind::Gateway => e.route_table_ids.contains(&table.id),
                }
        })
    }

    /// Why a Fargate task of `definition`, placed as `spec` says, cannot start, as ECS words it;
    /// `None` when it can.
    pub(crate) fn start_failure(
        &self,
        account: &str,
        spec: &ServiceSpec,
        definition: &serde_json::Value,
    ) -> Option<String> {
        let containers = definition["containerDefinitions"].as_array()?;
        let secrets: Vec<&str> = containers
            .iter()
            .flat_map(|c| {
                c["secrets"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            })
            .filter_map(|s| s["valueFrom"].as_str())
            .collect();
        // ECS places the task in the first subnet it picks; every subnet must work, so the
        // simulator checks the first one that does not.
        let subnet = spec.subnets.iter().find(|subnet| {
            ["ecr.api", "ecr.dkr", "s3"]
                .iter()
                .chain(if secrets.is_empty() {
                    &[][..]
                } else {
                    &["secretsmanager"][..]
                })
                .any(|service| !self.reaches(subnet, spec.assign_public_ip, service))
        });
        if let Some(subnet) = subnet {
            let registry = containers
                .first()
                .and_then(|c| c["image"].as_str())
                .unwrap_or("?");
            return Some(if secrets.is_empty() {
                format!(
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s): \
                     failed to resolve ref {registry}: failed to do request: dial tcp: i/o timeout \
                     (subnet {subnet})"
                )
            } else {
                format!(
                    "ResourceInitializationError: unable to pull secrets or registry auth: \
                     execution resource retrieval failed: unable to retrieve ecr registry auth: \
                     service call has been retried 3 time(s): RequestError: send request failed: \
                     dial tcp: i/o timeout. Please check your task network configuration. \
                     (subnet {subnet})"
                )
            });
        }
        let role = definition["executionRoleArn"].as_str();
        for secret in secrets {
            let action = if secret.contains(":secretsmanager:") {
                "secretsmanager:GetSecretValue"
            } else {
                "ssm:GetParameters"
            };
            let allowed = role.is_some_and(|r| self.role_exists(r) && self.allows(r, action));
            if !allowed {
                let who = role
                    .map(|r| r.rsplit('/').next().unwrap_or(r))
                    .unwrap_or("(none)");
                return Some(format!(
                    "ResourceInitializationError: unable to pull secrets or registry auth: \
                     execution resource retrieval failed: unable to retrieve secret from asm: \
                     service call has been retried 1 time(s): AccessDeniedException: User: \
                     arn:aws:sts::{account}:assumed-role/{who}/task is not authorized to perform: \
                     {action} on resource: {secret}"
                ));
            }
        }
        None
    }
}
