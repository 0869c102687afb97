//! `LoadBalancing` on Elastic Load Balancing v2 (application load balancers).

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher,
    ProtocolEnum, Tag, TargetGroupAttribute, TargetHealthStateEnum, TargetTypeEnum,
};
use migrate_engine::ports::{
    CloudError, CloudResult, ErrorKind, Listener, ListenerProtocol, ListenerSpec, LoadBalancer,
    LoadBalancerSpec, LoadBalancing, Tags, TargetGroup, TargetGroupSpec, TargetHealth, TargetState,
};

use crate::errors::{missing, sdk_error};
use crate::tags::pairs;

pub struct ElbLoadBalancing {
    elb: aws_sdk_elasticloadbalancingv2::Client,
}

impl ElbLoadBalancing {
    pub fn new(elb: aws_sdk_elasticloadbalancingv2::Client) -> Self {
        Self { elb }
    }
}

/// The tags for a create call; `None` when there are none, because ELB refuses an empty list.
pub(crate) fn tags(tags: &Tags) -> Option<Vec<Tag>> {
    let tags: Vec<Tag> = pairs(tags)
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    (!tags.is_empty()).then_some(tags)
}

fn port_u16(port: Option<i32>, operation: &str, resource: &str) -> CloudResult<u16> {
    port.and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| missing(operation, resource, "a valid Port"))
}

fn load_balancer_of(
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
    operation: &str,
    resource: &str,
) -> CloudResult<LoadBalancer> {
    let field = |v: Option<&str>, name: &str| {
        v.map(str::to_string)
            .ok_or_else(|| missing(operation, resource, name))
    };
    Ok(LoadBalancer {
        arn: field(lb.load_balancer_arn(), "LoadBalancerArn")?,
        name: field(lb.load_balancer_name(), "LoadBalancerName")?,
        dns_name: field(lb.dns_name(), "DNSName")?,
        canonical_hosted_zone_id: field(lb.canonical_hosted_zone_id(), "CanonicalHostedZoneId")?,
        security_groups: lb.security_groups().to_vec(),
        vpc_id: lb.vpc_id().unwrap_or_default().to_string(),
        state: lb
            .state()
            .and_then(|s| s.code())
            .map(|c| c.as_str().to_string())
            .unwrap_or_else(|| "unknown".to_string()),
        ip_address_type: lb.ip_address_type().map(|t| t.as_str().to_string()),
    })
}

fn target_group_of(
    tg: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
    operation: &str,
    resource: &str,
) -> CloudResult<TargetGroup> {
    Ok(TargetGroup {
        arn: tg
            .target_group_arn()
            .ok_or_else(|| missing(operation, resource, "TargetGroupArn"))?
            .to_string(),
        name: tg
            .target_group_name()
            .ok_or_else(|| missing(operation, resource, "TargetGroupName"))?
            .to_string(),
        // Lambda target groups have no port; no other kind lacks one.
        port: tg.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        target_type: tg
            .target_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(|| "instance".to_string()),
        load_balancer_arns: tg.load_balancer_arns().to_vec(),
    })
}

fn listener_of(
    l: &aws_sdk_elasticloadbalancingv2::types::Listener,
    operation: &str,
    resource: &str,
) -> CloudResult<Option<Listener>> {
    let protocol = match l.protocol() {
        Some(ProtocolEnum::Http) => ListenerProtocol::Http,
        Some(ProtocolEnum::Https) => ListenerProtocol::Https,
        // TCP, TLS, UDP listeners belong to network load balancers, which the ports do not
        // model; they are left out rather than misreported.
        _ => return Ok(None),
    };
    Ok(Some(Listener {
        arn: l
            .listener_arn()
            .ok_or_else(|| missing(operation, resource, "ListenerArn"))?
            .to_string(),
        load_balancer_arn: l.load_balancer_arn().unwrap_or_default().to_string(),
        port: port_u16(l.port(), operation, resource)?,
        protocol,
        certificate_arn: l
            .certificates()
            .iter()
            .find(|c| c.is_default() != Some(false))
            .and_then(|c| c.certificate_arn())
            .map(str::to_string),
    }))
}

fn state_of(state: Option<&TargetHealthStateEnum>) -> TargetState {
    match state {
        Some(TargetHealthStateEnum::Healthy) => TargetState::Healthy,
        Some(TargetHealthStateEnum::Initial) => TargetState::Initial,
        Some(TargetHealthStateEnum::Unhealthy) | Some(TargetHealthStateEnum::UnhealthyDraining) => {
            TargetState::Unhealthy
        }
        Some(TargetHealthStateEnum::Unused) => TargetState::Unused,
        Some(TargetHealthStateEnum::Draining) => TargetState::Draining,
        // `unavailable` and any state newer than this SDK: not serving traffic.
        _ => TargetState::Unavailable,
    }
}

/// Whether an error means "this name or ARN does not exist"; ELB answers a describe by name
/// with an error rather than an empty list.
fn absent(err: &CloudError) -> bool {
    err.kind == ErrorKind::NotFound
}

#[async_trait]
impl LoadBalancing for ElbLoadBalancing {
    async fn find_load_balancer(&self, name: &str) -> CloudResult<Option<LoadBalancer>> {
        let resource = format!("load balancer {name}");
        match self.elb.describe_load_balancers().names(name).send().await {
            Ok(out) => out
                .load_balancers()
                .first()
                .map(|lb| {
                    load_balancer_of(lb, "elasticloadbalancing:DescribeLoadBalancers", &resource)
                })
                .transpose(),
            Err(e) => {
                let err = sdk_error(&e, "elasticloadbalancing:DescribeLoadBalancers", &resource);
                if absent(&err) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn load_balancer_by_arn(&self, arn: &str) -> CloudResult<Option<LoadBalancer>> {
        let resource = format!("load balancer {arn}");
        match self
            .elb
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
        {
            Ok(out) => out
                .load_balancers()
                .first()
                .map(|lb| {
                    load_balancer_of(lb, "elasticloadbalancing:DescribeLoadBalancers", &resource)
                })
                .transpose(),
            Err(e) => {
                let err = sdk_error(&e, "elasticloadbalancing:DescribeLoadBalancers", &resource);
                if absent(&err) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn create_load_balancer(&self, spec: &LoadBalancerSpec) -> CloudResult<LoadBalancer> {
        let resource = format!("load balancer {}", spec.name);
        let out = self
            .elb
            .create_load_balancer()
            .name(&spec.name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(if spec.internal {
                LoadBalancerSchemeEnum::Internal
            } else {
                LoadBalancerSchemeEnum::InternetFacing
            })
            .set_subnets(Some(spec.subnets.clone()))
            .set_security_groups(Some(spec.security_groups.clone()))
            .ip_address_type(spec.ip_address_type.as_str().into())
            .set_tags(tags(&spec.tags))
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticloadbalancing:CreateLoadBalancer", &resource))?;
        let lb = out.load_balancers().first().ok_or_else(|| {
            missing(
                "elasticloadbalancing:CreateLoadBalancer",
                &resource,
                "LoadBalancers",
            )
        })?;
        load_balancer_of(lb, "elasticloadbalancing:CreateLoadBalancer", &resource)
    }

    async fn delete_load_balancer(&self, arn: &str) -> CloudResult<()> {
        // DeleteLoadBalancer answers success for a load balancer that is gone; look first so a
        // compensation can tell.
        if self.load_balancer_by_arn(arn).await?.is_none() {
            return Err(CloudError::not_found(
                "elasticloadbalancing:DeleteLoadBalancer",
                format!("load balancer {arn}"),
            ));
        }
        self.elb
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "elasticloadbalancing:DeleteLoadBalancer",
                    format!("load balancer {arn}"),
                )
            })?;
        Ok(())
    }

    async fn find_target_group(&self, name: &str) -> CloudResult<Option<TargetGroup>> {
        let resource = format!("target group {name}");
        match self.elb.describe_target_groups().names(name).send().await {
            Ok(out) => out
                .target_groups()
                .first()
                .map(|tg| {
                    target_group_of(tg, "elasticloadbalancing:DescribeTargetGroups", &resource)
                })
                .transpose(),
            Err(e) => {
                let err = sdk_error(&e, "elasticloadbalancing:DescribeTargetGroups", &resource);
                if absent(&err) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn create_target_group(&self, spec: &TargetGroupSpec) -> CloudResult<TargetGroup> {
        let resource = format!("target group {}", spec.name);
        let hc = &spec.health_check;
        let int = |v: u32, what: &str| {
            i32::try_from(v).map_err(|_| {
                CloudError::new(
                    ErrorKind::InvalidRequest,
                    "elasticloadbalancing:CreateTargetGroup",
                    &resource,
                    format!("{what} {v} is out of range"),
                )
            })
        };
        let out = self
            .elb
            .create_target_group()
            .name(&spec.name)
            .protocol(ProtocolEnum::Http)
            .port(i32::from(spec.port))
            .vpc_id(&spec.vpc_id)
            .target_type(TargetTypeEnum::from(spec.target_type.as_str()))
            .health_check_enabled(true)
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_path(&hc.path)
            .health_check_interval_seconds(int(hc.interval_secs, "health check interval")?)
            .health_check_timeout_seconds(int(hc.timeout_secs, "health check timeout")?)
            .healthy_threshold_count(int(hc.healthy_threshold, "healthy threshold")?)
            .unhealthy_threshold_count(int(hc.unhealthy_threshold, "unhealthy threshold")?)
            .matcher(Matcher::builder().http_code(&hc.matcher).build())
            .set_tags(tags(&spec.tags))
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticloadbalancing:CreateTargetGroup", &resource))?;
        let tg = out.target_groups().first().ok_or_else(|| {
            missing(
                "elasticloadbalancing:CreateTargetGroup",
                &resource,
                "TargetGroups",
            )
        })?;
        let group = target_group_of(tg, "elasticloadbalancing:CreateTargetGroup", &resource)?;
        // The deregistration delay is an attribute, not a create parameter. Setting it again on
        // a retry is harmless.
        self.elb
            .modify_target_group_attributes()
            .target_group_arn(&group.arn)
            .attributes(
                TargetGroupAttribute::builder()
                    .key("deregistration_delay.timeout_seconds")
                    .value(spec.deregistration_delay_secs.to_string())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "elasticloadbalancing:ModifyTargetGroupAttributes",
                    &resource,
                )
            })?;
        Ok(group)
    }

    async fn delete_target_group(&self, arn: &str) -> CloudResult<()> {
        let resource = format!("target group {arn}");
        // DeleteTargetGroup, like DeleteLoadBalancer, may answer success for a group that is gone.
        match self
            .elb
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await
        {
            Ok(out) if !out.target_groups().is_empty() => {}
            Ok(_) => {
                return Err(CloudError::not_found(
                    "elasticloadbalancing:DeleteTargetGroup",
                    resource,
                ))
            }
            Err(e) => {
                return Err(sdk_error(
                    &e,
                    "elasticloadbalancing:DescribeTargetGroups",
                    &resource,
                ))
            }
        }
        self.elb
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticloadbalancing:DeleteTargetGroup", &resource))?;
        Ok(())
    }

    async fn target_groups_of(&self, load_balancer_arn: &str) -> CloudResult<Vec<TargetGroup>> {
        let resource = format!("target groups of {load_balancer_arn}");
        let mut pages = self
            .elb
            .describe_target_groups()
            .load_balancer_arn(load_balancer_arn)
            .into_paginator()
            .send();
        let mut groups = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                sdk_error(&e, "elasticloadbalancing:DescribeTargetGroups", &resource)
            })?;
            for tg in page.target_groups() {
                groups.push(target_group_of(
                    tg,
                    "elasticloadbalancing:DescribeTargetGroups",
                    &resource,
                )?);
            }
        }
        Ok(groups)
    }

    async fn target_health(&self, target_group_arn: &str) -> CloudResult<Vec<TargetHealth>> {
        let resource = format!("targets of {target_group_arn}");
        let out = self
            .elb
            .describe_target_health()
            .target_group_arn(target_group_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticloadbalancing:DescribeTargetHealth", &resource))?;
        out.target_health_descriptions()
            .iter()
            .map(|d| {
                let target = d.target().ok_or_else(|| {
                    missing(
                        "elasticloadbalancing:DescribeTargetHealth",
                        &resource,
                        "Target",
                    )
                })?;
                let health = d.target_health();
                Ok(TargetHealth {
                    target_id: target.id().unwrap_or_default().to_string(),
                    port: target
                        .port()
                        .and_then(|p| u16::try_from(p).ok())
                        .unwrap_or(0),
                    state: state_of(health.and_then(|h| h.state())),
                    reason: health
                        .and_then(|h| h.reason())
                        .map(|r| r.as_str().to_string()),
                })
            })
            .collect()
    }

    async fn listeners(&self, load_balancer_arn: &str) -> CloudResult<Vec<Listener>> {
        let resource = format!("listeners of {load_balancer_arn}");
        let mut pages = self
            .elb
            .describe_listeners()
            .load_balancer_arn(load_balancer_arn)
            .into_paginator()
            .send();
        let mut listeners = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| sdk_error(&e, "elasticloadbalancing:DescribeListeners", &resource))?;
            for l in page.listeners() {
                if let Some(l) =
                    listener_of(l, "elasticloadbalancing:DescribeListeners", &resource)?
                {
                    listeners.push(l);
                }
            }
        }
        Ok(listeners)
    }

    async fn create_listener(&self, spec: &ListenerSpec) -> CloudResult<Listener> {
        let resource = format!("listener :{} on {}", spec.port, spec.load_balancer_arn);
        let mut request = self
            .elb
            .create_listener()
            .load_balancer_arn(&spec.load_balancer_arn)
            .port(i32::from(spec.port))
            .protocol(match spec.protocol {
                ListenerProtocol::Http => ProtocolEnum::Http,
                ListenerProtocol::Https => ProtocolEnum::Https,
            })
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&spec.target_group_arn)
                    .build(),
            )
            .set_tags(tags(&spec.tags));
        if let Some(cert) = &spec.certificate_arn {
            request = request.certificates(Certificate::builder().certificate_arn(cert).build());
        }
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error(&e, "elasticloadbalancing:CreateListener", &resource))?;
        let l = out.listeners().first().ok_or_else(|| {
            missing(
                "elasticloadbalancing:CreateListener",
                &resource,
                "Listeners",
            )
        })?;
        listener_of(l, "elasticloadbalancing:CreateListener", &resource)?.ok_or_else(|| {
            missing(
                "elasticloadbalancing:CreateListener",
                &resource,
                "an HTTP(S) protocol",
            )
        })
    }

    async fn delete_listener(&self, arn: &str) -> CloudResult<()> {
        self.elb
            .delete_listener()
            .listener_arn(arn)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &e,
                    "elasticloadbalancing:DeleteListener",
                    format!("listener {arn}"),
                )
            })?;
        Ok(())
    }
}
