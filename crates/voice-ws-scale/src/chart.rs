//! The results as an SVG chart: CPU per heartbeat and RSS per connection
//! against the number of connections, one line per client.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::driver::Driver;
use crate::figures::Row;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 400;

/// The chart, as SVG text.
pub(crate) fn svg(rows: &[Row]) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(WIDTH / 2);
        panel(&left, rows, "CPU per heartbeat", "µs", |r| {
            r.client.cpu_us_per_beat()
        })?;
        panel(&right, rows, "RSS per connection", "KiB", |r| {
            r.client.rss_kib_per_conn()
        })?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
}

/// How each client is drawn: ours in colour, the baseline in grey, dashed
/// by its hollow markers.
fn style(driver: Driver) -> (RGBColor, bool) {
    match driver {
        Driver::Tokio => (RGBColor(0x1f, 0x77, 0xb4), true),
        Driver::Smol => (RGBColor(0x2c, 0xa0, 0x2c), true),
        Driver::Baseline => (RGBColor(0x7f, 0x7f, 0x7f), false),
    }
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[Row],
    title: &str,
    unit: &str,
    value: fn(&Row) -> f64,
) -> Result<(), String> {
    let x_max = rows.iter().map(|r| r.client.conns).max().unwrap_or(1) as f64 * 1.08;
    let y_max = rows.iter().map(value).fold(0.0, f64::max) * 1.25;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max.max(f64::EPSILON))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("connections")
        .y_desc(unit)
        .x_label_formatter(&|x| format!("{}k", (x / 1000.0).round()))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| e.to_string())?;
    for driver in Driver::ALL {
        let mut points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.client.driver == driver)
            .map(|r| (r.client.conns as f64, value(r)))
            .collect();
        if points.is_empty() {
            continue;
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (color, filled) = style(driver);
        let line = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.clone(), line))
            .map_err(|e| e.to_string())?
            .label(driver.label())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], line));
        let marker = if filled { color.filled() } else { line };
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, marker)))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}
