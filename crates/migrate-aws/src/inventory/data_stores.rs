//! The data stores an old side may reach: RDS instances and Aurora clusters, ElastiCache
//! clusters (grouped by replication group), and EFS file systems, each with its security
//! groups. Each service is read on its own: one that refuses leaves the others' stores.

use std::collections::BTreeMap;

use migrate_inventory::{DataStore, DataStoreKind, UnreadPart};

use super::{all_pages, fan_out, unread, Clients, PartRead};

pub(super) async fn read(clients: &Clients) -> Result<PartRead<Vec<DataStore>>, UnreadPart> {
    let (instances, clusters, caches, file_systems) = tokio::join!(
        db_instances(clients),
        db_clusters(clients),
        cache_clusters(clients),
        file_systems(clients)
    );
    let mut read = PartRead::whole(Vec::new());
    for result in [instances, clusters, caches, file_systems] {
        match result {
            Ok(stores) => read.value.extend(stores),
            Err(part) => read.unread.push(part),
        }
    }
    read.value.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(read)
}

fn port(value: Option<i32>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}

async fn db_instances(clients: &Clients) -> Result<Vec<DataStore>, UnreadPart> {
    all_pages(|marker| async move {
        let page = clients
            .rds
            .describe_db_instances()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("rds:DescribeDBInstances", &e))?;
        // An Aurora instance is reached through its cluster, which is listed on its own.
        let stores = page
            .db_instances()
            .iter()
            .filter(|db| db.db_cluster_identifier().is_none())
            .map(|db| DataStore {
                kind: DataStoreKind::Rds,
                id: db.db_instance_identifier().unwrap_or_default().to_string(),
                engine: db.engine().map(str::to_string),
                port: port(
                    db.endpoint()
                        .and_then(|e| e.port())
                        .or(db.db_instance_port()),
                ),
                vpc_id: db
                    .db_subnet_group()
                    .and_then(|g| g.vpc_id())
                    .map(str::to_string),
                security_groups: vpc_groups(db.vpc_security_groups()),
            })
            .collect();
        Ok((stores, page.marker().map(str::to_string)))
    })
    .await
}

async fn db_clusters(clients: &Clients) -> Result<Vec<DataStore>, UnreadPart> {
    all_pages(|marker| async move {
        let page = clients
            .rds
            .describe_db_clusters()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("rds:DescribeDBClusters", &e))?;
        let stores = page
            .db_clusters()
            .iter()
            .map(|cluster| DataStore {
                kind: DataStoreKind::Aurora,
                id: cluster
                    .db_cluster_identifier()
                    .unwrap_or_default()
                    .to_string(),
                engine: cluster.engine().map(str::to_string),
                port: port(cluster.port()),
                vpc_id: None,
                security_groups: vpc_groups(cluster.vpc_security_groups()),
            })
            .collect();
        Ok((stores, page.marker().map(str::to_string)))
    })
    .await
}

fn vpc_groups(groups: &[aws_sdk_rds::types::VpcSecurityGroupMembership]) -> Vec<String> {
    groups
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
        .collect()
}

async fn cache_clusters(clients: &Clients) -> Result<Vec<DataStore>, UnreadPart> {
    // The members of one replication group are one store to the application.
    let mut stores: BTreeMap<String, DataStore> = BTreeMap::new();
    let mut marker = None;
    loop {
        let page = clients
            .elasticache
            .describe_cache_clusters()
            .show_cache_node_info(true)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("elasticache:DescribeCacheClusters", &e))?;
        for cluster in page.cache_clusters() {
            let engine = cluster.engine().map(str::to_string);
            let id = cluster
                .replication_group_id()
                .or(cluster.cache_cluster_id())
                .unwrap_or_default()
                .to_string();
            let store = stores.entry(id.clone()).or_insert_with(|| DataStore {
                kind: if engine.as_deref() == Some("memcached") {
                    DataStoreKind::Memcached
                } else {
                    DataStoreKind::Redis
                },
                id,
                engine: engine.clone(),
                port: port(
                    cluster
                        .configuration_endpoint()
                        .and_then(|e| e.port())
                        .or_else(|| {
                            cluster
                                .cache_nodes()
                                .iter()
                                .find_map(|n| n.endpoint().and_then(|e| e.port()))
                        }),
                ),
                vpc_id: None,
                security_groups: Vec::new(),
            });
            for group in cluster.security_groups() {
                if let Some(id) = group.security_group_id() {
                    if !store.security_groups.iter().any(|g| g == id) {
                        store.security_groups.push(id.to_string());
                    }
                }
            }
        }
        marker = page.marker().map(str::to_string);
        if marker.is_none() {
            return Ok(stores.into_values().collect());
        }
    }
}

async fn file_systems(clients: &Clients) -> Result<Vec<DataStore>, UnreadPart> {
    let mut ids = Vec::new();
    let mut marker = None;
    loop {
        let page = clients
            .efs
            .describe_file_systems()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| unread("elasticfilesystem:DescribeFileSystems", &e))?;
        ids.extend(
            page.file_systems()
                .iter()
                .map(|fs| fs.file_system_id().to_string()),
        );
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    // A file system's security groups are those of its mount targets.
    fan_out(ids, |id| async move {
        let targets = clients
            .efs
            .describe_mount_targets()
            .file_system_id(&id)
            .send()
            .await
            .map_err(|e| unread("elasticfilesystem:DescribeMountTargets", &e))?;
        let mut store = DataStore {
            kind: DataStoreKind::Efs,
            id,
            engine: None,
            port: Some(2049),
            vpc_id: targets
                .mount_targets()
                .iter()
                .find_map(|t| t.vpc_id().map(str::to_string)),
            security_groups: Vec::new(),
        };
        for target in targets.mount_targets() {
            let groups = clients
                .efs
                .describe_mount_target_security_groups()
                .mount_target_id(target.mount_target_id())
                .send()
                .await
                .map_err(|e| unread("elasticfilesystem:DescribeMountTargetSecurityGroups", &e))?;
            for group in groups.security_groups() {
                if !store.security_groups.contains(group) {
                    store.security_groups.push(group.clone());
                }
            }
        }
        Ok(store)
    })
    .await
}
