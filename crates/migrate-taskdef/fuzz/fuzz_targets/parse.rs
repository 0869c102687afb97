//! Feeds arbitrary bytes to the lint, the `.env` reader, the nginx rewriter and the line index.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_taskdef::{envfile, lint, locate::LineIndex, nginx};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = lint(text, "fuzz.json");
    let _ = envfile::keys("fuzz.env", text);
    let _ = nginx::rewrite("fuzz.conf", text, &["app".to_string(), "php-fpm".to_string()]);
    let index = LineIndex::build(text);
    let _ = index.line("$.containerDefinitions[0].portMappings[0].hostPort");
});
