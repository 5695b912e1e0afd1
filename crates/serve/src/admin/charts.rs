//! Horizontal bar charts as inline SVG, drawn on the server (no script needed). Labels
//! are escaped by maud; the chart scales to its container's width.

use maud::{Markup, html};

/// Height of one bar row, in SVG units.
const ROW: usize = 22;
/// Width of the label column and of the bar area.
const LABEL_W: usize = 150;
const BAR_W: usize = 260;

/// One chart: a title and (label, count) rows, largest first (at most `max_rows`; the
/// rest are summed into "other").
pub fn bars(title: &str, rows: &[(String, usize)], max_rows: usize) -> Markup {
    let mut rows: Vec<(String, usize)> = rows.to_vec();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if rows.len() > max_rows {
        let other: usize = rows[max_rows..].iter().map(|r| r.1).sum();
        rows.truncate(max_rows);
        rows.push(("other".into(), other));
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let height = rows.len().max(1) * ROW + 4;
    let width = LABEL_W + BAR_W + 60;
    html! {
        figure.chart {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} {height}"))
                role="img" aria-label=(title) {
                @for (i, (label, n)) in rows.iter().enumerate() {
                    @let y = i * ROW + 2;
                    @let w = (n * BAR_W).div_ceil(max).max(1);
                    text x=(LABEL_W - 6) y=(y + 15) text-anchor="end" { (truncate(label, 22)) }
                    rect x=(LABEL_W) y=(y + 3) width=(w) height=(ROW - 6) rx="2" {}
                    text x=(LABEL_W + w + 6) y=(y + 15) { (n) }
                }
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_escape_and_fold_the_tail() {
        let rows: Vec<(String, usize)> = (0..12)
            .map(|i| (format!("s{i}"), 12 - i))
            .chain([("<script>".to_string(), 1)])
            .collect();
        let svg = bars("Status", &rows, 10).into_string();
        assert!(svg.contains("<svg"));
        assert!(svg.contains(">s0<") && svg.contains(">other<"));
        assert!(!svg.contains("<script>"), "labels are escaped");
        // The largest bar is the full width.
        assert!(svg.contains(&format!("width=\"{BAR_W}\"")));
    }
}
