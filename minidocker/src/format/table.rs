//! Aligned columns, as Go's `text/tabwriter` lays out Docker's tables (min width 10, padding 3).

/// Lay out rows of tab-separated cells; the last cell of a row is never padded.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    tabwrite_with(rows, 10, 3)
}

/// [`tabwrite`] with another minimum cell width and padding (`docker top`'s are 20 and 3).
pub fn tabwrite_with(rows: &[Vec<String>], min_width: usize, padding: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max((cell.chars().count() + padding).max(min_width));
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_docker_images() {
        let rows = vec![
            vec![
                "REPOSITORY".into(),
                "TAG".into(),
                "IMAGE ID".into(),
                "CREATED".into(),
                "SIZE".into(),
            ],
            vec![
                "busybox".into(),
                "latest".into(),
                "4384b1dd521d".into(),
                "2 minutes ago".into(),
                "1.24MB".into(),
            ],
        ];
        assert_eq!(
            tabwrite(&rows),
            "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\nbusybox      latest    4384b1dd521d   2 minutes ago   1.24MB\n"
        );
    }
}
