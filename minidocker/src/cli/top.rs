//! `docker top CONTAINER [ps OPTIONS]`: the container's processes as `ps` shows them, from
//! `GET /containers/{id}/top?ps_args=`.

use clap::Args;

use super::lifecycle::{container_path, with_query};
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::engine::ContainerTop;
use crate::format::table::tabwrite_with;

#[derive(Debug, Args)]
pub struct TopArgs {
    /// The container, then `ps`'s options
    #[arg(hide = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// The table the Docker CLI prints: `ps`'s titles, then a row per process, laid out by Go's
/// tabwriter with a minimum width of 20 and a padding of 3.
fn top_table(top: &ContainerTop) -> String {
    let mut rows = vec![top.titles.clone()];
    rows.extend(top.processes.iter().cloned());
    tabwrite_with(&rows, 20, 3)
}

pub(super) fn top(api: &Connector, args: TopArgs, cmd: &str) -> ExitCode {
    let Some((container, ps_args)) = args.args.split_first() else {
        return args_error(cmd, "requires at least 1 argument");
    };
    let ps_args = ps_args.join(" ");
    let params: &[(&str, &str)] = if ps_args.is_empty() {
        &[]
    } else {
        &[("ps_args", &ps_args)]
    };
    let path = with_query(container_path(container, "/top"), params);
    match api.client().and_then(|c| c.get_json::<ContainerTop>(&path)) {
        Ok(top) => {
            print!("{}", top_table(&top));
            0
        }
        Err(e) => super::api_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_laid_out_like_the_docker_clis() {
        let top = ContainerTop {
            titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
                .map(String::from)
                .to_vec(),
            processes: vec![
                ["root", "2481", "2461", "0", "03:10", "?", "00:00:00", "sleep 300"]
                    .map(String::from)
                    .to_vec(),
            ],
        };
        // docker top against Docker 20.10
        assert_eq!(
            top_table(&top),
            "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\n\
             root                2481                2461                0                   03:10               ?                   00:00:00            sleep 300\n"
        );
    }
}
