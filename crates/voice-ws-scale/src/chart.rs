//! The results as an SVG chart: CPU per heartbeat and RSS per connection
//! against the number of connections, one line per client.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::driver::Driver;
use crate::figures::Point;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 420;
/// The strip under both panels that holds the legend.
const LEGEND: u32 = 36;

/// The chart, as SVG text.
pub(crate) fn svg(points: &[Point]) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (panels, strip) = root.split_vertically(HEIGHT - LEGEND);
        let (left, right) = panels.split_horizontally(WIDTH / 2);
        panel(
            &left,
            points,
            "CPU per heartbeat (lower is better)",
            "µs",
            |p| p.cpu_us_per_beat,
        )?;
        panel(
            &right,
            points,
            "RSS per connection (lower is better)",
            "KiB",
            |p| p.rss_kib_per_conn,
        )?;
        legend(&strip, points)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
}

/// How each client is drawn: ours in colour with filled markers, the
/// baseline in grey with hollow ones.
fn style(driver: Driver) -> (RGBColor, bool) {
    match driver {
        Driver::Tokio => (RGBColor(0x1f, 0x77, 0xb4), true),
        Driver::Smol => (RGBColor(0x2c, 0xa0, 0x2c), true),
        Driver::Baseline => (RGBColor(0x7f, 0x7f, 0x7f), false),
    }
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[Point],
    title: &str,
    unit: &str,
    value: fn(&Point) -> f64,
) -> Result<(), String> {
    let x_max = points.iter().map(|p| p.conns).max().unwrap_or(1) as f64 * 1.08;
    let y_max = points.iter().map(value).fold(0.0, f64::max) * 1.25;
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
        .x_label_formatter(&|x| thousands(*x))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| e.to_string())?;
    for driver in Driver::ALL {
        let mut xy: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.driver == driver)
            .map(|p| (p.conns as f64, value(p)))
            .collect();
        if xy.is_empty() {
            continue;
        }
        xy.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (color, filled) = style(driver);
        let line = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(xy.clone(), line))
            .map_err(|e| e.to_string())?;
        let marker = if filled { color.filled() } else { line };
        chart
            .draw_series(xy.iter().map(|&p| Circle::new(p, 4, marker)))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One entry per client present, side by side, centred under the panels.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[Point],
) -> Result<(), String> {
    const ENTRY: i32 = 260;
    let present: Vec<Driver> = Driver::ALL
        .into_iter()
        .filter(|d| points.iter().any(|p| p.driver == *d))
        .collect();
    let width = ENTRY * present.len() as i32;
    let mut x = (WIDTH as i32 - width) / 2;
    let y = LEGEND as i32 / 2;
    for driver in present {
        let (color, filled) = style(driver);
        let line = color.stroke_width(2);
        let marker = if filled { color.filled() } else { line };
        area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], line))
            .and_then(|()| area.draw(&Circle::new((x + 14, y), 4, marker)))
            .and_then(|()| {
                area.draw(&Text::new(
                    driver.label(),
                    (x + 36, y - 7),
                    ("sans-serif", 14).into_font(),
                ))
            })
            .map_err(|e| e.to_string())?;
        x += ENTRY;
    }
    Ok(())
}

/// `5k`, `2.5k`, `0`.
fn thousands(x: f64) -> String {
    let k = x / 1000.0;
    if k.abs() < 1e-9 {
        "0".to_owned()
    } else if (k - k.round()).abs() < 1e-9 {
        format!("{k:.0}k")
    } else {
        format!("{k:.1}k")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_both_panels_and_every_client_in_its_legend() {
        let points: Vec<Point> = Driver::ALL
            .into_iter()
            .flat_map(|d| {
                [
                    Point::example(d, 1000, 20.0, 9.0),
                    Point::example(d, 5000, 15.0, 8.5),
                ]
            })
            .collect();
        let svg = svg(&points).expect("the chart draws");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        for text in [
            "CPU per heartbeat",
            "RSS per connection",
            "voice-ws-tokio",
            "voice-ws-async-std on smol",
            "bare tokio-tungstenite",
            "5k",
        ] {
            assert!(svg.contains(text), "no {text:?} in the chart");
        }
    }
}
