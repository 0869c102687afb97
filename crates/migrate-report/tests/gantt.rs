//! The Gantt picture is checked by rasterising it: a broken SVG, or bars in the wrong place,
//! fails here.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use migrate_report::{build, render_gantt, Inputs, PriceTable, TimelineSection};

fn rasterise(svg: &str) -> resvg::tiny_skia::Pixmap {
    let tree =
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("the SVG parses");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
}

fn pixel(pixmap: &resvg::tiny_skia::Pixmap, x: f64, y: f64) -> [u8; 3] {
    let p = pixmap.pixel(x as u32, y as u32).unwrap();
    [p.red(), p.green(), p.blue()]
}

#[test]
fn every_bar_is_drawn_where_and_in_the_colour_it_should_be() {
    let plan = common::demo_plan();
    let prices = PriceTable::bundled().unwrap();
    let timeline = common::fixed_timeline(&plan);
    let report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: Some(&timeline),
            snapshot: None,
            not_read_because: None,
        },
    );
    let TimelineSection::Rehearsed(summary) = &report.timeline else {
        panic!("the fixture rehearses");
    };
    let gantt = render_gantt(&report.plan_id, summary);
    assert_eq!(gantt.bars.len(), plan.steps.len());
    let pixmap = rasterise(&gantt.svg);
    assert_eq!(f64::from(pixmap.width()), gantt.width);
    assert_eq!(f64::from(pixmap.height()), gantt.height);

    // The PNG encoding is what a reviewer would attach; it must succeed and be non-trivial.
    let png = pixmap.encode_png().unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 1000);

    let white = [255, 255, 255];
    for bar in &gantt.bars {
        let centre = pixel(&pixmap, bar.x + bar.width / 2.0, bar.y + bar.height / 2.0);
        assert_eq!(centre, bar.fill, "the middle of {}'s bar", bar.step);
        // Above and below the bar, in the gap between rows, is background (or a grid line).
        let above = pixel(&pixmap, bar.x + bar.width / 2.0, bar.y - 2.0);
        assert_ne!(above, bar.fill, "above {}'s bar", bar.step);
    }
    // The bars follow one another in time: each starts at or after the previous one's end
    // (the fixture runs steps back to back), so the picture reads left to right.
    for pair in gantt.bars.windows(2) {
        assert!(pair[1].x + 0.01 >= pair[0].x + pair[0].width - 0.01);
    }
    // Right of the last bar's end, on its row, is background.
    let last = gantt.bars.last().unwrap();
    if last.x + last.width + 4.0 < gantt.width {
        let right = pixel(
            &pixmap,
            last.x + last.width + 3.0,
            last.y + last.height / 2.0,
        );
        assert!(right == white || right != last.fill);
    }
    // The drain (a wait) is blue, a create is green, a modify is amber: three colours appear.
    let mut fills: Vec<[u8; 3]> = gantt.bars.iter().map(|b| b.fill).collect();
    fills.sort();
    fills.dedup();
    assert_eq!(fills.len(), 3);
}

#[test]
fn a_step_label_with_markup_characters_does_not_break_the_picture() {
    let plan = common::demo_plan();
    let prices = PriceTable::bundled().unwrap();
    let mut timeline = common::fixed_timeline(&plan);
    for run in &mut timeline.runs {
        run.steps[0].step = "odd <step> & \"name\"".into();
    }
    let report = build(
        &plan,
        &Inputs {
            prices: &prices,
            timeline: Some(&timeline),
            snapshot: None,
            not_read_because: None,
        },
    );
    let TimelineSection::Rehearsed(summary) = &report.timeline else {
        panic!("the fixture rehearses");
    };
    let gantt = render_gantt("p<1>", summary);
    let pixmap = rasterise(&gantt.svg);
    let bar = &gantt.bars[0];
    assert_eq!(
        pixel(&pixmap, bar.x + bar.width / 2.0, bar.y + bar.height / 2.0),
        bar.fill
    );
}
