//! Charts drawn on the server as SVG (no script, nothing fetched): stacked bars with an optional
//! limit line, and a line chart, each with its axes titled (what is counted, per what). Colours
//! come from CSS classes (`s-<series>`), so the markup carries no inline style (the CSP forbids
//! it). The drawing is 400 units wide with 13-unit text, so the text stays at 11 px or more
//! down to a phone's width.

use maud::{Markup, html};

const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 40.0;
/// Room under the plot for the tick labels and the x-axis title.
const BOTTOM: f64 = 42.0;
/// Room above the plot for the y-axis title.
const TOP: f64 = 22.0;

/// One bar: its label (shown under every n-th bar) and its stacked parts (series class, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub label: String,
    pub parts: Vec<(&'static str, f64)>,
}

/// What the axes measure, e.g. ("jam (WIB)", "pengiriman"), and the series' names in the
/// page's language (for the tooltips; a series without a name shows its class).
#[derive(Clone, Copy, Debug)]
pub struct Axes<'a> {
    pub x: &'a str,
    pub y: &'a str,
    pub names: &'a [(&'a str, &'a str)],
}

impl Axes<'_> {
    fn name<'s>(&'s self, class: &'s str) -> &'s str {
        self.names
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(class, |(_, n)| n)
    }
}

fn scale_max(values: impl Iterator<Item = f64>, floor: f64) -> f64 {
    let max = values.fold(floor, f64::max);
    if max <= 0.0 { 1.0 } else { nice(max) }
}

/// The next round number at or above `v` (1, 2, 5 × 10ⁿ), so the top tick is a whole count.
fn nice(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(v)
}

fn y_of(v: f64, max: f64) -> f64 {
    TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / max)
}

fn axis(max: f64, label_every: usize, labels: &[&str], step: f64, axes: Axes<'_>) -> Markup {
    let plot_bottom = HEIGHT - BOTTOM;
    let mid = max / 2.0;
    html! {
        line x1=(LEFT) y1=(plot_bottom) x2=(WIDTH) y2=(plot_bottom) stroke="#999" {}
        line.grid x1=(LEFT) y1=(y_of(mid, max)) x2=(WIDTH) y2=(y_of(mid, max)) {}
        line.grid x1=(LEFT) y1=(TOP) x2=(WIDTH) y2=(TOP) {}
        text.tick x=(LEFT - 4.0) y=(TOP + 4.0) text-anchor="end" { (format_num(max)) }
        text.tick x=(LEFT - 4.0) y=(y_of(mid, max) + 4.0) text-anchor="end" { (format_num(mid)) }
        text.tick x=(LEFT - 4.0) y=(plot_bottom + 4.0) text-anchor="end" { "0" }
        @for (i, label) in labels.iter().enumerate() {
            @if label_every > 0 && i % label_every == 0 {
                text.tick x=(LEFT + step * i as f64 + step / 2.0) y=(plot_bottom + 15.0) text-anchor="middle" { (label) }
            }
        }
        text.axis-title x=(LEFT) y=(TOP - 8.0) { (axes.y) }
        text.axis-title x=((LEFT + WIDTH) / 2.0) y=(HEIGHT - 4.0) text-anchor="middle" { (axes.x) }
    }
}

fn format_num(v: f64) -> String {
    if v >= 10.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Labels shown at most this many times along the x axis (13-unit text in 360 units).
const MAX_LABELS: usize = 6;

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
pub fn stacked_bars(title: &str, axes: Axes<'_>, columns: &[Column], limit: Option<f64>) -> Markup {
    let totals = columns
        .iter()
        .map(|c| c.parts.iter().map(|p| p.1).sum::<f64>());
    let max = scale_max(totals, limit.unwrap_or(0.0));
    let step = (WIDTH - LEFT) / columns.len().max(1) as f64;
    let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
    let every = columns.len().div_ceil(MAX_LABELS).max(1);
    html! {
        svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            (axis(max, every, &labels, step, axes))
            @for (i, c) in columns.iter().enumerate() {
                @for (class, base, v) in stacked(&c.parts) {
                    @let top = y_of(base + v, max);
                    @let bottom = y_of(base, max);
                    rect class={ "s-" (class) } x=(LEFT + step * i as f64 + 1.0) y=(top)
                        width=((step - 2.0).max(1.0)) height=((bottom - top).max(0.5)) {
                        title { (c.label) ": " (axes.name(class)) " " (format_num(v)) }
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
pub fn line(title: &str, axes: Axes<'_>, points: &[(String, f64)]) -> Markup {
    let max = scale_max(points.iter().map(|p| p.1), 0.0);
    let step = (WIDTH - LEFT) / points.len().max(2).saturating_sub(1) as f64;
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", LEFT + step * i as f64, y_of(*v, max)))
        .collect();
    let labels: Vec<&str> = points.iter().map(|p| p.0.as_str()).collect();
    let every = points.len().div_ceil(MAX_LABELS).max(1);
    html! {
        svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            (axis(max, every, &labels, step, axes))
            @if !path.is_empty() {
                polyline.s-backlog points=(path.join(" ")) {}
            }
        }
    }
}

/// Whether any bar has a value (an empty chart is said in words instead).
pub fn has_values(columns: &[Column]) -> bool {
    columns.iter().any(|c| c.parts.iter().any(|p| p.1 > 0.0))
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

    const AXES: Axes<'static> = Axes {
        x: "jam (WIB)",
        y: "pengiriman",
        names: &[("delivered", "terkirim")],
    };

    #[test]
    fn the_top_tick_is_a_round_number_and_both_axes_are_titled() {
        assert_eq!(
            (nice(0.9), nice(7.0), nice(13.0), nice(480.0)),
            (1.0, 10.0, 20.0, 500.0)
        );
        let cols = vec![Column {
            label: "10:00".into(),
            parts: vec![("delivered", 13.0)],
        }];
        let svg = stacked_bars("chart", AXES, &cols, None).into_string();
        assert!(
            svg.contains(">20</text>") && svg.contains(">10</text>"),
            "{svg}"
        );
        assert!(svg.contains(">jam (WIB)</text>") && svg.contains(">pengiriman</text>"));
        assert!(
            svg.contains("10:00: terkirim 13"),
            "tooltips in words: {svg}"
        );
        assert!(!has_values(&[Column {
            label: "x".into(),
            parts: vec![("delivered", 0.0)]
        }]));
    }

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
        let svg = stacked_bars("chart", AXES, &cols, Some(5.0)).into_string();
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
        let svg = line("backlog", AXES, &pts).into_string();
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
