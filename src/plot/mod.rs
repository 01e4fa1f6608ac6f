//! SVG and PNG plots of the scaling sweeps (plotters; text in the bundled DejaVu Sans, see
//! `src/plot/DejaVuSans-LICENSE.txt`, so no system font is needed).
//!
//! [`LogLogChart`] draws log-log line charts: TV against NFE per dimension with the ε levels, and
//! N*(d, ε) against d with fitted power laws and reference slopes.

use std::sync::Once;

use plotters::prelude::*;

use crate::error::{Error, Result};

static FONT: Once = Once::new();

/// Registers the bundled font for plotters' `sans-serif` family (once per process).
fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("DejaVuSans.ttf");
        // the bundled font is a valid TTF; a failure would only drop the text, never panic
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

/// A named series of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points (non-positive coordinates are skipped on log axes).
    pub points: Vec<(f64, f64)>,
    /// Dashed reference line instead of a measured series.
    pub dashed: bool,
}

/// A log-log line chart.
#[derive(Debug, Clone)]
pub struct LogLogChart {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Series to draw.
    pub series: Vec<Series>,
    /// Horizontal reference levels (e.g. ε), drawn dashed in grey.
    pub levels: Vec<f64>,
}

type DrawResult<T> = std::result::Result<T, String>;

impl LogLogChart {
    /// Writes `<stem>.svg` and `<stem>.png` (900 × 640).
    ///
    /// # Errors
    /// [`Error::Io`] if drawing or writing fails (including "nothing to plot").
    pub fn write(&self, stem: &str) -> Result<()> {
        register_font();
        let (svg, png) = (format!("{stem}.svg"), format!("{stem}.png"));
        self.draw(SVGBackend::new(&svg, (900, 640)).into_drawing_area())
            .map_err(|e| io(&svg, e))?;
        self.draw(BitMapBackend::new(&png, (900, 640)).into_drawing_area())
            .map_err(|e| io(&png, e))
    }

    /// Axis ranges covering every positive point and level, padded.
    fn ranges(&self) -> DrawResult<((f64, f64), (f64, f64))> {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
        for &(x, y) in self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0 > 0.0 && p.1 > 0.0)
        {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        for &l in &self.levels {
            (y0, y1) = (y0.min(l), y1.max(l));
        }
        if !(x0 < x1 && y0 < y1) {
            return Err(format!("nothing to plot in `{}`", self.title));
        }
        Ok(((x0 / 1.2, x1 * 1.2), (y0 / 1.5, y1 * 1.5)))
    }

    fn draw<B: DrawingBackend>(&self, root: DrawingArea<B, plotters::coord::Shift>) -> DrawResult<()> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let ((x0, x1), (y0, y1)) = self.ranges()?;
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|x| e(&x))?;
        for &l in &self.levels {
            let style = ShapeStyle::from(&BLACK.mix(0.4)).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new([(x0, l), (x1, l)], 2, 4, style))
                .map_err(|x| e(&x))?;
        }
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|p| p.0 > 0.0 && p.1 > 0.0).collect();
            let style = ShapeStyle::from(&color).stroke_width(2);
            let anno = if s.dashed {
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 6, style))
                    .map_err(|x| e(&x))?
            } else {
                chart.draw_series(LineSeries::new(pts, style)).map_err(|x| e(&x))?
            };
            anno.label(s.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))
    }
}

fn io(path: &str, message: String) -> Error {
    Error::Io {
        path: path.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_svg_with_text_and_a_png() {
        let dir = std::env::temp_dir().join(format!("randmid-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stem = dir.join("chart").to_string_lossy().into_owned();
        let chart = LogLogChart {
            title: "unit test chart".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                label: "y = x^0.5".into(),
                points: vec![(1.0, 1.0), (100.0, 10.0)],
                dashed: false,
            }],
            levels: vec![3.0],
        };
        chart.write(&stem).unwrap();
        let svg = std::fs::read_to_string(format!("{stem}.svg")).unwrap();
        assert!(svg.contains("unit test chart") && svg.contains("y = x^0.5"));
        let png = std::fs::read(format!("{stem}.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let empty = LogLogChart {
            series: vec![],
            levels: vec![],
            ..chart
        };
        assert!(empty.write(&stem).is_err());
    }
}
