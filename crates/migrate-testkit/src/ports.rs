//! The port traits over the in-memory world, with AWS's own idempotency rules where the engine
//! depends on them: ECS `clientToken`, ELB create returning an identical existing resource,
//! duplicate security group names refused, Route53 batches applied atomically.

use async_trait::async_trait;
use migrate_engine::ports::*;

use crate::account::FakeAccount;
use crate::world::{
    normalise, FakeListener, FakeService, FakeTargetGroup, FakeTaskDefinition, World,
};

const ARN: &str = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012";

fn not_found(operation: &str, resource: &str) -> CloudError {
    CloudError::not_found(operation, resource)
}

fn has_tag(tags: &Tags, key: &str, value: &str) -> bool {
    tags.get(key).is_some_and(|v| v == value)
}

#[async_trait]
impl ContainerPlatform for FakeAccount {
    async fn find_cluster(&self, name: &str) -> CloudResult<Option<Cluster>> {
        self.call("ecs:DescribeClusters", false, |w| {
            Ok(w.clusters.get(name).cloned())
        })
    }

    async fn create_cluster(&self, spec: &ClusterSpec) -> CloudResult<Cluster> {
        self.call("ecs:CreateCluster", true, |w| {
            if let Some(c) = w.clusters.get(&spec.name).filter(|c| c.status == "ACTIVE") {
                return Ok(c.clone());
            }
            let cluster = Cluster {
                name: spec.name.clone(),
                arn: format!(
                    "arn:aws:ecs:ap-northeast-1:123456789012:cluster/{}",
                    spec.name
                ),
                status: "ACTIVE".into(),
            };
            w.clusters.insert(spec.name.clone(), cluster.clone());
            w.created("cluster", &spec.name);
            Ok(cluster)
        })
    }

    async fn delete_cluster(&self, name: &str) -> CloudResult<()> {
        self.call("ecs:DeleteCluster", true, |w| {
            if w.services
                .iter()
                .any(|((c, _), s)| c == name && s.status.status == "ACTIVE")
            {
                return Err(CloudError::new(
                    ErrorKind::InvalidRequest,
                    "ecs:DeleteCluster",
                    name,
                    "ClusterContainsServicesException",
                ));
            }
            match w.clusters.get_mut(name) {
                Some(c) if c.status == "ACTIVE" => {
                    c.status = "INACTIVE".into();
                    Ok(())
                }
                _ => Err(not_found("ecs:DeleteCluster", name)),
            }
        })
    }

    async fn find_task_definition(
        &self,
        family: &str,
        plan_id: &str,
    ) -> CloudResult<Option<TaskDefinitionRef>> {
        self.call("ecs:ListTaskDefinitions", false, |w| {
            Ok(w.task_definitions
                .iter()
                .filter(|t| {
                    t.active
                        && t.reference.family == family
                        && has_tag(&t.tags, TAG_PLAN_ID, plan_id)
                })
                .map(|t| t.reference.clone())
                .next_back())
        })
    }

    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> CloudResult<TaskDefinitionRef> {
        self.call("ecs:RegisterTaskDefinition", true, |w| {
            let revision = w
                .task_definitions
                .iter()
                .filter(|t| t.reference.family == spec.family)
                .count() as u32
                + 1;
            let reference = TaskDefinitionRef {
                arn: format!(
                    "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/{}:{revision}",
                    spec.family
                ),
                family: spec.family.clone(),
                revision,
            };
            w.task_definitions.push(FakeTaskDefinition {
                reference: reference.clone(),
                tags: spec.tags.clone(),
                active: true,
            });
            w.created("task-definition", &spec.family);
            Ok(reference)
        })
    }

    async fn deregister_task_definition(&self, arn: &str) -> CloudResult<()> {
        self.call("ecs:DeregisterTaskDefinition", true, |w| {
            match w
                .task_definitions
                .iter_mut()
                .find(|t| t.reference.arn == arn && t.active)
            {
                Some(t) => {
                    t.active = false;
                    Ok(())
                }
                None => Err(not_found("ecs:DeregisterTaskDefinition", arn)),
            }
        })
    }

    async fn find_service(&self, cluster: &str, name: &str) -> CloudResult<Option<ServiceStatus>> {
        self.call("ecs:DescribeServices", false, |w| {
            Ok(w.services
                .get(&(cluster.to_string(), name.to_string()))
                .map(|s| s.status.clone()))
        })
    }

    async fn create_service(&self, spec: &ServiceSpec) -> CloudResult<ServiceStatus> {
        self.call("ecs:CreateService", true, |w| {
            let key = (spec.cluster.clone(), spec.name.clone());
            if let Some(existing) = w.services.get(&key).filter(|s| s.status.status == "ACTIVE") {
                // ECS: the same token returns the service; another token is refused.
                if existing.client_token == spec.client_token {
                    return Ok(existing.status.clone());
                }
                return Err(CloudError::new(
                    ErrorKind::InvalidRequest,
                    "ecs:CreateService",
                    &spec.name,
                    "Creation of service was not idempotent.",
                ));
            }
            if w.clusters
                .get(&spec.cluster)
                .is_none_or(|c| c.status != "ACTIVE")
            {
                return Err(CloudError::new(
                    ErrorKind::InvalidRequest,
                    "ecs:CreateService",
                    &spec.cluster,
                    "ClusterNotFoundException",
                ));
            }
            let status = ServiceStatus {
                arn: format!(
                    "arn:aws:ecs:ap-northeast-1:123456789012:service/{}/{}",
                    spec.cluster, spec.name
                ),
                name: spec.name.clone(),
                cluster: spec.cluster.clone(),
                status: "ACTIVE".into(),
                task_definition_arn: spec.task_definition_arn.clone(),
                desired_count: spec.desired_count,
                running_count: spec.desired_count,
                pending_count: 0,
                steady: true,
                stopped_reasons: vec![],
            };
            w.services.insert(
                key.clone(),
                FakeService {
                    status: status.clone(),
                    client_token: spec.client_token.clone(),
                    target_group: spec
                        .load_balancer
                        .as_ref()
                        .map(|l| l.target_group_arn.clone()),
                    tags: spec.tags.clone(),
                },
            );
            w.sync_targets(&key);
            w.created("service", &spec.name);
            Ok(status)
        })
    }

    async fn set_desired_count(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> CloudResult<()> {
        self.call("ecs:UpdateService", true, |w| {
            let key = (cluster.to_string(), service.to_string());
            match w
                .services
                .get_mut(&key)
                .filter(|s| s.status.status == "ACTIVE")
            {
                Some(s) => {
                    s.status.desired_count = desired;
                    s.status.running_count = desired;
                }
                None => return Err(not_found("ecs:UpdateService", service)),
            }
            w.sync_targets(&key);
            Ok(())
        })
    }

    async fn delete_service(&self, cluster: &str, service: &str) -> CloudResult<()> {
        self.call("ecs:DeleteService", true, |w| {
            let key = (cluster.to_string(), service.to_string());
            match w
                .services
                .get_mut(&key)
                .filter(|s| s.status.status == "ACTIVE")
            {
                Some(s) => {
                    s.status.status = "INACTIVE".into();
                    s.status.running_count = 0;
                    s.status.desired_count = 0;
                }
                None => return Err(not_found("ecs:DeleteService", service)),
            }
            w.sync_targets(&key);
            Ok(())
        })
    }

    async fn describe_task_definition(&self, arn: &str) -> CloudResult<Option<serde_json::Value>> {
        self.call("ecs:DescribeTaskDefinition", false, |_| {
            Ok(Some(
                serde_json::json!({ "taskDefinitionArn": arn, "containerDefinitions": [] }),
            ))
        })
    }

    async fn container_instance_groups(&self, cluster: &str) -> CloudResult<Vec<String>> {
        self.call("ecs:ListContainerInstances", false, |w| {
            Ok(w.container_instance_groups
                .get(cluster)
                .cloned()
                .unwrap_or_default())
        })
    }
}

#[async_trait]
impl Network for FakeAccount {
    async fn find_security_group(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> CloudResult<Option<SecurityGroup>> {
        self.call("ec2:DescribeSecurityGroups", false, |w| {
            Ok(w.security_groups
                .values()
                .map(|(g, _)| g)
                .find(|g| g.vpc_id == vpc_id && g.name == name)
                .cloned())
        })
    }

    async fn create_security_group(&self, spec: &SecurityGroupSpec) -> CloudResult<SecurityGroup> {
        self.call("ec2:CreateSecurityGroup", true, |w| {
            if w.security_groups
                .values()
                .any(|(g, _)| g.vpc_id == spec.vpc_id && g.name == spec.name)
            {
                return Err(CloudError::new(
                    ErrorKind::AlreadyExists,
                    "ec2:CreateSecurityGroup",
                    &spec.name,
                    "InvalidGroup.Duplicate",
                ));
            }
            let id = w.id("sg-");
            let group = SecurityGroup {
                id: id.clone(),
                name: spec.name.clone(),
                vpc_id: spec.vpc_id.clone(),
            };
            w.security_groups
                .insert(id, (group.clone(), spec.tags.clone()));
            w.created("security-group", &spec.name);
            Ok(group)
        })
    }

    async fn delete_security_group(&self, group_id: &str) -> CloudResult<()> {
        self.call("ec2:DeleteSecurityGroup", true, |w| {
            if w.rules.iter().any(|(_, source, _)| source == group_id) {
                return Err(CloudError::new(
                    ErrorKind::InvalidRequest,
                    "ec2:DeleteSecurityGroup",
                    group_id,
                    "DependencyViolation",
                ));
            }
            w.rules.retain(|(g, _, _)| g != group_id);
            w.security_groups
                .remove(group_id)
                .map(|_| ())
                .ok_or_else(|| not_found("ec2:DeleteSecurityGroup", group_id))
        })
    }

    async fn authorize_ingress(&self, rule: &IngressRule) -> CloudResult<()> {
        self.call("ec2:AuthorizeSecurityGroupIngress", true, |w| {
            if !w.security_groups.contains_key(&rule.group_id) {
                return Err(not_found(
                    "ec2:AuthorizeSecurityGroupIngress",
                    &rule.group_id,
                ));
            }
            let key = (
                rule.group_id.clone(),
                rule.source_group_id.clone(),
                rule.port,
            );
            if w.rules.insert(key) {
                w.created(
                    "ingress-rule",
                    &format!("{}<-{}:{}", rule.group_id, rule.source_group_id, rule.port),
                );
            }
            Ok(())
        })
    }

    async fn revoke_ingress(&self, rule: &IngressRule) -> CloudResult<()> {
        self.call("ec2:RevokeSecurityGroupIngress", true, |w| {
            let key = (
                rule.group_id.clone(),
                rule.source_group_id.clone(),
                rule.port,
            );
            if w.rules.remove(&key) {
                Ok(())
            } else {
                Err(not_found("ec2:RevokeSecurityGroupIngress", &rule.group_id))
            }
        })
    }

    async fn has_ingress(&self, rule: &IngressRule) -> CloudResult<bool> {
        self.call("ec2:DescribeSecurityGroupRules", false, |w| {
            Ok(w.rules.contains(&(
                rule.group_id.clone(),
                rule.source_group_id.clone(),
                rule.port,
            )))
        })
    }
}

#[async_trait]
impl LoadBalancing for FakeAccount {
    async fn find_load_balancer(&self, name: &str) -> CloudResult<Option<LoadBalancer>> {
        self.call("elb:DescribeLoadBalancers", false, |w| {
            Ok(w.load_balancers
                .values()
                .map(|(lb, _)| lb)
                .find(|lb| lb.name == name)
                .cloned())
        })
    }

    async fn load_balancer_by_arn(&self, arn: &str) -> CloudResult<Option<LoadBalancer>> {
        self.call("elb:DescribeLoadBalancers", false, |w| {
            Ok(w.load_balancers.get(arn).map(|(lb, _)| lb.clone()))
        })
    }

    async fn create_load_balancer(&self, spec: &LoadBalancerSpec) -> CloudResult<LoadBalancer> {
        self.call("elb:CreateLoadBalancer", true, |w| {
            if let Some((lb, _)) = w
                .load_balancers
                .values()
                .find(|(lb, _)| lb.name == spec.name)
            {
                // ELB: the same name with the same settings answers the existing load balancer.
                if lb.security_groups == spec.security_groups {
                    return Ok(lb.clone());
                }
                return Err(CloudError::new(
                    ErrorKind::AlreadyExists,
                    "elb:CreateLoadBalancer",
                    &spec.name,
                    "DuplicateLoadBalancerName",
                ));
            }
            let id = w.id("");
            let arn = format!("{ARN}:loadbalancer/app/{}/{id}", spec.name);
            let lb = LoadBalancer {
                arn: arn.clone(),
                name: spec.name.clone(),
                dns_name: format!("{}-{id}.ap-northeast-1.elb.amazonaws.com", spec.name),
                canonical_hosted_zone_id: "Z14GRHDCWA56QT".into(),
                security_groups: spec.security_groups.clone(),
                vpc_id: "vpc".into(),
                state: "active".into(),
            };
            w.load_balancers
                .insert(arn, (lb.clone(), spec.tags.clone()));
            w.created("load-balancer", &spec.name);
            Ok(lb)
        })
    }

    async fn delete_load_balancer(&self, arn: &str) -> CloudResult<()> {
        self.call("elb:DeleteLoadBalancer", true, |w| {
            if w.load_balancers.remove(arn).is_none() {
                return Err(not_found("elb:DeleteLoadBalancer", arn));
            }
            w.listeners
                .retain(|_, l| l.listener.load_balancer_arn != arn);
            for tg in w.target_groups.values_mut() {
                tg.group.load_balancer_arns.retain(|a| a != arn);
            }
            Ok(())
        })
    }

    async fn find_target_group(&self, name: &str) -> CloudResult<Option<TargetGroup>> {
        self.call("elb:DescribeTargetGroups", false, |w| {
            Ok(w.target_groups
                .values()
                .find(|t| t.group.name == name)
                .map(|t| t.group.clone()))
        })
    }

    async fn create_target_group(&self, spec: &TargetGroupSpec) -> CloudResult<TargetGroup> {
        self.call("elb:CreateTargetGroup", true, |w| {
            if let Some(existing) = w.target_groups.values().find(|t| t.group.name == spec.name) {
                if existing.spec_port == spec.port {
                    return Ok(existing.group.clone());
                }
                return Err(CloudError::new(
                    ErrorKind::AlreadyExists,
                    "elb:CreateTargetGroup",
                    &spec.name,
                    "DuplicateTargetGroupName",
                ));
            }
            let id = w.id("");
            let arn = format!("{ARN}:targetgroup/{}/{id}", spec.name);
            let group = TargetGroup {
                arn: arn.clone(),
                name: spec.name.clone(),
                port: spec.port,
                target_type: spec.target_type.clone(),
                load_balancer_arns: vec![],
            };
            w.target_groups.insert(
                arn,
                FakeTargetGroup {
                    group: group.clone(),
                    spec_port: spec.port,
                    targets: vec![],
                    tags: spec.tags.clone(),
                },
            );
            w.created("target-group", &spec.name);
            Ok(group)
        })
    }

    async fn delete_target_group(&self, arn: &str) -> CloudResult<()> {
        self.call("elb:DeleteTargetGroup", true, |w| {
            if w.listeners.values().any(|l| l.target_group_arn == arn) {
                return Err(CloudError::new(
                    ErrorKind::InvalidRequest,
                    "elb:DeleteTargetGroup",
                    arn,
                    "ResourceInUse",
                ));
            }
            w.target_groups
                .remove(arn)
                .map(|_| ())
                .ok_or_else(|| not_found("elb:DeleteTargetGroup", arn))
        })
    }

    async fn target_groups_of(&self, load_balancer_arn: &str) -> CloudResult<Vec<TargetGroup>> {
        self.call("elb:DescribeTargetGroups", false, |w| {
            Ok(w.target_groups
                .values()
                .filter(|t| {
                    t.group
                        .load_balancer_arns
                        .iter()
                        .any(|a| a == load_balancer_arn)
                })
                .map(|t| t.group.clone())
                .collect())
        })
    }

    async fn target_health(&self, target_group_arn: &str) -> CloudResult<Vec<TargetHealth>> {
        self.call("elb:DescribeTargetHealth", false, |w| {
            w.target_groups
                .get(target_group_arn)
                .map(|t| t.targets.clone())
                .ok_or_else(|| not_found("elb:DescribeTargetHealth", target_group_arn))
        })
    }

    async fn listeners(&self, load_balancer_arn: &str) -> CloudResult<Vec<Listener>> {
        self.call("elb:DescribeListeners", false, |w| {
            Ok(w.listeners
                .values()
                .filter(|l| l.listener.load_balancer_arn == load_balancer_arn)
                .map(|l| l.listener.clone())
                .collect())
        })
    }

    async fn create_listener(&self, spec: &ListenerSpec) -> CloudResult<Listener> {
        self.call("elb:CreateListener", true, |w| {
            if let Some(l) = w.listeners.values().find(|l| {
                l.listener.load_balancer_arn == spec.load_balancer_arn
                    && l.listener.port == spec.port
            }) {
                if l.target_group_arn == spec.target_group_arn {
                    return Ok(l.listener.clone());
                }
                return Err(CloudError::new(
                    ErrorKind::AlreadyExists,
                    "elb:CreateListener",
                    spec.port.to_string(),
                    "DuplicateListener",
                ));
            }
            if !w.load_balancers.contains_key(&spec.load_balancer_arn) {
                return Err(not_found("elb:CreateListener", &spec.load_balancer_arn));
            }
            let id = w.id("");
            let arn = format!(
                "{}/{id}",
                spec.load_balancer_arn
                    .replace(":loadbalancer/", ":listener/")
            );
            let listener = Listener {
                arn: arn.clone(),
                load_balancer_arn: spec.load_balancer_arn.clone(),
                port: spec.port,
                protocol: spec.protocol,
                certificate_arn: spec.certificate_arn.clone(),
            };
            w.listeners.insert(
                arn,
                FakeListener {
                    listener: listener.clone(),
                    target_group_arn: spec.target_group_arn.clone(),
                },
            );
            if let Some(tg) = w.target_groups.get_mut(&spec.target_group_arn) {
                if !tg
                    .group
                    .load_balancer_arns
                    .contains(&spec.load_balancer_arn)
                {
                    tg.group
                        .load_balancer_arns
                        .push(spec.load_balancer_arn.clone());
                }
            }
            w.created(
                "listener",
                &format!("{}:{}", spec.load_balancer_arn, spec.port),
            );
            Ok(listener)
        })
    }

    async fn delete_listener(&self, arn: &str) -> CloudResult<()> {
        self.call("elb:DeleteListener", true, |w| {
            w.listeners
                .remove(arn)
                .map(|_| ())
                .ok_or_else(|| not_found("elb:DeleteListener", arn))
        })
    }
}

fn key(r: &DnsRecord) -> (String, String, Option<String>) {
    (
        normalise(&r.name),
        r.record_type.clone(),
        r.set_identifier.clone(),
    )
}

fn apply_changes(w: &mut World, zone_id: &str, changes: &[RecordChange]) -> CloudResult<()> {
    let op = "route53:ChangeResourceRecordSets";
    let mut records = w
        .records
        .get(zone_id)
        .cloned()
        .ok_or_else(|| not_found(op, zone_id))?;
    for change in changes {
        let position = records.iter().position(|r| key(r) == key(&change.record));
        match change.action {
            ChangeAction::Delete => match position {
                Some(i)
                    if records[i].alias == change.record.alias
                        && records[i].values == change.record.values =>
                {
                    records.remove(i);
                }
                _ => {
                    return Err(CloudError::new(
                        ErrorKind::InvalidRequest,
                        op,
                        &change.record.name,
                        "InvalidChangeBatch: record to delete not found",
                    ))
                }
            },
            ChangeAction::Create if position.is_some() => {
                return Err(CloudError::new(
                    ErrorKind::InvalidRequest,
                    op,
                    &change.record.name,
                    "InvalidChangeBatch: record exists",
                ));
            }
            ChangeAction::Create | ChangeAction::Upsert => {
                if let Some(i) = position {
                    records.remove(i);
                }
                records.push(change.record.clone());
            }
        }
    }
    // Route53 refuses a CNAME beside any other record of the same name, and a weighted set beside
    // a simple one.
    for r in &records {
        let clash = records.iter().any(|o| {
            normalise(&o.name) == normalise(&r.name)
                && ((r.record_type == "CNAME" && o.record_type != "CNAME")
                    || (o.record_type == r.record_type
                        && o.set_identifier.is_some() != r.set_identifier.is_some()))
        });
        if clash {
            return Err(CloudError::new(
                ErrorKind::InvalidRequest,
                op,
                &r.name,
                "InvalidChangeBatch: conflicting records",
            ));
        }
    }
    w.records.insert(zone_id.to_string(), records);
    Ok(())
}

#[async_trait]
impl Dns for FakeAccount {
    async fn find_zone(&self, name: &str) -> CloudResult<Option<String>> {
        self.call("route53:ListHostedZonesByName", false, |w| {
            Ok(w.zones
                .iter()
                .find(|(_, n)| normalise(n) == normalise(name))
                .map(|(id, _)| id.clone()))
        })
    }

    async fn records(&self, zone_id: &str, name: &str) -> CloudResult<Vec<DnsRecord>> {
        self.call("route53:ListResourceRecordSets", false, |w| {
            let records = w
                .records
                .get(zone_id)
                .ok_or_else(|| not_found("route53:ListResourceRecordSets", zone_id))?;
            Ok(records
                .iter()
                .filter(|r| normalise(&r.name) == normalise(name))
                .cloned()
                .collect())
        })
    }

    async fn change_records(&self, zone_id: &str, changes: &[RecordChange]) -> CloudResult<String> {
        let now = migrate_engine::ports::Clock::now(self.clock.as_ref());
        self.call("route53:ChangeResourceRecordSets", true, |w| {
            let before = w.dns_targets();
            apply_changes(w, zone_id, changes)?;
            let after = w.dns_targets();
            for gone in before.difference(&after) {
                w.left_dns_at.insert(gone.clone(), now);
            }
            for back in after.difference(&before) {
                w.left_dns_at.remove(back);
            }
            let id = w.id("C");
            w.changes.insert(id.clone(), 1);
            Ok(id)
        })
    }

    async fn change_status(&self, change_id: &str) -> CloudResult<ChangeStatus> {
        self.call("route53:GetChange", false, |w| {
            match w.changes.get_mut(change_id) {
                Some(0) => Ok(ChangeStatus::Insync),
                Some(left) => {
                    *left -= 1;
                    Ok(ChangeStatus::Pending)
                }
                None => Err(not_found("route53:GetChange", change_id)),
            }
        })
    }
}

#[async_trait]
impl Metrics for FakeAccount {
    /// `RequestCount` of a load balancer: busy while DNS points at it, and for one alias TTL
    /// after DNS stops pointing at it (clients still holding the old answer).
    async fn sum(&self, query: &MetricQuery) -> CloudResult<f64> {
        self.call("cloudwatch:GetMetricData", false, |w| {
            if query.metric_name != "RequestCount" {
                return Ok(0.0);
            }
            let Some((_, dimension)) = query.dimensions.iter().find(|(k, _)| k == "LoadBalancer")
            else {
                return Ok(0.0);
            };
            let Some(lb) = w
                .load_balancers
                .values()
                .map(|(lb, _)| lb)
                .find(|lb| lb.arn.ends_with(dimension.as_str()))
            else {
                return Ok(0.0);
            };
            let dns = normalise(&lb.dns_name);
            if w.dns_targets().contains(&dns) {
                return Ok(100.0);
            }
            match w.left_dns_at.get(&dns) {
                Some(left) if query.start < *left + chrono::Duration::seconds(60) => Ok(25.0),
                _ => Ok(0.0),
            }
        })
    }

    async fn put_alarm(&self, spec: &AlarmSpec) -> CloudResult<()> {
        self.call("cloudwatch:PutMetricAlarm", true, |w| {
            if w.alarms.insert(spec.name.clone(), spec.clone()).is_none() {
                w.created("alarm", &spec.name);
            }
            Ok(())
        })
    }

    async fn delete_alarm(&self, name: &str) -> CloudResult<()> {
        self.call("cloudwatch:DeleteAlarms", true, |w| {
            w.alarms
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| not_found("cloudwatch:DeleteAlarms", name))
        })
    }
}

#[async_trait]
impl AutoScaling for FakeAccount {
    async fn find_group(&self, name: &str) -> CloudResult<Option<AutoScalingGroup>> {
        self.call("autoscaling:DescribeAutoScalingGroups", false, |w| {
            Ok(w.groups.get(name).cloned())
        })
    }

    async fn groups_tagged(&self, key: &str, value: &str) -> CloudResult<Vec<AutoScalingGroup>> {
        self.call("autoscaling:DescribeAutoScalingGroups", false, |w| {
            Ok(w.groups
                .values()
                .filter(|g| has_tag(&g.tags, key, value))
                .cloned()
                .collect())
        })
    }

    async fn set_capacity(&self, name: &str, capacity: Capacity) -> CloudResult<()> {
        self.call("autoscaling:UpdateAutoScalingGroup", true, |w| {
            let group = w
                .groups
                .get_mut(name)
                .ok_or_else(|| not_found("autoscaling:UpdateAutoScalingGroup", name))?;
            group.capacity = capacity;
            group.in_service = capacity.desired;
            let tgs = group.target_group_arns.clone();
            // Instances behind a target group come and go with the group.
            for arn in tgs {
                if let Some(tg) = w.target_groups.get_mut(&arn) {
                    let port = tg.spec_port;
                    tg.targets = (0..capacity.desired)
                        .map(|i| TargetHealth {
                            target_id: format!("i-0old{i}"),
                            port,
                            state: TargetState::Healthy,
                            reason: None,
                        })
                        .collect();
                }
            }
            Ok(())
        })
    }
}

#[async_trait]
impl Environments for FakeAccount {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>> {
        self.call("elasticbeanstalk:DescribeEnvironments", false, |w| {
            Ok(w.environments.get(name).cloned())
        })
    }
}

#[async_trait]
impl HttpProbe for FakeAccount {
    /// 200 when the load balancer named by the URL's host forwards port 80 to a healthy target.
    async fn get(&self, request: &ProbeRequest) -> CloudResult<u16> {
        self.call("http:GET", false, |w| {
            let host = request
                .url
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or_default();
            let Some(lb) = w.load_balancer_by_dns(host) else {
                return Err(CloudError::new(
                    ErrorKind::Timeout,
                    "http:GET",
                    &request.url,
                    "could not resolve host",
                ));
            };
            let healthy = w
                .listeners
                .values()
                .filter(|l| l.listener.load_balancer_arn == lb.arn && l.listener.port == 80)
                .filter_map(|l| w.target_groups.get(&l.target_group_arn))
                .any(|tg| tg.targets.iter().any(|t| t.state == TargetState::Healthy));
            Ok(if healthy { 200 } else { 503 })
        })
    }
}
