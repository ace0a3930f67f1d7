//! One kind of chart, drawn the same way to SVG and PNG: lines (optionally stepped) with an
//! optional shaded band per line, a title, axis labels with units, a legend, and vertical
//! markers for the run's events and reference values. Every plot of `tokenswarm plot` is a
//! [`LineChart`].
//!
//! A line breaks where a point's y is not finite (no value there: drawn as a gap, never
//! carried across). A stepped line with more points than the plot has pixel columns is
//! drawn as the range it covers in each column, filled, with a step line through each
//! column's last value: the same picture without the sub-pixel segments that render as
//! hollow, broken strokes.
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
    /// Points drawn as hollow circles on top (e.g. sweep points with censored runs).
    pub hollow: Vec<(f64, f64)>,
}

/// A vertical line across the plot at `x`, labelled at the top.
#[derive(Clone, Debug, Default)]
pub struct Marker {
    pub x: f64,
    pub label: String,
    /// A reference value (dashed, dark) rather than an event of the run (dotted, grey).
    pub reference: bool,
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
    /// Vertical markers: the run's events, reference values.
    pub marks: Vec<Marker>,
}

/// Columns a dense step line is drawn in: two pixels each over the plot area's width. A
/// step line with more points than a third of that is dense (its steps would be narrower
/// than about six pixels, and their strokes overlap).
const COLUMNS: usize = 450;

/// One pixel column of a dense step line: its x span, lowest and highest value, and the
/// value it holds at the column's end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColumnSpan {
    pub x0: f64,
    pub x1: f64,
    pub low: f64,
    pub high: f64,
    pub last: f64,
}

/// The columns of a dense step line (`None` for a line sparse enough to draw as it is): per
/// x column, the range of values the step line takes there (a value holds until the next
/// point, so a column also takes the value held from the column before). Cost O(n).
pub fn dense_columns(points: &[(f64, f64)], x_lo: f64, x_hi: f64) -> Option<Vec<ColumnSpan>> {
    if points.len() <= COLUMNS / 3 || x_hi <= x_lo || points.iter().any(|p| !p.1.is_finite()) {
        return None;
    }
    let width = (x_hi - x_lo) / COLUMNS as f64;
    let mut out: Vec<ColumnSpan> = Vec::with_capacity(COLUMNS);
    for &(x, y) in points {
        let c = ((x - x_lo) / width).floor();
        let (x0, x1) = (x_lo + c * width, x_lo + (c + 1.0) * width);
        match out.last_mut() {
            Some(col) if col.x0 == x0 => {
                col.low = col.low.min(y);
                col.high = col.high.max(y);
                col.last = y;
            }
            _ => {
                // The value held from the previous point reaches into this column.
                let held = out.last().map_or(y, |p| p.last);
                // Columns without points between two points hold the previous value.
                if let Some(prev) = out.last().copied()
                    && prev.x1 < x0
                {
                    out.push(ColumnSpan {
                        x0: prev.x1,
                        x1: x0,
                        low: held,
                        high: held,
                        last: held,
                    });
                }
                out.push(ColumnSpan {
                    x0,
                    x1,
                    low: y.min(held),
                    high: y.max(held),
                    last: y,
                });
            }
        }
    }
    if let (Some(last), Some(p)) = (out.last_mut(), points.last()) {
        last.x1 = last.x1.min(p.0.max(last.x0));
    }
    Some(out)
}

/// Splits `points` at non-finite y values into the runs drawn as separate strokes.
fn runs_of(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    points
        .split(|p| !p.1.is_finite())
        .filter(|r| !r.is_empty())
        .map(<[_]>::to_vec)
        .collect()
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
        let xs = self
            .lines
            .iter()
            .flat_map(|l| {
                l.points
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .map(|p| p.0)
                    .chain(l.band.iter().map(|b| b.0))
            })
            .chain(self.marks.iter().map(|m| m.x));
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
            .build_cartesian_2d(xr.clone(), yr.clone())
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
            let style = ShapeStyle::from(&c).stroke_width(2);
            let dense = if self.step {
                dense_columns(&line.points, xr.start, xr.end)
            } else {
                None
            };
            let source = match &dense {
                // A dense step line: the range it covers in each pixel column, filled, and a
                // step line through each column's final value on top.
                Some(columns) => {
                    let mut outline: Vec<(f64, f64)> = Vec::with_capacity(4 * columns.len());
                    for c in columns {
                        outline.push((c.x0, c.high));
                        outline.push((c.x1, c.high));
                    }
                    for c in columns.iter().rev() {
                        outline.push((c.x1, c.low));
                        outline.push((c.x0, c.low));
                    }
                    chart
                        .draw_series(std::iter::once(Polygon::new(outline, c.filled())))
                        .map_err(e)?;
                    columns.iter().map(|col| (col.x0, col.last)).collect()
                }
                None => line.points.clone(),
            };
            let mut labelled = false;
            let runs = runs_of(&source);
            for run in &runs {
                let pts: Vec<(f64, f64)> = if self.step {
                    let mut s = Vec::with_capacity(run.len() * 2);
                    for (k, p) in run.iter().enumerate() {
                        if k > 0 {
                            s.push((p.0, run[k - 1].1));
                        }
                        s.push(*p);
                    }
                    s
                } else {
                    run.clone()
                };
                let series = if line.dashed {
                    chart.draw_series(DashedLineSeries::new(pts, 8, 6, style))
                } else {
                    chart.draw_series(LineSeries::new(pts, style))
                }
                .map_err(e)?;
                if !labelled && !line.label.is_empty() {
                    labelled = true;
                    let dashed = line.dashed;
                    series.label(line.label.clone()).legend(move |(x, y)| {
                        let w = if dashed { 10 } else { 24 };
                        PathElement::new(vec![(x, y), (x + w, y)], c.stroke_width(3))
                    });
                }
            }
            if !line.hollow.is_empty() {
                chart
                    .draw_series(
                        line.hollow
                            .iter()
                            .map(|&p| Circle::new(p, 8, c.stroke_width(2))),
                    )
                    .map_err(e)?;
            }
            if self.markers {
                chart
                    .draw_series(
                        line.points
                            .iter()
                            .filter(|p| p.1.is_finite())
                            .map(|&p| Circle::new(p, 4, c.filled())),
                    )
                    .map_err(e)?;
            }
        }
        for (k, m) in self.marks.iter().enumerate() {
            let (colour, style) = if m.reference {
                (RGBColor(60, 60, 60), (6, 4))
            } else {
                (RGBColor(150, 150, 150), (2, 4))
            };
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(m.x, yr.start), (m.x, yr.end)],
                    style.0,
                    style.1,
                    colour.stroke_width(1),
                ))
                .map_err(e)?;
            // Labels stack in three rows at the top so neighbouring marks stay readable.
            let (px, py) = chart.backend_coord(&(m.x, yr.end));
            let row = (k % 3) as i32;
            area.draw(&Text::new(
                m.label.clone(),
                (px + 4, py + 4 + 18 * row),
                (FAMILY, 14).into_font().color(&colour),
            ))
            .map_err(e)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_step_lines_are_drawn_by_column_ranges_and_breaks_split_lines() {
        let sparse: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, (i % 2) as f64)).collect();
        assert_eq!(dense_columns(&sparse, 0.0, 100.0), None);
        // 4,500 points flipping between 0 and 1: every column spans 0..1 and holds the
        // last value of its points.
        let dense: Vec<(f64, f64)> = (0..4500).map(|i| (i as f64, (i % 2) as f64)).collect();
        let cols = dense_columns(&dense, 0.0, 4500.0).unwrap();
        assert_eq!(cols.len(), COLUMNS);
        assert!(
            cols.iter()
                .all(|c| c.low == 0.0 && c.high == 1.0 && c.last == 1.0)
        );
        assert!(
            cols.windows(2).all(|w| w[0].x1 == w[1].x0),
            "columns tile the x range"
        );
        // A gap between points is held at the previous value.
        let mut gapped: Vec<(f64, f64)> = (0..400).map(|i| (i as f64, 5.0)).collect();
        gapped.push((4000.0, 7.0));
        let cols = dense_columns(&gapped, 0.0, 4000.0).unwrap();
        let filler = cols
            .iter()
            .find(|c| c.x0 <= 2000.0 && c.x1 > 2000.0)
            .unwrap();
        assert_eq!((filler.low, filler.high), (5.0, 5.0));
        // A line with a break is drawn in two strokes and never dense.
        let broken = vec![(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN), (3.0, 1.0)];
        assert_eq!(runs_of(&broken).len(), 2);
        let mut dense_broken = dense.clone();
        dense_broken[10].1 = f64::NAN;
        assert_eq!(dense_columns(&dense_broken, 0.0, 4500.0), None);
    }
}
