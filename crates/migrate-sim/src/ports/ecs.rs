//! ECS: clusters are created idempotently, task definitions are not (every register is a new
//! revision), and `CreateService` is idempotent only for the same `clientToken` with the same
//! parameters; anything else on an existing name is "not idempotent".

use async_trait::async_trait;
use migrate_engine::ports::{
    CloudResult, Cluster, ClusterSpec, ContainerPlatform, ErrorKind, ServiceLoadBalancer,
    ServiceSpec, ServiceStatus, TaskDefinitionRef, TaskDefinitionSpec, TAG_PLAN_ID,
};

use super::{err, Kind, SimCloud};
use crate::world::ecs::{ClusterRec, Launch, ServiceRec, ServiceState, TaskDefRec};

fn cluster_of(c: &ClusterRec) -> Cluster {
    Cluster {
        name: c.name.clone(),
        arn: c.arn.clone(),
        status: if c.active { "ACTIVE" } else { "INACTIVE" }.into(),
    }
}

#[async_trait]
impl ContainerPlatform for SimCloud {
    async fn find_cluster(&self, name: &str) -> CloudResult<Option<Cluster>> {
        self.call("ecs:DescribeClusters", name, Kind::Read, |w| {
            Ok(w.ecs
                .clusters
                .get(name)
                .filter(|c| c.active && c.visible_at <= w.now)
                .map(cluster_of))
        })
        .await
    }

    async fn create_cluster(&self, spec: &ClusterSpec) -> CloudResult<Cluster> {
        self.call("ecs:CreateCluster", &spec.name, Kind::Write, |w| {
            if let Some(c) = w.ecs.clusters.get(&spec.name).filter(|c| c.active) {
                return Ok(cluster_of(c));
            }
            let visible_at = w.visible_from_now();
            let rec = ClusterRec {
                name: spec.name.clone(),
                arn: w.arn("ecs", &format!("cluster/{}", spec.name)),
                active: true,
                tags: spec.tags.clone(),
                visible_at,
            };
            let out = cluster_of(&rec);
            w.ecs.clusters.insert(spec.name.clone(), rec);
            w.record_creation("cluster", &spec.name, &out.arn);
            Ok(out)
        })
        .await
    }

    async fn delete_cluster(&self, name: &str) -> CloudResult<()> {
        let op = "ecs:DeleteCluster";
        self.call(op, name, Kind::Write, |w| {
            if !w.ecs.clusters.get(name).is_some_and(|c| c.active) {
                return Err(err(ErrorKind::NotFound, op, name, "ClusterNotFoundException"));
            }
            let busy = w
                .ecs
                .services
                .values()
                .any(|s| s.cluster == name && s.state != ServiceState::Inactive);
            if busy {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    name,
                    "ClusterContainsServicesException: the cluster still has active or draining services",
                ));
            }
            if let Some(c) = w.ecs.clusters.get_mut(name) {
                c.active = false;
            }
            Ok(())
        })
        .await
    }

    async fn find_task_definition(
        &self,
        family: &str,
        plan_id: &str,
    ) -> CloudResult<Option<TaskDefinitionRef>> {
        self.call("ecs:ListTaskDefinitions", family, Kind::Read, |w| {
            Ok(w.ecs
                .task_definitions
                .values()
                .filter(|t| {
                    t.family == family
                        && t.active
                        && t.visible_at <= w.now
                        && t.tags.get(TAG_PLAN_ID).map(String::as_str) == Some(plan_id)
                })
                .max_by_key(|t| t.revision)
                .map(|t| TaskDefinitionRef {
                    arn: t.arn.clone(),
                    family: t.family.clone(),
                    revision: t.revision,
                }))
        })
        .await
    }

    async fn register_task_definition(
        &self,
        spec: &TaskDefinitionSpec,
    ) -> CloudResult<TaskDefinitionRef> {
        let op = "ecs:RegisterTaskDefinition";
        self.call(op, &spec.family, Kind::Write, |w| {
            let d = &spec.definition;
            let fargate = d["requiresCompatibilities"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == "FARGATE"));
            if !fargate || d["networkMode"] != "awsvpc" || d["cpu"].is_null() || d["memory"].is_null() {
                return Err(err(
                    ErrorKind::InvalidRequest,
                    op,
                    &spec.family,
                    "ClientException: Fargate requires networkMode awsvpc, requiresCompatibilities FARGATE, and task-level cpu and memory",
                ));
            }
            let revision = {
                let r = w.ecs.revisions.entry(spec.family.clone()).or_insert(0);
                *r += 1;
                *r
            };
            let arn = w.arn("ecs", &format!("task-definition/{}:{revision}", spec.family));
            let mut definition = d.clone();
            definition["taskDefinitionArn"] = arn.clone().into();
            definition["revision"] = revision.into();
            definition["status"] = "ACTIVE".into();
            let visible_at = w.visible_from_now();
            w.ecs.task_definitions.insert(
                arn.clone(),
                TaskDefRec {
                    arn: arn.clone(),
                    family: spec.family.clone(),
                    revision,
                    active: true,
                    definition,
                    tags: spec.tags.clone(),
                    visible_at,
                },
            );
            w.record_creation("task-definition", &spec.family, &arn);
            Ok(TaskDefinitionRef {
                arn,
                family: spec.family.clone(),
                revision,
            })
        })
        .await
    }

    async fn deregister_task_definition(&self, arn: &str) -> CloudResult<()> {
        let op = "ecs:DeregisterTaskDefinition";
        self.call(op, arn, Kind::Write, |w| {
            match w.ecs.task_definitions.get_mut(arn) {
                Some(t) if t.active => {
                    t.active = false;
                    Ok(())
                }
                _ => Err(err(
                    ErrorKind::NotFound,
                    op,
                    arn,
                    "ClientException: unable to describe task definition",
                )),
            }
        })
        .await
    }

    async fn find_service(&self, cluster: &str, name: &str) -> CloudResult<Option<ServiceStatus>> {
        self.call(
            "ecs:DescribeServices",
            format!("{cluster}/{name}"),
            Kind::Read,
            |w| {
                let Some(key) = w.ecs.live_service_key(cluster, name) else {
                    return Ok(None);
                };
                if w.ecs.services[&key].visible_at > w.now {
                    return Ok(None);
                }
                Ok(w.ecs.status_of(&key))
            },
        )
        .await
    }

    async fn create_service(&self, spec: &ServiceSpec) -> CloudResult<ServiceStatus> {
        let op = "ecs:CreateService";
        let resource = format!("service {} in cluster {}", spec.name, spec.cluster);
        self.call(op, resource.clone(), Kind::Write, |w| {
            let fail = |k: ErrorKind, m: &str| Err(err(k, op, &resource, m));
            if !w.ecs.clusters.get(&spec.cluster).is_some_and(|c| c.active) {
                return fail(ErrorKind::NotFound, "ClusterNotFoundException");
            }
            if let Some(key) = w.ecs.live_service_key(&spec.cluster, &spec.name) {
                let existing = &w.ecs.services[&key];
                if existing.state == ServiceState::Draining {
                    return fail(ErrorKind::InvalidRequest, "InvalidParameterException: Unable to Start a service that is still Draining.");
                }
                if existing.spec.as_ref() == Some(spec) {
                    return w.ecs.status_of(&key).ok_or_else(|| err(ErrorKind::Other, op, &resource, "vanished"));
                }
                return fail(ErrorKind::IdempotencyMismatch, "InvalidParameterException: Creation of service was not idempotent.");
            }
            if !w.ecs.task_definitions.get(&spec.task_definition_arn).is_some_and(|t| t.active) {
                return fail(ErrorKind::InvalidRequest, "ClientException: TaskDefinition not found or inactive.");
            }
            if let Some(missing) = spec.security_groups.iter().find(|g| !w.ec2.groups.contains_key(*g)) {
                return fail(ErrorKind::InvalidRequest, &format!("InvalidParameterException: security group {missing} does not exist"));
            }
            if let Some(lb) = &spec.load_balancer {
                let Some(tg) = w.elb.target_groups.get(&lb.target_group_arn) else {
                    return fail(ErrorKind::InvalidRequest, "InvalidParameterException: target group does not exist");
                };
                if w.elb.lbs_of_tg(&tg.arn).is_empty() {
                    return fail(ErrorKind::InvalidRequest, &format!(
                        "InvalidParameterException: The target group with targetGroupArn {} does not have an associated load balancer.",
                        tg.arn
                    ));
                }
                if tg.target_type != "ip" {
                    return fail(ErrorKind::InvalidRequest, "InvalidParameterException: awsvpc tasks need a target group of type ip");
                }
            }
            // Every further target group is checked as the first: it exists and a load
            // balancer forwards to it.
            for arn in &spec.also_registers_in {
                if !w.elb.target_groups.contains_key(arn) {
                    return fail(ErrorKind::InvalidRequest, "InvalidParameterException: target group does not exist");
                }
                if w.elb.lbs_of_tg(arn).is_empty() {
                    return fail(ErrorKind::InvalidRequest, &format!(
                        "InvalidParameterException: The target group with targetGroupArn {arn} does not have an associated load balancer."
                    ));
                }
            }
            let generation = w.ecs.next_service_generation;
            w.ecs.next_service_generation += 1;
            let visible_at = w.visible_from_now();
            let arn = w.arn("ecs", &format!("service/{}/{}", spec.cluster, spec.name));
            let key = (spec.cluster.clone(), spec.name.clone(), generation);
            w.ecs.services.insert(
                key.clone(),
                ServiceRec {
                    arn: arn.clone(),
                    name: spec.name.clone(),
                    cluster: spec.cluster.clone(),
                    state: ServiceState::Active,
                    task_definition_arn: spec.task_definition_arn.clone(),
                    desired: spec.desired_count,
                    load_balancer: spec.load_balancer.clone(),
                    also_registers_in: spec.also_registers_in.clone(),
                    launch: Launch::Fargate,
                    security_groups: spec.security_groups.clone(),
                    spec: Some(spec.clone()),
                    tags: spec.tags.clone(),
                    created_at: w.now,
                    visible_at,
                    grace_ms: u64::from(spec.health_check_grace_period_secs.unwrap_or(0)) * 1000,
                    ready_at: None,
                    stopped_reasons: vec![],
                    new_side: true,
                    deployment: 0,
                },
            );
            w.record_creation("service", &format!("{}/{}", spec.cluster, spec.name), &arn);
            w.ecs.status_of(&key).ok_or_else(|| err(ErrorKind::Other, op, &resource, "vanished"))
        })
        .await
    }

    async fn set_desired_count(
        &self,
        cluster: &str,
        service: &str,
        desired: u32,
    ) -> CloudResult<()> {
        let op = "ecs:UpdateService";
        let resource = format!("service {service} in cluster {cluster}");
        self.call(op, resource.clone(), Kind::Write, |w| {
            let key = w
                .ecs
                .live_service_key(cluster, service)
                .filter(|k| w.ecs.services[k].state == ServiceState::Active)
                .ok_or_else(|| {
                    err(
                        ErrorKind::NotFound,
                        op,
                        &resource,
                        "ServiceNotActiveException",
                    )
                })?;
            if let Some(s) = w.ecs.services.get_mut(&key) {
                s.desired = desired;
            }
            Ok(())
        })
        .await
    }

    async fn set_load_balancers(
        &self,
        cluster: &str,
        service: &str,
        load_balancers: &[ServiceLoadBalancer],
    ) -> CloudResult<()> {
        let op = "ecs:UpdateService";
        let resource = format!("service {service} in cluster {cluster}");
        self.call(op, resource.clone(), Kind::Write, |w| {
            let fail = |k: ErrorKind, m: String| Err(err(k, op, &resource, &m));
            let Some(key) = w
                .ecs
                .live_service_key(cluster, service)
                .filter(|k| w.ecs.services[k].state == ServiceState::Active)
            else {
                return fail(ErrorKind::NotFound, "ServiceNotActiveException".into());
            };
            // Up to five target groups, each one a load balancer forwards to, as at creation
            // (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html>).
            if load_balancers.len() > 5 {
                return fail(
                    ErrorKind::InvalidRequest,
                    "InvalidParameterException: a service registers in at most 5 target groups"
                        .into(),
                );
            }
            for lb in load_balancers {
                if !w.elb.target_groups.contains_key(&lb.target_group_arn) {
                    return fail(
                        ErrorKind::InvalidRequest,
                        "InvalidParameterException: target group does not exist".into(),
                    );
                }
                if w.elb.lbs_of_tg(&lb.target_group_arn).is_empty() {
                    return fail(
                        ErrorKind::InvalidRequest,
                        format!(
                            "InvalidParameterException: The target group with targetGroupArn {} \
                             does not have an associated load balancer.",
                            lb.target_group_arn
                        ),
                    );
                }
            }
            if let Some(s) = w.ecs.services.get_mut(&key) {
                let mut groups = load_balancers.iter();
                s.load_balancer = groups.next().cloned();
                s.also_registers_in = groups.map(|lb| lb.target_group_arn.clone()).collect();
                s.deployment += 1;
            }
            Ok(())
        })
        .await
    }

    async fn delete_service(&self, cluster: &str, service: &str) -> CloudResult<()> {
        let op = "ecs:DeleteService";
        let resource = format!("service {service} in cluster {cluster}");
        self.call(op, resource.clone(), Kind::Write, |w| {
            let key = w.ecs.live_service_key(cluster, service).ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    op,
                    &resource,
                    "ServiceNotFoundException",
                )
            })?;
            if let Some(s) = w.ecs.services.get_mut(&key) {
                s.state = ServiceState::Draining;
                s.desired = 0;
            }
            Ok(())
        })
        .await
    }

    async fn describe_task_definition(&self, arn: &str) -> CloudResult<Option<serde_json::Value>> {
        self.call("ecs:DescribeTaskDefinition", arn, Kind::Read, |w| {
            Ok(w.ecs
                .task_definitions
                .get(arn)
                .filter(|t| t.visible_at <= w.now)
                .map(|t| t.definition.clone()))
        })
        .await
    }

    async fn container_instance_groups(&self, cluster: &str) -> CloudResult<Vec<String>> {
        self.call("ecs:ListContainerInstances", cluster, Kind::Read, |w| {
            if w.topology.old_cluster.as_deref() == Some(cluster) {
                Ok(vec![w.topology.asg_name.clone()])
            } else {
                Ok(vec![])
            }
        })
        .await
    }
}
