//! EC2 security groups: names are unique per VPC (a duplicate fails), a rule that exists is
//! success, and a group still in use cannot be deleted (`DependencyViolation`).

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, ErrorKind, IngressPermission, IngressRule, InstanceTypeSize, Network,
    SecurityGroup, SecurityGroupSpec,
};

use super::{err, Kind, SimCloud};
use crate::world::ec2::GroupRec;
use crate::world::ecs::TaskState;
use crate::world::instances::PlainState;
use crate::world::old_side::LeftOut;
use crate::world::World;

/// EC2's answer to a request naming a group it does not have.
fn group_exists(w: &World, op: &str, group_id: &str) -> CloudResult<()> {
    if w.ec2.groups.contains_key(group_id) {
        Ok(())
    } else {
        Err(err(
            ErrorKind::NotFound,
            op,
            group_id,
            "InvalidGroup.NotFound",
        ))
    }
}

fn group_of(g: &GroupRec) -> SecurityGroup {
    SecurityGroup {
        id: g.id.clone(),
        name: g.name.clone(),
        vpc_id: g.vpc_id.clone(),
    }
}

#[async_trait]
impl Network for SimCloud {
    async fn find_security_group(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> CloudResult<Option<SecurityGroup>> {
        self.call("ec2:DescribeSecurityGroups", name, Kind::Read, |w| {
            Ok(w.ec2
                .groups
                .values()
                .find(|g| g.vpc_id == vpc_id && g.name == name && g.visible_at <= w.now)
                .map(group_of))
        })
        .await
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> CloudResult<SecurityGroup> {
        let op = "ec2:CreateSecurityGroup";
        self.call(op, &spec.name, Kind::Write, |w| {
            if w.ec2.groups.values().any(|g| g.vpc_id == spec.vpc_id && g.name == spec.name) {
                return Err(err(
                    ErrorKind::AlreadyExists,
                    op,
                    &spec.name,
                    format!("InvalidGroup.Duplicate: The security group '{}' already exists for VPC '{}'", spec.name, spec.vpc_id),
                ));
            }
            if spec.vpc_id != w.topology.vpc_id {
                return Err(err(ErrorKind::InvalidRequest, op, &spec.name, format!("InvalidVpcID.NotFound: {}", spec.vpc_id)));
            }
            let id = w.ids.ec2("sg");
            let visible_at = w.visible_from_now();
            let rec = GroupRec {
                id: id.clone(),
                name: spec.name.clone(),
                vpc_id: spec.vpc_id.clone(),
                tags: spec.tags.clone(),
                visible_at,
            };
            let out = group_of(&rec);
            w.ec2.groups.insert(id.clone(), rec);
            w.record_creation("security-group", &spec.name, &id);
            Ok(out)
        })
        .await
    }

    async fn delete_security_group(&self, group_id: &str) -> CloudResult<()> {
        let op = "ec2:DeleteSecurityGroup";
        self.call(op, group_id, Kind::Write, |w| {
            group_exists(w, op, group_id)?;
            // Fargate tasks hold an ENI in the group until they have stopped.
            let by_task = w.ecs.tasks.values().any(|t| {
                !matches!(t.state, TaskState::Stopped)
                    && t.security_groups.iter().any(|g| g == group_id)
            });
            let by_lb = w
                .elb
                .load_balancers
                .values()
                .any(|l| !l.deleted && l.security_groups.iter().any(|g| g == group_id));
            let by_rule =
                w.ec2
                    .rules
                    .keys()
                    .any(|(g, src, _)| src == group_id && g != group_id)
                    || w.ec2.egress.iter().any(|(g, rules)| {
                        g != group_id && rules.iter().any(|(_, to)| to == group_id)
                    });
            // A plain instance keeps its interface until it is terminated (stopped included).
            let by_instance = w.plain.instances.values().any(|i| {
                i.state != PlainState::Terminated && i.security_groups.iter().any(|g| g == group_id)
            });
            if by_task || by_lb || by_rule || by_instance {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    group_id,
                    "DependencyViolation: resource has a dependent object",
                ));
            }
            w.ec2.groups.remove(group_id);
            w.ec2.rules.retain(|(g, _, _), _| g != group_id);
            w.ec2.egress.remove(group_id);
            Ok(())
        })
        .await
    }

    async fn authorize_ingress(&self, rule: &IngressRule) -> CloudResult<()> {
        let op = "ec2:AuthorizeSecurityGroupIngress";
        self.call(op, &rule.group_id, Kind::Write, |w| {
            for g in [&rule.group_id, &rule.source_group_id] {
                group_exists(w, op, g)?;
            }
            let key = (
                rule.group_id.clone(),
                rule.source_group_id.clone(),
                rule.port,
            );
            if let std::collections::btree_map::Entry::Vacant(slot) = w.ec2.rules.entry(key) {
                slot.insert(rule.description.clone());
                w.record_creation(
                    "ingress-rule",
                    &format!("{}<-{}:{}", rule.group_id, rule.source_group_id, rule.port),
                    &rule.group_id,
                );
            }
            Ok(())
        })
        .await
    }

    async fn revoke_ingress(&self, rule: &IngressRule) -> CloudResult<()> {
        let op = "ec2:RevokeSecurityGroupIngress";
        self.call(op, &rule.group_id, Kind::Write, |w| {
            let key = (
                rule.group_id.clone(),
                rule.source_group_id.clone(),
                rule.port,
            );
            match w.ec2.rules.remove(&key) {
                Some(_) => Ok(()),
                None => Err(err(
                    ErrorKind::NotFound,
                    op,
                    &rule.group_id,
                    "InvalidPermission.NotFound",
                )),
            }
        })
        .await
    }

    async fn has_ingress(&self, rule: &IngressRule) -> CloudResult<bool> {
        self.call(
            "ec2:DescribeSecurityGroupRules",
            &rule.group_id,
            Kind::Read,
            |w| {
                Ok(w.ec2.rules.contains_key(&(
                    rule.group_id.clone(),
                    rule.source_group_id.clone(),
                    rule.port,
                )))
            },
        )
        .await
    }

    async fn ingress_sources(&self, group_id: &str, port: u16) -> CloudResult<Vec<String>> {
        self.call(
            "ec2:DescribeSecurityGroupRules",
            group_id,
            Kind::Read,
            |w| {
                // The world keys rules by (group, source, port), so the sources come out sorted.
                Ok(w.ec2
                    .rules
                    .keys()
                    .filter(|(group, _, p)| group == group_id && *p == port)
                    .map(|(_, source, _)| source.clone())
                    .collect())
            },
        )
        .await
    }

    async fn ingress_permissions(&self, group_id: &str) -> CloudResult<Vec<IngressPermission>> {
        let op = "ec2:DescribeSecurityGroups";
        self.call(op, group_id, Kind::Read, |w| {
            group_exists(w, op, group_id)?;
            Ok(w.ec2
                .rules
                .keys()
                .filter(|(g, _, _)| g == group_id)
                .map(|(_, source, port)| permission_of(source, *port))
                .collect())
        })
        .await
    }

    async fn authorize_ingress_permissions(
        &self,
        group_id: &str,
        permissions: &[IngressPermission],
    ) -> CloudResult<()> {
        let op = "ec2:AuthorizeSecurityGroupIngress";
        self.call(op, group_id, Kind::Write, |w| {
            group_exists(w, op, group_id)?;
            let mut keys = Vec::new();
            for p in permissions {
                let port = match (p.protocol.as_str(), p.from_port, p.to_port) {
                    ("-1", _, _) => 0,
                    ("tcp", Some(from), Some(to)) if from == to => {
                        u16::try_from(from).map_err(|_| {
                            err(
                                ErrorKind::InvalidRequest,
                                op,
                                group_id,
                                "InvalidParameterValue",
                            )
                        })?
                    }
                    // The world keys rules by one port; a range is refused rather than
                    // widened or narrowed silently.
                    _ => {
                        return Err(err(
                            ErrorKind::InvalidRequest,
                            op,
                            group_id,
                            format!("the simulator models single-port rules, not {p:?}"),
                        ))
                    }
                };
                for source in p
                    .ipv4_ranges
                    .iter()
                    .chain(&p.ipv6_ranges)
                    .chain(&p.prefix_lists)
                    .chain(&p.source_groups)
                {
                    if source.starts_with("sg-") {
                        group_exists(w, op, source)?;
                    }
                    keys.push((group_id.to_string(), source.clone(), port));
                }
            }
            if w.left_out.contains(&LeftOut::CopyLoadBalancerIngress) {
                return Ok(());
            }
            for key in keys {
                w.ec2.rules.entry(key).or_insert_with(String::new);
            }
            Ok(())
        })
        .await
    }

    async fn limit_egress(
        &self,
        group_id: &str,
        port: u16,
        destination_group: &str,
    ) -> CloudResult<()> {
        let op = "ec2:AuthorizeSecurityGroupEgress";
        self.call(op, group_id, Kind::Write, |w| {
            for g in [group_id, destination_group] {
                group_exists(w, op, g)?;
            }
            let rules = w.ec2.egress.entry(group_id.to_string()).or_default();
            let rule = (port, destination_group.to_string());
            if !rules.contains(&rule) {
                rules.push(rule);
            }
            Ok(())
        })
        .await
    }

    async fn instance_type_sizes(&self, types: &[String]) -> CloudResult<Vec<InstanceTypeSize>> {
        self.call(
            "ec2:DescribeInstanceTypes",
            types.join(","),
            Kind::Read,
            |_| {
                Ok(types
                    .iter()
                    .filter_map(|t| {
                        INSTANCE_TYPES.iter().find(|(name, _, _)| name == t).map(
                            |(name, vcpus, memory_mib)| InstanceTypeSize {
                                instance_type: (*name).to_string(),
                                vcpus: *vcpus,
                                memory_mib: *memory_mib,
                            },
                        )
                    })
                    .collect())
            },
        )
        .await
    }
}

/// A world rule as EC2 lists it: the source sorted into its kind by its form.
fn permission_of(source: &str, port: u16) -> IngressPermission {
    let mut p = IngressPermission {
        protocol: if port == 0 { "-1" } else { "tcp" }.into(),
        from_port: (port != 0).then_some(i32::from(port)),
        to_port: (port != 0).then_some(i32::from(port)),
        ipv4_ranges: Vec::new(),
        ipv6_ranges: Vec::new(),
        prefix_lists: Vec::new(),
        source_groups: Vec::new(),
    };
    let list = if source.starts_with("sg-") {
        &mut p.source_groups
    } else if source.starts_with("pl-") {
        &mut p.prefix_lists
    } else if source.contains(':') {
        &mut p.ipv6_ranges
    } else {
        &mut p.ipv4_ranges
    };
    list.push(source.to_string());
    p
}

/// The instance types the simulated account knows (vCPUs, MiB), as EC2 publishes them
/// (<https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html>); a type not listed is
/// answered as EC2 answers an unknown one: left out.
const INSTANCE_TYPES: &[(&str, u32, u32)] = &[
    ("t3.micro", 2, 1024),
    ("t3.small", 2, 2048),
    ("t3.medium", 2, 4096),
    ("t3.large", 2, 8192),
    ("m5.large", 2, 8192),
    ("m5.xlarge", 4, 16384),
    ("m5.2xlarge", 8, 32768),
    ("c5.large", 2, 4096),
    ("c5.xlarge", 4, 8192),
    ("r5.large", 2, 16384),
];
