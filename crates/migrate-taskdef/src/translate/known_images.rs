//! What well-known images need to start and serve, for containers whose source says nothing.
//!
//! A task sized only from declared reservations is 256/512 when nothing is declared, and MySQL,
//! Elasticsearch or a JVM in it is killed for memory at once. These figures are the working minimum
//! of each image's default configuration (for example, Elasticsearch's default JVM heap alone is
//! 1 GiB; MySQL 8 with its default buffer pool needs about 400 MiB), rounded up. They are a guess,
//! and the translation says so loudly wherever it uses one.

/// Memory in MiB and cpu units for an image with no declared needs.
pub(crate) struct Need {
    pub memory_mib: u32,
    pub cpu: u32,
}

/// `(name, memory MiB, cpu units)`, matched against the image's repository name without registry,
/// namespace or tag (`docker.io/library/mysql:8.0` is `mysql`; `bitnami/redis` is `redis`).
const TABLE: &[(&str, u32, u32)] = &[
    ("elasticsearch", 2048, 512),
    ("opensearch", 2048, 512),
    ("logstash", 1024, 256),
    ("kibana", 1024, 256),
    ("kafka", 1024, 256),
    ("cp-kafka", 1024, 256),
    ("clickhouse-server", 1024, 256),
    ("sentry", 1024, 256),
    ("keycloak", 1024, 256),
    ("mysql", 512, 256),
    ("mariadb", 512, 256),
    ("mongo", 512, 256),
    ("mongodb", 512, 256),
    ("zookeeper", 512, 128),
    ("cp-zookeeper", 512, 128),
    ("rabbitmq", 512, 128),
    ("postgres", 256, 128),
    ("postgis", 256, 128),
    ("wordpress", 256, 128),
    ("nextcloud", 512, 256),
    ("grafana", 256, 128),
    ("prometheus", 256, 128),
    ("redis", 128, 64),
    ("memcached", 128, 64),
    ("nginx", 64, 64),
    ("httpd", 64, 64),
    ("traefik", 128, 64),
];

/// What any other image is given when nothing is declared.
pub(crate) const UNKNOWN: Need = Need {
    memory_mib: 256,
    cpu: 128,
};

/// The repository name of an image reference: no registry, no namespace, no tag or digest.
pub(crate) fn repository_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// The known need of `image`, if it is in the table.
pub(crate) fn need(image: &str) -> Option<Need> {
    let name = repository_name(image).to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(known, _, _)| name == *known)
        .map(|&(_, memory_mib, cpu)| Need { memory_mib, cpu })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_without_registry_namespace_or_tag() {
        assert_eq!(repository_name("docker.io/library/mysql:8.0"), "mysql");
        assert_eq!(repository_name("bitnami/redis@sha256:abc"), "redis");
        assert_eq!(repository_name("localhost:5000/app"), "app");
        assert_eq!(need("mysql:5.7").map(|n| n.memory_mib), Some(512));
        assert_eq!(
            need("docker.elastic.co/elasticsearch/elasticsearch:8.1.0").map(|n| n.memory_mib),
            Some(2048)
        );
        assert!(need("mysql-exporter").is_none());
        assert!(need("myorg/app:1").is_none());
    }
}
