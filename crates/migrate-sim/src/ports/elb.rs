//! ELBv2: creating a load balancer, target group or listener that exists with the same settings
//! returns it; with different settings it fails. Target groups in use cannot be deleted.

use std::collections::BTreeMap;

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, ErrorKind, Listener, ListenerProtocol, ListenerSpec, LoadBalancer,
    LoadBalancerSpec, LoadBalancing, TargetGroup, TargetGroupSpec, TargetHealth,
};

use super::{err, Kind, SimCloud};
use crate::world::elb::{LbRec, ListenerRec, TgRec};
use crate::world::ALB_ZONE_ID;

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn listener_of(l: &ListenerRec) -> Listener {
    Listener {
        arn: l.arn.clone(),
        load_balancer_arn: l.load_balancer_arn.clone(),
        port: l.port,
        protocol: l.protocol,
        certificate_arn: l.certificate_arn.clone(),
    }
}

#[async_trait]
impl LoadBalancing for SimCloud {
    async fn find_load_balancer(&self, name: &str) -> CloudResult<Option<LoadBalancer>> {
        self.call("elbv2:DescribeLoadBalancers", name, Kind::Read, |w| {
            Ok(w.elb
                .live_lb_by_name(name)
                .filter(|l| l.visible_at <= w.now)
                .map(|l| l.to_port(w.now)))
        })
        .await
    }

    async fn load_balancer_by_arn(&self, arn: &str) -> CloudResult<Option<LoadBalancer>> {
        self.call("elbv2:DescribeLoadBalancers", arn, Kind::Read, |w| {
            Ok(w.elb
                .load_balancers
                .get(arn)
                .filter(|l| !l.deleted && l.visible_at <= w.now)
                .map(|l| l.to_port(w.now)))
        })
        .await
    }

    async fn create_load_balancer(&self, spec: &LoadBalancerSpec) -> CloudResult<LoadBalancer> {
        let op = "elbv2:CreateLoadBalancer";
        self.call(op, &spec.name, Kind::Write, |w| {
            if let Some(l) = w.elb.live_lb_by_name(&spec.name) {
                let same = sorted(&l.subnets) == sorted(&spec.subnets)
                    && sorted(&l.security_groups) == sorted(&spec.security_groups)
                    && l.internal == spec.internal
                    && l.ip_address_type == spec.ip_address_type;
                return if same {
                    Ok(l.to_port(w.now))
                } else {
                    Err(err(ErrorKind::AlreadyExists, op, &spec.name, "DuplicateLoadBalancerName: a load balancer with the same name exists but with different settings"))
                };
            }
            if let Some(missing) = spec.security_groups.iter().find(|g| !w.ec2.groups.contains_key(*g)) {
                return Err(err(ErrorKind::InvalidRequest, op, &spec.name, format!("InvalidSecurityGroup: {missing}")));
            }
            if spec.subnets.len() < 2 {
                return Err(err(ErrorKind::InvalidRequest, op, &spec.name, "At least two subnets in two different Availability Zones must be specified"));
            }
            let hex = w.ids.hex16();
            let arn = w.arn("elasticloadbalancing", &format!("loadbalancer/app/{}/{hex}", spec.name));
            let dns_name = w.lb_dns_name(&spec.name);
            let provision = w.draw(w.profile.lb_provision);
            let visible_at = w.visible_from_now();
            let rec = LbRec {
                arn: arn.clone(),
                name: spec.name.clone(),
                dns_name,
                zone_id: ALB_ZONE_ID.into(),
                subnets: spec.subnets.clone(),
                security_groups: spec.security_groups.clone(),
                internal: spec.internal,
                vpc_id: w.topology.vpc_id.clone(),
                active_at: w.now + provision,
                tags: spec.tags.clone(),
                visible_at,
                deleted: false,
                old_side: false,
                ip_address_type: spec.ip_address_type.clone(),
                attributes: BTreeMap::new(),
                web_acl: None,
            };
            let out = rec.to_port(w.now);
            w.elb.load_balancers.insert(arn.clone(), rec);
            w.record_creation("load-balancer", &spec.name, &arn);
            Ok(out)
        })
        .await
    }

    async fn delete_load_balancer(&self, arn: &str) -> CloudResult<()> {
        let op = "elbv2:DeleteLoadBalancer";
        self.call(op, arn, Kind::Write, |w| {
            match w.elb.load_balancers.get_mut(arn) {
                Some(l) if !l.deleted => l.deleted = true,
                _ => return Err(err(ErrorKind::NotFound, op, arn, "LoadBalancerNotFound")),
            }
            w.elb.listeners.retain(|_, l| l.load_balancer_arn != arn);
            Ok(())
        })
        .await
    }

    async fn find_target_group(&self, name: &str) -> CloudResult<Option<TargetGroup>> {
        self.call("elbv2:DescribeTargetGroups", name, Kind::Read, |w| {
            Ok(w.elb
                .tg_by_name(name)
                .filter(|t| t.visible_at <= w.now)
                .map(|t| w.elb.tg_to_port(t)))
        })
        .await
    }

    async fn create_target_group(&self, spec: &TargetGroupSpec) -> CloudResult<TargetGroup> {
        let op = "elbv2:CreateTargetGroup";
        self.call(op, &spec.name, Kind::Write, |w| {
            if let Some(t) = w.elb.tg_by_name(&spec.name) {
                let same = t.port == spec.port
                    && t.target_type == spec.target_type
                    && t.vpc_id == spec.vpc_id
                    && t.health_check == spec.health_check;
                return if same {
                    Ok(w.elb.tg_to_port(t))
                } else {
                    Err(err(ErrorKind::AlreadyExists, op, &spec.name, "DuplicateTargetGroupName: a target group with the same name exists but with different settings"))
                };
            }
            let hc = &spec.health_check;
            if hc.timeout_secs >= hc.interval_secs || hc.healthy_threshold < 2 || hc.unhealthy_threshold < 2 {
                return Err(err(ErrorKind::InvalidRequest, op, &spec.name, "ValidationError: health check timeout must be smaller than the interval; thresholds at least 2"));
            }
            let hex = w.ids.hex16();
            let arn = w.arn("elasticloadbalancing", &format!("targetgroup/{}/{hex}", spec.name));
            let visible_at = w.visible_from_now();
            let rec = TgRec {
                arn: arn.clone(),
                name: spec.name.clone(),
                port: spec.port,
                target_type: spec.target_type.clone(),
                vpc_id: spec.vpc_id.clone(),
                health_check: spec.health_check.clone(),
                deregistration_delay_ms: u64::from(spec.deregistration_delay_secs) * 1000,
                tags: spec.tags.clone(),
                visible_at,
                targets: BTreeMap::new(),
                cursor: 0,
                attributes: BTreeMap::new(),
                new_side: true,
            };
            let out = w.elb.tg_to_port(&rec);
            w.elb.target_groups.insert(arn.clone(), rec);
            w.record_creation("target-group", &spec.name, &arn);
            Ok(out)
        })
        .await
    }

    async fn delete_target_group(&self, arn: &str) -> CloudResult<()> {
        let op = "elbv2:DeleteTargetGroup";
        self.call(op, arn, Kind::Write, |w| {
            if !w.elb.target_groups.contains_key(arn) {
                return Err(err(ErrorKind::NotFound, op, arn, "TargetGroupNotFound"));
            }
            if w.elb
                .listeners
                .values()
                .any(|l| l.forward_targets().iter().any(|t| t == arn))
            {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    arn,
                    "ResourceInUse: target group is currently in use by a listener",
                ));
            }
            w.elb.target_groups.remove(arn);
            Ok(())
        })
        .await
    }

    async fn target_groups_of(&self, load_balancer_arn: &str) -> CloudResult<Vec<TargetGroup>> {
        self.call(
            "elbv2:DescribeTargetGroups",
            load_balancer_arn,
            Kind::Read,
            |w| {
                let arns: Vec<String> = w
                    .elb
                    .listeners
                    .values()
                    .filter(|l| l.load_balancer_arn == load_balancer_arn)
                    .flat_map(|l| l.forward_targets())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                Ok(arns
                    .iter()
                    .filter_map(|a| w.elb.target_groups.get(a))
                    .map(|t| w.elb.tg_to_port(t))
                    .collect())
            },
        )
        .await
    }

    async fn target_health(&self, target_group_arn: &str) -> CloudResult<Vec<TargetHealth>> {
        let op = "elbv2:DescribeTargetHealth";
        self.call(op, target_group_arn, Kind::Read, |w| {
            w.elb
                .target_groups
                .get(target_group_arn)
                .map(TgRec::health)
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        op,
                        target_group_arn,
                        "TargetGroupNotFound",
                    )
                })
        })
        .await
    }

    async fn listeners(&self, load_balancer_arn: &str) -> CloudResult<Vec<Listener>> {
        self.call(
            "elbv2:DescribeListeners",
            load_balancer_arn,
            Kind::Read,
            |w| {
                Ok(w.elb
                    .listeners
                    .values()
                    .filter(|l| l.load_balancer_arn == load_balancer_arn)
                    .map(listener_of)
                    .collect())
            },
        )
        .await
    }

    async fn create_listener(&self, spec: &ListenerSpec) -> CloudResult<Listener> {
        let op = "elbv2:CreateListener";
        let resource = format!("listener {} on {}", spec.port, spec.load_balancer_arn);
        self.call(op, resource.clone(), Kind::Write, |w| {
            let Some(lb) = w
                .elb
                .load_balancers
                .get(&spec.load_balancer_arn)
                .filter(|l| !l.deleted)
            else {
                return Err(err(
                    ErrorKind::NotFound,
                    op,
                    &resource,
                    "LoadBalancerNotFound",
                ));
            };
            let lb_name = lb.name.clone();
            let lb_hex = lb.arn.rsplit('/').next().unwrap_or_default().to_string();
            if !w.elb.target_groups.contains_key(&spec.target_group_arn) {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    &resource,
                    "TargetGroupNotFound",
                ));
            }
            if spec.protocol == ListenerProtocol::Https && spec.certificate_arn.is_none() {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    &resource,
                    "CertificateNotFound: an HTTPS listener needs a certificate",
                ));
            }
            if let Some(l) = w
                .elb
                .listeners
                .values()
                .find(|l| l.load_balancer_arn == spec.load_balancer_arn && l.port == spec.port)
            {
                let same = l.protocol == spec.protocol
                    && l.certificate_arn == spec.certificate_arn
                    && l.target_group_arn == spec.target_group_arn;
                return if same {
                    Ok(listener_of(l))
                } else {
                    Err(err(
                        ErrorKind::AlreadyExists,
                        op,
                        &resource,
                        "DuplicateListener: a listener already exists on this port",
                    ))
                };
            }
            let hex = w.ids.hex16();
            let arn = w.arn(
                "elasticloadbalancing",
                &format!("listener/app/{lb_name}/{lb_hex}/{hex}"),
            );
            let rec = ListenerRec::forwarding(
                arn.clone(),
                spec.load_balancer_arn.clone(),
                spec.port,
                spec.protocol,
                spec.certificate_arn.clone(),
                spec.target_group_arn.clone(),
                spec.tags.clone(),
            );
            let out = listener_of(&rec);
            w.elb.listeners.insert(arn.clone(), rec);
            w.record_creation("listener", &format!("{lb_name}:{}", spec.port), &arn);
            Ok(out)
        })
        .await
    }

    async fn delete_listener(&self, arn: &str) -> CloudResult<()> {
        let op = "elbv2:DeleteListener";
        self.call(op, arn, Kind::Write, |w| {
            match w.elb.listeners.remove(arn) {
                Some(_) => Ok(()),
                None => Err(err(ErrorKind::NotFound, op, arn, "ListenerNotFound")),
            }
        })
        .await
    }
}
