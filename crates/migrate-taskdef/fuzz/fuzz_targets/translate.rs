//! Feeds arbitrary bytes to the translator as each source kind, with and without options that
//! exercise the nginx rewrite; any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_taskdef::{translate, SourceDocument, SourceKind, TextFile, TranslateOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let kind = match selector % 4 {
        0 => Some(SourceKind::EcsTaskDefinition),
        1 => Some(SourceKind::Dockerrun),
        2 => Some(SourceKind::Compose),
        _ => None,
    };
    let mut doc = SourceDocument::new("fuzz.json", text);
    doc.kind = kind;
    let options = TranslateOptions {
        nginx_configs: vec![TextFile { origin: "nginx.conf".into(), text: text.into() }],
        region: Some("eu-west-1".into()),
        ..TranslateOptions::default()
    };
    let _ = translate(&doc, &options);
});
