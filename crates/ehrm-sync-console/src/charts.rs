//! Charts drawn on the server as SVG (no script, nothing fetched): stacked bars with an optional
//! limit line, and a line chart. Colours come from CSS classes (`s-<series>`), so the markup
//! carries no inline style (the CSP forbids it).

use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 8.0;

/// One bar: its label (shown under every n-th bar) and its stacked parts (series class, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub label: String,
    pub parts: Vec<(&'static str, f64)>,
}

fn scale_max(values: impl Iterator<Item = f64>, floor: f64) -> f64 {
    let max = values.fold(floor, f64::max);
    if max <= 0.0 { 1.0 } else { max * 1.1 }
}

fn y_of(v: f64, max: f64) -> f64 {
    TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / max)
}

fn axis(max: f64, label_every: usize, labels: &[&str], step: f64) -> Markup {
    let plot_bottom = HEIGHT - BOTTOM;
    html! {
        line x1=(LEFT) y1=(plot_bottom) x2=(WIDTH) y2=(plot_bottom) stroke="#999" {}
        text x="2" y=(TOP + 8.0) { (format_num(max / 1.1)) }
        text x="2" y=(plot_bottom) { "0" }
        @for (i, label) in labels.iter().enumerate() {
            @if label_every > 0 && i % label_every == 0 {
                text x=(LEFT + step * i as f64) y=(HEIGHT - 4.0) { (label) }
            }
        }
    }
}

fn format_num(v: f64) -> String {
    if v >= 10.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The non-zero parts of a bar with the height below each.
fn stacked(parts: &[(&'static str, f64)]) -> Vec<(&'static str, f64, f64)> {
    let mut base = 0.0;
    let mut out = Vec::new();
    for (class, v) in parts {
        if *v > 0.0 {
            out.push((*class, base, *v));
        }
        base += v;
    }
    out
}

/// Stacked bars; `limit` draws a dashed line (e.g. the configured rate).
pub fn stacked_bars(title: &str, columns: &[Column], limit: Option<f64>) -> Markup {
    let totals = columns
        .iter()
        .map(|c| c.parts.iter().map(|p| p.1).sum::<f64>());
    let max = scale_max(totals, limit.unwrap_or(0.0));
    let step = (WIDTH - LEFT) / columns.len().max(1) as f64;
    let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
    let every = (columns.len() / 8).max(1);
    html! {
        svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            (axis(max, every, &labels, step))
            @for (i, c) in columns.iter().enumerate() {
                @for (class, base, v) in stacked(&c.parts) {
                    @let top = y_of(base + v, max);
                    @let bottom = y_of(base, max);
                    rect class={ "s-" (class) } x=(LEFT + step * i as f64 + 1.0) y=(top)
                        width=((step - 2.0).max(1.0)) height=((bottom - top).max(0.5)) {
                        title { (c.label) ": " (class) " " (format_num(v)) }
                    }
                }
            }
            @if let Some(limit) = limit {
                line.s-limit x1=(LEFT) x2=(WIDTH) y1=(y_of(limit, max)) y2=(y_of(limit, max)) {
                    title { (format_num(limit)) }
                }
            }
        }
    }
}

/// A line through the points (label, value).
pub fn line(title: &str, points: &[(String, f64)]) -> Markup {
    let max = scale_max(points.iter().map(|p| p.1), 0.0);
    let step = (WIDTH - LEFT) / points.len().max(2).saturating_sub(1) as f64;
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", LEFT + step * i as f64, y_of(*v, max)))
        .collect();
    let labels: Vec<&str> = points.iter().map(|p| p.0.as_str()).collect();
    let every = (points.len() / 8).max(1);
    html! {
        svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            (axis(max, every, &labels, step))
            @if !path.is_empty() {
                polyline.s-backlog points=(path.join(" ")) {}
            }
        }
    }
}

/// A legend of series classes with their names.
pub fn legend(items: &[(&str, &str)]) -> Markup {
    html! {
        p.legend {
            @for (class, name) in items {
                span { i class={ "l-" (class) } {} (name) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_drawn_for_non_zero_parts_with_the_limit_line() {
        let cols = vec![
            Column {
                label: "10:00".into(),
                parts: vec![("delivered", 4.0), ("transient", 0.0)],
            },
            Column {
                label: "11:00".into(),
                parts: vec![("delivered", 2.0), ("permanent", 1.0)],
            },
        ];
        let svg = stacked_bars("chart", &cols, Some(5.0)).into_string();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("class=\"s-permanent\""));
        assert!(svg.contains("s-limit"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn a_line_has_one_point_per_value() {
        let pts = vec![
            ("a".to_string(), 1.0),
            ("b".to_string(), 3.0),
            ("c".to_string(), 2.0),
        ];
        let svg = line("backlog", &pts).into_string();
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), 3);
    }
}
