//! ECS clusters with their container instances and services, and the size of each service's
//! task definition.

use std::collections::BTreeMap;

use migrate_inventory::{EcsCluster, EcsService, EcsServiceLoadBalancer, UnreadPart};

use super::{fan_out, unread, Clients, PartRead};

/// `DescribeServices` takes at most 10 services, `DescribeContainerInstances` 100.
const SERVICES_PER_DESCRIBE: usize = 10;
const CONTAINER_INSTANCES_PER_DESCRIBE: usize = 100;

pub(super) async fn read(clients: &Clients) -> Result<PartRead<Vec<EcsCluster>>, UnreadPart> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .ecs
            .list_clusters()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("ecs:ListClusters", &e))?;
        arns.extend(page.cluster_arns().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut clusters = fan_out(arns, |arn| cluster(clients, arn)).await?;
    // One read per distinct task definition, however many services share it.
    let mut sizes: BTreeMap<String, (Option<String>, Option<String>)> = clusters
        .iter()
        .flat_map(|c| {
            c.services
                .iter()
                .map(|s| (s.task_definition.clone(), (None, None)))
        })
        .collect();
    let read = fan_out(sizes.keys().cloned().collect(), |arn| async move {
        let out = clients
            .ecs
            .describe_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .map_err(|e| unread("ecs:DescribeTaskDefinition", &e))?;
        let definition = out.task_definition();
        Ok((
            arn,
            (
                definition.and_then(|d| d.cpu()).map(str::to_string),
                definition.and_then(|d| d.memory()).map(str::to_string),
            ),
        ))
    })
    .await;
    let mut missing = Vec::new();
    match read {
        Ok(read) => sizes.extend(read),
        Err(part) => missing.push(part),
    }
    for service in clusters.iter_mut().flat_map(|c| c.services.iter_mut()) {
        if let Some((cpu, memory)) = sizes.get(&service.task_definition) {
            service.task_cpu.clone_from(cpu);
            service.task_memory.clone_from(memory);
        }
    }
    Ok(PartRead {
        value: clusters,
        unread: missing,
    })
}

async fn cluster(clients: &Clients, arn: String) -> Result<EcsCluster, UnreadPart> {
    let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
    let (instances, services) =
        tokio::join!(container_instances(clients, &arn), services(clients, &arn));
    Ok(EcsCluster {
        name,
        container_instances: instances?,
        services: services?,
        arn,
    })
}

async fn container_instances(clients: &Clients, cluster: &str) -> Result<Vec<String>, UnreadPart> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .ecs
            .list_container_instances()
            .cluster(cluster)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("ecs:ListContainerInstances", &e))?;
        arns.extend(page.container_instance_arns().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut ids = Vec::new();
    for chunk in arns.chunks(CONTAINER_INSTANCES_PER_DESCRIBE) {
        let out = clients
            .ecs
            .describe_container_instances()
            .cluster(cluster)
            .set_container_instances(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| unread("ecs:DescribeContainerInstances", &e))?;
        ids.extend(
            out.container_instances()
                .iter()
                .filter_map(|c| c.ec2_instance_id().map(str::to_string)),
        );
    }
    Ok(ids)
}

async fn services(clients: &Clients, cluster: &str) -> Result<Vec<EcsService>, UnreadPart> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .ecs
            .list_services()
            .cluster(cluster)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("ecs:ListServices", &e))?;
        arns.extend(page.service_arns().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let chunks: Vec<Vec<String>> = arns
        .chunks(SERVICES_PER_DESCRIBE)
        .map(<[String]>::to_vec)
        .collect();
    let described = fan_out(chunks, |chunk| async move {
        let out = clients
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk))
            .send()
            .await
            .map_err(|e| unread("ecs:DescribeServices", &e))?;
        Ok(out
            .services()
            .iter()
            .filter(|s| s.status() != Some("INACTIVE"))
            .map(|s| {
                let network = s
                    .network_configuration()
                    .and_then(|n| n.awsvpc_configuration());
                EcsService {
                    name: s.service_name().unwrap_or_default().to_string(),
                    arn: s.service_arn().unwrap_or_default().to_string(),
                    launch_type: s.launch_type().map(|t| t.as_str().to_string()),
                    capacity_providers: s
                        .capacity_provider_strategy()
                        .iter()
                        .map(|c| c.capacity_provider().to_string())
                        .collect(),
                    desired_count: u32::try_from(s.desired_count()).unwrap_or(0),
                    running_count: u32::try_from(s.running_count()).unwrap_or(0),
                    task_definition: s.task_definition().unwrap_or_default().to_string(),
                    task_cpu: None,
                    task_memory: None,
                    load_balancers: s
                        .load_balancers()
                        .iter()
                        .filter_map(|lb| {
                            Some(EcsServiceLoadBalancer {
                                target_group: lb.target_group_arn()?.to_string(),
                                container_name: lb.container_name().map(str::to_string),
                                container_port: lb
                                    .container_port()
                                    .and_then(|p| u16::try_from(p).ok()),
                            })
                        })
                        .collect(),
                    security_groups: network
                        .map(|n| n.security_groups().to_vec())
                        .unwrap_or_default(),
                    subnets: network.map(|n| n.subnets().to_vec()).unwrap_or_default(),
                }
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(described.into_iter().flatten().collect())
}
