//! `Network` on EC2 security groups.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, InstanceType, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, Tag,
    TagSpecification, UserIdGroupPair,
};
use migrate_engine::ports::{
    CloudError, CloudResult, ErrorKind, IngressPermission, IngressRule, InstanceTypeSize, Network,
    SecurityGroup, SecurityGroupSpec, ANYWHERE_IPV4,
};

use crate::errors::{missing, sdk_error};
use crate::tags::pairs;

pub struct Ec2Network {
    ec2: aws_sdk_ec2::Client,
}

impl Ec2Network {
    pub fn new(ec2: aws_sdk_ec2::Client) -> Self {
        Self { ec2 }
    }
}

fn rule_resource(rule: &IngressRule) -> String {
    format!(
        "ingress to {} on tcp/{} from {}",
        rule.group_id, rule.port, rule.source_group_id
    )
}

fn permission(rule: &IngressRule) -> IpPermission {
    let mut pair = UserIdGroupPair::builder().group_id(&rule.source_group_id);
    if !rule.description.is_empty() {
        pair = pair.description(&rule.description);
    }
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(i32::from(rule.port))
        .to_port(i32::from(rule.port))
        .user_id_group_pairs(pair.build())
        .build()
}

/// The SDK's form of a permission read earlier, sources and all, for `Authorize*`.
fn sdk_permission(p: &IngressPermission) -> IpPermission {
    let mut b = IpPermission::builder().ip_protocol(&p.protocol);
    if let (Some(from), Some(to)) = (p.from_port, p.to_port) {
        b = b.from_port(from).to_port(to);
    }
    for cidr in &p.ipv4_ranges {
        b = b.ip_ranges(IpRange::builder().cidr_ip(cidr).build());
    }
    for cidr in &p.ipv6_ranges {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).build());
    }
    for list in &p.prefix_lists {
        b = b.prefix_list_ids(PrefixListId::builder().prefix_list_id(list).build());
    }
    for group in &p.source_groups {
        b = b.user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build());
    }
    b.build()
}

fn is_duplicate<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    e: &aws_sdk_ec2::error::SdkError<E>,
) -> bool {
    e.as_service_error()
        .and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code)
        == Some("InvalidPermission.Duplicate")
}

#[async_trait]
impl Network for Ec2Network {
    async fn find_security_group(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> CloudResult<Option<SecurityGroup>> {
        let resource = format!("security group {name} in {vpc_id}");
        let out = self
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .filters(Filter::builder().name("group-name").values(name).build())
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:DescribeSecurityGroups", &resource))?;
        let Some(group) = out.security_groups().first() else {
            return Ok(None);
        };
        Ok(Some(SecurityGroup {
            id: group
                .group_id()
                .ok_or_else(|| missing("ec2:DescribeSecurityGroups", &resource, "GroupId"))?
                .to_string(),
            name: group.group_name().unwrap_or(name).to_string(),
            vpc_id: group.vpc_id().unwrap_or(vpc_id).to_string(),
        }))
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> CloudResult<SecurityGroup> {
        let resource = format!("security group {} in {}", spec.name, spec.vpc_id);
        let tags = TagSpecification::builder()
            .resource_type(ResourceType::SecurityGroup)
            .set_tags(Some(
                pairs(&spec.tags)
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .build();
        let mut request = self
            .ec2
            .create_security_group()
            .vpc_id(&spec.vpc_id)
            .group_name(&spec.name)
            .description(&spec.description);
        // EC2 refuses a tag specification without tags; an untagged group simply has none.
        if !spec.tags.is_empty() {
            request = request.tag_specifications(tags);
        }
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:CreateSecurityGroup", &resource))?;
        Ok(SecurityGroup {
            id: out
                .group_id()
                .ok_or_else(|| missing("ec2:CreateSecurityGroup", &resource, "GroupId"))?
                .to_string(),
            name: spec.name.clone(),
            vpc_id: spec.vpc_id.clone(),
        })
    }

    async fn delete_security_group(&self, group_id: &str) -> CloudResult<()> {
        self.ec2
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "ec2:DeleteSecurityGroup",
                    format!("security group {group_id}"),
                )
            })?;
        Ok(())
    }

    async fn authorize_ingress(&self, rule: &IngressRule) -> CloudResult<()> {
        let resource = rule_resource(rule);
        match self
            .ec2
            .authorize_security_group_ingress()
            .group_id(&rule.group_id)
            .ip_permissions(permission(rule))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // The rule is there already: exactly what was asked for.
            Err(e) if is_duplicate(&e) => Ok(()),
            Err(e) => Err(sdk_error(
                &e,
                "ec2:AuthorizeSecurityGroupIngress",
                &resource,
            )),
        }
    }

    async fn revoke_ingress(&self, rule: &IngressRule) -> CloudResult<()> {
        let resource = rule_resource(rule);
        let out = self
            .ec2
            .revoke_security_group_ingress()
            .group_id(&rule.group_id)
            .ip_permissions(permission(rule))
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:RevokeSecurityGroupIngress", &resource))?;
        // For a rule that is not there, EC2 answers success and lists it as unknown.
        if !out.unknown_ip_permissions().is_empty() || out.r#return() == Some(false) {
            return Err(CloudError::not_found(
                "ec2:RevokeSecurityGroupIngress",
                resource,
            ));
        }
        Ok(())
    }

    async fn has_ingress(&self, rule: &IngressRule) -> CloudResult<bool> {
        let resource = rule_resource(rule);
        let sources = self
            .sources_on_port(&rule.group_id, rule.port, &resource)
            .await?;
        Ok(sources.contains(&rule.source_group_id))
    }

    async fn ingress_sources(&self, group_id: &str, port: u16) -> CloudResult<Vec<String>> {
        let resource = format!("ingress to {group_id} on tcp/{port}");
        let mut sources = self.sources_on_port(group_id, port, &resource).await?;
        sources.sort();
        sources.dedup();
        Ok(sources)
    }

    async fn ingress_permissions(&self, group_id: &str) -> CloudResult<Vec<IngressPermission>> {
        let resource = format!("security group {group_id}");
        let out = self
            .ec2
            .describe_security_groups()
            .group_ids(group_id)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "ec2:DescribeSecurityGroups", &resource))?;
        let group = out
            .security_groups()
            .iter()
            .find(|g| g.group_id() == Some(group_id))
            .ok_or_else(|| CloudError::not_found("ec2:DescribeSecurityGroups", &resource))?;
        Ok(group
            .ip_permissions()
            .iter()
            .map(|p| IngressPermission {
                protocol: p.ip_protocol().unwrap_or("-1").to_string(),
                from_port: p.from_port(),
                to_port: p.to_port(),
                ipv4_ranges: p
                    .ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string))
                    .collect(),
                ipv6_ranges: p
                    .ipv6_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ipv6().map(str::to_string))
                    .collect(),
                prefix_lists: p
                    .prefix_list_ids()
                    .iter()
                    .filter_map(|l| l.prefix_list_id().map(str::to_string))
                    .collect(),
                source_groups: p
                    .user_id_group_pairs()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
            })
            .collect())
    }

    async fn authorize_ingress_permissions(
        &self,
        group_id: &str,
        permissions: &[IngressPermission],
    ) -> CloudResult<()> {
        let resource = format!("security group {group_id}");
        // One call per permission: EC2 refuses a whole request when one of its permissions
        // exists already, and a resumed step asks again for what an earlier attempt added.
        for p in permissions {
            match self
                .ec2
                .authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(sdk_permission(p))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if is_duplicate(&e) => {}
                Err(e) => {
                    return Err(sdk_error(
                        &e,
                        "ec2:AuthorizeSecurityGroupIngress",
                        &resource,
                    ))
                }
            }
        }
        Ok(())
    }

    async fn limit_egress(
        &self,
        group_id: &str,
        port: u16,
        destination_group: &str,
    ) -> CloudResult<()> {
        let resource = format!("egress of {group_id} on tcp/{port} to {destination_group}");
        let to_targets = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(i32::from(port))
            .to_port(i32::from(port))
            .user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(destination_group)
                    .build(),
            )
            .build();
        match self
            .ec2
            .authorize_security_group_egress()
            .group_id(group_id)
            .ip_permissions(to_targets)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is_duplicate(&e) => {}
            Err(e) => return Err(sdk_error(&e, "ec2:AuthorizeSecurityGroupEgress", &resource)),
        }
        let anywhere = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip(ANYWHERE_IPV4).build())
            .build();
        // A resumed step finds the default rule gone already: EC2 answers success with the rule
        // listed as unknown, or `InvalidPermission.NotFound`; both are what was asked for.
        match self
            .ec2
            .revoke_security_group_egress()
            .group_id(group_id)
            .ip_permissions(anywhere)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code)
                    == Some("InvalidPermission.NotFound") =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error(&e, "ec2:RevokeSecurityGroupEgress", &resource)),
        }
    }

    async fn instance_type_sizes(&self, types: &[String]) -> CloudResult<Vec<InstanceTypeSize>> {
        // One call per type: EC2 refuses a whole request naming one type it does not offer
        // (`InvalidInstanceType`), and the old side rarely has more than two.
        let mut sizes = Vec::new();
        for name in types {
            let out = match self
                .ec2
                .describe_instance_types()
                .instance_types(InstanceType::from(name.as_str()))
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let error = sdk_error(&e, "ec2:DescribeInstanceTypes", name);
                    if matches!(error.kind, ErrorKind::InvalidRequest | ErrorKind::NotFound) {
                        continue;
                    }
                    return Err(error);
                }
            };
            for info in out.instance_types() {
                let vcpus = info.v_cpu_info().and_then(|v| v.default_v_cpus());
                let memory = info.memory_info().and_then(|m| m.size_in_mib());
                if let (Some(vcpus), Some(memory)) = (vcpus, memory) {
                    sizes.push(InstanceTypeSize {
                        instance_type: name.clone(),
                        vcpus: u32::try_from(vcpus).unwrap_or(0),
                        memory_mib: u32::try_from(memory).unwrap_or(u32::MAX),
                    });
                }
            }
        }
        Ok(sizes)
    }
}

impl Ec2Network {
    /// The source groups of `group_id`'s inbound rules that cover TCP `port`.
    async fn sources_on_port(
        &self,
        group_id: &str,
        port: u16,
        resource: &str,
    ) -> CloudResult<Vec<String>> {
        let mut pages = self
            .ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group_id).build())
            .into_paginator()
            .send();
        let port = i32::from(port);
        let mut sources = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| sdk_error(&e, "ec2:DescribeSecurityGroupRules", resource))?;
            for r in page.security_group_rules() {
                // The filter is a request; an answer about another group must not count.
                if r.group_id() != Some(group_id) || r.is_egress() == Some(true) {
                    continue;
                }
                let Some(source) = r.referenced_group_info().and_then(|g| g.group_id()) else {
                    continue;
                };
                let protocol = r.ip_protocol().unwrap_or("");
                let covers = match protocol {
                    "-1" => true,
                    "tcp" | "6" => {
                        r.from_port().unwrap_or(i32::MAX) <= port
                            && port <= r.to_port().unwrap_or(-1)
                    }
                    _ => false,
                };
                if covers {
                    sources.push(source.to_string());
                }
            }
        }
        Ok(sources)
    }
}
