//! Whether an image the wizard was given exists, when it names an ECR repository: a typo in a
//! tag would otherwise surface only when the first task fails to start, mid-migration.

use aws_sdk_ecr::types::ImageIdentifier;
use aws_types::SdkConfig;

/// An image reference split into an ECR registry (account), repository and tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    pub registry: String,
    pub region: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl EcrImage {
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]`, or `None` for another
    /// registry (Docker Hub, GHCR, a private one), which this tool cannot check.
    pub fn parse(image: &str) -> Option<EcrImage> {
        let (host, path) = image.split_once('/')?;
        let mut labels = host.split('.');
        let registry = labels.next()?;
        let (dkr, ecr, region) = (labels.next()?, labels.next()?, labels.next()?);
        if dkr != "dkr" || ecr != "ecr" || !registry.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (repository, tag, digest) = match path.split_once('@') {
            Some((repository, digest)) => (repository, None, Some(digest.to_string())),
            None => match path.rsplit_once(':') {
                Some((repository, tag)) => (repository, Some(tag.to_string()), None),
                None => (path, Some("latest".to_string()), None),
            },
        };
        Some(EcrImage {
            registry: registry.to_string(),
            region: region.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }
}

/// `Ok(None)` when `image` is not in ECR; `Ok(Some(found))` when ECR answered; `Err` with the
/// reason when ECR could not be asked (then the wizard says it could not check).
pub async fn ecr_image_exists(sdk: &SdkConfig, image: &str) -> Result<Option<bool>, String> {
    let Some(ecr_image) = EcrImage::parse(image) else {
        return Ok(None);
    };
    let config = aws_sdk_ecr::config::Builder::from(sdk)
        .region(aws_types::region::Region::new(ecr_image.region.clone()))
        .build();
    let client = aws_sdk_ecr::Client::from_conf(config);
    let id = ImageIdentifier::builder()
        .set_image_tag(ecr_image.tag.clone())
        .set_image_digest(ecr_image.digest.clone())
        .build();
    match client
        .describe_images()
        .registry_id(&ecr_image.registry)
        .repository_name(&ecr_image.repository)
        .image_ids(id)
        .send()
        .await
    {
        Ok(out) => Ok(Some(!out.image_details().is_empty())),
        Err(err) => {
            let service = err.as_service_error();
            if service.is_some_and(|e| {
                e.is_image_not_found_exception() || e.is_repository_not_found_exception()
            }) {
                Ok(Some(false))
            } else {
                Err(super::unread("ecr:DescribeImages", &err).reason)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_references_split_into_registry_repository_and_tag_or_digest() {
        let image =
            EcrImage::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:4.2").unwrap();
        assert_eq!(image.registry, "123456789012");
        assert_eq!(image.region, "eu-west-1");
        assert_eq!(image.repository, "team/web");
        assert_eq!(image.tag.as_deref(), Some("4.2"));
        let pinned =
            EcrImage::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:ab").unwrap();
        assert_eq!(pinned.digest.as_deref(), Some("sha256:ab"));
        assert_eq!(pinned.tag, None);
        let bare = EcrImage::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web").unwrap();
        assert_eq!(bare.tag.as_deref(), Some("latest"));
    }

    #[test]
    fn other_registries_are_not_ecr() {
        assert_eq!(EcrImage::parse("nginx:1.27"), None);
        assert_eq!(EcrImage::parse("ghcr.io/acme/web:1"), None);
        assert_eq!(EcrImage::parse("public.ecr.aws/nginx/nginx:1"), None);
    }
}
