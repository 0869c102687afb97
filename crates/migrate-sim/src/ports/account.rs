//! The preflight's reads over the simulated account's access facts (`world::access`): STS, IAM
//! (GetRole, SimulatePrincipalPolicy), EC2 (subnets, route tables, VPC endpoints), Service
//! Quotas and the old group's instance profile.

use async_trait::async_trait;
use migrate_engine::ports::{
    Account, CallerIdentity, CloudResult, Decision, ErrorKind, Evaluation, Role, RouteTable,
    Subnet, VpcEndpoint,
};

use super::{err, Kind, SimCloud};

#[async_trait]
impl Account for SimCloud {
    async fn caller_identity(&self) -> CloudResult<CallerIdentity> {
        self.call("sts:GetCallerIdentity", "caller", Kind::Read, |w| {
            let partition = w.topology.access.partition.clone();
            let account = w.topology.account.clone();
            Ok(CallerIdentity {
                arn: format!("arn:{partition}:iam::{account}:user/migrate"),
                account,
                partition,
            })
        })
        .await
    }

    async fn find_role(&self, name: &str) -> CloudResult<Option<Role>> {
        self.call("iam:GetRole", name, Kind::Read, |w| {
            let access = &w.topology.access;
            Ok(access.role_exists(name).then(|| Role {
                name: name.to_string(),
                arn: if name == "AWSServiceRoleForECS" {
                    format!(
                        "arn:{}:iam::{}:role/aws-service-role/ecs.amazonaws.com/{name}",
                        access.partition, w.topology.account
                    )
                } else {
                    format!(
                        "arn:{}:iam::{}:role/{name}",
                        access.partition, w.topology.account
                    )
                },
            }))
        })
        .await
    }

    async fn simulate(
        &self,
        principal_arn: &str,
        actions: &[String],
        resource: &str,
    ) -> CloudResult<Vec<Evaluation>> {
        let op = "iam:SimulatePrincipalPolicy";
        self.call(
            op,
            format!("{principal_arn} on {resource}"),
            Kind::Read,
            |w| {
                let access = &w.topology.access;
                if !access.role_exists(principal_arn) {
                    return Err(err(
                        ErrorKind::NotFound,
                        op,
                        principal_arn,
                        "NoSuchEntity: the principal does not exist",
                    ));
                }
                Ok(actions
                    .iter()
                    .map(|action| Evaluation {
                        action: action.clone(),
                        decision: if access.allows(principal_arn, action) {
                            Decision::Allowed
                        } else {
                            Decision::ImplicitDeny
                        },
                    })
                    .collect())
            },
        )
        .await
    }

    async fn subnets(&self, ids: &[String]) -> CloudResult<Vec<Subnet>> {
        let op = "ec2:DescribeSubnets";
        self.call(op, ids.join(","), Kind::Read, |w| {
            ids.iter()
                .map(|id| {
                    let zone = w.topology.access.subnet_zones.get(id).ok_or_else(|| {
                        err(
                            ErrorKind::NotFound,
                            op,
                            id,
                            format!(
                                "InvalidSubnetID.NotFound: The subnet ID '{id}' does not exist"
                            ),
                        )
                    })?;
                    Ok(Subnet {
                        id: id.clone(),
                        vpc_id: w.topology.vpc_id.clone(),
                        availability_zone: zone.clone(),
                    })
                })
                .collect()
        })
        .await
    }

    async fn route_tables(&self, vpc_id: &str) -> CloudResult<Vec<RouteTable>> {
        self.call("ec2:DescribeRouteTables", vpc_id, Kind::Read, |w| {
            Ok(if w.topology.vpc_id == vpc_id {
                w.topology.access.route_tables.clone()
            } else {
                Vec::new()
            })
        })
        .await
    }

    async fn vpc_endpoints(&self, vpc_id: &str) -> CloudResult<Vec<VpcEndpoint>> {
        self.call("ec2:DescribeVpcEndpoints", vpc_id, Kind::Read, |w| {
            Ok(if w.topology.vpc_id == vpc_id {
                w.topology.access.endpoints.clone()
            } else {
                Vec::new()
            })
        })
        .await
    }

    async fn fargate_vcpu_quota(&self) -> CloudResult<f64> {
        let op = "servicequotas:GetServiceQuota";
        self.call(op, "fargate/L-3032A538", Kind::Read, |w| {
            w.topology.access.vcpu_quota.map(f64::from).ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    op,
                    "fargate/L-3032A538",
                    "NoSuchResourceException",
                )
            })
        })
        .await
    }

    async fn instance_profile_of_group(&self, group: &str) -> CloudResult<Option<String>> {
        let op = "autoscaling:DescribeAutoScalingGroups";
        self.call(op, group, Kind::Read, |w| {
            if !w.asg.groups.contains_key(group) {
                return Err(err(ErrorKind::NotFound, op, group, "no such group"));
            }
            Ok(w.topology.access.instance_profile.clone())
        })
        .await
    }
}
