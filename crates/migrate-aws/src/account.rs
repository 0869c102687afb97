//! The preflight's reads: STS `GetCallerIdentity`, IAM `GetRole` and `SimulatePrincipalPolicy`,
//! EC2 `DescribeSubnets` / `DescribeRouteTables` / `DescribeVpcEndpoints` /
//! `DescribeLaunchTemplateVersions`, Auto Scaling `DescribeAutoScalingGroups` /
//! `DescribeLaunchConfigurations`, and Service Quotas `GetServiceQuota`.
//!
//! The partition is the second field of the caller's ARN, so that role ARNs are right in GovCloud
//! and China as well.

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, VpcEndpointType};
use aws_sdk_iam::types::PolicyEvaluationDecisionType;
use migrate_engine::ports::{
    Account, CallerIdentity, CloudResult, Decision, EndpointKind, ErrorKind, Evaluation, Role,
    Route, RouteTable, RouteTarget, Subnet, VpcEndpoint,
};
use migrate_engine::preflight::FARGATE_VCPU_QUOTA_CODE;

use crate::errors::{missing, sdk_error};

/// The Service Quotas code of AWS Fargate.
const FARGATE_SERVICE_CODE: &str = "fargate";

#[derive(Debug, Clone)]
pub struct AwsAccount {
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    ec2: aws_sdk_ec2::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    quotas: aws_sdk_servicequotas::Client,
}

impl AwsAccount {
    pub fn new(
        sts: aws_sdk_sts::Client,
        iam: aws_sdk_iam::Client,
        ec2: aws_sdk_ec2::Client,
        autoscaling: aws_sdk_autoscaling::Client,
        quotas: aws_sdk_servicequotas::Client,
    ) -> Self {
        Self {
            sts,
            iam,
            ec2,
            autoscaling,
            quotas,
        }
    }
}

fn vpc_filter(vpc_id: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc_id).build()
}

#[async_trait]
impl Account for AwsAccount {
    async fn caller_identity(&self) -> CloudResult<CallerIdentity> {
        let op = "sts:GetCallerIdentity";
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, "caller"))?;
        let arn = out.arn().ok_or_else(|| missing(op, "caller", "Arn"))?;
        let account = out
            .account()
            .ok_or_else(|| missing(op, "caller", "Account"))?;
        let partition = arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| missing(op, "caller", "the partition of Arn"))?;
        Ok(CallerIdentity {
            account: account.to_string(),
            partition: partition.to_string(),
            arn: arn.to_string(),
        })
    }

    async fn find_role(&self, name: &str) -> CloudResult<Option<Role>> {
        let op = "iam:GetRole";
        match self.iam.get_role().role_name(name).send().await {
            Ok(out) => {
                let role = out.role().ok_or_else(|| missing(op, name, "Role"))?;
                Ok(Some(Role {
                    name: role.role_name().to_string(),
                    arn: role.arn().to_string(),
                }))
            }
            Err(e) => {
                let error = sdk_error(&e, op, format!("role {name}"));
                if error.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn simulate(
        &self,
        principal_arn: &str,
        actions: &[String],
        resource: &str,
    ) -> CloudResult<Vec<Evaluation>> {
        let op = "iam:SimulatePrincipalPolicy";
        let out = self
            .iam
            .simulate_principal_policy()
            .policy_source_arn(principal_arn)
            .set_action_names(Some(actions.to_vec()))
            .resource_arns(resource)
            // The answer only informs a warning; a failing simulator (or an endpoint without
            // one, as moto) is not worth the SDK's backoff on every call.
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default()
                    .retry_config(aws_smithy_types::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, format!("{principal_arn} on {resource}")))?;
        Ok(out
            .evaluation_results()
            .iter()
            .map(|result| Evaluation {
                action: result.eval_action_name().to_string(),
                decision: match result.eval_decision() {
                    PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
                    PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
                    _ => Decision::ImplicitDeny,
                },
            })
            .collect())
    }

    async fn subnets(&self, ids: &[String]) -> CloudResult<Vec<Subnet>> {
        let op = "ec2:DescribeSubnets";
        let out = self
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, ids.join(", ")))?;
        out.subnets()
            .iter()
            .map(|s| {
                let id = s
                    .subnet_id()
                    .ok_or_else(|| missing(op, "subnet", "SubnetId"))?;
                Ok(Subnet {
                    id: id.to_string(),
                    vpc_id: s
                        .vpc_id()
                        .ok_or_else(|| missing(op, id, "VpcId"))?
                        .to_string(),
                    availability_zone: s
                        .availability_zone()
                        .ok_or_else(|| missing(op, id, "AvailabilityZone"))?
                        .to_string(),
                })
            })
            .collect()
    }

    async fn route_tables(&self, vpc_id: &str) -> CloudResult<Vec<RouteTable>> {
        let op = "ec2:DescribeRouteTables";
        let mut pages = self
            .ec2
            .describe_route_tables()
            .filters(vpc_filter(vpc_id))
            .into_paginator()
            .send();
        let mut tables = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, op, format!("VPC {vpc_id}")))?;
            for table in page.route_tables() {
                let id = table
                    .route_table_id()
                    .ok_or_else(|| missing(op, vpc_id, "RouteTableId"))?;
                let associations = table.associations();
                tables.push(RouteTable {
                    id: id.to_string(),
                    main: associations.iter().any(|a| a.main() == Some(true)),
                    subnet_ids: associations
                        .iter()
                        .filter_map(|a| a.subnet_id().map(str::to_string))
                        .collect(),
                    routes: table
                        .routes()
                        .iter()
                        .filter_map(|r| {
                            let destination = r
                                .destination_cidr_block()
                                .or(r.destination_prefix_list_id())?;
                            let target = if let Some(nat) = r.nat_gateway_id() {
                                RouteTarget::NatGateway(nat.to_string())
                            } else {
                                match r.gateway_id() {
                                    Some(g) if g.starts_with("igw-") => {
                                        RouteTarget::InternetGateway(g.to_string())
                                    }
                                    Some(g) => RouteTarget::Other(g.to_string()),
                                    None => RouteTarget::Other(
                                        r.transit_gateway_id()
                                            .or(r.vpc_peering_connection_id())
                                            .or(r.network_interface_id())
                                            .or(r.instance_id())
                                            .unwrap_or("other")
                                            .to_string(),
                                    ),
                                }
                            };
                            Some(Route {
                                destination: destination.to_string(),
                                target,
                            })
                        })
                        .collect(),
                });
            }
        }
        Ok(tables)
    }

    async fn vpc_endpoints(&self, vpc_id: &str) -> CloudResult<Vec<VpcEndpoint>> {
        let op = "ec2:DescribeVpcEndpoints";
        let mut pages = self
            .ec2
            .describe_vpc_endpoints()
            .filters(vpc_filter(vpc_id))
            .into_paginator()
            .send();
        let mut endpoints = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, op, format!("VPC {vpc_id}")))?;
            for endpoint in page.vpc_endpoints() {
                // An endpoint being deleted, refused or failed serves nothing.
                let usable = endpoint.state().is_none_or(|s| {
                    matches!(
                        s.as_str().to_ascii_lowercase().as_str(),
                        "available" | "pending"
                    )
                });
                if !usable {
                    continue;
                }
                let id = endpoint
                    .vpc_endpoint_id()
                    .ok_or_else(|| missing(op, vpc_id, "VpcEndpointId"))?;
                let kind = match endpoint.vpc_endpoint_type() {
                    Some(VpcEndpointType::Gateway) => EndpointKind::Gateway,
                    _ => EndpointKind::Interface,
                };
                endpoints.push(VpcEndpoint {
                    id: id.to_string(),
                    service_name: endpoint.service_name().unwrap_or_default().to_string(),
                    kind,
                    subnet_ids: endpoint.subnet_ids().to_vec(),
                    route_table_ids: endpoint.route_table_ids().to_vec(),
                });
            }
        }
        Ok(endpoints)
    }

    async fn fargate_vcpu_quota(&self) -> CloudResult<f64> {
        let op = "servicequotas:GetServiceQuota";
        let resource = format!("{FARGATE_SERVICE_CODE}/{FARGATE_VCPU_QUOTA_CODE}");
        let out = self
            .quotas
            .get_service_quota()
            .service_code(FARGATE_SERVICE_CODE)
            .quota_code(FARGATE_VCPU_QUOTA_CODE)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, &resource))?;
        out.quota()
            .and_then(|q| q.value())
            .ok_or_else(|| missing(op, &resource, "Quota.Value"))
    }

    async fn instance_profile_of_group(&self, group: &str) -> CloudResult<Option<String>> {
        let op = "autoscaling:DescribeAutoScalingGroups";
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(group)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, format!("Auto Scaling group {group}")))?;
        let Some(found) = out.auto_scaling_groups().first() else {
            return Err(migrate_engine::ports::CloudError::not_found(
                op,
                format!("Auto Scaling group {group}"),
            ));
        };
        let template = found.launch_template().or_else(|| {
            found
                .mixed_instances_policy()
                .and_then(|m| m.launch_template())
                .and_then(|t| t.launch_template_specification())
        });
        if let Some(template) = template {
            let op = "ec2:DescribeLaunchTemplateVersions";
            let version = template.version().unwrap_or("$Default");
            let out = self
                .ec2
                .describe_launch_template_versions()
                .set_launch_template_id(template.launch_template_id().map(str::to_string))
                .set_launch_template_name(
                    template
                        .launch_template_id()
                        .is_none()
                        .then(|| template.launch_template_name().map(str::to_string))
                        .flatten(),
                )
                .versions(version)
                .send()
                .await
                .map_err(|e| sdk_error(&e, op, format!("launch template of {group}")))?;
            return Ok(out
                .launch_template_versions()
                .first()
                .and_then(|v| v.launch_template_data())
                .and_then(|d| d.iam_instance_profile())
                .and_then(|p| p.arn().or(p.name()))
                .map(str::to_string));
        }
        if let Some(configuration) = found.launch_configuration_name() {
            let op = "autoscaling:DescribeLaunchConfigurations";
            let out = self
                .autoscaling
                .describe_launch_configurations()
                .launch_configuration_names(configuration)
                .send()
                .await
                .map_err(|e| sdk_error(&e, op, format!("launch configuration {configuration}")))?;
            return Ok(out
                .launch_configurations()
                .first()
                .and_then(|c| c.iam_instance_profile())
                .map(str::to_string));
        }
        Ok(None)
    }
}
