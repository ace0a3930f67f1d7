//! One kind of chart, drawn the same way to SVG and PNG: lines (optionally stepped) with an
//! optional shaded band per line, a title, axis labels with units and a legend. Every plot
//! of `tokenswarm plot` is a [`LineChart`].
//!
//! Invariant: text is measured and (in PNGs) rasterised with the DejaVu Sans font compiled
//! into the binary, registered as `sans-serif`, so drawing never looks for system fonts; SVGs
//! name the generic `sans-serif` family for the viewer.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

/// Image size in pixels (both formats).
pub const SIZE: (u32, u32) = (1000, 640);

/// The font family every chart uses.
const FAMILY: &str = "sans-serif";

/// One line of a chart.
#[derive(Clone, Debug, Default)]
pub struct Line {
    pub label: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// A shaded band `(x, low, high)` around the line, e.g. a 95% confidence interval.
    pub band: Vec<(f64, f64, f64)>,
    /// Dashed (for reference lines such as the line of equality).
    pub dashed: bool,
}

/// A chart with lines, a title and labelled axes.
#[derive(Clone, Debug, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub lines: Vec<Line>,
    /// Draw lines as steps (a value holds until the next point).
    pub step: bool,
    /// Mark each point with a dot (sparse data such as sweep points).
    pub markers: bool,
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        for (style, bytes) in [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
        ] {
            // The font is compiled in; failing to parse it is a bug, not an input error.
            plotters::style::register_font(FAMILY, style, bytes)
                .unwrap_or_else(|_| panic!("the compiled-in DejaVu Sans font does not parse"));
        }
    });
}

/// An axis tick without trailing zeros (`2000`, `0.25`).
fn tick(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A qualitative palette (Okabe–Ito, readable by colour-blind readers), then grey.
fn colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(240, 228, 66),
    ];
    PALETTE[i % PALETTE.len()]
}

impl LineChart {
    /// Draws the chart to `dir/stem.svg` and `dir/stem.png`.
    pub fn save(&self, dir: &Path, stem: &str) -> anyhow::Result<()> {
        register_fonts();
        let svg = dir.join(format!("{stem}.svg"));
        let area = SVGBackend::new(&svg, SIZE).into_drawing_area();
        self.draw(&area)?;
        area.present()
            .map_err(|e| anyhow!("{}: {e}", svg.display()))?;
        let png = dir.join(format!("{stem}.png"));
        let area = BitMapBackend::new(&png, SIZE).into_drawing_area();
        self.draw(&area)?;
        area.present()
            .map_err(|e| anyhow!("{}: {e}", png.display()))?;
        Ok(())
    }

    /// The data range with a 4% margin; the y axis starts at 0 for non-negative data (a flat
    /// range gets ±1 so the axis is not empty).
    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let xs = self.lines.iter().flat_map(|l| {
            l.points
                .iter()
                .map(|p| p.0)
                .chain(l.band.iter().map(|b| b.0))
        });
        let ys = self.lines.iter().flat_map(|l| {
            l.points
                .iter()
                .map(|p| p.1)
                .chain(l.band.iter().flat_map(|b| [b.1, b.2]))
        });
        let span = |it: &mut dyn Iterator<Item = f64>, from_zero: bool| {
            let (lo, hi) = it
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
            if !lo.is_finite() {
                return 0.0..1.0;
            }
            let lo = if from_zero && lo >= 0.0 { 0.0 } else { lo };
            if hi - lo < 1e-12 {
                return (lo - 1.0)..(hi + 1.0);
            }
            let pad = 0.04 * (hi - lo);
            let low = if from_zero && lo == 0.0 {
                0.0
            } else {
                lo - pad
            };
            low..(hi + pad)
        };
        (
            span(&mut xs.into_iter(), false),
            span(&mut ys.into_iter(), true),
        )
    }

    /// Title font size in pixels: 26, smaller for titles that would not fit the width (a
    /// DejaVu Sans Bold character is about 0.6 em wide on average).
    fn title_size(&self) -> f64 {
        let chars = self.title.chars().count().max(1) as f64;
        (0.94 * SIZE.0 as f64 / (0.6 * chars)).min(26.0)
    }

    /// The upper corner where the data is lower, so the legend hides less of it.
    fn legend_corner(&self) -> SeriesLabelPosition {
        let (xr, _) = self.ranges();
        let third = (xr.end - xr.start) / 3.0;
        let top = |keep: &dyn Fn(f64) -> bool| {
            self.lines
                .iter()
                .flat_map(|l| {
                    l.points
                        .iter()
                        .map(|p| (p.0, p.1))
                        .chain(l.band.iter().map(|b| (b.0, b.2)))
                })
                .filter(|p| keep(p.0) && p.1.is_finite())
                .fold(f64::NEG_INFINITY, |m, p| m.max(p.1))
        };
        let left = top(&|x| x <= xr.start + third);
        let right = top(&|x| x >= xr.end - third);
        if right > left {
            SeriesLabelPosition::UpperLeft
        } else {
            SeriesLabelPosition::UpperRight
        }
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing `{}`: {e}", self.title);
        area.fill(&WHITE).map_err(e)?;
        let (xr, yr) = self.ranges();
        let mut chart = ChartBuilder::on(area)
            .caption(
                &self.title,
                (FAMILY, self.title_size())
                    .into_font()
                    .style(FontStyle::Bold),
            )
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d(xr, yr)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FAMILY, 16))
            .axis_desc_style((FAMILY, 18))
            .light_line_style(RGBColor(235, 235, 235))
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(e)?;
        for (i, line) in self.lines.iter().enumerate() {
            let c = colour(i);
            if !line.band.is_empty() {
                let mut outline: Vec<(f64, f64)> = line.band.iter().map(|b| (b.0, b.2)).collect();
                outline.extend(line.band.iter().rev().map(|b| (b.0, b.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, c.mix(0.18).filled())))
                    .map_err(e)?;
            }
            let pts: Vec<(f64, f64)> = if self.step {
                let mut s = Vec::with_capacity(line.points.len() * 2);
                for (k, p) in line.points.iter().enumerate() {
                    if k > 0 {
                        s.push((p.0, line.points[k - 1].1));
                    }
                    s.push(*p);
                }
                s
            } else {
                line.points.clone()
            };
            let style = ShapeStyle::from(&c).stroke_width(2);
            let series = if line.dashed {
                chart.draw_series(DashedLineSeries::new(pts, 8, 6, style))
            } else {
                chart.draw_series(LineSeries::new(pts, style))
            }
            .map_err(e)?;
            if !line.label.is_empty() {
                series.label(line.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                });
            }
            if self.markers {
                chart
                    .draw_series(line.points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(e)?;
            }
        }
        if self.lines.iter().any(|l| !l.label.is_empty()) {
            chart
                .configure_series_labels()
                .label_font((FAMILY, 16))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(180, 180, 180))
                .position(self.legend_corner())
                .draw()
                .map_err(e)?;
        }
        Ok(())
    }
}
