//! Every rule the lint and the translator report, with its stable id.
//!
//! Ids never change meaning and are never reused; tools (SARIF viewers, CI filters) key on them.

use crate::finding::Severity;

/// A rule's identity and its usual severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One sentence on what the rule checks, used by SARIF and `--help`-style listings.
    pub summary: &'static str,
}

macro_rules! rules {
    ($($konst:ident = $id:literal, $name:literal, $severity:ident, $summary:literal;)*) => {
        $(pub const $konst: Rule = Rule { id: $id, name: $name, severity: Severity::$severity, summary: $summary };)*
        /// All rules, in id order.
        pub const ALL: &[Rule] = &[$($konst),*];
    };
}

rules! {
    SOURCE = "TD000", "source-conversion", Warning, "A setting of the source file that has no task-definition equivalent.";
    REQUIRES_FARGATE = "TD001", "requires-fargate", Error, "requiresCompatibilities must include FARGATE.";
    NETWORK_MODE = "TD002", "network-mode-awsvpc", Error, "Fargate tasks use networkMode awsvpc.";
    HOST_PORT = "TD003", "host-port-mismatch", Error, "In awsvpc mode hostPort must equal containerPort (dynamic host ports do not exist).";
    DUPLICATE_PORT = "TD004", "duplicate-port", Error, "Containers of one task share a network namespace and cannot listen on the same port.";
    TASK_SIZE_MISSING = "TD005", "task-size-missing", Error, "Fargate needs task-level cpu and memory.";
    INVALID_TASK_SIZE = "TD006", "invalid-cpu-memory", Error, "Task cpu and memory must be one of the pairs Fargate accepts.";
    CONTAINER_EXCEEDS_TASK = "TD007", "container-exceeds-task", Error, "Container cpu and memory must fit inside the task's.";
    LINKS = "TD008", "links", Error, "Container links do not exist in awsvpc mode; containers reach each other on 127.0.0.1.";
    HOST_VOLUME = "TD009", "host-volume", Error, "Fargate has no host paths: volumes must be task-scoped or EFS.";
    PRIVILEGED = "TD010", "privileged", Error, "Fargate does not run privileged containers.";
    DEVICES = "TD011", "devices", Error, "Fargate does not expose host devices.";
    DOCKER_SOCKET = "TD012", "docker-socket", Error, "Fargate has no Docker socket to mount.";
    DOCKER_SECURITY_OPTIONS = "TD013", "docker-security-options", Error, "Fargate does not accept dockerSecurityOptions.";
    LOG_DRIVER = "TD014", "unsupported-log-driver", Error, "Fargate supports the awslogs, splunk and awsfirelens log drivers only.";
    PLACEMENT_CONSTRAINTS = "TD015", "placement-constraints", Error, "Fargate does not support task placement constraints.";
    HOSTNAME = "TD016", "hostname", Error, "The hostname parameter is not supported in awsvpc mode.";
    EXECUTION_ROLE = "TD017", "execution-role-required", Error, "An execution role is needed to pull from ECR, write awslogs or read secrets.";
    SECRET_IN_ENVIRONMENT = "TD018", "secret-in-environment", Warning, "An environment value looks like a secret; it belongs in Secrets Manager or Parameter Store.";
    AWSLOGS_OPTIONS = "TD019", "awslogs-options", Error, "awslogs on Fargate needs awslogs-group, awslogs-region and awslogs-stream-prefix.";
    LOG_GROUP_REUSED = "TD020", "log-group-reused", Error, "The Fargate task must log to a different group than the source, to see traffic move.";
    NAMESPACE_MODE = "TD021", "unsupported-namespace-mode", Error, "Fargate supports neither ipcMode nor pidMode host.";
    EXTRA_HOSTS = "TD022", "extra-hosts", Error, "extraHosts is not supported in awsvpc mode.";
    DOCKER_VOLUME = "TD023", "docker-volume-configuration", Error, "Fargate does not support Docker volume drivers.";
    EFS_ACCESS = "TD024", "efs-access", Info, "An EFS volume needs NFS (TCP 2049) open from the service's security group.";
    IMAGE_MISSING = "TD025", "image-missing", Error, "Every container needs an image.";
    UNDEFINED_VOLUME = "TD026", "undefined-volume", Error, "A mount point names a volume the task does not define.";
    NGINX_UPSTREAM = "TD027", "nginx-upstream", Warning, "nginx must reach the other containers of the task on 127.0.0.1, not a link name or localhost.";
    STATEFUL_CONTAINER = "TD028", "stateful-container", Warning, "A database or cache inside a web task loses its data at every task replacement; use RDS, ElastiCache or EFS.";
}

/// The rule with this id, if any.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique_and_ordered() {
        for pair in ALL.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
        let mut names: Vec<_> = ALL.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(by_id("TD003").map(|r| r.name), Some("host-port-mismatch"));
    }
}
