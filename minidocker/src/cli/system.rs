//! `system df`: Docker's disk usage summary, or with -v each image and container, from
//! `GET /system/df`.

use clap::Args;
use serde_json::{Value, json};

use super::container::ps_row;
use super::images::{IMAGE_HEADERS, image_row};
use super::{ExitCode, api_error, args_error};
use crate::client::autostart::Connector;
use crate::engine::{ContainerListEntry, SystemDf};
use crate::format::units::human_size;
use crate::format::{Template, format_rows};

#[derive(Debug, Args)]
pub struct DfArgs {
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)
    #[arg(long, value_name = "string")]
    pub format: Option<String>,
    /// Show detailed information on space usage
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

const DF_TABLE: &str = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
const DF_HEADERS: [(&str, &str); 5] = [
    ("Type", "TYPE"),
    ("TotalCount", "TOTAL"),
    ("Active", "ACTIVE"),
    ("Size", "SIZE"),
    ("Reclaimable", "RECLAIMABLE"),
];
const DF_IMAGES_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}";
const DF_CONTAINERS_TABLE: &str = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}";
const DF_CONTAINER_HEADERS: [(&str, &str); 8] = [
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("LocalVolumes", "LOCAL VOLUMES"),
    ("Size", "SIZE"),
    ("RunningFor", "CREATED"),
    ("Status", "STATUS"),
    ("Names", "NAMES"),
];
const DF_VOLUMES_TABLE: &str = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
const DF_VOLUME_HEADERS: [(&str, &str); 3] = [("Name", "VOLUME NAME"), ("Links", "LINKS"), ("Size", "SIZE")];
const DF_CACHE_TABLE: &str = "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}";
const DF_CACHE_HEADERS: [(&str, &str); 7] = [
    ("ID", "CACHE ID"),
    ("CacheType", "CACHE TYPE"),
    ("Size", "SIZE"),
    ("CreatedSince", "CREATED"),
    ("LastUsedSince", "LAST USED"),
    ("UsageCount", "USAGE"),
    ("Shared", "SHARED"),
];

/// `1.984MB (100%)`: the percentage only when there is something at all.
fn reclaimable(bytes: u64, total: u64) -> String {
    match (bytes * 100).checked_div(total) {
        Some(percent) => format!("{} ({percent}%)", human_size(bytes, 4)),
        None => human_size(bytes, 4),
    }
}

/// A container that counts as ACTIVE (the docker CLI's `isActive`): running, paused or
/// restarting.
fn is_active(c: &ContainerListEntry) -> bool {
    ["running", "paused", "restarting"]
        .iter()
        .any(|state| c.state.contains(state))
}

// ANCHOR: summary_rows
/// The four summary rows: images, containers, local volumes, build cache.
fn summary_rows(du: &SystemDf) -> Vec<Value> {
    let active_images: Vec<_> = du.images.iter().filter(|i| i.containers > 0).collect();
    // What the images with containers need for themselves cannot be reclaimed.
    let used: u64 = active_images
        .iter()
        .filter(|i| i.shared_size != -1)
        .map(|i| i.size.saturating_sub(i.shared_size as u64))
        .sum();
    let images_reclaimable = du.layers_size.saturating_sub(used);
    let containers_size: u64 = du.containers.iter().map(|c| c.size_rw).sum();
    let containers_reclaimable: u64 = du
        .containers
        .iter()
        .filter(|c| !is_active(c))
        .map(|c| c.size_rw)
        .sum();
    let running = du.containers.iter().filter(|c| is_active(c)).count();
    let row = |kind: &str, total: usize, active: usize, size: u64, reclaim: String| {
        json!({
            "Type": kind,
            "TotalCount": total.to_string(),
            "Active": active.to_string(),
            "Size": human_size(size, 4),
            "Reclaimable": reclaim,
        })
    };
    vec![
        row(
            "Images",
            du.images.len(),
            active_images.len(),
            du.layers_size,
            reclaimable(images_reclaimable, du.layers_size),
        ),
        row(
            "Containers",
            du.containers.len(),
            running,
            containers_size,
            reclaimable(containers_reclaimable, containers_size),
        ),
        row("Local Volumes", 0, 0, 0, reclaimable(0, 0)),
        row("Build Cache", 0, 0, 0, human_size(0, 4)),
    ]
}
// ANCHOR_END: summary_rows

/// The rows of `df -v`: images (first tag only) and containers (with their layer's size).
fn verbose_rows(du: &SystemDf, trunc: bool) -> (Vec<Value>, Vec<Value>) {
    let images = du
        .images
        .iter()
        .map(|img| {
            let first = img
                .repo_tags
                .first()
                .filter(|_| !img.is_dangling())
                .and_then(|t| ch05_images::Reference::parse_name(t).ok())
                .and_then(|r| r.tag.clone().map(|tag| (r.familiar_name(), tag)));
            let (repo, tag) = first.unwrap_or_else(|| ("<none>".to_owned(), "<none>".to_owned()));
            image_row(img, &repo, &tag, "", trunc)
        })
        .collect();
    let containers = du
        .containers
        .iter()
        .map(|c| {
            let mut row = ps_row(c, trunc);
            if let Value::Object(map) = &mut row {
                map.insert("Size".into(), Value::String(human_size(c.size_rw, 3)));
                map.insert("LocalVolumes".into(), Value::String("0".into()));
            }
            row
        })
        .collect();
    (images, containers)
}

fn verbose_table(du: &SystemDf) -> Result<String, crate::format::TemplateError> {
    let (images, containers) = verbose_rows(du, true);
    let mut out = String::from("Images space usage:\n\n");
    out.push_str(&format_rows(DF_IMAGES_TABLE, &images, &IMAGE_HEADERS)?);
    out.push_str("\nContainers space usage:\n\n");
    out.push_str(&format_rows(
        DF_CONTAINERS_TABLE,
        &containers,
        &DF_CONTAINER_HEADERS,
    )?);
    out.push_str("\nLocal Volumes space usage:\n\n");
    out.push_str(&format_rows(DF_VOLUMES_TABLE, &[], &DF_VOLUME_HEADERS)?);
    out.push_str(&format!("\nBuild cache usage: {}\n\n", human_size(0, 4)));
    out.push_str(&format_rows(DF_CACHE_TABLE, &[], &DF_CACHE_HEADERS)?);
    Ok(out)
}

/// `docker system df`: `GET /system/df`.
pub(super) fn df(api: &Connector, args: DfArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let du: SystemDf = match api.client().and_then(|c| c.get_json("/system/df")) {
        Ok(du) => du,
        Err(e) => return api_error(&e),
    };
    let format = args
        .format
        .as_deref()
        .filter(|f| !f.is_empty())
        .unwrap_or("table");
    let rendered = match (args.verbose, format) {
        (true, "table") => verbose_table(&du),
        (true, f) => {
            // One template over {Images, Containers, Volumes, BuildCache}.
            let (images, containers) = verbose_rows(&du, f.starts_with("table"));
            let all = json!({"Images": images, "Containers": containers, "Volumes": [], "BuildCache": []});
            Template::parse(&f.replace("\\t", "\t").replace("\\n", "\n")).and_then(|t| t.render(&all))
        }
        (false, "table") => format_rows(DF_TABLE, &summary_rows(&du), &DF_HEADERS),
        (false, "json") => format_rows("{{json .}}", &summary_rows(&du), &DF_HEADERS),
        (false, f) => format_rows(f, &summary_rows(&du), &DF_HEADERS),
    };
    match rendered {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaimable_has_a_percentage_only_with_a_total() {
        assert_eq!(reclaimable(1_984_241, 1_984_241), "1.984MB (100%)");
        assert_eq!(reclaimable(9, 9), "9B (100%)");
        assert_eq!(reclaimable(3, 9), "3B (33%)");
        assert_eq!(reclaimable(0, 0), "0B");
    }

    #[test]
    fn an_empty_engine_uses_nothing() {
        let du = SystemDf {
            layers_size: 0,
            images: vec![],
            containers: vec![],
            volumes: vec![],
            build_cache: None,
            builder_size: 0,
        };
        let text = format_rows(DF_TABLE, &summary_rows(&du), &DF_HEADERS).unwrap();
        assert_eq!(
            text,
            "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages          0         0         0B        0B\nContainers      0         0         0B        0B\nLocal Volumes   0         0         0B        0B\nBuild Cache     0         0         0B        0B\n"
        );
    }
}
