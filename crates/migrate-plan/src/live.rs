//! The old side's running task definitions against the ones the plan registers.

use std::collections::BTreeMap;

use migrate_playbook::Playbook;

use crate::sizing::old_service_for;
use crate::snapshot::Snapshot;

/// Each container's image in a task definition (`containerDefinitions[].name/image`).
pub fn images(task_definition: &serde_json::Value) -> BTreeMap<String, String> {
    task_definition
        .get("containerDefinitions")
        .and_then(serde_json::Value::as_array)
        .map(|containers| {
            containers
                .iter()
                .filter_map(|c| {
                    Some((
                        c.get("name")?.as_str()?.to_string(),
                        c.get("image")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// For each playbook service paired with an old service, how the images of the task definition
/// the plan registers differ from the ones running now, one sentence per container.
pub fn image_differences(
    playbook: &Playbook,
    snapshot: &Snapshot,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for service in &playbook.target.services {
        let Some(old) = old_service_for(playbook, snapshot, &service.name) else {
            continue;
        };
        let planned = images(&service.task_definition);
        let mut differences = Vec::new();
        for (container, image) in &planned {
            match old.images.get(container) {
                Some(running) if running != image => differences.push(format!(
                    "container {container}: the plan registers image {image}, {} runs {running}",
                    old.name
                )),
                Some(_) => {}
                None => differences.push(format!(
                    "container {container} ({image}) is not in the running task definition of {}",
                    old.name
                )),
            }
        }
        for (container, running) in old.images.iter().filter(|(c, _)| !planned.contains_key(*c)) {
            differences.push(format!(
                "container {container} ({running}) runs in {} but is not in the plan's task definition",
                old.name
            ));
        }
        if !differences.is_empty() {
            out.insert(service.name.clone(), differences);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ServiceSnapshot;

    #[test]
    fn images_that_differ_from_the_running_ones_are_named() {
        let playbook = crate::tests::demo_playbook();
        let web = &playbook.target.services[0];
        let planned = images(&web.task_definition);
        let (container, image) = planned.iter().next().unwrap();
        let mut running = planned.clone();
        running.insert(container.clone(), format!("{image}-old"));
        running.insert("sidecar".into(), "envoy:1".into());
        let snapshot = Snapshot {
            old_services: vec![ServiceSnapshot {
                name: "shop-web".into(),
                desired: 2,
                running: 2,
                task_definition_arn: "arn:td/shop-web:3".into(),
                task_cpu: None,
                task_memory_mib: None,
                images: running,
                task_definition: None,
            }],
            ..Snapshot::default()
        };
        let differences = image_differences(&playbook, &snapshot);
        let web_differences = &differences["web"];
        assert_eq!(web_differences.len(), 2, "{web_differences:?}");
        assert!(web_differences[0].contains(&format!("shop-web runs {image}-old")));
        assert!(web_differences[1].contains("sidecar (envoy:1) runs in shop-web"));
        // The same images make no difference.
        let mut same = snapshot.clone();
        same.old_services[0].images = planned;
        assert!(image_differences(&playbook, &same).is_empty());
    }
}
