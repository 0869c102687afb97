//! CloudWatch Logs: a group name is unique in the account; creating it again is
//! `ResourceAlreadyExistsException`, deleting a missing one `ResourceNotFoundException`.

use async_trait::async_trait;
use migrate_engine::ports::{CloudResult, ErrorKind, LogGroup, LogGroupSpec, Logs};

use super::{err, Kind, SimCloud};
use crate::world::logs::LogGroupRec;

#[async_trait]
impl Logs for SimCloud {
    async fn find_log_group(&self, name: &str) -> CloudResult<Option<LogGroup>> {
        self.call("logs:DescribeLogGroups", name, Kind::Read, |w| {
            Ok(w.logs.groups.get(name).map(|g| LogGroup {
                name: g.name.clone(),
                retention_days: g.retention_days,
                tags: g.tags.clone(),
            }))
        })
        .await
    }

    async fn create_log_group(&self, spec: &LogGroupSpec) -> CloudResult<()> {
        let op = "logs:CreateLogGroup";
        self.call(op, &spec.name, Kind::Write, |w| {
            if w.logs.groups.contains_key(&spec.name) {
                return Err(err(
                    ErrorKind::AlreadyExists,
                    op,
                    &spec.name,
                    "ResourceAlreadyExistsException: The specified log group already exists",
                ));
            }
            let rec = LogGroupRec {
                name: spec.name.clone(),
                retention_days: None,
                tags: spec.tags.clone(),
            };
            w.logs.groups.insert(spec.name.clone(), rec);
            let arn = w.arn("logs", &format!("log-group:{}", spec.name));
            w.record_creation("log-group", &spec.name, &arn);
            Ok(())
        })
        .await
    }

    async fn set_log_group_retention(&self, name: &str, days: u32) -> CloudResult<()> {
        let op = "logs:PutRetentionPolicy";
        self.call(op, name, Kind::Write, |w| {
            match w.logs.groups.get_mut(name) {
                Some(group) => {
                    group.retention_days = Some(days);
                    Ok(())
                }
                None => Err(err(
                    ErrorKind::NotFound,
                    op,
                    name,
                    "ResourceNotFoundException: The specified log group does not exist.",
                )),
            }
        })
        .await
    }

    async fn delete_log_group(&self, name: &str) -> CloudResult<()> {
        let op = "logs:DeleteLogGroup";
        self.call(op, name, Kind::Write, |w| {
            match w.logs.groups.remove(name) {
                Some(_) => Ok(()),
                None => Err(err(
                    ErrorKind::NotFound,
                    op,
                    name,
                    "ResourceNotFoundException: The specified log group does not exist.",
                )),
            }
        })
        .await
    }
}
