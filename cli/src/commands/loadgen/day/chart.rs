//! The chart of requests per hour, drawn pixel by pixel into a PNG (the `image` crate the CLI
//! already uses; no fonts, so no text: docs/issuer.md gives the legend).
//!
//! Per local hour, three bars side by side on a log scale (one grid line per power of ten, from
//! 1 request an hour): the per-door-fetch design (orange), everything the Doorpass issuer received
//! (blue) and what the phones alone caused (green). The issuer's busy hours are shaded.

use std::path::Path;

use anyhow::{Context, Result};
use image::{Rgb, RgbImage};

use super::report::HourRow;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 420;
const MARGIN: u32 = 30;
const ORANGE: Rgb<u8> = Rgb([230, 120, 20]);
const BLUE: Rgb<u8> = Rgb([40, 90, 200]);
const GREEN: Rgb<u8> = Rgb([40, 160, 70]);
const GRID: Rgb<u8> = Rgb([210, 210, 210]);
const SHADE: Rgb<u8> = Rgb([255, 245, 215]);
const INK: Rgb<u8> = Rgb([0, 0, 0]);

/// Whether local hour `h` is one of the issuer's busy hours (11–14, 17–20).
fn busy(h: u32) -> bool {
    (11..14).contains(&h) || (17..20).contains(&h)
}

/// Draws the chart of `hours` (24 rows) into an image.
pub(super) fn draw(hours: &[HourRow]) -> RgbImage {
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let top = hours
        .iter()
        .map(|h| h.per_door_fetch.max(h.doorpass()))
        .max()
        .unwrap_or(1)
        .max(10);
    let decades = (top as f64).log10().ceil().max(1.0);
    let (x0, y0) = (MARGIN, HEIGHT - MARGIN);
    let (plot_w, plot_h) = (WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN);
    let slot = plot_w / 24;
    let mut fill = |x: u32, y: u32, w: u32, h: u32, c: Rgb<u8>| {
        for xx in x..(x + w).min(WIDTH) {
            for yy in y..(y + h).min(HEIGHT) {
                img.put_pixel(xx, yy, c);
            }
        }
    };
    for h in (0..24).filter(|h| busy(*h)) {
        fill(x0 + h * slot, MARGIN, slot, plot_h, SHADE);
    }
    for d in 1..=decades as u32 {
        let y = y0 - (f64::from(plot_h) * f64::from(d) / decades) as u32;
        fill(x0, y, plot_w, 1, GRID);
    }
    let height = |v: u64| {
        if v == 0 {
            0
        } else {
            // One request is a sliver, so that it shows against none.
            ((f64::from(plot_h) * (v as f64).log10() / decades) as u32).clamp(2, plot_h)
        }
    };
    let bar = slot / 4;
    for (h, row) in (0u32..).zip(hours.iter().take(24)) {
        let x = x0 + h * slot + bar / 2;
        for (i, (v, c)) in [
            (row.per_door_fetch, ORANGE),
            (row.doorpass(), BLUE),
            (row.wallets_only(), GREEN),
        ]
        .into_iter()
        .enumerate()
        {
            let bh = height(v);
            fill(x + i as u32 * bar, y0 - bh, bar - 1, bh, c);
        }
        let tick = if h % 6 == 0 { 8 } else { 4 };
        fill(x0 + h * slot, y0, 1, tick, INK);
    }
    fill(x0, y0, plot_w, 1, INK);
    fill(x0, MARGIN, 1, plot_h, INK);
    img
}

/// Draws the chart and writes it to `path` as PNG.
pub(super) fn write(hours: &[HourRow], path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    draw(hours)
        .save_with_format(path, image::ImageFormat::Png)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taller_counts_draw_taller_bars() {
        let mut hours = vec![HourRow::default(); 24];
        hours[12].per_door_fetch = 10_000;
        hours[12].issuer[3] = 10;
        let img = draw(&hours);
        let column =
            |x: u32, c: Rgb<u8>| (0..HEIGHT).filter(|y| img.get_pixel(x, *y) == &c).count();
        let slot = (WIDTH - 2 * MARGIN) / 24;
        let x = MARGIN + 12 * slot + slot / 8 + 1;
        let orange = column(x, ORANGE);
        let blue = column(x + slot / 4, BLUE);
        assert!(orange > 3 * blue && blue > 0, "{orange} against {blue}");
        assert_eq!(
            column(MARGIN + 2 * slot + slot / 8 + 1, ORANGE),
            0,
            "no visits, no bar"
        );
    }
}
