//! Output the way the docker CLI prints it: `--format` templates, tables, sizes and times.

pub mod table;
pub mod template;
pub mod units;

use serde_json::Value;

pub use table::tabwrite;
pub use template::{Template, TemplateError};

/// Render `rows` (one JSON object each) with a Docker `--format`: `table …` prints a header row
/// (each `{{.Field}}` replaced by its header from `headers`) and aligns columns; anything else
/// prints one line per row as written.
pub fn format_rows(format: &str, rows: &[Value], headers: &[(&str, &str)]) -> Result<String, TemplateError> {
    let unescape = |s: &str| s.replace("\\t", "\t").replace("\\n", "\n");
    match format.strip_prefix("table") {
        Some(rest) => {
            let body = unescape(rest.trim_start());
            let template = Template::parse(&body)?;
            let mut header_obj = serde_json::Map::new();
            for (field, header) in headers {
                header_obj.insert((*field).to_owned(), Value::String((*header).to_owned()));
            }
            let mut lines = vec![template.render(&Value::Object(header_obj))?];
            for row in rows {
                lines.push(template.render(row)?);
            }
            let cells: Vec<Vec<String>> = lines
                .iter()
                .map(|l| l.split('\t').map(str::to_owned).collect())
                .collect();
            Ok(tabwrite(&cells))
        }
        None => {
            let template = Template::parse(&unescape(format))?;
            let mut out = String::new();
            for row in rows {
                out.push_str(&template.render(row)?);
                out.push('\n');
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_format_gets_a_header() {
        let rows = vec![json!({"ID": "00285df0df87", "Repository": "<none>", "Tag": "<none>"})];
        let out = format_rows(
            "table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}",
            &rows,
            &[("ID", "IMAGE ID"), ("Repository", "REPOSITORY"), ("Tag", "TAG")],
        )
        .unwrap();
        assert_eq!(
            out,
            "IMAGE ID       REPOSITORY   TAG\n00285df0df87   <none>       <none>\n"
        );
    }

    #[test]
    fn plain_format_has_no_header() {
        let rows = vec![json!({"ID": "5f515359c7f8", "Repository": "redis"})];
        assert_eq!(
            format_rows("{{.ID}}: {{.Repository}}", &rows, &[]).unwrap(),
            "5f515359c7f8: redis\n"
        );
    }
}
