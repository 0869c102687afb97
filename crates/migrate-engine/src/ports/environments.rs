//! Elastic Beanstalk environments of the old side.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub id: String,
    /// The environment's `*.elasticbeanstalk.com` name, which a CNAME record may point at.
    pub cname: Option<String>,
    pub status: String,
}

#[async_trait]
pub trait Environments: Send + Sync {
    async fn find_environment(&self, name: &str) -> CloudResult<Option<Environment>>;
}
