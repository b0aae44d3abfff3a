//! Charts as SVG, drawn by `plotters` (its SVG backend writes text as SVG
//! `<text>`, so no font files are needed). Each bar's total is written on
//! it, so the numbers the API returns can be read off the chart.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 440;
/// Beside the plot, so that the legend never covers a bar or a line.
const LEGEND_WIDTH: u32 = 250;
const FONT: &str = "sans-serif";

/// One named series of values, one per category (or per x position).
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// Bars of `categories`, each stacked from `series`, with its total above.
pub fn stacked_bars(
    caption: &str,
    categories: &[String],
    series: &[Series],
    format: fn(f64) -> String,
) -> String {
    let mut svg = String::new();
    if let Err(e) = draw_stacked_bars(&mut svg, caption, categories, series, format) {
        return failed(&e.to_string());
    }
    svg
}

fn draw_stacked_bars(
    svg: &mut String,
    caption: &str,
    categories: &[String],
    series: &[Series],
    format: fn(f64) -> String,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plot, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    legend(&legend_area, series, true)?;
    let totals: Vec<f64> = (0..categories.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let top = totals.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.15;
    let mut chart = ChartBuilder::on(&plot)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(150)
        .y_label_area_size(90)
        .build_cartesian_2d((0..categories.len()).into_segmented(), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(categories.len().max(1))
        .x_label_formatter(&|value| match value {
            SegmentValue::CenterOf(i) => categories.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_formatter(&|y| format(*y))
        .label_style((FONT, 12))
        .x_label_style(
            (FONT, 12)
                .into_font()
                .transform(FontTransform::Rotate90)
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        )
        .draw()?;
    let mut base = vec![0.0; categories.len()];
    for (k, one) in series.iter().enumerate() {
        let color = Palette99::pick(k).filled();
        let bars: Vec<_> = one
            .values
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let from = base[i];
                base[i] += value;
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), from),
                        (SegmentValue::Exact(i + 1), base[i]),
                    ],
                    color,
                );
                bar.set_margin(0, 0, 6, 6);
                bar
            })
            .collect();
        chart.draw_series(bars)?;
    }
    chart.draw_series(totals.iter().enumerate().map(|(i, total)| {
        Text::new(
            format(*total),
            (SegmentValue::CenterOf(i), *total),
            (FONT, 11)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    }))?;
    root.present()?;
    Ok(())
}

/// One line per series over `x_labels` (one x position per label).
pub fn lines(caption: &str, x_labels: &[String], series: &[Series]) -> String {
    let mut svg = String::new();
    if let Err(e) = draw_lines(&mut svg, caption, x_labels, series) {
        return failed(&e.to_string());
    }
    svg
}

fn draw_lines(
    svg: &mut String,
    caption: &str,
    x_labels: &[String],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let points = x_labels.len().max(2);
    let (plot, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    legend(&legend_area, series, false)?;
    let mut chart = ChartBuilder::on(&plot)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0..points - 1, 0f64..top)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|i| x_labels.get(*i).cloned().unwrap_or_default())
        .y_label_formatter(&|y| short_number(*y))
        .label_style((FONT, 12))
        .draw()?;
    for (k, one) in series.iter().enumerate() {
        let color = Palette99::pick(k);
        chart.draw_series(LineSeries::new(
            one.values.iter().enumerate().map(|(i, v)| (i, *v)),
            color.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// The series' names with their colours, a row each, in `area`.
fn legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    series: &[Series],
    filled: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    for (k, one) in series.iter().enumerate() {
        let y = 40 + 20 * k as i32;
        let color = Palette99::pick(k);
        if filled {
            area.draw(&Rectangle::new([(8, y - 6), (22, y + 6)], color.filled()))?;
        } else {
            area.draw(&PathElement::new([(6, y), (24, y)], color.stroke_width(3)))?;
        }
        area.draw(&Text::new(
            one.name.clone(),
            (30, y),
            (FONT, 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// `1234567` as `1.23M`: for axes.
pub fn short_number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e9 {
        format!("{:.2}G", value / 1e9)
    } else if magnitude >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if magnitude >= 1e4 {
        format!("{:.1}k", value / 1e3)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Dollars to the cent, as the API's amounts.
pub fn dollars(value: f64) -> String {
    format!("${value:.2}")
}

fn failed(why: &str) -> String {
    let why = why
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!("<p class=\"problem\">chart not drawn: {why}</p>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_series() -> Vec<Series> {
        vec![
            Series {
                name: "infra_hosts".into(),
                values: vec![1.5, 2.25],
            },
            Series {
                name: "logs".into(),
                values: vec![0.5, 0.75],
            },
        ]
    }

    #[test]
    fn stacked_bars_write_each_bars_total_and_the_legend() {
        let svg = stacked_bars(
            "cost",
            &["2026-01 a".into(), "2026-02 a".into()],
            &two_series(),
            dollars,
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        for text in ["$2.00", "$3.00", "infra_hosts", "logs", "2026-01 a"] {
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "no {text}");
        }
    }

    #[test]
    fn lines_draw_a_polyline_per_series() {
        let svg = lines("hourly", &["00h".into(), "01h".into()], &two_series());
        assert!(svg.matches("<polyline").count() >= 2);
        assert!(svg.contains(">\ninfra_hosts\n</text>"));
    }

    #[test]
    fn numbers_are_short_on_axes() {
        assert_eq!(short_number(1_234_567.0), "1.23M");
        assert_eq!(short_number(12_500.0), "12.5k");
        assert_eq!(short_number(42.0), "42");
        assert_eq!(dollars(3.0), "$3.00");
    }
}
