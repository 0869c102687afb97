//! The Gantt picture of the rehearsed timeline: one row per step, a bar from its start to its
//! end, coloured by what the step does, against a time axis in minutes.
//!
//! Plain SVG 1.1 shapes and text only (no script, no CSS, no external fonts), so that GitHub and
//! every browser show it the same way, and so that a rasteriser in the tests can check it.

use std::fmt::Write;

use crate::timeline::{clock, StepKind, TimelineSummary};

const LABEL_WIDTH: f64 = 290.0;
const PLOT_WIDTH: f64 = 640.0;
const RIGHT_MARGIN: f64 = 20.0;
const HEADER: f64 = 48.0;
const ROW: f64 = 22.0;
const BAR: f64 = 14.0;
const FOOTER: f64 = 36.0;
/// A step that takes no time still gets a visible sliver.
const MIN_BAR: f64 = 2.0;

/// The colour of each kind of step, as RGB.
pub fn colour(kind: StepKind) -> [u8; 3] {
    match kind {
        StepKind::Create => [0x2d, 0xa4, 0x4e],
        StepKind::Modify => [0xbf, 0x87, 0x00],
        StepKind::Wait => [0x09, 0x69, 0xda],
    }
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Where one bar was drawn, so that a test can look at its pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct BarBox {
    pub step: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub fill: [u8; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gantt {
    pub svg: String,
    pub width: f64,
    pub height: f64,
    pub bars: Vec<BarBox>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A tick interval that gives at most about ten ticks.
fn tick_secs(span: f64) -> f64 {
    const CHOICES: [f64; 10] = [
        30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0,
    ];
    CHOICES
        .into_iter()
        .find(|t| span / t <= 10.0)
        .unwrap_or(28800.0)
}

pub fn render_gantt(plan_id: &str, summary: &TimelineSummary) -> Gantt {
    let span = summary
        .steps
        .iter()
        .map(|s| s.start_secs + s.duration_secs)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let scale = PLOT_WIDTH / span;
    let width = LABEL_WIDTH + PLOT_WIDTH + RIGHT_MARGIN;
    let height = HEADER + ROW * summary.steps.len() as f64 + FOOTER;
    let plot_bottom = HEADER + ROW * summary.steps.len() as f64;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="8" y="18" font-size="14" fill="#1f2328">Rehearsed timeline of plan {} (seed {}, median {}, p90 {})</text>"##,
        escape(plan_id),
        summary.shown_seed,
        clock(summary.median_secs),
        clock(summary.p90_secs)
    );

    let tick = tick_secs(span);
    let mut t = 0.0;
    while t <= span + 1e-9 {
        let x = LABEL_WIDTH + t * scale;
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{plot_bottom}" stroke="#d0d7de" stroke-width="1"/>"##,
            HEADER - 8.0
        );
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{}" text-anchor="middle" fill="#57606a">{}</text>"##,
            HEADER - 12.0,
            clock(t)
        );
        t += tick;
    }

    let mut bars = Vec::new();
    for (row, step) in summary.steps.iter().enumerate() {
        let y_row = HEADER + ROW * row as f64;
        let _ = writeln!(
            svg,
            r##"<text x="8" y="{:.1}" fill="#1f2328">{}</text>"##,
            y_row + ROW / 2.0 + 4.0,
            escape(&step.step)
        );
        let fill = colour(step.kind);
        let bar = BarBox {
            step: step.step.clone(),
            x: LABEL_WIDTH + step.start_secs * scale,
            y: y_row + (ROW - BAR) / 2.0,
            width: (step.duration_secs * scale).max(MIN_BAR),
            height: BAR,
            fill,
        };
        let _ = writeln!(
            svg,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}"><title>{} {} + {}</title></rect>"#,
            bar.x,
            bar.y,
            bar.width,
            bar.height,
            hex(fill),
            escape(&step.step),
            clock(step.start_secs),
            clock(step.duration_secs)
        );
        bars.push(bar);
    }

    let legend_y = plot_bottom + 14.0;
    let mut x = LABEL_WIDTH;
    for (kind, label) in [
        (StepKind::Create, "creates"),
        (StepKind::Modify, "modifies"),
        (StepKind::Wait, "reads or waits"),
    ] {
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{}"/><text x="{}" y="{}" fill="#1f2328">{label}</text>"##,
            hex(colour(kind)),
            x + 16.0,
            legend_y + 10.0
        );
        x += 130.0;
    }
    svg.push_str("</svg>\n");
    Gantt {
        svg,
        width,
        height,
        bars,
    }
}
